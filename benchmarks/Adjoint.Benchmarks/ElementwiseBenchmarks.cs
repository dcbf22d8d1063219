using Adjoint.Backends;
using Adjoint.Interop;
using BenchmarkDotNet.Attributes;

namespace Adjoint.Benchmarks;

/// <summary>Memory-bound kernels over 4M float32 elements (16 MiB in, 16 MiB out): tanh, exp, and a full sum.</summary>
[MemoryDiagnoser]
public unsafe class ElementwiseBenchmarks
{
    private const long Count = 4L << 20;
    private static readonly long[] Shape = [Count];
    private static readonly long[] Strides = [1];
    private RawArray _x = null!, _y = null!;
    private float _sum;
    private IBackend _backend = null!;

    [Params(BackendKind.Native, BackendKind.Managed)]
    public BackendKind Backend { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _backend = Backend.Resolve();
        _x = new RawArray(Count, 1);
        _y = new RawArray(Count, 2);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _x.Dispose();
        _y.Dispose();
    }

    [Benchmark]
    public void Tanh() => _backend.Unary(UnaryOp.Tanh, DType.Float32, Count, _x.Pointer, _y.Pointer);

    [Benchmark]
    public void Exp() => _backend.Unary(UnaryOp.Exp, DType.Float32, Count, _x.Pointer, _y.Pointer);

    [Benchmark]
    public float Sum()
    {
        fixed (float* sum = &_sum)
            _backend.Reduce(ReduceOp.Sum, DType.Float32, Shape, _x.Pointer, Strides, 1UL, sum, null);
        return _sum;
    }
}

using Adjoint.Backends;
using BenchmarkDotNet.Attributes;

namespace Adjoint.Benchmarks;

/// <summary>C = A·B for square float32 matrices (2·n³ flops per call).</summary>
[MemoryDiagnoser]
public unsafe class GemmBenchmarks
{
    private RawArray _a = null!, _b = null!, _c = null!;
    private IBackend _backend = null!;

    [Params(128, 256, 512, 1024)]
    public int N { get; set; }

    [Params(BackendKind.Native, BackendKind.Managed)]
    public BackendKind Backend { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _backend = Backend.Resolve();
        long count = (long)N * N;
        _a = new RawArray(count, 1);
        _b = new RawArray(count, 2);
        _c = new RawArray(count, 3);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _a.Dispose();
        _b.Dispose();
        _c.Dispose();
    }

    [Benchmark]
    public void Gemm() =>
        _backend.Gemm(DType.Float32, false, false, N, N, N, 1.0, _a.Pointer, N, _b.Pointer, N, 0.0, _c.Pointer, N);
}

using Adjoint.Backends;
using Adjoint.Interop;
using BenchmarkDotNet.Attributes;

namespace Adjoint.Benchmarks;

/// <summary>
/// Every elementwise, backward, reduction, row and optimizer-update kernel, native vs managed, at several sizes, on 1 and 2
/// native threads (the managed backend's own threading is whatever it does; the Threads axis sets
/// <see cref="NativeBackend.NumThreads"/>). float32 throughout. Row and column cases view the Size
/// elements as [Size / 1024, 1024]. Run: <c>./build.sh bench --filter '*KernelSuite*' --job short</c>.
/// </summary>
public unsafe class KernelSuiteBenchmarks
{
    private const long Cols = 1024;
    private RawArray _x = null!, _y = null!, _g = null!, _out = null!, _small = null!, _m = null!, _v = null!;
    private IBackend _backend = null!;
    private long[] _flat = null!, _flatStrides = null!, _matrix = null!, _matrixStrides = null!;
    private long _rows;
    private int _savedThreads;

    [Params(BackendKind.Native, BackendKind.Managed)]
    public BackendKind Backend { get; set; }

    [Params(1, 2)]
    public int Threads { get; set; }

    [Params(4096, 65536, 4194304)]
    public long Size { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _backend = Backend.Resolve();
        _savedThreads = NativeBackend.NumThreads;
        NativeBackend.NumThreads = Threads;
        _x = new RawArray(Size, 1);
        _y = new RawArray(Size, 2);
        _g = new RawArray(Size, 3);
        _out = new RawArray(Size, 4);
        _small = new RawArray(Math.Max(Size / Cols, Cols), 5);
        // Optimizer state: a momentum / first-moment buffer, and a second moment, which must not be negative.
        _m = new RawArray(Size, 6);
        _v = new RawArray(Size, 7);
        for (long i = 0; i < Size; i++) _v.Pointer[i] = Math.Abs(_v.Pointer[i]);
        // y in (-1, 1) is a valid tanh/sigmoid output for the backward kernels.
        _flat = [Size];
        _flatStrides = [1];
        _rows = Size / Cols;
        _matrix = [_rows, Cols];
        _matrixStrides = [Cols, 1];
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        NativeBackend.NumThreads = _savedThreads;
        _x.Dispose();
        _y.Dispose();
        _g.Dispose();
        _out.Dispose();
        _small.Dispose();
        _m.Dispose();
        _v.Dispose();
    }

    /// <summary>
    /// Points this instance (Backend and Size set, <see cref="Setup"/> not called) at <paramref name="owner"/>'s
    /// buffers, so a probe can run two backends on the same memory; undo with <see cref="ReleaseShared"/> before
    /// the owner's <see cref="Cleanup"/>.
    /// </summary>
    internal void ShareBuffers(KernelSuiteBenchmarks owner)
    {
        _backend = Backend.Resolve();
        (_x, _y, _g, _out, _small, _m, _v) = (owner._x, owner._y, owner._g, owner._out, owner._small, owner._m, owner._v);
        (_flat, _flatStrides, _matrix, _matrixStrides, _rows) =
            (owner._flat, owner._flatStrides, owner._matrix, owner._matrixStrides, owner._rows);
    }

    internal void ReleaseShared() =>
        (_x, _y, _g, _out, _small, _m, _v) = (null!, null!, null!, null!, null!, null!, null!);

    private void Unary(UnaryOp op) => _backend.Unary(op, DType.Float32, Size, _x.Pointer, _out.Pointer);

    private void Backward(UnaryOp op) =>
        _backend.UnaryBackward(op, DType.Float32, Size, _x.Pointer, _y.Pointer, _g.Pointer, _out.Pointer);

    [Benchmark] public void Tanh() => Unary(UnaryOp.Tanh);
    [Benchmark] public void Exp() => Unary(UnaryOp.Exp);
    [Benchmark] public void Sigmoid() => Unary(UnaryOp.Sigmoid);
    [Benchmark] public void Log() => Unary(UnaryOp.Log);
    [Benchmark] public void Sin() => Unary(UnaryOp.Sin);
    [Benchmark] public void Softplus() => Unary(UnaryOp.Softplus);
    [Benchmark] public void Relu() => Unary(UnaryOp.Relu);
    [Benchmark] public void TanhBackward() => Backward(UnaryOp.Tanh);
    [Benchmark] public void SigmoidBackward() => Backward(UnaryOp.Sigmoid);
    [Benchmark] public void SoftplusBackward() => Backward(UnaryOp.Softplus);

    [Benchmark]
    public void Add() => _backend.Binary(BinaryOp.Add, DType.Float32, _flat, _x.Pointer, _flatStrides,
                                         _y.Pointer, _flatStrides, _out.Pointer, _flatStrides);

    [Benchmark]
    public void Mul() => _backend.Binary(BinaryOp.Mul, DType.Float32, _flat, _x.Pointer, _flatStrides,
                                         _y.Pointer, _flatStrides, _out.Pointer, _flatStrides);

    [Benchmark]
    public void SumAll() => _backend.Reduce(ReduceOp.Sum, DType.Float32, _flat, _x.Pointer, _flatStrides, 1UL,
                                            _out.Pointer, null);

    /// <summary>Sum over rows of [Size/1024, 1024]: one value per column (a bias gradient).</summary>
    [Benchmark]
    public void SumColumns() => _backend.Reduce(ReduceOp.Sum, DType.Float32, _matrix, _x.Pointer, _matrixStrides,
                                                1UL, _small.Pointer, null);

    [Benchmark]
    public void MaxRows() => _backend.Reduce(ReduceOp.Max, DType.Float32, _matrix, _x.Pointer, _matrixStrides,
                                             2UL, _small.Pointer, null);

    [Benchmark]
    public void Softmax() => _backend.RowOp(RowOp.Softmax, DType.Float32, _rows, Cols, _x.Pointer, _out.Pointer);

    [Benchmark]
    public void LogSoftmax() => _backend.RowOp(RowOp.LogSoftmax, DType.Float32, _rows, Cols, _x.Pointer, _out.Pointer);

    /// <summary>SGD with momentum 0.9 and weight decay 1e-4 over Size parameters (_out), in place.</summary>
    [Benchmark]
    public void SgdMomentum() => _backend.SgdUpdate(DType.Float32, Size, _out.Pointer, _g.Pointer, _m.Pointer, 0.01, 1e-4,
                                                     0.9, 0, false, false);

    /// <summary>AdamW (decoupled weight decay 0.01), step 5, over Size parameters (_out), in place.</summary>
    [Benchmark]
    public void AdamW() => _backend.AdamUpdate(DType.Float32, Size, _out.Pointer, _g.Pointer, _m.Pointer, _v.Pointer, 1e-3,
                                               0.9, 0.999, 1e-8, 0.01, true, 5);

    [Benchmark]
    public void SoftmaxBackward() =>
        _backend.RowOpBackward(RowOp.Softmax, DType.Float32, _rows, Cols, null, _y.Pointer, _g.Pointer, _out.Pointer);
}

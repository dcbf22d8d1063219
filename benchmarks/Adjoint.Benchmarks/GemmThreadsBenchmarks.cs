using Adjoint.Backends;
using BenchmarkDotNet.Attributes;

namespace Adjoint.Benchmarks;

/// <summary>
/// sgemm at the sizes of issue #6 (square 128–2048 and a 256×784 · 784×1024 layer), native vs managed, on 1
/// and 2 native threads. GFLOP/s = 2·M·N·K / time. Run:
/// <c>./build.sh bench --filter '*GemmThreads*' --job short</c>.
/// </summary>
public unsafe class GemmThreadsBenchmarks
{
    private RawArray _a = null!, _b = null!, _c = null!;
    private IBackend _backend = null!;
    private int _savedThreads;

    /// <summary>M×K×N.</summary>
    [Params("128x128x128", "256x256x256", "512x512x512", "1024x1024x1024", "2048x2048x2048", "256x784x1024")]
    public string Shape { get; set; } = "";

    [Params(BackendKind.Native, BackendKind.Managed)]
    public BackendKind Backend { get; set; }

    [Params(1, 2)]
    public int Threads { get; set; }

    private long M => long.Parse(Shape.Split('x')[0], System.Globalization.CultureInfo.InvariantCulture);
    private long K => long.Parse(Shape.Split('x')[1], System.Globalization.CultureInfo.InvariantCulture);
    private long N => long.Parse(Shape.Split('x')[2], System.Globalization.CultureInfo.InvariantCulture);

    [GlobalSetup]
    public void Setup()
    {
        _backend = Backend.Resolve();
        _savedThreads = NativeBackend.NumThreads;
        NativeBackend.NumThreads = Threads;
        _a = new RawArray(M * K, 1);
        _b = new RawArray(K * N, 2);
        _c = new RawArray(M * N, 3);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        NativeBackend.NumThreads = _savedThreads;
        _a.Dispose();
        _b.Dispose();
        _c.Dispose();
    }

    [Benchmark]
    public void Sgemm() => _backend.Gemm(DType.Float32, false, false, M, N, K, 1.0, _a.Pointer, K, _b.Pointer, N,
                                         0.0, _c.Pointer, N);
}

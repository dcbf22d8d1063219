using Adjoint.Backends;
using Adjoint.Interop;
using BenchmarkDotNet.Attributes;

namespace Adjoint.Benchmarks;

/// <summary>
/// The fixed cost of crossing into native code: one P/Invoke into <c>adj_noop</c>, raw and through the status
/// check every kernel call pays. This is the floor under every native kernel call.
/// </summary>
public unsafe class NoopBenchmarks
{
    [GlobalSetup]
    public void Setup() => _ = Backend.Native; // load and ABI-check outside the measurement

    [Benchmark(Baseline = true)]
    public AdjStatus PInvokeNoop() => NativeMethods.adj_noop();

    [Benchmark]
    public void PInvokeNoopChecked() => NativeStatus.Check(NativeMethods.adj_noop(), "adj_noop");
}

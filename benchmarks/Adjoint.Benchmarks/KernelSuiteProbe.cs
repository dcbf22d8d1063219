using System.Diagnostics;
using System.Globalization;
using Adjoint.Backends;

namespace Adjoint.Benchmarks;

/// <summary>
/// The cases of <see cref="KernelSuiteBenchmarks"/>, native against managed, timed in wall time and process CPU
/// time (all threads) with the two backends' batches alternating (N, M, N, M, …) so both see the same background
/// load; BenchmarkDotNet's short job runs each case alone for a few seconds, and on this shared 2-core machine two
/// such cases measured minutes apart differ by 2–3× (PERFORMANCE.md). Both backends work on the same buffers.
/// Reported per case: medians over rounds of the time per call and of the per-round ratio managed / native (above
/// 1: native is faster). Run: <c>dotnet run -c Release --project benchmarks/Adjoint.Benchmarks -- kernels-cpu
/// [rounds] [threads] [name,name,...]</c> (threads: the native pool's size; the managed backend is single-threaded).
/// </summary>
public static class KernelSuiteProbe
{
    private static readonly (string Name, Action<KernelSuiteBenchmarks> Run)[] Cases =
    [
        ("Tanh", b => b.Tanh()), ("Exp", b => b.Exp()), ("Sigmoid", b => b.Sigmoid()), ("Log", b => b.Log()),
        ("Sin", b => b.Sin()), ("Softplus", b => b.Softplus()), ("Relu", b => b.Relu()),
        ("TanhBackward", b => b.TanhBackward()), ("SigmoidBackward", b => b.SigmoidBackward()),
        ("SoftplusBackward", b => b.SoftplusBackward()), ("Add", b => b.Add()), ("Mul", b => b.Mul()),
        ("SumAll", b => b.SumAll()), ("SumColumns", b => b.SumColumns()), ("MaxRows", b => b.MaxRows()),
        ("Softmax", b => b.Softmax()), ("LogSoftmax", b => b.LogSoftmax()), ("SoftmaxBackward", b => b.SoftmaxBackward()),
        ("SgdMomentum", b => b.SgdMomentum()), ("AdamW", b => b.AdamW()),
    ];

    private static readonly long[] Sizes = [4096, 65536, 4194304];

    public static void Run(int rounds, int threads, string[]? only)
    {
        var c = CultureInfo.InvariantCulture;
        var proc = Process.GetCurrentProcess();
        string load0 = File.ReadAllText("/proc/loadavg").Trim();
        Console.WriteLine(string.Create(c, $"kernel suite, float32, native threads {threads}, managed 1 thread, {rounds} interleaved rounds; medians"));
        Console.WriteLine($"load average before: {load0}");
        Console.WriteLine("| case | size | native µs (CPU) | managed µs (CPU) | managed/native CPU | native µs (wall) | managed µs (wall) | managed/native wall |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var (name, run) in Cases)
        {
            if (only is { Length: > 0 } && !only.Contains(name, StringComparer.OrdinalIgnoreCase)) continue;
            foreach (long size in Sizes)
            {
                // One set of buffers for both backends: the managed instance borrows the native one's arrays.
                var native = new KernelSuiteBenchmarks { Backend = BackendKind.Native, Threads = threads, Size = size };
                native.Setup();
                var managed = new KernelSuiteBenchmarks { Backend = BackendKind.Managed, Threads = threads, Size = size };
                managed.ShareBuffers(native);
                // Calls per sample: enough for ≥ ~20 ms of native work (CPU time is read in clock ticks).
                run(native);
                long w = Stopwatch.GetTimestamp();
                run(native);
                double once = Math.Max(Stopwatch.GetElapsedTime(w).TotalMilliseconds, 1e-4);
                int calls = (int)Math.Clamp(20.0 / once, 1, 1_000_000);
                var cpu = new[] { new List<double>(), new List<double>() };
                var wall = new[] { new List<double>(), new List<double>() };
                var cpuRatio = new List<double>();
                var wallRatio = new List<double>();
                for (int r = 0; r < rounds + 1; r++)
                {
                    for (int b = 0; b < 2; b++)
                    {
                        var bench = b == 0 ? native : managed;
                        proc.Refresh();
                        var c0 = proc.TotalProcessorTime;
                        long w0 = Stopwatch.GetTimestamp();
                        for (int k = 0; k < calls; k++) run(bench);
                        double wallUs = Stopwatch.GetElapsedTime(w0).TotalMicroseconds / calls;
                        proc.Refresh();
                        double cpuUs = (proc.TotalProcessorTime - c0).TotalMicroseconds / calls;
                        if (r == 0)
                        {
                            // Warm-up: ≥ 0.3 s of calls and a pause, so the managed side runs tier-1 code (the
                            // JIT recompiles hot methods in the background after ~100 ms without new tier-0 work).
                            long t0 = Stopwatch.GetTimestamp();
                            while (Stopwatch.GetElapsedTime(t0).TotalMilliseconds < 300) run(bench);
                            Thread.Sleep(200);
                            continue;
                        }
                        cpu[b].Add(cpuUs);
                        wall[b].Add(wallUs);
                    }
                    if (r == 0) continue;
                    cpuRatio.Add(cpu[1][^1] / Math.Max(cpu[0][^1], 1e-9));
                    wallRatio.Add(wall[1][^1] / wall[0][^1]);
                }
                managed.ReleaseShared();
                native.Cleanup();
                Console.WriteLine(string.Create(c,
                    $"| {name} | {size} | {Median(cpu[0]):G4} | {Median(cpu[1]):G4} | {Median(cpuRatio):F2}x | {Median(wall[0]):G4} | {Median(wall[1]):G4} | {Median(wallRatio):F2}x |"));
            }
        }
        Console.WriteLine($"load average after:  {File.ReadAllText("/proc/loadavg").Trim()}");
    }

    private static double Median(List<double> v)
    {
        var s = v.Order().ToList();
        return s[s.Count / 2];
    }
}

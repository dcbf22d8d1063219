using System.Diagnostics;
using System.Globalization;

namespace Adjoint.Benchmarks;

/// <summary>
/// The policies of <see cref="CheckpointBenchmarks"/> timed in process CPU time (all threads) and wall time,
/// interleaved round by round so every policy sees the same background load, with the peak saved bytes and
/// recomputed layers of one step measured by a <see cref="SavedBytesTracker"/>. The ratio column is the median
/// over rounds of (policy time / plain time in the same round). Run: <c>dotnet run -c Release --project
/// benchmarks/Adjoint.Benchmarks -- checkpoint-cpu [rounds] [policy,policy,...]</c>.
/// </summary>
public static class CheckpointCpuProbe
{
    private static readonly string[] AllPolicies =
        ["None", "SqrtN", "EveryK(5)", "EveryK(20)", "Binomial(10)", "Binomial(4)", "Budget(20%)", "Budget(11%)", "Budget(5%)", "SelectiveOps(Tanh)"];

    public static void Run(int rounds, string[]? only)
    {
        // "Forward" (plain forward pass and loss with the graph recorded, no backward) and "NoGradForward" (the same
        // without the graph) are timed as cases of their own. Every layer of this chain saves only its input, W and
        // its output, so each recomputed layer runs without the graph (Note [Value-only recomputation]) and costs
        // about one no-grad forward layer: 1 + recomputed·F0/L is what theory allows (F0 = NoGradForward / plain step).
        var names = only is { Length: > 0 } ? ["None", .. only.Where(n => n != "None")] : AllPolicies;
        names = [.. names, "NoGradForward", "Forward"];
        var chain = new CheckpointBenchmarks.Chain();
        var policies = names.Select(n => n is "Forward" or "NoGradForward" ? CheckpointPolicy.None : CheckpointBenchmarks.Parse(n, chain)).ToArray();
        int forward = names.Length - 1;
        const int steps = 3; // per sample: CPU time is read in clock ticks
        var cpu = names.Select(_ => new List<double>()).ToArray();
        var wall = names.Select(_ => new List<double>()).ToArray();
        var cpuRatio = names.Select(_ => new List<double>()).ToArray();
        var wallRatio = names.Select(_ => new List<double>()).ToArray();
        var gcPause = names.Select(_ => new List<double>()).ToArray();
        var gcFull = names.Select(_ => new List<double>()).ToArray();
        var bytes = new (long Peak, long Recomputed, long Managed)[names.Length];
        for (int p = 0; p < forward - 1; p++)
        {
            chain.Step(policies[p]); // warm (profiling, planning caches)
            using var graph = MemoryStats.Track();
            long m0 = GC.GetAllocatedBytesForCurrentThread();
            chain.Step(policies[p]);
            bytes[p] = (graph.PeakSavedBytes, graph.RecomputedSteps, GC.GetAllocatedBytesForCurrentThread() - m0);
        }
        string load0 = File.ReadAllText("/proc/loadavg").Trim();
        var proc = Process.GetCurrentProcess();
        for (int r = 0; r < rounds + 1; r++)
        {
            for (int p = 0; p < names.Length; p++)
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
                proc.Refresh();
                var c0 = proc.TotalProcessorTime;
                var pause0 = GC.GetTotalPauseDuration();
                int full0 = GC.CollectionCount(2);
                long w0 = Stopwatch.GetTimestamp();
                for (int k = 0; k < steps; k++)
                    if (p == forward) chain.Forward();
                    else if (p == forward - 1) { using (Autograd.NoGrad()) chain.Forward(); }
                    else chain.Step(policies[p]);
                proc.Refresh();
                if (r == 0) continue; // warm-up round
                cpu[p].Add((proc.TotalProcessorTime - c0).TotalMilliseconds / steps);
                wall[p].Add(Stopwatch.GetElapsedTime(w0).TotalMilliseconds / steps);
                gcPause[p].Add((GC.GetTotalPauseDuration() - pause0).TotalMilliseconds / steps);
                gcFull[p].Add((GC.CollectionCount(2) - full0) / (double)steps);
                cpuRatio[p].Add(cpu[p][^1] / cpu[0][^1]);
                wallRatio[p].Add(wall[p][^1] / wall[0][^1]);
            }
        }
        string load1 = File.ReadAllText("/proc/loadavg").Trim();
        static double Median(List<double> v) { var s = v.Order().ToList(); return s[s.Count / 2]; }
        var c = CultureInfo.InvariantCulture;
        Console.WriteLine(string.Create(c, $"checkpoint chain L={CheckpointBenchmarks.Layers} width={CheckpointBenchmarks.Width} batch={CheckpointBenchmarks.Batch} float32, native threads {Adjoint.Backends.NativeBackend.NumThreads}, {rounds} interleaved rounds of {steps} steps, medians per step"));
        Console.WriteLine($"load average before: {load0}");
        Console.WriteLine($"load average after:  {load1}");
        double f = Median(cpuRatio[forward - 1]);
        Console.WriteLine(string.Create(c, $"plain forward (graph recorded, no backward) = {Median(cpuRatio[forward]):F3} of a plain step (CPU), without the graph {f:F3}; theory = 1 + recomputed/{CheckpointBenchmarks.Layers} × {f:F3} (recomputed layers run without the graph)"));
        Console.WriteLine("| policy | CPU ms | CPU ratio | theory | wall ms | wall ratio | peak saved bytes | % of plain | recomputed layers | managed KiB allocated | GC pause ms | full GCs |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        for (int p = 0; p < forward - 1; p++)
            Console.WriteLine(string.Create(c,
                $"| {names[p]} | {Median(cpu[p]):F1} | {Median(cpuRatio[p]):F3}× | {1 + bytes[p].Recomputed * f / CheckpointBenchmarks.Layers:F3}× | {Median(wall[p]):F1} | {Median(wallRatio[p]):F3}× | {bytes[p].Peak:N0} | {100.0 * bytes[p].Peak / bytes[0].Peak:F1} | {bytes[p].Recomputed} | {bytes[p].Managed / 1024} | {Median(gcPause[p]):F2} | {gcFull[p].Average():F2} |"));
    }
}

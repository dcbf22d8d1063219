using System.Diagnostics;

namespace Adjoint.Benchmarks;

/// <summary>
/// The autograd-overhead chain of <see cref="AutogradOverheadBenchmarks"/> timed in process CPU time (all threads,
/// so GC and finalizer work count) as well as wall time. On a machine shared with other work, CPU time per op is
/// the figure that other processes disturb least. Run: <c>dotnet run -c Release --project
/// benchmarks/Adjoint.Benchmarks -- autograd-cpu [rounds]</c>.
/// </summary>
public static class AutogradCpuProbe
{
    public static void Run(int rounds)
    {
        var x = Tensor.Scalar(1).Reshape(1).SetRequiresGrad();
        var y = Tensor.Scalar(0.5).Reshape(1).SetRequiresGrad();
        const int ops = AutogradOverheadBenchmarks.Ops;
        Tensor Chain()
        {
            var h = x;
            for (int i = 0; i < ops; i++) h = h + y;
            return h;
        }
        var proc = Process.GetCurrentProcess();
        var fwdCpu = new List<double>();
        var bwdCpu = new List<double>();
        var noGradCpu = new List<double>();
        var cleanupCpu = new List<double>();
        var fwdWall = new List<double>();
        var bwdWall = new List<double>();
        for (int r = 0; r < rounds + 2; r++)
        {
            x.ZeroGrad();
            y.ZeroGrad();
            GC.Collect();
            GC.WaitForPendingFinalizers();
            proc.Refresh();
            var c0 = proc.TotalProcessorTime;
            var w0 = Stopwatch.GetTimestamp();
            var chain = Chain();
            proc.Refresh();
            var c1 = proc.TotalProcessorTime;
            var w1 = Stopwatch.GetTimestamp();
            chain.Backward();
            proc.Refresh();
            var c2 = proc.TotalProcessorTime;
            var w2 = Stopwatch.GetTimestamp();
            using (Autograd.NoGrad()) Chain();
            proc.Refresh();
            var c3 = proc.TotalProcessorTime;
            // The chains' tensors are garbage now: what the GC and the finalizers spend freeing them is part of
            // the cost too when nobody disposes (a TensorScope would free them deterministically instead).
            chain = null!;
            GC.Collect();
            GC.WaitForPendingFinalizers();
            proc.Refresh();
            var c4 = proc.TotalProcessorTime;
            if (r < 2) continue; // warm-up rounds (JIT, tiered compilation)
            fwdCpu.Add((c1 - c0).TotalMicroseconds / ops);
            bwdCpu.Add((c2 - c1).TotalMicroseconds / ops);
            noGradCpu.Add((c3 - c2).TotalMicroseconds / ops);
            cleanupCpu.Add((c4 - c3).TotalMicroseconds / (3 * ops));
            fwdWall.Add(Stopwatch.GetElapsedTime(w0, w1).TotalMicroseconds / ops);
            bwdWall.Add(Stopwatch.GetElapsedTime(w1, w2).TotalMicroseconds / ops);
        }
        static double Median(List<double> v) { v.Sort(); return v[v.Count / 2]; }
        Console.WriteLine($"autograd overhead, {ops} additions on 1-element tensors, {rounds} rounds, medians per op:");
        Console.WriteLine($"  forward   CPU {Median(fwdCpu):F3} us   wall {Median(fwdWall):F3} us");
        Console.WriteLine($"  backward  CPU {Median(bwdCpu):F3} us   wall {Median(bwdWall):F3} us");
        Console.WriteLine($"  no-grad   CPU {Median(noGradCpu):F3} us");
        Console.WriteLine($"  freeing one undisposed tensor (GC + finalizer), CPU {Median(cleanupCpu):F3} us");
    }
}

using System.Diagnostics;

namespace Adjoint.Benchmarks;

/// <summary>
/// The cases of <see cref="FunctionalBenchmarks"/> and <see cref="JacobianBenchmarks"/> timed in process CPU time
/// (and wall time), interleaved round by round so every case sees the same background. Run:
/// <c>dotnet run -c Release --project benchmarks/Adjoint.Benchmarks -- functional-cpu [rounds]</c>.
/// </summary>
public static class FunctionalCpuProbe
{
    public static void Run(int rounds)
    {
        var f = new FunctionalBenchmarks();
        f.Setup();
        var j = new JacobianBenchmarks();
        j.Setup();
        var cases = new (string Name, Func<Tensor> Body)[]
        {
            ("MLP forward", f.Forward),
            ("MLP JVP", f.Jvp),
            ("MLP gradient", f.Gradient),
            ("MLP HVP", f.Hvp),
            ("Jacobian 16->1024", j.Jacobian16To1024),
            ("Jacobian 1024->16", j.Jacobian1024To16),
        };
        var cpu = cases.Select(_ => new List<double>()).ToArray();
        var wall = cases.Select(_ => new List<double>()).ToArray();
        var proc = Process.GetCurrentProcess();
        for (int r = 0; r < rounds + 2; r++)
        {
            for (int c = 0; c < cases.Length; c++)
            {
                int reps = c >= 4 ? 20 : 1; // the Jacobians are short: average a few calls
                proc.Refresh();
                var c0 = proc.TotalProcessorTime;
                long w0 = Stopwatch.GetTimestamp();
                for (int k = 0; k < reps; k++) cases[c].Body();
                proc.Refresh();
                if (r < 2) continue;
                cpu[c].Add((proc.TotalProcessorTime - c0).TotalMilliseconds / reps);
                wall[c].Add(Stopwatch.GetElapsedTime(w0).TotalMilliseconds / reps);
            }
        }
        static double Median(List<double> v) { v.Sort(); return v[v.Count / 2]; }
        Console.WriteLine($"medians of {rounds} interleaved rounds, ms (CPU / wall):");
        for (int c = 0; c < cases.Length; c++)
            Console.WriteLine($"  {cases[c].Name,-20} {Median(cpu[c]),9:F3} / {Median(wall[c]):F3}");
        Console.WriteLine($"  JVP / forward   = {Median(cpu[1]) / Median(cpu[0]):F2} (CPU)   {Median(wall[1]) / Median(wall[0]):F2} (wall)");
        Console.WriteLine($"  HVP / gradient  = {Median(cpu[3]) / Median(cpu[2]):F2} (CPU)   {Median(wall[3]) / Median(wall[2]):F2} (wall)");
    }
}

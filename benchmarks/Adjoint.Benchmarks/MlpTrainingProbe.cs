using System.Diagnostics;
using System.Globalization;
using Adjoint.Interop;
using Adjoint.NN;
using Adjoint.Optim;

namespace Adjoint.Benchmarks;

/// <summary>
/// The training step of <see cref="MlpTrainingBenchmarks"/> (MLP 784-1024-1024-10, batch 256, SGD) as a Stopwatch
/// loop, side by side with its parts: the GEMMs the step needs at their exact shapes and layouts, and every other
/// pass (ReLU forward and backward, bias add and bias gradient, cross-entropy, SGD update, allocation). The gap
/// between the step and the sum of its GEMMs is what the autograd and tensor layers add. Run:
/// <c>dotnet run -c Release --project benchmarks/Adjoint.Benchmarks -- mlp-step [rounds] [cuts]</c> ("cuts": the
/// three step timings only)
/// (threads: ADJOINT_NUM_THREADS). Medians of <c>rounds</c> after warm-up; prints the load average.
/// </summary>
public static class MlpTrainingProbe
{
    private const int Batch = 256, In = 784, Hidden = 1024, Out = 10;

    public static void Run(int rounds, bool parts = true)
    {
        var g = new Generator(1);
        using var model = new Sequential(new Linear(In, Hidden, generator: g), new ReLU(), new Linear(Hidden, Hidden, generator: g), new ReLU(),
                                         new Linear(Hidden, Out, generator: g));
        using var optimizer = new Sgd(model.Parameters(), 0.01);
        using var x = Tensor.Rand([Batch, In], DType.Float32, new Generator(2));
        int[] y = Enumerable.Range(0, Batch).Select(i => i * 7 % 10).ToArray();

        void Forward()
        {
            using var scope = TensorScope.Begin();
            model.ZeroGrad();
            Loss.CrossEntropy(model.Forward(x), y);
        }
        void ForwardBackward()
        {
            using var scope = TensorScope.Begin();
            model.ZeroGrad();
            Loss.CrossEntropy(model.Forward(x), y).Backward();
        }
        void Step()
        {
            using var scope = TensorScope.Begin();
            optimizer.ZeroGrad();
            Loss.CrossEntropy(model.Forward(x), y).Backward();
            optimizer.Step();
        }

        Console.WriteLine($"MLP {In}-{Hidden}-{Hidden}-{Out}, batch {Batch}, float32, SGD; threads {Environment.GetEnvironmentVariable("ADJOINT_NUM_THREADS") ?? "(default)"}; " +
                          $"load {File.ReadAllText("/proc/loadavg").Trim()}");
        // Warm up every cut, then give tiered compilation time to finish its background re-JIT: process CPU time
        // counts the JIT's threads, and a re-JIT landing in one cut's timings inflated that cut by up to 10 ms.
        for (int i = 0; i < 40; i++) { Forward(); ForwardBackward(); Step(); }
        Thread.Sleep(1000);
        int gen2 = GC.CollectionCount(2), gen0 = GC.CollectionCount(0);
        var (f, fCpu) = MedianWallAndCpu(Forward, rounds);
        var (fb, fbCpu) = MedianWallAndCpu(ForwardBackward, rounds);
        var (s, sCpu) = MedianWallAndCpu(Step, rounds);
        int steps = 3 * (rounds + 3);
        Console.WriteLine($"  wall: forward {f:F2} ms   fwd+bwd {fb:F2} ms   step {s:F2} ms   (f+b)/f {fb / f:F2}");
        Console.WriteLine($"  CPU:  forward {fCpu:F2} ms   fwd+bwd {fbCpu:F2} ms   step {sCpu:F2} ms   (f+b)/f {fbCpu / fCpu:F2}   (process CPU time, all threads)");
        Console.WriteLine($"  GCs during those {steps} iterations: gen0 {GC.CollectionCount(0) - gen0}, gen2 {GC.CollectionCount(2) - gen2}");

        if (!parts) return;

        // The parts, on tensors of the step's shapes. Weights as the model holds them ([out, in]).
        using var scope = TensorScope.Begin();
        using var noGrad = Autograd.NoGrad();
        var w1 = Tensor.Rand([Hidden, In], DType.Float32, g);
        var w2 = Tensor.Rand([Hidden, Hidden], DType.Float32, g);
        var w3 = Tensor.Rand([Out, Hidden], DType.Float32, g);
        var h = Tensor.Rand([Batch, Hidden], DType.Float32, g) - 0.5;
        var gh = Tensor.Rand([Batch, Hidden], DType.Float32, g);
        var gl = Tensor.Rand([Batch, Out], DType.Float32, g);
        var b = Tensor.Rand([Hidden], DType.Float32, g);
        var logits = Tensor.Rand([Batch, Out], DType.Float32, g);
        foreach (var p in model.Parameters()) p.Value.Grad = Tensor.ZerosLike(p.Value);
        var rows = new List<(string Name, double Ms, bool Gemm)>
        {
            ("fwd  x·W1ᵀ      [256,784]x[784,1024]", Median(() => x.MatMul(w1.T).Dispose(), rounds), true),
            ("fwd  h1·W2ᵀ     [256,1024]x[1024,1024]", Median(() => h.MatMul(w2.T).Dispose(), rounds), true),
            ("fwd  h2·W3ᵀ     [256,1024]x[1024,10]", Median(() => h.MatMul(w3.T).Dispose(), rounds), true),
            ("bwd  g3·W3      [256,10]x[10,1024]", Median(() => gl.MatMul(w3).Dispose(), rounds), true),
            ("bwd  g3ᵀ·h2     [10,256]x[256,1024]", Median(() => gl.T.MatMul(h).Dispose(), rounds), true),
            ("bwd  g2·W2      [256,1024]x[1024,1024]", Median(() => gh.MatMul(w2).Dispose(), rounds), true),
            ("bwd  g2ᵀ·h1     [1024,256]x[256,1024]", Median(() => gh.T.MatMul(h).Dispose(), rounds), true),
            ("bwd  g1ᵀ·x      [1024,256]x[256,784]", Median(() => gh.T.MatMul(x).Dispose(), rounds), true),
            ("relu forward [256,1024] (x2 per step)", 2 * Median(() => h.Relu().Dispose(), rounds), false),
            ("relu backward [256,1024] (x2)", 2 * Median(() => Kernels.UnaryBackward(UnaryOp.Relu, h, null, gh).Dispose(), rounds), false),
            ("bias add in place [256,1024] (x2)", 2 * Median(() => gh.AddInPlace(b), rounds), false),
            ("bias grad Σ₀ [256,1024] (x2)", 2 * Median(() => gh.Sum(0).Dispose(), rounds), false),
            ("cross-entropy fwd+bwd [256,10]", Median(() =>
            {
                using var s2 = TensorScope.Begin();
                using var en = Autograd.EnableGrad();
                var l = logits.Detach().SetRequiresGrad();
                Loss.CrossEntropy(l, y).Backward();
            }, rounds), false),
            ("SGD update, 1.86 M parameters", Median(optimizer.Step, rounds), false),
            ("clone of W1+W2 gradients (7.4 MB)", Median(() => { w1.Clone().Dispose(); w2.Clone().Dispose(); }, rounds), false),
        };
        double gemm = rows.Where(r => r.Gemm).Sum(r => r.Ms);
        Console.WriteLine("  parts, process CPU time (medians):");
        foreach (var (name, ms, _) in rows) Console.WriteLine($"  {name,-42} {ms,8:F3} ms");
        Console.WriteLine($"  sum of the step's 8 GEMMs {gemm:F2} ms; step − GEMMs {sCpu - gemm:F2} ms ({100 * (sCpu - gemm) / sCpu:F0} % of the step's CPU time)");
        Console.WriteLine($"  load {File.ReadAllText("/proc/loadavg").Trim()}");
    }

    // Process CPU time (every thread, GC included) is what other processes on a loaded machine disturb least;
    // on one thread it is the step's own cost. Wall time is the figure a user waits for.
    private static (double Wall, double Cpu) MedianWallAndCpu(Action action, int rounds)
    {
        for (int i = 0; i < 3; i++) action();
        var proc = Process.GetCurrentProcess();
        var wall = new double[rounds];
        var cpu = new double[rounds];
        for (int i = 0; i < rounds; i++)
        {
            proc.Refresh();
            var c0 = proc.TotalProcessorTime;
            long t0 = Stopwatch.GetTimestamp();
            action();
            wall[i] = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
            proc.Refresh();
            cpu[i] = (proc.TotalProcessorTime - c0).TotalMilliseconds;
        }
        Array.Sort(wall);
        Array.Sort(cpu);
        return (wall[rounds / 2], cpu[rounds / 2]);
    }

    // The parts are timed in process CPU time, like the cuts' CPU line they are compared with.
    private static double Median(Action action, int rounds) => MedianWallAndCpu(action, rounds).Cpu;
}

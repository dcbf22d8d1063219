using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Adjoint.Backends;
using Adjoint.NN;
using Adjoint.Optim;
using Spectre.Console;

namespace Adjoint.Cli.Commands;

/// <summary>
/// <c>adjoint bench</c>: a quick native-vs-managed timing table (median of a few runs) for a GEMM, elementwise and
/// reduction kernels, softmax and one MLP training step. For careful numbers use BenchmarkDotNet
/// (<c>./build.sh bench</c>).
/// </summary>
public static class BenchCommand
{
    /// <summary>Builds the <c>bench</c> command with its options.</summary>
    public static Command Create(CliContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var size = new Option<int>("--size", "-n") { Description = "Matrix size n of the n×n GEMM.", DefaultValueFactory = _ => 256 };
        var length = new Option<int>("--length") { Description = "Elements of the elementwise and reduction benchmarks.", DefaultValueFactory = _ => 1 << 20 };
        var repeat = new Option<int>("--repeat", "-r") { Description = "Timed runs per cell (the median is shown, after one warm-up).", DefaultValueFactory = _ => 7 };
        var dtype = new Option<DType>("--dtype") { Description = "Element type: Float32 or Float64.", DefaultValueFactory = _ => DType.Float32 };
        var command = new Command("bench", "A quick native-vs-managed timing table (median of a few runs).")
        {
            size, length, repeat, dtype,
        };
        command.SetAction(parse => Run(context, parse.GetValue(size), parse.GetValue(length), parse.GetValue(repeat), parse.GetValue(dtype)));
        return command;
    }

    private static int Run(CliContext context, int n, int length, int repeat, DType dtype)
    {
        if (n < 1 || length < 1 || repeat < 1) return context.Invalid("--size, --length and --repeat must be at least 1.");
        var backends = new List<IBackend>();
        if (Backend.NativeAvailable) backends.Add(Backend.Native);
        backends.Add(Backend.Managed);

        var cases = new (string Name, Func<Action> Setup)[]
        {
            ($"MatMul {n}×{n}·{n}×{n}", () => { var a = Tensor.Randn([n, n], dtype, new Generator(1)); var b = Tensor.Randn([n, n], dtype, new Generator(2)); return () => a.MatMul(b).Dispose(); }),
            ($"Tanh, {length:N0} elements", () => { var x = Tensor.Randn([length], dtype, new Generator(3)); return () => x.Tanh().Dispose(); }),
            ($"Exp, {length:N0} elements", () => { var x = Tensor.Randn([length], dtype, new Generator(4)); return () => x.Exp().Dispose(); }),
            ($"Add (broadcast rows), {length:N0}", () => { int cols = 1024; var x = Tensor.Randn([Math.Max(1, length / cols), cols], dtype, new Generator(5)); var b = Tensor.Randn([cols], dtype, new Generator(6)); return () => (x + b).Dispose(); }),
            ($"Sum, {length:N0} elements", () => { var x = Tensor.Randn([length], dtype, new Generator(7)); return () => x.Sum().Dispose(); }),
            ("Softmax, 1024 rows × 1024", () => { var x = Tensor.Randn([1024, 1024], dtype, new Generator(8)); return () => x.Softmax(1).Dispose(); }),
            ("MLP step 784-256-10, batch 64 (SGD)", () => MlpStep(dtype)),
        };

        var table = new Table().Border(TableBorder.Rounded).AddColumn("benchmark");
        foreach (var b in backends) table.AddColumn(new TableColumn(b.Name).RightAligned());
        if (backends.Count == 2) table.AddColumn(new TableColumn("managed / native").RightAligned());
        context.Console.MarkupLine($"Median of {repeat} runs, {dtype}; native: {(Backend.NativeAvailable ? $"{NativeBackend.Isa}, {NativeBackend.NumThreads} threads" : "not loaded")}.");
        foreach (var (name, setup) in cases)
        {
            var times = new List<double>();
            foreach (var backend in backends)
            {
                using var use = Backend.Use(backend);
                using var scope = TensorScope.Begin();
                times.Add(Median(setup(), repeat));
            }
            var cells = new List<string> { Markup.Escape(name) };
            cells.AddRange(times.Select(Ms));
            if (times.Count == 2) cells.Add(string.Create(CultureInfo.InvariantCulture, $"{times[1] / times[0]:F1}×"));
            table.AddRow(cells.ToArray());
        }
        context.Console.Write(table);
        return Cli.Success;
    }

    private static Action MlpStep(DType dtype)
    {
        var g = new Generator(9);
        var model = new Sequential(new Linear(784, 256, dtype: dtype, generator: g), new ReLU(), new Linear(256, 10, dtype: dtype, generator: g));
        var optimizer = new Sgd(model.Parameters(), 0.01);
        var x = Tensor.Randn([64, 784], dtype, new Generator(10));
        var y = Enumerable.Range(0, 64).Select(i => i % 10).ToArray();
        return () =>
        {
            using var scope = TensorScope.Begin();
            optimizer.ZeroGrad();
            Loss.CrossEntropy(model.Forward(x), y).Backward();
            optimizer.Step();
        };
    }

    private static double Median(Action action, int repeat)
    {
        action(); // warm-up: JIT, caches, thread pool
        var times = new double[repeat];
        for (int i = 0; i < repeat; i++)
        {
            long start = Stopwatch.GetTimestamp();
            action();
            times[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        }
        Array.Sort(times);
        return times[repeat / 2];
    }

    private static string Ms(double ms) => ms < 1
        ? string.Create(CultureInfo.InvariantCulture, $"{ms * 1000:F0} µs")
        : string.Create(CultureInfo.InvariantCulture, $"{ms:F2} ms");
}

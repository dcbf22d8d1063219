using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Adjoint.Backends;
using Adjoint.Cli.Data;
using Adjoint.Cli.Plotting;
using Adjoint.Cli.Training;
using Adjoint.Interop;
using Adjoint.NN;
using Adjoint.Optim;
using Adjoint.Serialization;
using Spectre.Console;

namespace Adjoint.Cli.Commands;

/// <summary>
/// <c>adjoint demo</c>: trains an MLP on two interleaved spirals with a live progress bar, prints what each
/// checkpoint policy saves and recomputes on the same model, and writes a loss curve, a decision-boundary map and
/// the trained model. <c>--info</c> adds the native library details and a native-vs-managed comparison.
/// </summary>
public static class DemoCommand
{
    /// <summary>Builds the <c>demo</c> command with its options.</summary>
    public static Command Create(CliContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var epochs = new Option<int>("--epochs", "-e") { Description = "Training epochs over the spirals.", DefaultValueFactory = _ => 60 };
        var points = new Option<int>("--points") { Description = "Points per spiral (training set; the test set has half as many).", DefaultValueFactory = _ => 500 };
        var hidden = new Option<int>("--hidden") { Description = "Width of each hidden layer.", DefaultValueFactory = _ => 64 };
        var depth = new Option<int>("--depth") { Description = "Number of hidden layers.", DefaultValueFactory = _ => 3 };
        var lr = new Option<double>("--lr") { Description = "AdamW learning rate (cosine-annealed over the epochs).", DefaultValueFactory = _ => 0.01 };
        var batch = new Option<int>("--batch-size", "-b") { Description = "Mini-batch size.", DefaultValueFactory = _ => 50 };
        var seed = new Option<int>("--seed") { Description = "Seed of the data and the initial weights.", DefaultValueFactory = _ => 1 };
        var output = new Option<string>("--out", "-o") { Description = "Folder for the SVG charts and the model file.", DefaultValueFactory = _ => "adjoint-demo" };
        var info = new Option<bool>("--info") { Description = "Also show the native library details and time sum(tanh(A·B)) on the native and managed backends." };
        var size = new Option<int>("--size", "-n") { Description = "With --info: matrix size n of the native-vs-managed comparison.", DefaultValueFactory = _ => 256 };
        var repeat = new Option<int>("--repeat", "-r") { Description = "With --info: timed runs per backend (best shown, after one warm-up).", DefaultValueFactory = _ => 5 };
        var command = new Command("demo", "Train an MLP on two interleaved spirals (no download) with live loss and accuracy, compare checkpoint policies on it, and write loss-curve and decision-boundary SVGs.")
        {
            epochs, points, hidden, depth, lr, batch, seed, output, info, size, repeat,
        };
        command.SetAction(parse => new Demo(context)
        {
            Epochs = parse.GetValue(epochs),
            Points = parse.GetValue(points),
            Hidden = parse.GetValue(hidden),
            Depth = parse.GetValue(depth),
            LearningRate = parse.GetValue(lr),
            BatchSize = parse.GetValue(batch),
            Seed = parse.GetValue(seed),
            OutputFolder = parse.GetValue(output)!,
            Info = parse.GetValue(info),
            Size = parse.GetValue(size),
            Repeat = parse.GetValue(repeat),
        }.Run());
        return command;
    }

    private sealed class Demo(CliContext context)
    {
        public int Epochs { get; init; }
        public int Points { get; init; }
        public int Hidden { get; init; }
        public int Depth { get; init; }
        public double LearningRate { get; init; }
        public int BatchSize { get; init; }
        public int Seed { get; init; }
        public required string OutputFolder { get; init; }
        public bool Info { get; init; }
        public int Size { get; init; }
        public int Repeat { get; init; }

        private IAnsiConsole Console => context.Console;

        public int Run()
        {
            if (Epochs < 1) return context.Invalid($"--epochs must be at least 1, got {Epochs}.");
            if (Points < 4) return context.Invalid($"--points must be at least 4, got {Points}.");
            if (Hidden < 1 || Depth < 1) return context.Invalid($"--hidden and --depth must be at least 1, got {Hidden} and {Depth}.");
            if (!(LearningRate > 0)) return context.Invalid($"--lr must be positive, got {LearningRate}.");
            if (BatchSize < 1) return context.Invalid($"--batch-size must be at least 1, got {BatchSize}.");
            if (Info && (Size < 1 || Repeat < 1)) return context.Invalid("--size and --repeat must be at least 1.");

            Header();
            if (Info) Comparison();

            var total = Stopwatch.StartNew();
            var train = Spirals.Make(Points, seed: Seed);
            var test = Spirals.Make(Math.Max(2, Points / 2), seed: Seed + 1000);
            using var model = Trainer.Mlp(2, Enumerable.Repeat(Hidden, Depth).ToArray(), 2, () => new Tanh(), new Generator((ulong)Seed));
            using var optimizer = new AdamW(model.Parameters(), LearningRate, weightDecay: 1e-4);
            var schedule = new CosineAnnealingLR(optimizer, Epochs, LearningRate * 0.05);
            Console.MarkupLine($"Training [bold]{Markup.Escape(Describe(model))}[/] ({model.ParameterCount:N0} parameters) on two spirals: {train.Count} training points, {test.Count} test points, AdamW, batch {BatchSize}.");

            var history = new List<(int Epoch, double Loss, double Accuracy)>();
            var shuffle = new Random(Seed);
            EpochProgress.Run(Console, Epochs, e =>
            {
                var (loss, accuracy) = Trainer.Epoch(model, optimizer, train, BatchSize, shuffle);
                schedule.Step();
                history.Add((e, loss, accuracy));
                return string.Create(CultureInfo.InvariantCulture, $"epoch {e,3}/{Epochs}  loss {loss:F4}  accuracy {accuracy:P1}");
            });
            double trainAccuracy = Trainer.Accuracy(model, train);
            double testAccuracy = Trainer.Accuracy(model, test);
            var trainTime = total.Elapsed;
            Console.MarkupLine(string.Create(CultureInfo.InvariantCulture,
                $"Accuracy: [bold]{trainAccuracy:P1}[/] on the training points, [bold]{testAccuracy:P1}[/] on held-out points, after {Epochs} epochs in {trainTime.TotalSeconds:F1} s."));

            CheckpointTable(model, train);

            string folder = Path.GetFullPath(OutputFolder);
            Directory.CreateDirectory(folder);
            string lossPath = Svg.Save(Svg.LineChart("Training on two spirals", "epoch", "loss / accuracy",
            [
                new Series("cross-entropy loss", history.Select(h => ((double)h.Epoch, h.Loss)).ToList(), "#1f77b4"),
                new Series("training accuracy", history.Select(h => ((double)h.Epoch, h.Accuracy)).ToList(), "#ff7f0e"),
            ]), Path.Combine(folder, "loss.svg"));
            string boundaryPath = Svg.Save(DecisionBoundary(model, train, testAccuracy), Path.Combine(folder, "decision-boundary.svg"));
            string modelPath = Path.Combine(folder, "spirals.safetensors");
            model.Save(modelPath, new Dictionary<string, string> { ["format"] = "pt", ["producer"] = "adjoint demo", ["architecture"] = Describe(model) });

            Console.MarkupLine($"Wrote the loss curve to [link]{Markup.Escape(lossPath)}[/]");
            Console.MarkupLine($"Wrote the decision boundary to [link]{Markup.Escape(boundaryPath)}[/]");
            Console.MarkupLine($"Wrote the trained model (safetensors) to [link]{Markup.Escape(modelPath)}[/]");
            Console.MarkupLine(string.Create(CultureInfo.InvariantCulture, $"Done in {total.Elapsed.TotalSeconds:F1} s."));
            return Cli.Success;
        }

        private static string Describe(Sequential model) =>
            string.Join("-", Enumerable.Range(0, model.Count).Select(i => model[i]).OfType<Linear>().Select(l => l.InFeatures)
                .Append(((Linear)model[model.Count - 1]).OutFeatures)) + " MLP (tanh)";

        private void Header()
        {
            string native = Backend.NativeAvailable
                ? $"native kernels {NativeBackend.Isa}, {NativeBackend.NumThreads} threads"
                : "native library not loaded";
            Console.MarkupLine($"[bold]Adjoint[/] {typeof(Tensor).Assembly.GetName().Version?.ToString(3)} · backend [bold]{Backend.Current.Name}[/] · {Markup.Escape(native)}");
        }

        private static System.Xml.Linq.XDocument DecisionBoundary(Sequential model, Dataset train, double testAccuracy)
        {
            const int cells = 90;
            var grid = new float[cells * cells * 2];
            double step = 2 * Spirals.Extent / cells;
            for (int i = 0; i < cells; i++)
                for (int j = 0; j < cells; j++)
                {
                    grid[2 * (i * cells + j)] = (float)(-Spirals.Extent + (j + 0.5) * step);
                    grid[2 * (i * cells + j) + 1] = (float)(Spirals.Extent - (i + 0.5) * step);
                }
            int[] predicted;
            model.Eval();
            using (Autograd.NoGrad())
            using (TensorScope.Begin())
                predicted = Trainer.ArgMax(model.Forward(Tensor.FromArray(grid, cells * cells, 2)));
            model.Train();
            var points = Enumerable.Range(0, train.Count).Select(k => ((double)train.Features[2 * k], (double)train.Features[2 * k + 1], train.Labels[k])).ToList();
            return Svg.DecisionBoundary(string.Create(CultureInfo.InvariantCulture, $"Decision boundary (held-out accuracy {testAccuracy:P1})"),
                Spirals.Extent, cells, (x, y) =>
                {
                    int j = Math.Clamp((int)((x + Spirals.Extent) / step), 0, cells - 1);
                    int i = Math.Clamp((int)((Spirals.Extent - y) / step), 0, cells - 1);
                    return predicted[i * cells + j];
                }, points);
        }

        // Every policy on the trained model: one forward + backward over the whole training set, measured with
        // MemoryStats, next to the planner's prediction; gradients are compared with the plain run.
        private void CheckpointTable(Sequential model, Dataset train)
        {
            using var scope = TensorScope.Begin();
            var (x, y) = Trainer.Batch(train, Enumerable.Range(0, train.Count).ToArray());
            var plainPlan = model.Plan(x, CheckpointPolicy.None);
            long budget = plainPlan.PlainSavedBytes / 2;
            var policies = new List<CheckpointPolicy> { CheckpointPolicy.None, CheckpointPolicy.EveryK(2), CheckpointPolicy.SqrtN, CheckpointPolicy.Binomial(2), CheckpointPolicy.MemoryBudget(budget) };
            var table = new Table().Border(TableBorder.Rounded)
                .AddColumn("policy")
                .AddColumn(new TableColumn("planned peak saved").RightAligned())
                .AddColumn(new TableColumn("measured peak saved").RightAligned())
                .AddColumn(new TableColumn("recomputed layers").RightAligned())
                .AddColumn(new TableColumn("fwd+bwd").RightAligned())
                .AddColumn("gradients");
            float[][]? reference = null;
            var original = model.Policy;
            try
            {
                foreach (var policy in policies)
                {
                    using var step = TensorScope.Begin();
                    CheckpointPlan plan;
                    try
                    {
                        plan = model.Plan(x, policy);
                    }
                    catch (InvalidOperationException e)
                    {
                        table.AddRow(Markup.Escape(Name(policy)), "—", "—", "—", "—", Markup.Escape(e.Message));
                        continue;
                    }
                    model.Policy = policy;
                    model.ZeroGrad(); // the previous policy's gradients belonged to its (disposed) scope
                    Loss.CrossEntropy(model.Forward(x), y).Backward(); // warm-up: JIT and the planner's profile
                    model.ZeroGrad();
                    long before = MemoryStats.SavedBytes;
                    MemoryStats.ResetPeak();
                    var watch = Stopwatch.StartNew();
                    Loss.CrossEntropy(model.Forward(x), y).Backward();
                    watch.Stop();
                    long peak = MemoryStats.PeakSavedBytes - before;
                    long recomputed = MemoryStats.RecomputedSteps;
                    var grads = model.Parameters().Select(p => p.Grad!.ToArray<float>()).ToArray();
                    reference ??= grads;
                    bool same = grads.Zip(reference).All(pair => pair.First.AsSpan().SequenceEqual(pair.Second));
                    table.AddRow(Markup.Escape(Name(policy)), Bytes(plan.PredictedPeakSavedBytes), Bytes(peak),
                        recomputed.ToString(CultureInfo.InvariantCulture),
                        string.Create(CultureInfo.InvariantCulture, $"{watch.Elapsed.TotalMilliseconds:F1} ms"),
                        same ? "[green]identical[/]" : "[red]differ[/]");
                }
            }
            finally
            {
                model.Policy = original;
                model.ZeroGrad();
            }
            Console.MarkupLine($"Checkpoint policies on this model ({model.Count} layers, batch of {train.Count}; budget = half of the plain {Bytes(plainPlan.PlainSavedBytes)}):");
            Console.Write(table);
            Console.MarkupLine("[grey]planned: the chain's peak of tensors kept for backward; measured: MemoryStats.PeakSavedBytes, which also counts the loss.[/]");
        }

        private static string Name(CheckpointPolicy policy) =>
            policy.Kind == CheckpointPolicyKind.MemoryBudget ? $"MemoryBudget({Bytes(policy.BudgetBytes)})" : policy.ToString();

        private void Comparison()
        {
            var info = new Grid().AddColumn().AddColumn();
            var backends = new List<IBackend>();
            if (Backend.NativeAvailable)
            {
                info.AddRow("native library", Markup.Escape(NativeBackend.LibraryPath));
                info.AddRow("ABI version", NativeLibraryInfo.AbiVersion.ToString(CultureInfo.InvariantCulture));
                info.AddRow("build", Markup.Escape(NativeLibraryInfo.BuildInfo));
                info.AddRow("ISA", $"{NativeBackend.Isa} (CPU supports up to {NativeBackend.MaxIsa})");
                info.AddRow("threads", NativeBackend.NumThreads.ToString(CultureInfo.InvariantCulture));
                backends.Add(Backend.Native);
            }
            else
            {
                info.AddRow("native library", "[red]not loaded[/]: " + Markup.Escape(Backend.NativeLoadError?.Message ?? "unknown"));
            }
            info.AddRow("backend in use", Backend.Current.Name);
            backends.Add(Backend.Managed);
            Console.Write(new Panel(info).Header("Adjoint").Border(BoxBorder.Rounded));

            Console.WriteLine($"sum(tanh(A·B)), A and B {Size}×{Size} Float32");
            var table = new Table().Border(TableBorder.Rounded)
                .AddColumn("backend")
                .AddColumn(new TableColumn("result").RightAligned())
                .AddColumn(new TableColumn("best time").RightAligned());
            var results = new List<double>();
            foreach (var backend in backends)
            {
                var (value, best) = Measure(backend, Size, Repeat);
                results.Add(value);
                table.AddRow(backend.Name, value.ToString("G10", CultureInfo.InvariantCulture),
                             $"{best.TotalMilliseconds.ToString("F3", CultureInfo.InvariantCulture)} ms");
            }
            Console.Write(table);
            if (results.Count == 2)
            {
                double relative = Math.Abs(results[0] - results[1]) / Math.Max(Math.Abs(results[1]), 1e-30);
                Console.MarkupLine($"relative difference native vs managed: {relative.ToString("E2", CultureInfo.InvariantCulture)}");
            }
        }
    }

    /// <summary>Bytes in binary units (KiB, MiB).</summary>
    public static string Bytes(long bytes) => bytes switch
    {
        >= 1 << 20 => string.Create(CultureInfo.InvariantCulture, $"{bytes / (double)(1 << 20):F2} MiB"),
        >= 1 << 10 => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1024.0:F1} KiB"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{bytes} B"),
    };

    // sum(tanh(A·B)) through the public Tensor API, with every kernel on `backend`. The inputs come from a
    // fixed-seed generator (drawn in managed code for both backends), so both backends see the same numbers.
    private static (double Value, TimeSpan Best) Measure(IBackend backend, int n, int repeat)
    {
        using var use = Backend.Use(backend);
        using var scope = TensorScope.Begin();
        var generator = new Generator(2024);
        double scale = 1.0 / Math.Sqrt(Math.Sqrt(n)); // keeps A·B of order 1, where tanh is not saturated
        Tensor a = Tensor.Randn([n, n], DType.Float32, generator) * scale;
        Tensor b = Tensor.Randn([n, n], DType.Float32, generator) * scale;
        double value = 0;
        var best = TimeSpan.MaxValue;
        for (int run = 0; run <= repeat; run++)
        {
            using var step = TensorScope.Begin();
            long start = Stopwatch.GetTimestamp();
            value = a.MatMul(b).Tanh().Sum().Item<float>();
            var elapsed = Stopwatch.GetElapsedTime(start);
            if (run > 0 && elapsed < best) best = elapsed; // run 0 warms up the JIT and the caches
        }
        return (value, best);
    }
}

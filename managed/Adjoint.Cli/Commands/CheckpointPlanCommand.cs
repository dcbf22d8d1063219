using System.CommandLine;
using System.Globalization;
using Adjoint.Cli.Plotting;
using Adjoint.NN;
using Spectre.Console;

namespace Adjoint.Cli.Commands;

/// <summary>
/// <c>adjoint checkpoint-plan --layers L --budget BYTES</c>: profiles a chain of L dense tanh layers, asks the
/// planner for the schedule with the least recomputation that fits the budget, prints that plan layer by layer, and
/// charts every policy's peak saved bytes against its recomputed layers (the Pareto front highlighted) as SVG.
/// </summary>
public static class CheckpointPlanCommand
{
    private static readonly int[] SegmentLengths = [2, 3, 4, 8, 16];
    private static readonly int[] SnapshotCounts = [1, 2, 3, 4, 6, 8];

    /// <summary>Builds the <c>checkpoint-plan</c> command with its options.</summary>
    public static Command Create(CliContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var layers = new Option<int>("--layers", "-l") { Description = "Number of layers of the chain (each Linear(W, W) + tanh).", DefaultValueFactory = _ => 16 };
        var budget = new Option<string>("--budget") { Description = "Memory budget for saved tensors: bytes, or with a unit (512KiB, 4MiB, 1.5MB, 2GB). Default: a third of what plain backward keeps." };
        var width = new Option<int>("--width", "-w") { Description = "Width W of every layer.", DefaultValueFactory = _ => 256 };
        var batch = new Option<int>("--batch", "-b") { Description = "Batch size of the profiled input.", DefaultValueFactory = _ => 64 };
        var output = new Option<string>("--out", "-o") { Description = "Where to write the memory-versus-recompute chart.", DefaultValueFactory = _ => "checkpoint-pareto.svg" };
        var command = new Command("checkpoint-plan", "Explain the checkpoint plan that fits a memory budget and chart memory versus recomputation for every policy (SVG).")
        {
            layers, budget, width, batch, output,
        };
        command.SetAction(parse => Run(context, parse.GetValue(layers), parse.GetValue(budget), parse.GetValue(width), parse.GetValue(batch), parse.GetValue(output)!));
        return command;
    }

    /// <summary>Parses "4096", "512KiB", "4MiB", "1.5MB", "2GB" (KB/MB/GB are powers of 1000, KiB/MiB/GiB of 1024).</summary>
    public static bool TryParseBytes(string text, out long bytes)
    {
        bytes = 0;
        if (string.IsNullOrWhiteSpace(text)) return false;
        string t = text.Trim();
        (string Suffix, double Factor)[] units = [("KiB", 1024), ("MiB", 1 << 20), ("GiB", 1 << 30), ("KB", 1e3), ("MB", 1e6), ("GB", 1e9), ("K", 1024), ("M", 1 << 20), ("G", 1 << 30), ("B", 1)];
        double factor = 1;
        foreach (var (suffix, f) in units)
            if (t.EndsWith(suffix, StringComparison.OrdinalIgnoreCase))
            {
                factor = f;
                t = t[..^suffix.Length].Trim();
                break;
            }
        if (!double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) || !(value >= 0) || value * factor > long.MaxValue) return false;
        bytes = (long)Math.Round(value * factor);
        return true;
    }

    private static int Run(CliContext context, int layers, string? budgetText, int width, int batch, string output)
    {
        if (layers < 1 || layers > 4096) return context.Invalid($"--layers must be between 1 and 4096, got {layers}.");
        if (width < 1 || batch < 1) return context.Invalid("--width and --batch must be at least 1.");
        long budget = -1;
        if (budgetText is not null && (!TryParseBytes(budgetText, out budget) || budget <= 0))
            return context.Invalid($"--budget '{budgetText}' is not a positive number of bytes (examples: 1048576, 512KiB, 4MiB, 1.5MB).");

        var console = context.Console;
        LayerCosts costs;
        using (TensorScope.Begin())
        {
            var g = new Generator(1);
            var modules = Enumerable.Range(0, layers).Select(_ => new Sequential(new Linear(width, width, generator: g), new Tanh())).ToArray();
            using var chain = new Sequential(modules);
            var input = Tensor.Randn([batch, width], DType.Float32, new Generator(2)).SetRequiresGrad();
            costs = Checkpoint.Profile(chain.Functions, input);
        }
        var plain = Checkpoint.Plan(costs, CheckpointPolicy.None);
        if (budget < 0) budget = plain.PlainSavedBytes / 3;
        console.MarkupLine($"Chain: {layers} × (Linear({width}, {width}) + tanh), batch {batch}, float32. Plain backward keeps {DemoCommand.Bytes(plain.PlainSavedBytes)}; budget {DemoCommand.Bytes(budget)} ({budget:N0} bytes).");

        CheckpointPlan? chosen = null;
        string? infeasible = null;
        try
        {
            chosen = Checkpoint.Plan(costs, CheckpointPolicy.MemoryBudget(budget));
        }
        catch (InvalidOperationException e)
        {
            infeasible = e.Message;
        }

        if (chosen is not null)
        {
            console.MarkupLine($"[bold]Plan for the budget:[/] peak saved {DemoCommand.Bytes(chosen.PredictedPeakSavedBytes)} ({100.0 * chosen.PredictedPeakSavedBytes / Math.Max(1, chosen.PlainSavedBytes):F1} % of plain), {chosen.PredictedRecomputeSteps} recomputed layer evaluations in backward.");
            var layerTable = new Table().Border(TableBorder.Rounded).AddColumn(new TableColumn("layer").RightAligned()).AddColumn("saved tensors").AddColumn("output snapshot")
                .AddColumn(new TableColumn("recomputed").RightAligned()).AddColumn(new TableColumn("saved bytes").RightAligned());
            foreach (var l in chosen.Layers)
                layerTable.AddRow(l.Layer.ToString(CultureInfo.InvariantCulture), l.SavedInForward ? "kept" : "[yellow]recomputed[/]", l.OutputSnapshot ? "yes" : "",
                    l.Recomputations.ToString(CultureInfo.InvariantCulture), l.SavedBytes.ToString("N0", CultureInfo.InvariantCulture));
            console.Write(layerTable);
            var actions = chosen.Actions;
            if (actions.Count > 0)
                console.MarkupLine("[grey]Schedule: " + Markup.Escape(string.Join("; ", actions.Take(24))) + (actions.Count > 24 ? $"; … ({actions.Count} actions)" : "") + "[/]");
        }
        else
        {
            console.MarkupLine($"[red]No schedule fits:[/] {Markup.Escape(infeasible!)}");
        }

        // Every policy's (peak, recompute) point; the Pareto front is the set no other point beats on both.
        var policies = new List<CheckpointPolicy> { CheckpointPolicy.None, CheckpointPolicy.SqrtN };
        foreach (int k in SegmentLengths.Where(k => k < layers)) policies.Add(CheckpointPolicy.EveryK(k));
        foreach (int s in SnapshotCounts.Where(s => s < layers)) policies.Add(CheckpointPolicy.Binomial(s));
        var rows = policies.Select(p => (Name: p.ToString(), Plan: Checkpoint.Plan(costs, p))).ToList();
        if (chosen is not null) rows.Add(($"budget {DemoCommand.Bytes(budget)}", chosen));
        var points = rows.Select(r => (r.Name, X: (double)r.Plan.PredictedPeakSavedBytes, Y: (double)r.Plan.PredictedRecomputeSteps)).ToList();
        bool Dominated((string Name, double X, double Y) p) => points.Any(q => q.X <= p.X && q.Y <= p.Y && (q.X < p.X || q.Y < p.Y));

        var table = new Table().Border(TableBorder.Rounded).AddColumn("policy").AddColumn(new TableColumn("peak saved").RightAligned())
            .AddColumn(new TableColumn("of plain").RightAligned()).AddColumn(new TableColumn("recomputed layers").RightAligned()).AddColumn("Pareto-optimal");
        foreach (var (name, x, y) in points)
            table.AddRow(Markup.Escape(name), DemoCommand.Bytes((long)x), string.Create(CultureInfo.InvariantCulture, $"{100 * x / Math.Max(1, plain.PlainSavedBytes):F0} %"),
                y.ToString(CultureInfo.InvariantCulture), Dominated((name, x, y)) ? "" : "yes");
        console.Write(table);

        var chart = Svg.Scatter($"Checkpoint policies: {layers} layers of width {width}, batch {batch}", "peak saved bytes", "recomputed layer evaluations",
            points.Select(p => new LabelledPoint(p.X, p.Y, p.Name, !Dominated(p))).ToList(), (budget, $"budget {DemoCommand.Bytes(budget)}"));
        string path = Svg.Save(chart, output);
        console.MarkupLine($"Wrote the memory-versus-recompute chart to [link]{Markup.Escape(path)}[/]");
        return chosen is null ? Cli.Failure : Cli.Success;
    }
}

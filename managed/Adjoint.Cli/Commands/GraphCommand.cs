using System.CommandLine;
using System.ComponentModel;
using System.Diagnostics;
using Adjoint.Cli.Training;
using Adjoint.NN;
using Spectre.Console;

namespace Adjoint.Cli.Commands;

/// <summary>
/// <c>adjoint graph</c>: builds an MLP, computes its cross-entropy loss on a small random batch, and writes the
/// computational graph of that loss as Graphviz DOT — and as SVG when Graphviz's <c>dot</c> is on the PATH.
/// </summary>
public static class GraphCommand
{
    /// <summary>Builds the <c>graph</c> command with its options.</summary>
    public static Command Create(CliContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var hidden = new Option<int[]>("--hidden") { Description = "Hidden layer widths of the MLP, e.g. --hidden 16 16.", DefaultValueFactory = _ => [16, 16], AllowMultipleArgumentsPerToken = true };
        var inputs = new Option<int>("--inputs") { Description = "Input features.", DefaultValueFactory = _ => 4 };
        var classes = new Option<int>("--classes") { Description = "Output classes.", DefaultValueFactory = _ => 3 };
        var activation = new Option<string>("--activation") { Description = "Activation between layers.", DefaultValueFactory = _ => "tanh" };
        activation.AcceptOnlyFromAmong("relu", "tanh", "sigmoid", "gelu", "softplus");
        var output = new Option<string>("--out", "-o") { Description = "DOT file to write; '-' prints the DOT text instead.", DefaultValueFactory = _ => "graph.dot" };
        var svg = new Option<bool>("--svg") { Description = "Also render an SVG beside the DOT file with Graphviz (when `dot` is installed).", DefaultValueFactory = _ => true };
        var command = new Command("graph", "Write the computational graph of an MLP's loss as Graphviz DOT (and SVG when `dot` is installed).")
        {
            hidden, inputs, classes, activation, output, svg,
        };
        command.SetAction(parse => Run(context, parse.GetValue(hidden)!, parse.GetValue(inputs), parse.GetValue(classes),
                                       parse.GetValue(activation)!, parse.GetValue(output)!, parse.GetValue(svg)));
        return command;
    }

    /// <summary>Makes the activation module named on the command line.</summary>
    public static Module Activation(string name) => name switch
    {
        "relu" => new ReLU(),
        "sigmoid" => new Sigmoid(),
        "gelu" => new GELU(),
        "softplus" => new Softplus(),
        _ => new Tanh(),
    };

    private static int Run(CliContext context, int[] hidden, int inputs, int classes, string activation, string output, bool svg)
    {
        if (hidden.Any(h => h < 1)) return context.Invalid("--hidden widths must be positive.");
        if (inputs < 1) return context.Invalid($"--inputs must be at least 1, got {inputs}.");
        if (classes < 2) return context.Invalid($"--classes must be at least 2, got {classes}.");
        using var scope = TensorScope.Begin();
        using var model = Trainer.Mlp(inputs, hidden, classes, () => Activation(activation), new Generator(1));
        var x = Tensor.Randn([8, inputs], DType.Float32, new Generator(2));
        var y = Enumerable.Range(0, 8).Select(i => i % classes).ToArray();
        var loss = Loss.CrossEntropy(model.Forward(x), y);
        string dot = GraphExport.ToDot(loss, model, "loss");
        if (output == "-")
        {
            context.Out.Write(dot);
            return Cli.Success;
        }
        string dotPath = Path.GetFullPath(output);
        Directory.CreateDirectory(Path.GetDirectoryName(dotPath)!);
        File.WriteAllText(dotPath, dot);
        int nodes = dot.Split('\n').Count(l => l.Contains("[label=", StringComparison.Ordinal));
        context.Console.MarkupLine($"Wrote the graph of the loss ({nodes} nodes) to [link]{Markup.Escape(dotPath)}[/]");
        if (!svg) return Cli.Success;
        string svgPath = Path.ChangeExtension(dotPath, ".svg");
        switch (RenderSvg(dotPath, svgPath, out string? problem))
        {
            case true:
                context.Console.MarkupLine($"Rendered it with Graphviz to [link]{Markup.Escape(svgPath)}[/]");
                break;
            case false:
                context.Console.MarkupLine($"[yellow]Graphviz failed:[/] {Markup.Escape(problem ?? "")}");
                return Cli.Failure;
            default:
                context.Console.MarkupLine("Graphviz's `dot` is not on the PATH; render with [bold]dot -Tsvg " + Markup.Escape(Path.GetFileName(dotPath)) + " -o graph.svg[/].");
                break;
        }
        return Cli.Success;
    }

    /// <summary>Runs <c>dot -Tsvg</c>: true on success, false when dot failed, null when dot is not installed.</summary>
    public static bool? RenderSvg(string dotPath, string svgPath, out string? problem)
    {
        problem = null;
        try
        {
            using var process = Process.Start(new ProcessStartInfo("dot", ["-Tsvg", dotPath, "-o", svgPath])
            {
                RedirectStandardError = true,
                RedirectStandardOutput = true,
                UseShellExecute = false,
            });
            if (process is null) return null;
            string err = process.StandardError.ReadToEnd();
            process.WaitForExit();
            if (process.ExitCode == 0) return true;
            problem = err.Trim();
            return false;
        }
        catch (Win32Exception)
        {
            return null;
        }
    }
}

using System.CommandLine;
using System.CommandLine.Help;
using Adjoint.Cli.Commands;
using Spectre.Console;

namespace Adjoint.Cli;

/// <summary>
/// The <c>adjoint</c> command tree, runnable in-process: <see cref="Run(string[], TextWriter?, TextWriter?)"/> builds
/// the commands around a console that writes to the given writers (tests pass string writers; the program passes
/// the terminal). Exit codes: 0 success, 1 a failed check or a command-line syntax error, 2 an invalid option value.
/// </summary>
public static class Cli
{
    /// <summary>Exit code of a successful command.</summary>
    public const int Success = 0;

    /// <summary>Exit code of a failed check (a gradcheck error above tolerance, a budget that cannot be met).</summary>
    public const int Failure = 1;

    /// <summary>Exit code of an option with an invalid value.</summary>
    public const int InvalidArguments = 2;

    /// <summary>Parses <paramref name="args"/> and runs the chosen command.</summary>
    /// <param name="args">Command-line arguments, e.g. <c>["demo", "--epochs", "10"]</c>.</param>
    /// <param name="output">Where tables, progress and help go; the terminal (with colours) when null.</param>
    /// <param name="error">Where errors go; <paramref name="output"/> (or standard error) when null.</param>
    public static int Run(string[] args, TextWriter? output = null, TextWriter? error = null)
    {
        ArgumentNullException.ThrowIfNull(args);
        // A terminal gets colours, links and live progress; a writer or a redirected standard output gets plain text.
        bool plain = output is not null || Console.IsOutputRedirected;
        IAnsiConsole console = !plain
            ? AnsiConsole.Console
            : AnsiConsole.Create(new AnsiConsoleSettings
            {
                Ansi = AnsiSupport.No,
                ColorSystem = ColorSystemSupport.NoColors,
                Interactive = InteractionSupport.No,
                Out = new AnsiConsoleOutput(output ?? Console.Out),
            });
        if (plain) console.Profile.Width = 120;
        var context = new CliContext(console, output ?? Console.Out, error ?? output ?? Console.Error);

        // A plain Command rather than RootCommand, whose name would be the assembly's (Adjoint.Cli), not `adjoint`.
        var root = new Command("adjoint", "Automatic differentiation for .NET with native SIMD kernels.")
        {
            new HelpOption(),
            new VersionOption(),
        };
        root.Subcommands.Add(DemoCommand.Create(context));
        root.Subcommands.Add(TrainCommand.Create(context));
        root.Subcommands.Add(GradcheckCommand.Create(context));
        root.Subcommands.Add(BenchCommand.Create(context));
        root.Subcommands.Add(GraphCommand.Create(context));
        root.Subcommands.Add(CheckpointPlanCommand.Create(context));
        root.SetAction(_ =>
        {
            context.Console.MarkupLine("Usage: adjoint <command> [options]. Commands: demo, train, gradcheck, bench, graph, checkpoint-plan. Try [bold]adjoint --help[/].");
            return Success;
        });
        var config = new InvocationConfiguration { Output = context.Out, Error = context.Error };
        return root.Parse(args).Invoke(config);
    }
}

/// <summary>Where a command writes: the Spectre console for tables and progress, plain writers for data and errors.</summary>
/// <param name="Console">Tables, progress bars, markup.</param>
/// <param name="Out">Plain output (e.g. DOT text on standard output).</param>
/// <param name="Error">Error messages.</param>
public sealed record CliContext(IAnsiConsole Console, TextWriter Out, TextWriter Error)
{
    /// <summary>Reports an invalid option value and returns <see cref="Cli.InvalidArguments"/>.</summary>
    public int Invalid(string message)
    {
        Error.WriteLine("error: " + message);
        return Cli.InvalidArguments;
    }
}

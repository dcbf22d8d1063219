using System.CommandLine;
using System.CommandLine.Help;
using Adjoint.Cli.Commands;

namespace Adjoint.Cli;

/// <summary>Entry point of the <c>adjoint</c> command. Each subcommand lives in its own file under Commands/.</summary>
public static class Program
{
    /// <summary>Parses <paramref name="args"/> and runs the chosen subcommand; returns its exit code.</summary>
    public static int Main(string[] args)
    {
        // A plain Command rather than RootCommand, whose name would be the assembly's (Adjoint.Cli), not `adjoint`.
        var root = new Command("adjoint", "Automatic differentiation for .NET with native SIMD kernels.")
        {
            new HelpOption(),
            new VersionOption(),
        };
        root.Subcommands.Add(DemoCommand.Create());
        return root.Parse(args).Invoke();
    }
}

using System.CommandLine;
using Adjoint.Cli.Commands;

namespace Adjoint.Cli;

/// <summary>Entry point of the <c>adjoint</c> command. Each subcommand lives in its own file under Commands/.</summary>
public static class Program
{
    /// <summary>Parses <paramref name="args"/> and runs the chosen subcommand; returns its exit code.</summary>
    public static int Main(string[] args)
    {
        var root = new RootCommand("adjoint: automatic differentiation for .NET with native SIMD kernels.");
        root.Subcommands.Add(DemoCommand.Create());
        return root.Parse(args).Invoke();
    }
}

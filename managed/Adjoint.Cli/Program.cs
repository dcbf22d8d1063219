namespace Adjoint.Cli;

/// <summary>Entry point of the <c>adjoint</c> command. Each subcommand lives in its own file under Commands/.</summary>
public static class Program
{
    /// <summary>Parses <paramref name="args"/> and runs the chosen subcommand; returns its exit code.</summary>
    public static int Main(string[] args) => Cli.Run(args);
}

using BenchmarkDotNet.Running;

namespace Adjoint.Benchmarks;

/// <summary>Runs the benchmarks chosen on the command line, e.g. <c>--filter '*Gemm*' --job short</c>.</summary>
public static class Program
{
    public static void Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "autograd-cpu")
        {
            AutogradCpuProbe.Run(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 21);
            return;
        }
        if (args.Length > 0 && args[0] == "mlp-step")
        {
            MlpTrainingProbe.Run(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 30,
                                 parts: !(args.Length > 2 && args[2] == "cuts"));
            return;
        }
        if (args.Length > 0 && args[0] == "functional-cpu")
        {
            FunctionalCpuProbe.Run(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 9);
            return;
        }
        if (args.Length > 0 && args[0] == "functional-kernels")
        {
            FunctionalKernelsProbe.Run(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 20);
            return;
        }
        if (args.Length > 0 && args[0] == "checkpoint-cpu")
        {
            CheckpointCpuProbe.Run(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 15,
                                   args.Length > 2 ? args[2].Split(',') : null);
            return;
        }
        if (args.Length > 0 && args[0] == "kernels-cpu")
        {
            KernelSuiteProbe.Run(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 7,
                                 args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 1,
                                 args.Length > 3 ? args[3].Split(',') : null);
            return;
        }
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
    }
}

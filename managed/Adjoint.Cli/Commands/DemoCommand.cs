using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Adjoint.Backends;
using Adjoint.Interop;
using Spectre.Console;

namespace Adjoint.Cli.Commands;

/// <summary>
/// <c>adjoint demo</c>: shows which native library loaded and runs sum(tanh(A·B)) on the native and the managed
/// backend, with results and timings side by side.
/// </summary>
public static class DemoCommand
{
    /// <summary>Builds the <c>demo</c> command with its options.</summary>
    public static Command Create()
    {
        var size = new Option<int>("--size", "-n")
        {
            Description = "Matrix size n: computes sum(tanh(A·B)) for n×n matrices A and B.",
            DefaultValueFactory = _ => 256,
        };
        var dtype = new Option<DType>("--dtype")
        {
            Description = "Element type: Float32 or Float64.",
            DefaultValueFactory = _ => DType.Float32,
        };
        var repeat = new Option<int>("--repeat", "-r")
        {
            Description = "Timed runs per backend (the best is shown, after one warm-up run).",
            DefaultValueFactory = _ => 5,
        };
        var command = new Command("demo", "Print the native library in use and compare the native and managed backends on one computation.")
        {
            size,
            dtype,
            repeat,
        };
        command.SetAction(parse => Run(parse.GetValue(size), parse.GetValue(dtype), parse.GetValue(repeat)));
        return command;
    }

    private static int Run(int n, DType dtype, int repeat)
    {
        if (n < 1 || repeat < 1)
        {
            AnsiConsole.MarkupLine("[red]--size and --repeat must be at least 1.[/]");
            return 2;
        }

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
        AnsiConsole.Write(new Panel(info).Header("Adjoint").Border(BoxBorder.Rounded));

        AnsiConsole.WriteLine($"sum(tanh(A·B)), A and B {n}×{n} {dtype}");
        var table = new Table().Border(TableBorder.Rounded)
            .AddColumn("backend")
            .AddColumn(new TableColumn("result").RightAligned())
            .AddColumn(new TableColumn("best time").RightAligned());
        var results = new List<double>();
        foreach (var backend in backends)
        {
            var (value, best) = Measure(backend, n, dtype, repeat);
            results.Add(value);
            table.AddRow(backend.Name, value.ToString("G10", CultureInfo.InvariantCulture),
                         $"{best.TotalMilliseconds.ToString("F3", CultureInfo.InvariantCulture)} ms");
        }
        AnsiConsole.Write(table);

        if (results.Count == 2)
        {
            double relative = Math.Abs(results[0] - results[1]) / Math.Max(Math.Abs(results[1]), 1e-30);
            AnsiConsole.MarkupLine($"relative difference native vs managed: {relative.ToString("E2", CultureInfo.InvariantCulture)}");
        }
        return 0;
    }

    // sum(tanh(A·B)) through the public Tensor API, with every kernel on `backend`. The inputs come from a
    // fixed-seed generator (drawn in managed code for both backends), so both backends see the same numbers.
    private static (double Value, TimeSpan Best) Measure(IBackend backend, int n, DType dtype, int repeat)
    {
        using var use = Backend.Use(backend);
        using var scope = TensorScope.Begin();
        var generator = new Generator(2024);
        double scale = 1.0 / Math.Sqrt(Math.Sqrt(n)); // keeps A·B of order 1, where tanh is not saturated
        Tensor a = Tensor.Randn([n, n], dtype, generator) * scale;
        Tensor b = Tensor.Randn([n, n], dtype, generator) * scale;

        double value = 0;
        var best = TimeSpan.MaxValue;
        for (int run = 0; run <= repeat; run++)
        {
            using var step = TensorScope.Begin();
            long start = Stopwatch.GetTimestamp();
            Tensor sum = a.MatMul(b).Tanh().Sum();
            value = dtype == DType.Float32 ? sum.Item<float>() : sum.Item<double>();
            var elapsed = Stopwatch.GetElapsedTime(start);
            if (run > 0 && elapsed < best) best = elapsed; // run 0 warms up the JIT and the caches
        }
        return (value, best);
    }
}

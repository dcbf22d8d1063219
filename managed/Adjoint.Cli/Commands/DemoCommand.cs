using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
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

        var table = new Table().Border(TableBorder.Rounded)
            .Title($"sum(tanh(A·B)), A and B {n}×{n} {dtype}")
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

    // Raw backend calls: A·B into C, tanh in place, then a full reduction to one number.
    private static unsafe (double Value, TimeSpan Best) Measure(IBackend backend, int n, DType dtype, int repeat)
    {
        long count = (long)n * n;
        nuint bytes = (nuint)(count * dtype.ElementSize());
        void* a = NativeMemory.AlignedAlloc(bytes, 64);
        void* b = NativeMemory.AlignedAlloc(bytes, 64);
        void* c = NativeMemory.AlignedAlloc(bytes, 64);
        void* sum = NativeMemory.AlignedAlloc(8, 64);
        try
        {
            Initialize(a, b, count, dtype);
            long[] shape = [count];
            long[] strides = [1];
            double value = 0;
            var best = TimeSpan.MaxValue;
            for (int run = 0; run <= repeat; run++)
            {
                long start = Stopwatch.GetTimestamp();
                backend.Gemm(dtype, false, false, n, n, n, 1.0, a, n, b, n, 0.0, c, n);
                backend.Unary(UnaryOp.Tanh, dtype, count, c, c);
                backend.Reduce(ReduceOp.Sum, dtype, shape, c, strides, 1UL, sum, null);
                var elapsed = Stopwatch.GetElapsedTime(start);
                if (run > 0 && elapsed < best) best = elapsed; // run 0 warms up JIT and caches
                value = dtype == DType.Float32 ? *(float*)sum : *(double*)sum;
            }
            return (value, best);
        }
        finally
        {
            NativeMemory.AlignedFree(a);
            NativeMemory.AlignedFree(b);
            NativeMemory.AlignedFree(c);
            NativeMemory.AlignedFree(sum);
        }
    }

    // Same numbers for both backends and every run: a fixed-seed generator, scaled so A·B is O(1).
    private static unsafe void Initialize(void* a, void* b, long count, DType dtype)
    {
        var random = new Random(2024);
        double scale = 2.0 / Math.Sqrt(Math.Sqrt(count));
        for (long i = 0; i < count; i++)
        {
            double x = (random.NextDouble() - 0.5) * scale, y = (random.NextDouble() - 0.5) * scale;
            if (dtype == DType.Float32)
            {
                ((float*)a)[i] = (float)x;
                ((float*)b)[i] = (float)y;
            }
            else
            {
                ((double*)a)[i] = x;
                ((double*)b)[i] = y;
            }
        }
    }
}

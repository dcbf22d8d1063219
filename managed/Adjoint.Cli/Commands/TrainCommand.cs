using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Adjoint.Cli.Data;
using Adjoint.Cli.Plotting;
using Adjoint.Cli.Training;
using Adjoint.NN;
using Adjoint.Optim;
using Adjoint.Serialization;
using Spectre.Console;

namespace Adjoint.Cli.Commands;

/// <summary>
/// <c>adjoint train --data &lt;folder&gt;</c>: trains an MLP classifier on MNIST-format IDX files (the four files of
/// MNIST or Fashion-MNIST, optionally gzip-compressed), reports test accuracy, and writes the model and its loss curve.
/// </summary>
public static class TrainCommand
{
    /// <summary>The file names looked for in the data folder (each may also end in .gz).</summary>
    public static readonly string[] FileNames = ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"];

    /// <summary>Builds the <c>train</c> command with its options.</summary>
    public static Command Create(CliContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var data = new Option<DirectoryInfo>("--data", "-d") { Description = "Folder holding train-images-idx3-ubyte, train-labels-idx1-ubyte and (optionally) the t10k-* test files, plain or .gz.", Required = true };
        var epochs = new Option<int>("--epochs", "-e") { Description = "Passes over the training set.", DefaultValueFactory = _ => 3 };
        var batch = new Option<int>("--batch-size", "-b") { Description = "Mini-batch size.", DefaultValueFactory = _ => 128 };
        var hidden = new Option<int[]>("--hidden") { Description = "Hidden layer widths, e.g. --hidden 256 128.", DefaultValueFactory = _ => [256, 128], AllowMultipleArgumentsPerToken = true };
        var lr = new Option<double>("--lr") { Description = "SGD learning rate (momentum 0.9, Nesterov; step decay ×0.5 per epoch).", DefaultValueFactory = _ => 0.05 };
        var limit = new Option<int>("--limit") { Description = "Use at most this many training samples (0 = all).", DefaultValueFactory = _ => 0 };
        var seed = new Option<int>("--seed") { Description = "Seed of the weights and the shuffling.", DefaultValueFactory = _ => 1 };
        var output = new Option<string>("--out", "-o") { Description = "Folder for model.safetensors and loss.svg.", DefaultValueFactory = _ => "adjoint-train" };
        var command = new Command("train", "Train an MLP classifier on MNIST-format IDX files (e.g. MNIST or Fashion-MNIST) that you already have.")
        {
            data, epochs, batch, hidden, lr, limit, seed, output,
        };
        command.SetAction(parse => Run(context, parse.GetValue(data)!, parse.GetValue(epochs), parse.GetValue(batch), parse.GetValue(hidden)!,
                                       parse.GetValue(lr), parse.GetValue(limit), parse.GetValue(seed), parse.GetValue(output)!));
        return command;
    }

    private static string? Find(DirectoryInfo folder, string name)
    {
        foreach (var candidate in new[] { name, name + ".gz", name.Replace("-idx", ".idx", StringComparison.Ordinal), name.Replace("-idx", ".idx", StringComparison.Ordinal) + ".gz" })
        {
            string path = Path.Combine(folder.FullName, candidate);
            if (File.Exists(path)) return path;
        }
        return null;
    }

    private static int Run(CliContext context, DirectoryInfo folder, int epochs, int batchSize, int[] hidden, double lr, int limit, int seed, string output)
    {
        if (!folder.Exists) return context.Invalid($"--data: folder '{folder.FullName}' does not exist.");
        if (epochs < 1) return context.Invalid($"--epochs must be at least 1, got {epochs}.");
        if (batchSize < 1) return context.Invalid($"--batch-size must be at least 1, got {batchSize}.");
        if (hidden.Length == 0 || hidden.Any(h => h < 1)) return context.Invalid("--hidden needs one or more positive widths.");
        if (!(lr > 0)) return context.Invalid($"--lr must be positive, got {lr}.");
        if (limit < 0) return context.Invalid($"--limit must be 0 (all) or positive, got {limit}.");
        var paths = FileNames.Select(n => Find(folder, n)).ToArray();
        if (paths[0] is null || paths[1] is null)
            return context.Invalid($"--data: '{folder.FullName}' must contain {FileNames[0]} and {FileNames[1]} (optionally .gz); found {(paths[0] is null ? "no images file" : "no labels file")}.");

        var console = context.Console;
        Dataset train, test;
        try
        {
            train = Idx.LoadImagesAndLabels(paths[0]!, paths[1]!, limit == 0 ? int.MaxValue : limit);
            test = paths[2] is not null && paths[3] is not null ? Idx.LoadImagesAndLabels(paths[2]!, paths[3]!) : new Dataset([], [], train.Dim, train.Classes);
        }
        catch (InvalidDataException e)
        {
            context.Error.WriteLine("error: " + e.Message);
            return Cli.Failure;
        }
        if (test.Count > 0 && test.Dim != train.Dim)
        {
            context.Error.WriteLine($"error: training images have {train.Dim} pixels but test images have {test.Dim}.");
            return Cli.Failure;
        }
        int classes = Math.Max(train.Classes, test.Classes);
        using var model = Trainer.Mlp(train.Dim, hidden, classes, () => new ReLU(), new Generator((ulong)seed));
        using var optimizer = new Sgd(model.Parameters(), lr, momentum: 0.9, nesterov: true);
        var schedule = new StepLR(optimizer, 1, 0.5);
        console.MarkupLine($"Training {train.Dim}-{string.Join("-", hidden)}-{classes} MLP ({model.ParameterCount:N0} parameters) on {train.Count:N0} images from {Markup.Escape(folder.FullName)}; {(test.Count > 0 ? $"{test.Count:N0} test images" : "no test files found")}.");

        var history = new List<(int Epoch, double Loss, double Accuracy, double Test)>();
        var shuffle = new Random(seed);
        var watch = Stopwatch.StartNew();
        EpochProgress.Run(console, epochs, e =>
        {
            var (loss, accuracy) = Trainer.Epoch(model, optimizer, train, batchSize, shuffle);
            schedule.Step();
            double testAccuracy = test.Count > 0 ? Trainer.Accuracy(model, test) : double.NaN;
            history.Add((e, loss, accuracy, testAccuracy));
            return string.Create(CultureInfo.InvariantCulture,
                $"epoch {e}/{epochs}  loss {loss:F4}  train accuracy {accuracy:P1}{(test.Count > 0 ? string.Create(CultureInfo.InvariantCulture, $"  test accuracy {testAccuracy:P1}") : "")}");
        });
        var last = history[^1];
        console.MarkupLine(string.Create(CultureInfo.InvariantCulture,
            $"Final: loss {last.Loss:F4}, training accuracy {last.Accuracy:P1}{(test.Count > 0 ? string.Create(CultureInfo.InvariantCulture, $", test accuracy [bold]{last.Test:P1}[/]") : "")}, {watch.Elapsed.TotalSeconds:F1} s."));

        string folderOut = Path.GetFullPath(output);
        Directory.CreateDirectory(folderOut);
        string modelPath = Path.Combine(folderOut, "model.safetensors");
        model.Save(modelPath);
        var series = new List<Series>
        {
            new("training loss", history.Select(h => ((double)h.Epoch, h.Loss)).ToList(), "#1f77b4"),
            new("training accuracy", history.Select(h => ((double)h.Epoch, h.Accuracy)).ToList(), "#ff7f0e"),
        };
        if (test.Count > 0) series.Add(new("test accuracy", history.Select(h => ((double)h.Epoch, h.Test)).ToList(), "#2ca02c"));
        string svgPath = Svg.Save(Svg.LineChart("Training on IDX data", "epoch", "loss / accuracy", series), Path.Combine(folderOut, "loss.svg"));
        console.MarkupLine($"Wrote the model to [link]{Markup.Escape(modelPath)}[/] and the loss curve to [link]{Markup.Escape(svgPath)}[/]");
        return Cli.Success;
    }
}

using Adjoint.Cli.Data;
using Adjoint.NN;
using Adjoint.Optim;

namespace Adjoint.Cli.Training;

/// <summary>Mini-batch training and evaluation of a classifier on an in-memory <see cref="Dataset"/>.</summary>
public static class Trainer
{
    /// <summary>An MLP: Linear layers of the given widths with <paramref name="activation"/> between them.</summary>
    public static Sequential Mlp(int inputs, IReadOnlyList<int> hidden, int outputs, Func<Module> activation, Generator generator,
                                 CheckpointPolicy? policy = null)
    {
        ArgumentNullException.ThrowIfNull(hidden);
        ArgumentNullException.ThrowIfNull(activation);
        var layers = new List<Module>();
        int width = inputs;
        foreach (int h in hidden)
        {
            layers.Add(new Linear(width, h, generator: generator));
            layers.Add(activation());
            width = h;
        }
        layers.Add(new Linear(width, outputs, generator: generator));
        return new Sequential(policy ?? CheckpointPolicy.None, [.. layers]);
    }

    /// <summary>Rows <paramref name="rows"/> of the data set as a [rows.Length, D] float32 tensor and their labels.</summary>
    public static (Tensor X, int[] Y) Batch(Dataset data, ReadOnlySpan<int> rows)
    {
        ArgumentNullException.ThrowIfNull(data);
        var x = new float[rows.Length * data.Dim];
        var y = new int[rows.Length];
        for (int i = 0; i < rows.Length; i++)
        {
            Array.Copy(data.Features, (long)rows[i] * data.Dim, x, (long)i * data.Dim, data.Dim);
            y[i] = data.Labels[rows[i]];
        }
        return (Tensor.FromArray(x, rows.Length, data.Dim), y);
    }

    /// <summary>
    /// One epoch over a shuffled order: for every batch, cross-entropy, backward, optimizer step. Returns the mean
    /// loss and the accuracy of the predictions made during the epoch.
    /// </summary>
    public static (double Loss, double Accuracy) Epoch(Module model, Optimizer optimizer, Dataset data, int batchSize, Random shuffle)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(optimizer);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(shuffle);
        var order = Enumerable.Range(0, data.Count).ToArray();
        shuffle.Shuffle(order);
        model.Train();
        double lossSum = 0;
        int correct = 0;
        for (int start = 0; start < order.Length; start += batchSize)
        {
            int n = Math.Min(batchSize, order.Length - start);
            using var scope = TensorScope.Begin();
            var (x, y) = Batch(data, order.AsSpan(start, n));
            optimizer.ZeroGrad();
            var logits = model.Forward(x);
            var loss = Loss.CrossEntropy(logits, y);
            loss.Backward();
            optimizer.Step();
            lossSum += loss.Item<float>() * n;
            correct += CountCorrect(logits, y);
        }
        return (lossSum / data.Count, (double)correct / data.Count);
    }

    /// <summary>Accuracy of <paramref name="model"/> (in eval mode, under no-grad) on <paramref name="data"/>.</summary>
    public static double Accuracy(Module model, Dataset data, int batchSize = 1000)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(data);
        if (data.Count == 0) return 0;
        model.Eval();
        int correct = 0;
        var rows = Enumerable.Range(0, data.Count).ToArray();
        using (Autograd.NoGrad())
            for (int start = 0; start < rows.Length; start += batchSize)
            {
                using var scope = TensorScope.Begin();
                var (x, y) = Batch(data, rows.AsSpan(start, Math.Min(batchSize, rows.Length - start)));
                correct += CountCorrect(model.Forward(x), y);
            }
        model.Train();
        return (double)correct / data.Count;
    }

    /// <summary>The arg-max class of each row of <paramref name="logits"/> [N, C].</summary>
    public static int[] ArgMax(Tensor logits)
    {
        ArgumentNullException.ThrowIfNull(logits);
        int n = logits.Size(0), c = logits.Size(1);
        var values = logits.DType == DType.Float32 ? logits.Detach().ToArray<float>() : logits.Detach().To(DType.Float32).ToArray<float>();
        var result = new int[n];
        for (int i = 0; i < n; i++)
        {
            int best = 0;
            for (int j = 1; j < c; j++) if (values[i * c + j] > values[i * c + best]) best = j;
            result[i] = best;
        }
        return result;
    }

    private static int CountCorrect(Tensor logits, int[] y)
    {
        var predicted = ArgMax(logits);
        int correct = 0;
        for (int i = 0; i < y.Length; i++) if (predicted[i] == y[i]) correct++;
        return correct;
    }
}

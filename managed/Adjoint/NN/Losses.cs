namespace Adjoint.NN;

/// <summary>Mean squared error as a reusable object: mean((prediction − target)²) (see <see cref="Loss.Mse"/>).</summary>
public sealed class MseLoss(Reduction reduction = Reduction.Mean)
{
    /// <summary>How per-element losses are combined.</summary>
    public Reduction Reduction { get; } = reduction;

    /// <summary>The loss of <paramref name="prediction"/> against <paramref name="target"/> (same shape).</summary>
    public Tensor Forward(Tensor prediction, Tensor target) => Loss.Mse(prediction, target, Reduction);
}

/// <summary>
/// Cross-entropy from logits [N, C]: −log softmax(logits)[n, target[n]], through log-softmax so large logits
/// do not overflow (see <see cref="Loss.CrossEntropy(Tensor, int[], Reduction)"/>).
/// </summary>
public sealed class CrossEntropyLoss(Reduction reduction = Reduction.Mean)
{
    /// <summary>How per-sample losses are combined.</summary>
    public Reduction Reduction { get; } = reduction;

    /// <summary>The loss for class indices (one per row).</summary>
    public Tensor Forward(Tensor logits, int[] targets) => Loss.CrossEntropy(logits, targets, Reduction);

    /// <summary>The loss for target probabilities [N, C].</summary>
    public Tensor Forward(Tensor logits, Tensor targetProbabilities) => Loss.CrossEntropy(logits, targetProbabilities, Reduction);
}

/// <summary>
/// Binary cross-entropy with logits: softplus(x) − x·y, stable for any x
/// (see <see cref="Loss.BinaryCrossEntropyWithLogits"/>).
/// </summary>
public sealed class BceWithLogitsLoss(Reduction reduction = Reduction.Mean)
{
    /// <summary>How per-element losses are combined.</summary>
    public Reduction Reduction { get; } = reduction;

    /// <summary>The loss of <paramref name="logits"/> against 0/1 (or soft) <paramref name="targets"/> of the same shape.</summary>
    public Tensor Forward(Tensor logits, Tensor targets) => Loss.BinaryCrossEntropyWithLogits(logits, targets, Reduction);
}

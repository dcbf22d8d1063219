namespace Adjoint;

/// <summary>How a loss combines per-element values.</summary>
public enum Reduction
{
    /// <summary>The average over elements (over samples for cross-entropy).</summary>
    Mean,

    /// <summary>The sum.</summary>
    Sum,

    /// <summary>No reduction: one value per element or sample.</summary>
    None,
}

/// <summary>
/// Loss functions built from differentiable primitives, written in their numerically stable forms.
/// </summary>
public static class Loss
{
    /// <summary>Mean squared error: mean((prediction − target)²).</summary>
    public static Tensor Mse(Tensor prediction, Tensor target, Reduction reduction = Reduction.Mean)
    {
        RequireSameShape("Loss.Mse", prediction, target);
        var d = prediction - target;
        return Reduce(d * d, reduction);
    }

    /// <summary>
    /// Cross-entropy from logits [N, C] and class indices (N integers in [0, C)):
    /// −log softmax(logits)[n, target[n]], computed through log-softmax (no overflow for large logits).
    /// </summary>
    public static Tensor CrossEntropy(Tensor logits, int[] targets, Reduction reduction = Reduction.Mean)
    {
        ArgumentNullException.ThrowIfNull(targets);
        if (logits.Rank != 2) throw new TensorShapeException($"Loss.CrossEntropy: logits must be [N, C], got {Shapes.Format(logits.ShapeArray)}.");
        int n = logits.ShapeArray[0], c = logits.ShapeArray[1];
        if (targets.Length != n) throw new ArgumentException($"Loss.CrossEntropy: {targets.Length} targets for {n} rows of logits {Shapes.Format(logits.ShapeArray)}.");
        foreach (int t in targets)
            if (t < 0 || t >= c) throw new ArgumentOutOfRangeException(nameof(targets), $"Loss.CrossEntropy: class {t} is out of range for {c} classes.");
        var picked = logits.LogSoftmax(1).Gather(1, targets.Select(t => (long)t).ToArray(), [n, 1]).Reshape(n);
        return Reduce(-picked, reduction);
    }

    /// <summary>Cross-entropy from logits [N, C] and target probabilities [N, C]: −Σ_c p·log softmax(logits).</summary>
    public static Tensor CrossEntropy(Tensor logits, Tensor targetProbabilities, Reduction reduction = Reduction.Mean)
    {
        RequireSameShape("Loss.CrossEntropy", logits, targetProbabilities);
        if (logits.Rank != 2) throw new TensorShapeException($"Loss.CrossEntropy: logits must be [N, C], got {Shapes.Format(logits.ShapeArray)}.");
        var perSample = -(targetProbabilities * logits.LogSoftmax(1)).Sum(1);
        return Reduce(perSample, reduction);
    }

    /// <summary>
    /// Binary cross-entropy with logits: softplus(x) − x·y = max(x,0) − x·y + log(1 + e^−|x|), stable for any x.
    /// </summary>
    public static Tensor BinaryCrossEntropyWithLogits(Tensor logits, Tensor targets, Reduction reduction = Reduction.Mean)
    {
        RequireSameShape("Loss.BinaryCrossEntropyWithLogits", logits, targets);
        return Reduce(logits.Softplus() - logits * targets, reduction);
    }

    private static Tensor Reduce(Tensor values, Reduction reduction) => reduction switch
    {
        Reduction.Mean => values.Mean(),
        Reduction.Sum => values.Sum(),
        _ => values,
    };

    private static void RequireSameShape(string op, Tensor a, Tensor b)
    {
        if (!a.Shape.SequenceEqual(b.Shape))
            throw new TensorShapeException($"{op}: shapes differ: {Shapes.Format(a.ShapeArray)} and {Shapes.Format(b.ShapeArray)}.");
        if (a.DType != b.DType)
            throw new ArgumentException($"{op}: dtypes differ: {a.DType} and {b.DType}.");
    }
}

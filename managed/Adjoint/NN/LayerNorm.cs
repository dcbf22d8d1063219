namespace Adjoint.NN;

/// <summary>
/// Layer normalisation over the trailing dims given by the normalised shape:
/// y = (x − mean) / √(var + ε) · γ + β, with the biased variance (mean of squared deviations), as PyTorch.
/// Composed of differentiable primitives (mean, square, rsqrt as Pow(−½)), so it has every derivative.
/// </summary>
public sealed class LayerNorm : Module
{
    private readonly int[] _axes;

    /// <summary>Creates the layer; γ starts at 1 and β at 0.</summary>
    /// <param name="normalizedShape">The trailing shape normalised over, e.g. [hidden].</param>
    /// <param name="eps">Added to the variance.</param>
    /// <param name="elementwiseAffine">Learn γ and β.</param>
    /// <param name="dtype">Parameter dtype.</param>
    public LayerNorm(int[] normalizedShape, double eps = 1e-5, bool elementwiseAffine = true, DType dtype = DType.Float32)
    {
        ArgumentNullException.ThrowIfNull(normalizedShape);
        if (normalizedShape.Length == 0 || normalizedShape.Any(d => d <= 0))
            throw new ArgumentException($"LayerNorm: normalized shape {Shapes.Format(normalizedShape)} must be non-empty with positive extents.", nameof(normalizedShape));
        NormalizedShape = (int[])normalizedShape.Clone();
        Eps = eps;
        _axes = Enumerable.Range(0, normalizedShape.Length).Select(i => -1 - i).Reverse().ToArray();
        if (elementwiseAffine)
        {
            Weight = RegisterParameter("weight", Tensor.Ones((int[])normalizedShape.Clone(), dtype));
            Bias = RegisterParameter("bias", Tensor.Zeros((int[])normalizedShape.Clone(), dtype));
        }
    }

    /// <summary>Normalises over the last dim of extent <paramref name="features"/>.</summary>
    public LayerNorm(int features, double eps = 1e-5, bool elementwiseAffine = true, DType dtype = DType.Float32)
        : this([features], eps, elementwiseAffine, dtype) { }

    /// <summary>The trailing shape normalised over.</summary>
    public IReadOnlyList<int> NormalizedShape { get; }

    /// <summary>ε added to the variance.</summary>
    public double Eps { get; }

    /// <summary>γ (null without affine).</summary>
    public Parameter? Weight { get; }

    /// <summary>β (null without affine).</summary>
    public Parameter? Bias { get; }

    /// <inheritdoc />
    public override Tensor Forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        int k = NormalizedShape.Count;
        if (input.Rank < k || !input.Shape[^k..].SequenceEqual(NormalizedShape.ToArray()))
            throw new TensorShapeException($"LayerNorm: input of shape {Shapes.Format(input.ShapeArray)} does not end in {Shapes.Format(NormalizedShape.ToArray())}.");
        int[] axes = _axes.Select(a => a + input.Rank).ToArray();
        var centered = input - input.Mean(axes, keepDims: true);
        var variance = (centered * centered).Mean(axes, keepDims: true);
        var y = centered * (variance + Eps).Pow(-0.5);
        if (Weight is not null) y = y * Weight.Value + Bias!.Value;
        return y;
    }

    /// <inheritdoc />
    protected override string Describe() => $"LayerNorm({Shapes.Format(NormalizedShape.ToArray())}, eps = {Eps})";
}

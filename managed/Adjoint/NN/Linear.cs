namespace Adjoint.NN;

/// <summary>
/// Affine map y = x·Wᵀ + b with W of shape [out, in] and b of shape [out] (PyTorch's layout, so state dicts
/// and model files interchange). x is [..., in]; leading dims broadcast. Default initialisation follows PyTorch:
/// W and b from U(−1/√in, 1/√in) (Kaiming uniform with a = √5).
/// </summary>
public sealed class Linear : Module
{
    /// <summary>Creates the layer and initialises it from <paramref name="generator"/> (or <see cref="Generator.Default"/>).</summary>
    public Linear(int inFeatures, int outFeatures, bool bias = true, DType dtype = DType.Float32, Generator? generator = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(inFeatures);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(outFeatures);
        InFeatures = inFeatures;
        OutFeatures = outFeatures;
        double bound = 1.0 / Math.Sqrt(inFeatures);
        Weight = RegisterParameter("weight", Init.Uniform(Tensor.Empty([outFeatures, inFeatures], dtype), -bound, bound, generator));
        if (bias) Bias = RegisterParameter("bias", Init.Uniform(Tensor.Empty([outFeatures], dtype), -bound, bound, generator));
    }

    /// <summary>Input features (last dim of the input).</summary>
    public int InFeatures { get; }

    /// <summary>Output features.</summary>
    public int OutFeatures { get; }

    /// <summary>W, shape [out, in].</summary>
    public Parameter Weight { get; }

    /// <summary>b, shape [out]; null when created without bias.</summary>
    public Parameter? Bias { get; }

    /// <inheritdoc />
    public override Tensor Forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Rank == 0 || input.Size(-1) != InFeatures)
            throw new TensorShapeException($"Linear: input of shape {Shapes.Format(input.ShapeArray)} does not end in {InFeatures} features.");
        return Apply(input, Weight.Value, Bias?.Value);
    }

    /// <summary>The affine map for tensors: x·Wᵀ + b (b optional), with the same rules as the layer.</summary>
    /// <remarks>
    /// Composed of MatMul (Wᵀ is a transposed view that GEMM reads in place), Transpose and Add, so it has every
    /// derivative and forward mode. (A single recorded op computing the weight gradient as gᵀ·x was tried; as a
    /// CustomFunction it broke the saved-bytes accounting of Binomial checkpointing, so the composition stays.)
    /// </remarks>
    public static Tensor Apply(Tensor input, Tensor weight, Tensor? bias = null)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(weight);
        var y = input.MatMul(weight.T);
        return bias is null ? y : y + bias;
    }

    /// <inheritdoc />
    protected override string Describe() => $"Linear({InFeatures} → {OutFeatures}{(Bias is null ? ", no bias" : "")})";
}

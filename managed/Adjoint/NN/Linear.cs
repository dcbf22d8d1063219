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
    /// When the graph is recorded this is one op whose backward computes the weight gradient as gᵀ·x, directly
    /// in W's [out, in] layout. Composed of MatMul on the transposed view Wᵀ, the gradient would arrive as the
    /// transposed view (xᵀ·g)ᵀ, which gradient accumulation copies element by element (about 11 ms per step for
    /// the two large layers of a 784-1024-1024-10 MLP on a loaded machine). Backward and JVP are written in
    /// differentiable ops, so double backward and forward mode work. When nothing is recorded (no-grad, or no
    /// input requires grad) the plain composition runs: nothing needs saving then.
    /// </remarks>
    public static Tensor Apply(Tensor input, Tensor weight, Tensor? bias = null)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(weight);
        bool record = Autograd.IsGradEnabled && (input.RequiresGrad || weight.RequiresGrad || bias is { RequiresGrad: true });
        if (!record)
        {
            var y = input.MatMul(weight.T);
            return bias is null ? y : y + bias;
        }
        return bias is null ? Function.Instance.Apply(input, weight) : Function.Instance.Apply(input, weight, bias);
    }

    // x·Wᵀ + b as one recorded op (see Apply). The bias is added in place into the fresh product.
    private sealed class Function : CustomFunction
    {
        public static readonly Function Instance = new();

        public override string Name => "Linear";

        // Backward returns fresh GEMM and sum results and keeps none of them.
        internal override bool BackwardResultsAreUnshared => true;

        protected override Tensor[] Forward(FunctionContext ctx, Tensor[] inputs)
        {
            Tensor x = inputs[0], w = inputs[1];
            ctx.SaveForBackward(x, w);
            var y = x.MatMul(w.T);
            if (inputs.Length > 2) y.AddInPlace(inputs[2]);
            return [y];
        }

        protected override Tensor?[] Backward(FunctionContext ctx, Tensor[] gradOutputs)
        {
            var saved = ctx.SavedTensors;
            Tensor x = saved[0], w = saved[1], g = gradOutputs[0];
            int outFeatures = w.Size(0), inFeatures = w.Size(1);
            var g2 = g.Rank == 2 ? g : g.Reshape(-1, outFeatures);
            var grads = new Tensor?[ctx.InputShapes.Length];
            if (ctx.NeedsInputGrad(0)) grads[0] = g.MatMul(w);
            if (ctx.NeedsInputGrad(1)) grads[1] = g2.T.MatMul(x.Rank == 2 ? x : x.Reshape(-1, inFeatures));
            if (grads.Length > 2 && ctx.NeedsInputGrad(2)) grads[2] = g2.Sum(0);
            return grads;
        }

        protected override Tensor?[] Jvp(FunctionContext ctx, Tensor?[] tangents)
        {
            var saved = ctx.SavedTensors;
            Tensor x = saved[0], w = saved[1];
            Tensor? t = null;
            if (tangents[0] is { } tx) t = tx.MatMul(w.T);
            if (tangents[1] is { } tw) t = t is null ? x.MatMul(tw.T) : t + x.MatMul(tw.T);
            if (tangents.Length > 2 && tangents[2] is { } tb)
                t = t is null ? tb.Expand([.. x.Shape[..^1].ToArray(), tb.Size(0)]) * 1.0 : t + tb;
            return [t];
        }
    }

    /// <inheritdoc />
    protected override string Describe() => $"Linear({InFeatures} → {OutFeatures}{(Bias is null ? ", no bias" : "")})";
}

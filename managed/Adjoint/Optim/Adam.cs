using Adjoint.NN;

namespace Adjoint.Optim;

/// <summary>
/// Adam (Kingma &amp; Ba) with bias correction, as PyTorch's: at step t,
/// g ← ∇ + λ·p (L2 decay); m ← β₁m + (1 − β₁)g; v ← β₂v + (1 − β₂)g²;
/// p ← p − η·(m / (1 − β₁ᵗ)) / (√(v / (1 − β₂ᵗ)) + ε).
/// <see cref="AdamW"/> decouples the decay instead.
/// </summary>
public class Adam : Optimizer
{
    private readonly Tensor?[] _m;
    private readonly Tensor?[] _v;
    private readonly long[] _steps;

    /// <summary>Creates the optimizer over tensors.</summary>
    public Adam(IEnumerable<Tensor> parameters, double learningRate = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8, double weightDecay = 0)
        : this(parameters, learningRate, beta1, beta2, eps, weightDecay, decoupled: false) { }

    /// <summary>Creates the optimizer over module parameters.</summary>
    public Adam(IEnumerable<Parameter> parameters, double learningRate = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8, double weightDecay = 0)
        : this(Values(parameters), learningRate, beta1, beta2, eps, weightDecay, decoupled: false) { }

    private protected Adam(IEnumerable<Tensor> parameters, double learningRate, double beta1, double beta2, double eps, double weightDecay, bool decoupled)
        : base(parameters, learningRate)
    {
        if (!(beta1 >= 0 && beta1 < 1)) throw new ArgumentOutOfRangeException(nameof(beta1), beta1, "beta1 must be in [0, 1).");
        if (!(beta2 >= 0 && beta2 < 1)) throw new ArgumentOutOfRangeException(nameof(beta2), beta2, "beta2 must be in [0, 1).");
        Beta1 = beta1;
        Beta2 = beta2;
        Eps = CheckNonNegative(eps, nameof(eps));
        WeightDecay = CheckNonNegative(weightDecay, nameof(weightDecay));
        Decoupled = decoupled;
        _m = new Tensor?[Parameters.Count];
        _v = new Tensor?[Parameters.Count];
        _steps = new long[Parameters.Count];
    }

    private protected static IEnumerable<Tensor> Values(IEnumerable<Parameter> parameters) =>
        (parameters ?? throw new ArgumentNullException(nameof(parameters))).Select(p => p.Value);

    /// <summary>β₁, decay of the first moment.</summary>
    public double Beta1 { get; }

    /// <summary>β₂, decay of the second moment.</summary>
    public double Beta2 { get; }

    /// <summary>ε, added to the denominator.</summary>
    public double Eps { get; }

    /// <summary>λ.</summary>
    public double WeightDecay { get; }

    /// <summary>True for AdamW: p ← p·(1 − η·λ) before the Adam step, instead of adding λ·p to the gradient.</summary>
    public bool Decoupled { get; }

    /// <summary>First moment m of parameter <paramref name="index"/> (null before its first step).</summary>
    public Tensor? FirstMoment(int index) => _m[index];

    /// <summary>Second moment v of parameter <paramref name="index"/> (null before its first step).</summary>
    public Tensor? SecondMoment(int index) => _v[index];

    private protected override unsafe void Update(int index, Tensor p, Tensor grad, bool fused)
    {
        var m = _m[index] ??= NewState(p);
        var v = _v[index] ??= NewState(p);
        long t = ++_steps[index];
        double bc1 = 1 - Math.Pow(Beta1, t);
        double bc2 = 1 - Math.Pow(Beta2, t);
        double stepSize = LearningRate / bc1;
        double invSqrtBc2 = 1 / Math.Sqrt(bc2);
        if (fused)
        {
            Backends.Backend.Current.AdamUpdate(p.ElementType, p.Count, p.DataPointer, grad.DataPointer, m.DataPointer, v.DataPointer,
                                                LearningRate, Beta1, Beta2, Eps, WeightDecay, Decoupled, t);
            GC.KeepAlive(p);
            GC.KeepAlive(grad);
            GC.KeepAlive(m);
            GC.KeepAlive(v);
            return;
        }
        using var scope = TensorScope.Begin();
        var g = grad;
        if (WeightDecay != 0)
        {
            if (Decoupled) p.MulInPlace(1 - LearningRate * WeightDecay);
            else g = grad + p * WeightDecay;
        }
        m.MulInPlace(Beta1).AddInPlace(g, 1 - Beta1);
        v.MulInPlace(Beta2).AddInPlace(g * g, 1 - Beta2);
        var denom = v.Sqrt() * invSqrtBc2 + Eps;
        p.AddInPlace(m / denom, -stepSize);
    }
}

/// <summary>
/// AdamW (Loshchilov &amp; Hutter): Adam with decoupled weight decay, p ← p·(1 − η·λ) before the Adam update
/// (the decay does not pass through the moments). Default λ = 0.01, as PyTorch.
/// </summary>
public sealed class AdamW : Adam
{
    /// <summary>Creates the optimizer over tensors.</summary>
    public AdamW(IEnumerable<Tensor> parameters, double learningRate = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8, double weightDecay = 1e-2)
        : base(parameters, learningRate, beta1, beta2, eps, weightDecay, decoupled: true) { }

    /// <summary>Creates the optimizer over module parameters.</summary>
    public AdamW(IEnumerable<Parameter> parameters, double learningRate = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8, double weightDecay = 1e-2)
        : base(Values(parameters), learningRate, beta1, beta2, eps, weightDecay, decoupled: true) { }
}

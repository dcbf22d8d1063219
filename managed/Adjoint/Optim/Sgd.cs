using Adjoint.NN;

namespace Adjoint.Optim;

/// <summary>
/// Stochastic gradient descent with optional momentum, Nesterov momentum and L2 weight decay, as PyTorch's SGD:
/// g ← ∇ + λ·p; b ← g on the first step, else μ·b + (1 − τ)·g; g ← g + μ·b (Nesterov) or b; p ← p − η·g.
/// </summary>
public sealed class Sgd : Optimizer
{
    private readonly Tensor?[] _momentum;

    /// <summary>Creates the optimizer over tensors.</summary>
    /// <param name="parameters">Leaf tensors to update.</param>
    /// <param name="learningRate">η.</param>
    /// <param name="momentum">μ (0: plain SGD).</param>
    /// <param name="dampening">τ, damps the gradient's share of the momentum.</param>
    /// <param name="nesterov">Nesterov momentum (needs μ &gt; 0 and τ = 0).</param>
    /// <param name="weightDecay">λ, added to the gradient as λ·p.</param>
    public Sgd(IEnumerable<Tensor> parameters, double learningRate, double momentum = 0, double dampening = 0, bool nesterov = false, double weightDecay = 0)
        : base(parameters, learningRate)
    {
        Momentum = CheckNonNegative(momentum, nameof(momentum));
        Dampening = CheckNonNegative(dampening, nameof(dampening));
        WeightDecay = CheckNonNegative(weightDecay, nameof(weightDecay));
        if (nesterov && (momentum <= 0 || dampening != 0))
            throw new ArgumentException("Sgd: Nesterov momentum needs momentum > 0 and dampening = 0.", nameof(nesterov));
        Nesterov = nesterov;
        _momentum = new Tensor?[Parameters.Count];
    }

    /// <summary>Creates the optimizer over module parameters.</summary>
    public Sgd(IEnumerable<Parameter> parameters, double learningRate, double momentum = 0, double dampening = 0, bool nesterov = false, double weightDecay = 0)
        : this((parameters ?? throw new ArgumentNullException(nameof(parameters))).Select(p => p.Value), learningRate, momentum, dampening, nesterov, weightDecay) { }

    /// <summary>μ.</summary>
    public double Momentum { get; }

    /// <summary>τ.</summary>
    public double Dampening { get; }

    /// <summary>Whether the step uses Nesterov momentum.</summary>
    public bool Nesterov { get; }

    /// <summary>λ.</summary>
    public double WeightDecay { get; }

    /// <summary>The momentum buffer of parameter <paramref name="index"/> (null before its first step or without momentum).</summary>
    public Tensor? MomentumBuffer(int index) => _momentum[index];

    private protected override unsafe void Update(int index, Tensor p, Tensor grad, bool fused)
    {
        bool first = false;
        if (Momentum != 0 && _momentum[index] is null)
        {
            _momentum[index] = NewState(p);
            first = true;
        }
        var buf = _momentum[index];
        if (fused)
        {
            Backends.Backend.Current.SgdUpdate(p.ElementType, p.Count, p.DataPointer, grad.DataPointer, buf is null ? null : buf.DataPointer,
                                               LearningRate, WeightDecay, Momentum, Dampening, Nesterov, first);
            GC.KeepAlive(p);
            GC.KeepAlive(grad);
            GC.KeepAlive(buf);
            return;
        }
        using var scope = TensorScope.Begin();
        var g = WeightDecay == 0 ? grad : grad + p * WeightDecay;
        if (buf is not null)
        {
            if (first) buf.CopyFrom(g);
            else buf.MulInPlace(Momentum).AddInPlace(g, 1 - Dampening);
            g = Nesterov ? g + buf * Momentum : buf;
        }
        p.AddInPlace(g, -LearningRate);
    }
}

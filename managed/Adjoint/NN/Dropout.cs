namespace Adjoint.NN;

/// <summary>
/// Inverted dropout: in training mode each element is zeroed with probability p and the survivors are scaled by
/// 1/(1 − p), so evaluation (identity) needs no rescaling. The mask is drawn from a counter-based
/// <see cref="Adjoint.Generator"/> (state = seed and offset), so restoring the generator's state replays the
/// same mask exactly — checkpoint recomputation does this (<see cref="Sequential"/> passes the generator on).
/// </summary>
public sealed class Dropout : Module
{
    /// <summary>Creates the layer.</summary>
    /// <param name="p">Probability of zeroing an element, in [0, 1).</param>
    /// <param name="generator">Where masks are drawn from; <see cref="Generator.Default"/> when null.</param>
    public Dropout(double p = 0.5, Generator? generator = null)
    {
        if (!(p >= 0 && p < 1)) throw new ArgumentOutOfRangeException(nameof(p), p, "Dropout: p must be in [0, 1).");
        P = p;
        Generator = generator ?? Generator.Default;
    }

    /// <summary>Drop probability.</summary>
    public double P { get; }

    /// <summary>The generator masks are drawn from.</summary>
    public Generator Generator { get; }

    /// <inheritdoc />
    public override Tensor Forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (!IsTraining || P == 0) return input;
        Tensor mask;
        using (Autograd.NoGrad())
            mask = Tensor.Rand(input.Shape.ToArray(), input.DType, Generator).Ge(P) * (1.0 / (1.0 - P));
        return input * mask;
    }

    /// <inheritdoc />
    protected override string Describe() => $"Dropout(p = {P})";
}

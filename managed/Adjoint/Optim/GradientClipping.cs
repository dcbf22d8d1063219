namespace Adjoint.Optim;

/// <summary>Gradient clipping, applied between backward and the optimizer step.</summary>
public static class GradientClipping
{
    /// <summary>
    /// Scales every gradient by min(1, maxNorm / (‖g‖ + 10⁻⁶)), where ‖g‖ = √(Σ over all parameters of Σ g²) is the
    /// global L2 norm (accumulated in float64). Parameters without a gradient are skipped. Returns ‖g‖ before
    /// clipping (NaN or ∞ when a gradient is not finite; then nothing is scaled).
    /// </summary>
    public static double ClipGradNorm(IEnumerable<Tensor> parameters, double maxNorm)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (!(maxNorm > 0)) throw new ArgumentOutOfRangeException(nameof(maxNorm), maxNorm, "ClipGradNorm: maxNorm must be > 0.");
        var grads = parameters.Select(p => p.Grad).OfType<Tensor>().ToList();
        double sumSquares = 0;
        using (Autograd.NoGrad())
        using (TensorScope.Begin())
        {
            foreach (var g in grads)
            {
                var g64 = g.DType == DType.Float64 ? g : g.To(DType.Float64);
                sumSquares += (g64 * g64).Sum().Item<double>();
            }
            double norm = Math.Sqrt(sumSquares);
            if (!double.IsFinite(norm)) return norm;
            double scale = maxNorm / (norm + 1e-6);
            if (scale < 1)
                foreach (var g in grads) g.MulInPlace(scale);
            return norm;
        }
    }

    /// <summary>Module form of <see cref="ClipGradNorm(IEnumerable{Tensor}, double)"/>.</summary>
    public static double ClipGradNorm(IEnumerable<NN.Parameter> parameters, double maxNorm) =>
        ClipGradNorm((parameters ?? throw new ArgumentNullException(nameof(parameters))).Select(p => p.Value), maxNorm);

    /// <summary>Clamps every gradient element to [−<paramref name="clipValue"/>, <paramref name="clipValue"/>] in place.</summary>
    public static void ClipGradValue(IEnumerable<Tensor> parameters, double clipValue)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (!(clipValue > 0)) throw new ArgumentOutOfRangeException(nameof(clipValue), clipValue, "ClipGradValue: clipValue must be > 0.");
        using (Autograd.NoGrad())
        using (TensorScope.Begin())
            foreach (var g in parameters.Select(p => p.Grad).OfType<Tensor>())
                g.CopyFrom(g.Clamp(-clipValue, clipValue));
    }
}

namespace Adjoint.NN;

/// <summary>Which extent a Kaiming initializer preserves the variance of.</summary>
public enum FanMode
{
    /// <summary>fan_in: the variance of activations in the forward pass.</summary>
    FanIn,

    /// <summary>fan_out: the variance of gradients in the backward pass.</summary>
    FanOut,
}

/// <summary>
/// Weight initializers. Each writes into an existing tensor in place (under no-grad, bumping its version) and
/// returns it. For a weight of shape [out, in, …], fan_in = in·receptive and fan_out = out·receptive, where
/// receptive is the product of the trailing dims (1 for a matrix). Draws come from the given generator
/// (or <see cref="Generator.Default"/>), so a seed reproduces a model exactly.
/// </summary>
public static class Init
{
    /// <summary>Glorot/Xavier uniform: U(−a, a), a = gain·√(6 / (fan_in + fan_out)).</summary>
    public static Tensor XavierUniform(Tensor tensor, double gain = 1, Generator? generator = null)
    {
        var (fanIn, fanOut) = Fans("XavierUniform", tensor);
        double a = gain * Math.Sqrt(6.0 / (fanIn + fanOut));
        return Uniform(tensor, -a, a, generator);
    }

    /// <summary>Glorot/Xavier normal: N(0, σ²), σ = gain·√(2 / (fan_in + fan_out)).</summary>
    public static Tensor XavierNormal(Tensor tensor, double gain = 1, Generator? generator = null)
    {
        var (fanIn, fanOut) = Fans("XavierNormal", tensor);
        return Normal(tensor, 0, gain * Math.Sqrt(2.0 / (fanIn + fanOut)), generator);
    }

    /// <summary>
    /// He/Kaiming uniform: U(−b, b), b = gain·√(3 / fan), gain = √(2 / (1 + a²)) (leaky ReLU with negative slope
    /// <paramref name="a"/>; a = 0 is ReLU).
    /// </summary>
    public static Tensor KaimingUniform(Tensor tensor, double a = 0, FanMode mode = FanMode.FanIn, Generator? generator = null)
    {
        var (fanIn, fanOut) = Fans("KaimingUniform", tensor);
        double gain = Math.Sqrt(2.0 / (1 + a * a));
        double bound = gain * Math.Sqrt(3.0 / (mode == FanMode.FanIn ? fanIn : fanOut));
        return Uniform(tensor, -bound, bound, generator);
    }

    /// <summary>He/Kaiming normal: N(0, σ²), σ = gain / √fan, gain = √(2 / (1 + a²)).</summary>
    public static Tensor KaimingNormal(Tensor tensor, double a = 0, FanMode mode = FanMode.FanIn, Generator? generator = null)
    {
        var (fanIn, fanOut) = Fans("KaimingNormal", tensor);
        double gain = Math.Sqrt(2.0 / (1 + a * a));
        return Normal(tensor, 0, gain / Math.Sqrt(mode == FanMode.FanIn ? fanIn : fanOut), generator);
    }

    /// <summary>U(<paramref name="low"/>, <paramref name="high"/>) in place.</summary>
    public static Tensor Uniform(Tensor tensor, double low, double high, Generator? generator = null)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        using var scope = TensorScope.Begin();
        var r = Tensor.Rand(tensor.Shape.ToArray(), tensor.DType, generator);
        using (Autograd.NoGrad()) tensor.CopyFrom(r * (high - low) + low);
        return tensor;
    }

    /// <summary>N(<paramref name="mean"/>, <paramref name="std"/>²) in place.</summary>
    public static Tensor Normal(Tensor tensor, double mean = 0, double std = 1, Generator? generator = null)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        using var scope = TensorScope.Begin();
        var r = Tensor.Randn(tensor.Shape.ToArray(), tensor.DType, generator);
        using (Autograd.NoGrad()) tensor.CopyFrom(r * std + mean);
        return tensor;
    }

    /// <summary>Fills with <paramref name="value"/> in place.</summary>
    public static Tensor Constant(Tensor tensor, double value)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        using (Autograd.NoGrad()) tensor.FillInPlace(value);
        return tensor;
    }

    /// <summary>(fan_in, fan_out) of a weight [out, in, k…]; a 1-D tensor counts as [n] with fan_in = fan_out = n.</summary>
    public static (int FanIn, int FanOut) Fans(string op, Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        if (tensor.Rank == 0) throw new ArgumentException($"{op}: fans are undefined for a 0-d tensor.", nameof(tensor));
        if (tensor.Rank == 1) return (tensor.Size(0), tensor.Size(0));
        int receptive = 1;
        for (int d = 2; d < tensor.Rank; d++) receptive *= tensor.Size(d);
        return (tensor.Size(1) * receptive, tensor.Size(0) * receptive);
    }
}

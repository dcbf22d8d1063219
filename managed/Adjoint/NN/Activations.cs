namespace Adjoint.NN;

/// <summary>relu(x) = max(x, 0); derivative 1 where x &gt; 0, else 0.</summary>
public sealed class ReLU : Module
{
    /// <inheritdoc />
    public override Tensor Forward(Tensor input) => input.Relu();
}

/// <summary>tanh(x).</summary>
public sealed class Tanh : Module
{
    /// <inheritdoc />
    public override Tensor Forward(Tensor input) => input.Tanh();
}

/// <summary>σ(x) = 1 / (1 + e^−x).</summary>
public sealed class Sigmoid : Module
{
    /// <inheritdoc />
    public override Tensor Forward(Tensor input) => input.Sigmoid();
}

/// <summary>softplus(x) = log(1 + eˣ), computed stably.</summary>
public sealed class Softplus : Module
{
    /// <inheritdoc />
    public override Tensor Forward(Tensor input) => input.Softplus();
}

/// <summary>
/// GELU in its tanh approximation (Hendrycks &amp; Gimpel; PyTorch's <c>approximate="tanh"</c>):
/// gelu(x) ≈ ½·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))). It differs from the exact x·Φ(x) by less than 5·10⁻⁴ and
/// is composed of differentiable primitives, so it has first and higher derivatives without a table row of its own.
/// </summary>
public sealed class GELU : Module
{
    private static readonly double Scale = Math.Sqrt(2 / Math.PI);

    /// <inheritdoc />
    public override Tensor Forward(Tensor input) => Apply(input);

    /// <summary>The GELU function itself (tanh approximation).</summary>
    public static Tensor Apply(Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        var inner = (x + x * x * x * 0.044715) * Scale;
        return x * (inner.Tanh() + 1.0) * 0.5;
    }
}

/// <summary>Flattens every dimension after the first: [N, d1, d2, …] → [N, d1·d2·…].</summary>
public sealed class Flatten : Module
{
    /// <inheritdoc />
    public override Tensor Forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return input.Rank <= 2 ? input : input.Reshape(input.Size(0), -1);
    }
}

using BenchmarkDotNet.Attributes;

namespace Adjoint.Benchmarks;

/// <summary>
/// Forward mode and second order on the MLP 784-1024-1024-10 (batch 256, float32): the ratios JVP / forward
/// and HVP / gradient are what docs/PERFORMANCE.md quotes. Run with
/// <c>./build.sh bench --filter '*FunctionalBenchmarks*' --job short</c>.
/// </summary>
public class FunctionalBenchmarks
{
    private Tensor _x = null!, _v = null!, _w1 = null!, _w2 = null!, _w3 = null!, _b1 = null!, _b2 = null!, _b3 = null!;
    private Tensor _flat = null!, _flatTangent = null!;
    private int[] _sizes = null!;

    [GlobalSetup]
    public void Setup()
    {
        var g = new Generator(1);
        _x = Tensor.Randn([256, 784], DType.Float32, g);
        _v = Tensor.Randn([256, 784], DType.Float32, g);
        _w1 = Tensor.Randn([784, 1024], DType.Float32, g) * 0.03;
        _w2 = Tensor.Randn([1024, 1024], DType.Float32, g) * 0.03;
        _w3 = Tensor.Randn([1024, 10], DType.Float32, g) * 0.03;
        _b1 = Tensor.Zeros([1024]);
        _b2 = Tensor.Zeros([1024]);
        _b3 = Tensor.Zeros([10]);
        _sizes = [784 * 1024, 1024, 1024 * 1024, 1024, 1024 * 10, 10];
        _flat = Tensor.Concat([_w1.Flatten(), _b1, _w2.Flatten(), _b2, _w3.Flatten(), _b3]);
        _flatTangent = Tensor.Randn([_flat.Size(0)], DType.Float32, g);
    }

    private Tensor Mlp(Tensor x) =>
        ((x.MatMul(_w1) + _b1).Tanh().MatMul(_w2) + _b2).Tanh().MatMul(_w3) + _b3;

    private Tensor LossOfParameters(Tensor flat)
    {
        var parts = new Tensor[6];
        int at = 0;
        for (int i = 0; i < 6; i++) { parts[i] = flat.Narrow(0, at, _sizes[i]); at += _sizes[i]; }
        var h = (_x.MatMul(parts[0].Reshape(784, 1024)) + parts[1]).Tanh();
        h = (h.MatMul(parts[2].Reshape(1024, 1024)) + parts[3]).Tanh();
        var logits = h.MatMul(parts[4].Reshape(1024, 10)) + parts[5];
        return (logits * logits).Mean();
    }

    /// <summary>Plain forward pass (no graph).</summary>
    [Benchmark(Baseline = true)]
    public Tensor Forward()
    {
        using var _ = Autograd.NoGrad();
        return Mlp(_x);
    }

    /// <summary>Forward pass carrying a tangent for the input: J·v by true forward mode.</summary>
    [Benchmark]
    public Tensor Jvp()
    {
        using var _ = Autograd.NoGrad();
        return Functional.Jvp(Mlp, _x, _v).Tangent;
    }

    /// <summary>The gradient of the loss with respect to all parameters (forward + backward).</summary>
    [Benchmark]
    public Tensor Gradient() => Functional.Grad(LossOfParameters)(_flat);

    /// <summary>Hessian-vector product of the same loss by forward-over-reverse.</summary>
    [Benchmark]
    public Tensor Hvp() => Functional.Hvp(LossOfParameters, _flat, _flatTangent);
}

/// <summary>Full Jacobians of tanh(A·x): 16 → 1024 (Auto picks forward mode) and 1024 → 16 (reverse mode).</summary>
public class JacobianBenchmarks
{
    private Tensor _wide = null!, _narrow = null!, _x16 = null!, _x1024 = null!;

    [GlobalSetup]
    public void Setup()
    {
        var g = new Generator(2);
        _wide = Tensor.Randn([1024, 16], DType.Float32, g);
        _narrow = Tensor.Randn([16, 1024], DType.Float32, g);
        _x16 = Tensor.Randn([16], DType.Float32, g);
        _x1024 = Tensor.Randn([1024], DType.Float32, g);
    }

    /// <summary>16 inputs, 1024 outputs.</summary>
    [Benchmark]
    public Tensor Jacobian16To1024() => Functional.Jacobian(x => _wide.MatMul(x).Tanh(), _x16);

    /// <summary>1024 inputs, 16 outputs.</summary>
    [Benchmark]
    public Tensor Jacobian1024To16() => Functional.Jacobian(x => _narrow.MatMul(x).Tanh(), _x1024);
}

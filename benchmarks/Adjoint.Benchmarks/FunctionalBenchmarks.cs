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
    private Tensor[] _parameters = null!, _directions = null!;

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
        _parameters = [_w1, _b1, _w2, _b2, _w3, _b3];
        _directions = _parameters.Select(p => Tensor.Randn(p.Shape.ToArray(), DType.Float32, g)).ToArray();
    }

    private Tensor Mlp(Tensor x) =>
        ((x.MatMul(_w1) + _b1).Tanh().MatMul(_w2) + _b2).Tanh().MatMul(_w3) + _b3;

    private Tensor LossOfParameters(Tensor[] p)
    {
        var h = (_x.MatMul(p[0]) + p[1]).Tanh();
        h = (h.MatMul(p[2]) + p[3]).Tanh();
        var logits = h.MatMul(p[4]) + p[5];
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
    public Tensor Gradient() => Functional.Grad(LossOfParameters)(_parameters)[0];

    /// <summary>Hessian-vector product of the same loss by forward-over-reverse.</summary>
    [Benchmark]
    public Tensor Hvp() => Functional.Hvp(LossOfParameters, _parameters, _directions)[0];
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

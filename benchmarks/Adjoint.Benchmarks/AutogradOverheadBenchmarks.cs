using BenchmarkDotNet.Attributes;

namespace Adjoint.Benchmarks;

/// <summary>
/// Per-op cost of the autograd machinery: a chain of <see cref="Ops"/> additions on one-element tensors that
/// require grad, so the kernel itself is negligible and what is measured is dispatch, recording and the
/// engine. Divide the reported time by <see cref="Ops"/> for µs per op.
/// </summary>
[MemoryDiagnoser]
public class AutogradOverheadBenchmarks
{
    /// <summary>Chain length.</summary>
    public const int Ops = 10_000;

    private Tensor _x = null!;
    private Tensor _y = null!;
    private Tensor _chain = null!;

    [GlobalSetup]
    public void Setup()
    {
        _x = Tensor.Scalar(1).Reshape(1).SetRequiresGrad();
        _y = Tensor.Scalar(0.5).Reshape(1).SetRequiresGrad();
    }

    private Tensor BuildChain()
    {
        var h = _x;
        for (int i = 0; i < Ops; i++) h = h + _y;
        return h;
    }

    /// <summary>Forward only: 10,000 recorded additions.</summary>
    [Benchmark(OperationsPerInvoke = Ops)]
    public Tensor Forward() => BuildChain();

    [IterationSetup(Target = nameof(Backward))]
    public void BuildForBackward()
    {
        _x.ZeroGrad();
        _y.ZeroGrad();
        _chain = BuildChain();
    }

    /// <summary>Backward only, through a chain built in the iteration setup.</summary>
    [Benchmark(OperationsPerInvoke = Ops)]
    public void Backward() => _chain.Backward();

    /// <summary>The same additions with grad mode off: the cost of the tensor op alone.</summary>
    [Benchmark(OperationsPerInvoke = Ops)]
    public Tensor ForwardNoGrad()
    {
        using var _ = Autograd.NoGrad();
        return BuildChain();
    }
}

using Adjoint.Interop;
using Adjoint.NN;
using Adjoint.Optim;

namespace Adjoint.Tests.Reliability;

/// <summary>
/// The small model the reliability tests train: a 2-16-16-1 tanh MLP fitted to a fixed regression target with
/// SGD (momentum), every step inside a <see cref="TensorScope"/>.
/// </summary>
internal sealed class Mlp : IDisposable
{
    private readonly Sequential _model;
    private readonly Sgd _optimizer;
    private readonly Tensor _x;
    private readonly Tensor _y;

    public Mlp(ulong seed, int batch = 32)
    {
        var gen = new Generator(seed);
        _model = new Sequential(new Linear(2, 16, generator: gen), new Tanh(), new Linear(16, 16, generator: gen), new Tanh(),
                                new Linear(16, 1, generator: gen));
        _optimizer = new Sgd(_model.Parameters(), learningRate: 0.05, momentum: 0.9);
        _x = Tensor.Randn([batch, 2], generator: gen);
        using (Autograd.NoGrad())
        using (TensorScope.Begin())
        {
            // y = sin(x0) * x1 as a smooth target; computed from tensors so that it uses the same kernels.
            var x0 = _x.Narrow(1, 0, 1);
            var x1 = _x.Narrow(1, 1, 1);
            var t = x0.Sin() * x1;
            _y = t.Clone();
            TensorScope.Current!.MoveToOuter(_y);
        }
    }

    public IReadOnlyList<Parameter> Parameters => _model.Parameters().ToList();

    /// <summary>One training step; returns the loss before the update.</summary>
    public float Step()
    {
        using var scope = TensorScope.Begin();
        _optimizer.ZeroGrad();
        var loss = Loss.Mse(_model.Forward(_x), _y);
        loss.Backward();
        _optimizer.Step();
        return loss.Item<float>();
    }

    /// <summary>Gradients of the last step, flattened in parameter order (call right after <see cref="Step"/> is not
    /// possible: the step's scope frees them), so this runs forward + backward once more without updating.</summary>
    public float[] Gradients()
    {
        using var scope = TensorScope.Begin();
        _optimizer.ZeroGrad();
        var loss = Loss.Mse(_model.Forward(_x), _y);
        loss.Backward();
        var all = new List<float>();
        foreach (var p in _model.Parameters()) all.AddRange(p.Grad!.ToArray<float>());
        _optimizer.ZeroGrad();
        return [.. all];
    }

    public float[] Weights()
    {
        var all = new List<float>();
        foreach (var p in _model.Parameters()) all.AddRange(p.Value.ToArray<float>());
        return [.. all];
    }

    public void Dispose()
    {
        _optimizer.Dispose();
        foreach (var p in _model.Parameters()) p.Value.Dispose();
        _x.Dispose();
        _y.Dispose();
    }
}

/// <summary>Live counters of both worlds: managed tensors/storages and the native library's own allocations.</summary>
internal readonly record struct Counters(long LiveCount, long LiveBytes, long NativeBytes, long NativeBlocks)
{
    public static unsafe Counters Read()
    {
        long bytes = 0, blocks = 0;
        if (Adjoint.Backends.Backend.NativeAvailable)
            NativeStatus.Check(NativeMethods.adj_allocation_stats(&bytes, &blocks), "adj_allocation_stats");
        return new Counters(Tensor.LiveCount, Tensor.LiveBytes, bytes, blocks);
    }
}

using BenchmarkDotNet.Attributes;
using Adjoint.NN;
using Adjoint.Optim;

namespace Adjoint.Benchmarks;

/// <summary>
/// One training step of the MLP 784-1024-1024-10 (ReLU), batch 256, float32, cross-entropy, SGD — the workload of
/// issue #7, compared with PyTorch by benchmarks/peers/mlp_step.py. Three cuts: the forward pass (recording the
/// graph, as training does), forward + backward, and the full step (zero grads, forward, backward, SGD update).
/// Every invocation frees its tensors through a scope, as a training loop does.
/// </summary>
[MemoryDiagnoser]
public class MlpTrainingBenchmarks
{
    private Sequential _model = null!;
    private Sgd _optimizer = null!;
    private Tensor _x = null!;
    private int[] _y = null!;

    /// <summary>The backend the kernels run on.</summary>
    [Params(BackendKind.Native)]
    public BackendKind Backend { get; set; }

    private IDisposable? _backend;

    [GlobalSetup]
    public void Setup()
    {
        _backend = Adjoint.Backends.Backend.Use(Backend == BackendKind.Native ? Adjoint.Backends.Backend.Native : Adjoint.Backends.Backend.Managed);
        var g = new Generator(1);
        _model = new Sequential(new Linear(784, 1024, generator: g), new ReLU(), new Linear(1024, 1024, generator: g), new ReLU(), new Linear(1024, 10, generator: g));
        _optimizer = new Sgd(_model.Parameters(), 0.01);
        _x = Tensor.Rand([256, 784], DType.Float32, new Generator(2));
        _y = Enumerable.Range(0, 256).Select(i => i * 7 % 10).ToArray();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _optimizer.Dispose();
        _model.Dispose();
        _x.Dispose();
        _backend?.Dispose();
    }

    /// <summary>Forward pass and loss, recording the graph.</summary>
    [Benchmark]
    public void Forward()
    {
        using var scope = TensorScope.Begin();
        _model.ZeroGrad();
        Loss.CrossEntropy(_model.Forward(_x), _y);
    }

    /// <summary>Forward pass, loss and backward.</summary>
    [Benchmark]
    public void ForwardBackward()
    {
        using var scope = TensorScope.Begin();
        _model.ZeroGrad();
        Loss.CrossEntropy(_model.Forward(_x), _y).Backward();
    }

    /// <summary>The full SGD step: zero grads, forward, backward, update.</summary>
    [Benchmark]
    public void TrainingStep()
    {
        using var scope = TensorScope.Begin();
        _optimizer.ZeroGrad();
        Loss.CrossEntropy(_model.Forward(_x), _y).Backward();
        _optimizer.Step();
    }
}

using NUnit.Framework;

namespace Adjoint.Tests.Checkpointing;

/// <summary>
/// Units recomputed only for their input and output values run without the graph (Note [Value-only
/// recomputation]); the others keep the recorded run. Each layer here logs whether grad mode was on when backward
/// ran it again, so the tests see which path each recomputation took.
/// </summary>
[TestFixture]
public class ValueOnlyRecomputationTests
{
    private sealed class Log
    {
        public bool InBackward;
        public readonly List<(int Layer, bool Recorded)> Calls = [];

        public Func<Tensor, Tensor>[] Wrap(IReadOnlyList<Func<Tensor, Tensor>> layers) =>
            layers.Select((f, i) => (Func<Tensor, Tensor>)(x =>
            {
                if (InBackward) Calls.Add((i + 1, Autograd.IsGradEnabled));
                return f(x);
            })).ToArray();
    }

    private static (List<float[]> Grads, long Peak, long Recomputed) Train(TanhChain chain, IReadOnlyList<Func<Tensor, Tensor>> layers, CheckpointPolicy policy,
                                                                          Log? log = null, CheckpointOptions? options = null)
    {
        chain.ZeroGrad();
        using var graph = MemoryStats.Track();
        var loss = TanhChain.Loss(Checkpoint.Sequential(layers, chain.Input, policy, options));
        if (log is not null) log.InBackward = true;
        loss.Backward();
        if (log is not null) log.InBackward = false;
        var grads = chain.Parameters.Append(chain.Input).Select(p => p.Grad!.ToArray<float>()).ToList();
        return (grads, graph.PeakSavedBytes, graph.RecomputedSteps);
    }

    [Test]
    public void TanhLayersAreRecomputedWithoutTheGraphAndBitwiseEqual()
    {
        // y = tanh(x·W + b) saves its input, W and its output: every recomputation is value-only. The determinism
        // check compares each value-only tensor with the forward pass's fingerprint, bit for bit.
        var chain = new TanhChain(layers: 30, width: 16, batch: 4, DType.Float32);
        chain.Input.RequiresGrad = true;
        var plain = Train(chain, chain.Layers, CheckpointPolicy.None);
        foreach (var policy in new[] { CheckpointPolicy.SqrtN, CheckpointPolicy.EveryK(7), CheckpointPolicy.Binomial(3), CheckpointPolicy.MemoryBudget(8_000) })
        {
            var log = new Log();
            var run = Train(chain, log.Wrap(chain.Layers), policy, log, new CheckpointOptions { DeterminismCheck = true });
            Assert.That(run.Recomputed, Is.GreaterThan(0), policy.ToString());
            Assert.That(log.Calls.Count, Is.EqualTo(run.Recomputed), $"{policy}: one call per recomputed step");
            Assert.That(log.Calls.Where(c => c.Recorded), Is.Empty, $"{policy}: no recomputation records the graph");
            Assert.That(run.Grads, Is.EqualTo(plain.Grads), policy.ToString());
            var plan = Checkpoint.Plan(chain.Layers, chain.Input, policy);
            Assert.That(run.Recomputed, Is.EqualTo(plan.PredictedRecomputeSteps), policy.ToString());
            Assert.That(run.Peak - chain.LossSavedBytes, Is.EqualTo(plan.PredictedPeakSavedBytes), policy.ToString());
        }
    }

    [Test]
    public void LayersWithAnInternalSavedTensorStayRecorded()
    {
        // Even layers y = tanh(sin(x·W + b)) save sin's input, made inside the layer: only a recorded run gives it
        // back. Odd layers save only input, W and output. Within one tape the two kinds alternate, so a recorded
        // layer also follows value-only ones (its input becomes a graph leaf again).
        var chain = new TanhChain(layers: 16, width: 8, batch: 3, DType.Float32);
        chain.Input.RequiresGrad = true;
        var mixed = chain.Layers.Select((f, i) => i % 2 == 1
            ? (Func<Tensor, Tensor>)(x => (x.MatMul(chain.Weights[i]) + chain.Biases[i]).Sin().Tanh())
            : f).ToArray();
        var plain = Train(chain, mixed, CheckpointPolicy.None);
        var log = new Log();
        var run = Train(chain, log.Wrap(mixed), CheckpointPolicy.SqrtN, log, new CheckpointOptions { DeterminismCheck = true });
        Assert.That(run.Grads, Is.EqualTo(plain.Grads));
        Assert.That(log.Calls, Is.Not.Empty);
        foreach (var (layer, recorded) in log.Calls)
            Assert.That(recorded, Is.EqualTo(layer % 2 == 0), $"layer {layer}");
        Assert.That(log.Calls.Any(c => c.Recorded) && log.Calls.Any(c => !c.Recorded), "both paths taken");
        var plan = Checkpoint.Plan(mixed, chain.Input, CheckpointPolicy.SqrtN);
        Assert.That(run.Recomputed, Is.EqualTo(plan.PredictedRecomputeSteps));
        Assert.That(run.Peak - chain.LossSavedBytes, Is.EqualTo(plan.PredictedPeakSavedBytes));
    }

    [Test]
    public void LayersThatDrawRandomNumbersStayRecordedAndReplayExactly()
    {
        // Noise that is not saved leaves only input, W and output in the slots, but the layer drew from the generator.
        var chain = new TanhChain(layers: 12, width: 8, batch: 3, DType.Float32);
        chain.Input.RequiresGrad = true;
        var noisy = chain.Layers.Select((f, i) => i % 3 == 0
            ? (Func<Tensor, Tensor>)(x => (x.MatMul(chain.Weights[i]) + chain.Biases[i] + Tensor.Randn([chain.Batch, chain.Width], DType.Float32) * 0.1).Tanh())
            : f).ToArray();
        Generator.Default.ManualSeed(5);
        var plain = Train(chain, noisy, CheckpointPolicy.None);
        var after = Generator.Default.GetState();
        Generator.Default.ManualSeed(5);
        var log = new Log();
        var run = Train(chain, log.Wrap(noisy), CheckpointPolicy.SqrtN, log, new CheckpointOptions { DeterminismCheck = true });
        Assert.That(run.Grads, Is.EqualTo(plain.Grads));
        Assert.That(Generator.Default.GetState(), Is.EqualTo(after));
        foreach (var (layer, recorded) in log.Calls)
            Assert.That(recorded, Is.EqualTo((layer - 1) % 3 == 0), $"layer {layer}");
    }

    [Test]
    public void CreateGraphKeepsTheRecordedRun()
    {
        var chain = new TanhChain(layers: 9, width: 4, batch: 2, DType.Float64);
        chain.Input.RequiresGrad = true;
        var log = new Log();
        var y = Checkpoint.Sequential(log.Wrap(chain.Layers), chain.Input, CheckpointPolicy.SqrtN);
        log.InBackward = true;
        var g = Autograd.Grad(TanhChain.Loss(y), chain.Input, createGraph: true);
        log.InBackward = false;
        Assert.That(g.RequiresGrad, Is.True);
        Assert.That(log.Calls, Is.Not.Empty);
        Assert.That(log.Calls.All(c => c.Recorded), "recomputed tensors must carry history under createGraph");
    }

    [Test]
    public void DeterminismCheckCatchesALayerWhoseNoGradValuesDiffer()
    {
        // A layer that computes something else when grad mode is off: the value-only run is checked like a recorded one.
        var chain = new TanhChain(layers: 9, width: 4, batch: 2, DType.Float32);
        var odd = chain.Layers.Select(f => (Func<Tensor, Tensor>)(x => Autograd.IsGradEnabled ? f(x) : f(x) + 1e-3)).ToArray();
        var loss = TanhChain.Loss(Checkpoint.Sequential(odd, chain.Input, CheckpointPolicy.SqrtN, new CheckpointOptions { DeterminismCheck = true }));
        var ex = Assert.Throws<CheckpointMismatchException>(() => loss.Backward());
        Assert.That(ex!.Message, Does.Contain("differs from the forward pass"));
    }

    [Test]
    public void AValueOnlyRunFreesWhatTheLayerMadeBesidesItsOutput()
    {
        // Each layer hands its pre-activation out to a list: the forward pass's stay alive (the graph holds them), a
        // value-only recomputation's are disposed when the layer returns; its output lives on in the slots.
        var chain = new TanhChain(layers: 9, width: 4, batch: 2, DType.Float32);
        chain.Input.RequiresGrad = true;
        var plain = Train(chain, chain.Layers, CheckpointPolicy.None);
        var made = new List<(bool InBackward, Tensor Pre, Tensor Out)>();
        var log = new Log();
        var layers = chain.Layers.Select((_, i) => (Func<Tensor, Tensor>)(x =>
        {
            var pre = x.MatMul(chain.Weights[i]) + chain.Biases[i];
            var y = pre.Tanh();
            made.Add((log.InBackward, pre, y));
            return y;
        })).ToArray();
        var run = Train(chain, layers, CheckpointPolicy.SqrtN, log);
        Assert.That(run.Grads, Is.EqualTo(plain.Grads));
        var again = made.Where(m => m.InBackward).ToList();
        Assert.That(again, Has.Count.EqualTo(run.Recomputed).And.Count.GreaterThan(0));
        Assert.That(again.All(m => m.Pre.IsDisposed && !m.Out.IsDisposed), "value-only: intermediates freed, outputs kept");
        Assert.That(made.Where(m => !m.InBackward).All(m => !m.Pre.IsDisposed), "the forward pass's tensors are not touched");
    }

    [Test]
    public void AValueOnlyLayerWithAnotherShapeIsAMismatch()
    {
        var chain = new TanhChain(layers: 9, width: 4, batch: 2, DType.Float32);
        bool again = false;
        var layers = chain.Layers.Select((f, i) => (Func<Tensor, Tensor>)(x =>
        {
            var y = f(x);
            return again && i == 1 ? y.Reshape(4, 2) : y;
        })).ToArray();
        var loss = TanhChain.Loss(Checkpoint.Sequential(layers, chain.Input, CheckpointPolicy.SqrtN));
        again = true;
        var ex = Assert.Throws<CheckpointMismatchException>(() => loss.Backward());
        Assert.That(ex!.Message, Does.Contain("unit 2").And.Contain("[4,2]"));
    }
}

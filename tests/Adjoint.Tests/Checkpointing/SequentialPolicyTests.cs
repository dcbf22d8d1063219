using NUnit.Framework;

namespace Adjoint.Tests.Checkpointing;

/// <summary>Checkpoint.Sequential under every policy: exact gradients, and bytes and recomputation as predicted by theory.</summary>
[TestFixture]
public class SequentialPolicyTests
{
    private static IEnumerable<CheckpointPolicy> Policies()
    {
        yield return CheckpointPolicy.None;
        yield return CheckpointPolicy.EveryK(1);
        yield return CheckpointPolicy.EveryK(3);
        yield return CheckpointPolicy.EveryK(100);
        yield return CheckpointPolicy.SqrtN;
        yield return CheckpointPolicy.Binomial(1);
        yield return CheckpointPolicy.Binomial(2);
        yield return CheckpointPolicy.Binomial(4);
        yield return CheckpointPolicy.Binomial(30);
        yield return CheckpointPolicy.MemoryBudget(6_000);
        yield return CheckpointPolicy.MemoryBudget(1_000_000);
        yield return CheckpointPolicy.SelectiveOps("Tanh");
        yield return CheckpointPolicy.Selective(info => info.Producer is null);
    }

    [TestCaseSource(nameof(Policies))]
    public void Float64GradientsEqualPlainWithin1e12(CheckpointPolicy policy)
    {
        var chain = new TanhChain(layers: 12, width: 8, batch: 3, DType.Float64);
        chain.Input.RequiresGrad = true;
        var plain = chain.Train(CheckpointPolicy.None).Grads.Select(g => g.ToArray<double>()).ToList();
        var got = chain.Train(policy).Grads.Select(g => g.ToArray<double>()).ToList();
        for (int i = 0; i < plain.Count; i++)
            Assert.That(got[i], Is.EqualTo(plain[i]).Within(1e-12), $"gradient {i}");
    }

    [TestCaseSource(nameof(Policies))]
    public void Float32GradientsAreBitwisePlain(CheckpointPolicy policy)
    {
        var chain = new TanhChain(layers: 12, width: 16, batch: 4, DType.Float32);
        chain.Input.RequiresGrad = true;
        var plain = chain.Train(CheckpointPolicy.None).Grads.Select(g => g.ToArray<float>()).ToList();
        var got = chain.Train(policy).Grads.Select(g => g.ToArray<float>()).ToList();
        for (int i = 0; i < plain.Count; i++)
            Assert.That(got[i], Is.EqualTo(plain[i]), $"gradient {i}");
    }

    [Test]
    public void SqrtNOnAHundredLayersMatchesTheoryExactly()
    {
        var chain = new TanhChain(layers: 100, width: 8, batch: 4, DType.Float64);
        long a = chain.LayerSavedBytes, c = chain.ActivationBytes, loss = chain.LossSavedBytes;

        var plain = chain.Train(CheckpointPolicy.None);
        Assert.That(plain.Peak, Is.EqualTo(100 * a + loss));
        Assert.That(plain.Recomputed, Is.Zero);

        // Segments of 10: snapshots x_0, x_10, …, x_80; the last segment is recorded by the forward pass (and
        // needs no snapshot of x_90: its saved tensors contain it). A layer saves its input, W and its output, so
        // the last layer of each recomputed segment (a, M] is not run: x_{M-1} comes from the layer before, x_M
        // from the snapshot, W from the parameter. 9 segments × 9 layers.
        var sqrt = chain.Train(CheckpointPolicy.SqrtN);
        Assert.That(sqrt.Peak, Is.EqualTo(9 * c + 10 * a + loss));
        Assert.That(sqrt.Recomputed, Is.EqualTo(81));

        var plan = Checkpoint.Plan(chain.Layers, chain.Input, CheckpointPolicy.SqrtN);
        Assert.That(plan.PredictedPeakSavedBytes, Is.EqualTo(9 * c + 10 * a));
        Assert.That(plan.PredictedRecomputeSteps, Is.EqualTo(81));
        Assert.That(plan.Layers.Select(l => l.Recomputations), Is.EqualTo(Enumerable.Range(1, 100).Select(i => i <= 90 && i % 10 != 0 ? 1 : 0)));
        Assert.That(plan.PlainSavedBytes, Is.EqualTo(100 * a));
    }

    [TestCase(100, 5)]
    [TestCase(100, 20)]
    [TestCase(37, 4)]
    [TestCase(12, 1)]
    [TestCase(12, 12)]
    public void EveryKRecomputesAllButTheEndsOfTheRecomputedSegments(int layers, int k)
    {
        var chain = new TanhChain(layers, width: 4, batch: 2, DType.Float64);
        long a = chain.LayerSavedBytes, c = chain.ActivationBytes;
        var run = chain.Train(CheckpointPolicy.EveryK(k));
        int segments = (layers + k - 1) / k;
        // Every segment but the last is recomputed, except its last layer. The forward pass keeps the input and
        // segments − 2 snapshots and records the last segment (at most k layers); backward then holds the same
        // snapshots and the first recomputed segment's k layers, 2 activations each (W is read from the parameter).
        Assert.That(run.Recomputed, Is.EqualTo((segments - 1) * (k - 1)));
        int last = layers - (segments - 1) * k;
        Assert.That(run.Peak - chain.LossSavedBytes, Is.EqualTo(Math.Max(1, segments - 1) * c + Math.Max(last * a, segments >= 2 ? 2 * k * c : 0)));
        var plan = Checkpoint.Plan(chain.Layers, chain.Input, CheckpointPolicy.EveryK(k));
        Assert.That(plan.PredictedRecomputeSteps, Is.EqualTo(run.Recomputed));
        Assert.That(plan.PredictedPeakSavedBytes, Is.EqualTo(run.Peak - chain.LossSavedBytes));
    }

    [Test]
    public void KeepingEveryActivationRecomputesNothing()
    {
        // SelectiveOps("Tanh") keeps every layer's input and output; W is read from the parameter; so no layer runs
        // again, and the forward pass holds x_0, 2 activations per layer of the first 90, 8 snapshots and the last segment.
        var chain = new TanhChain(layers: 100, width: 8, batch: 4, DType.Float32);
        long a = chain.LayerSavedBytes, c = chain.ActivationBytes;
        chain.Input.RequiresGrad = true;
        var plain = chain.Train(CheckpointPolicy.None).Grads.Select(g => g.ToArray<float>()).ToList();
        var run = chain.Train(CheckpointPolicy.SelectiveOps("Tanh"));
        Assert.That(run.Recomputed, Is.Zero);
        Assert.That(run.Peak - chain.LossSavedBytes, Is.EqualTo(c + 8 * c + (1 + 89 * 2) * c + 10 * a));
        Assert.That(run.Grads.Select(g => g.ToArray<float>()), Is.EqualTo(plain));
        var plan = Checkpoint.Plan(chain.Layers, chain.Input, CheckpointPolicy.SelectiveOps("Tanh"));
        Assert.That(plan.PredictedRecomputeSteps, Is.Zero);
        Assert.That(plan.PredictedPeakSavedBytes, Is.EqualTo(run.Peak - chain.LossSavedBytes));
    }

    [Test]
    public void ASelectiveRuleRecomputesOnlyTheLayersThatNeedIt()
    {
        // Odd layers y = tanh(x·W + b) save only their input, W and their output; even layers y = tanh(sin(x·W + b))
        // also save sin's input, produced inside the layer. Keeping Tanh's outputs (every layer's input and output)
        // leaves only the even layers to run again, each alone from its kept input: 12 layers, segments of 3, the
        // last recorded in forward, so layers 2, 4, 6, 8. Keeping Add's outputs too recomputes nothing.
        var chain = new TanhChain(layers: 12, width: 8, batch: 3, DType.Float32);
        chain.Input.RequiresGrad = true;
        var layers = Enumerable.Range(0, 12).Select(i => (Func<Tensor, Tensor>)(x =>
        {
            var z = x.MatMul(chain.Weights[i]) + chain.Biases[i];
            return (i % 2 == 1 ? z.Sin() : z).Tanh();
        })).ToArray();
        List<float[]> Grads(CheckpointPolicy policy, out long recomputed)
        {
            chain.ZeroGrad();
            using var graph = MemoryStats.Track();
            TanhChain.Loss(Checkpoint.Sequential(layers, chain.Input, policy)).Backward();
            recomputed = graph.RecomputedSteps;
            return chain.Parameters.Append(chain.Input).Select(p => p.Grad!.ToArray<float>()).ToList();
        }
        var plain = Grads(CheckpointPolicy.None, out _);

        var tanh = CheckpointPolicy.SelectiveOps("Tanh");
        Assert.That(Grads(tanh, out long steps), Is.EqualTo(plain));
        Assert.That(steps, Is.EqualTo(4));
        var plan = Checkpoint.Plan(layers, chain.Input, tanh);
        Assert.That(plan.PredictedRecomputeSteps, Is.EqualTo(4));
        Assert.That(plan.Layers.Select(l => l.Recomputations), Is.EqualTo(new[] { 0, 1, 0, 1, 0, 1, 0, 1, 0, 0, 0, 0 }));

        Assert.That(Grads(CheckpointPolicy.SelectiveOps("Tanh", "Add"), out steps), Is.EqualTo(plain));
        Assert.That(steps, Is.Zero);
        Assert.That(Grads(CheckpointPolicy.SqrtN, out steps), Is.EqualTo(plain));
        // SqrtN keeps nothing inside the segments: (0, 3] and (6, 9] skip their odd last layer, (3, 6] runs all 3.
        Assert.That(steps, Is.EqualTo(2 + 3 + 2));
    }

    [TestCase(10, 1)]
    [TestCase(10, 2)]
    [TestCase(20, 3)]
    [TestCase(30, 4)]
    [TestCase(100, 5)]
    [TestCase(100, 10)]
    [TestCase(7, 20)]
    public void BinomialRecomputesRevolvesMinimumAndKeepsSSnapshots(int layers, int snapshots)
    {
        var chain = new TanhChain(layers, width: 4, batch: 2, DType.Float64);
        long a = chain.LayerSavedBytes, c = chain.ActivationBytes;
        var run = chain.Train(CheckpointPolicy.Binomial(snapshots));
        Assert.That(run.Recomputed, Is.EqualTo(Revolve.Expense(layers, snapshots)));
        int s = Math.Min(snapshots, layers - 1); // the last step needs no snapshot: its record holds x_{L-1}
        Assert.That(run.Peak - chain.LossSavedBytes, Is.EqualTo(s * c + a), "s snapshots and one recorded layer");
        var plan = Checkpoint.Plan(LayerCosts.Uniform(layers, a, c), CheckpointPolicy.Binomial(snapshots));
        Assert.That(plan.PredictedRecomputeSteps, Is.EqualTo(run.Recomputed));
        Assert.That(plan.PredictedPeakSavedBytes, Is.EqualTo(run.Peak - chain.LossSavedBytes));
    }

    [TestCaseSource(nameof(Policies))]
    public void PlanPredictsMeasuredBytesAndSteps(CheckpointPolicy policy)
    {
        var chain = new TanhChain(layers: 12, width: 8, batch: 3, DType.Float64);
        var run = chain.Train(policy);
        var plan = Checkpoint.Plan(chain.Layers, chain.Input, policy);
        Assert.That(run.Recomputed, Is.EqualTo(plan.PredictedRecomputeSteps));
        Assert.That(run.Peak - chain.LossSavedBytes, Is.EqualTo(plan.PredictedPeakSavedBytes));
        Assert.That(plan.Layers, Has.Count.EqualTo(12));
        Assert.That(plan.ToString(), Does.Contain("peak saved bytes").And.Contain("recomputed steps"));
    }

    [Test]
    public void MemoryBudgetFitsAndIsCheaperThanSqrtNWhenItCan()
    {
        var chain = new TanhChain(layers: 30, width: 8, batch: 4, DType.Float64);
        long a = chain.LayerSavedBytes, c = chain.ActivationBytes;
        foreach (long budget in new[] { 2 * a + 3 * c, 4 * a + 6 * c, 8 * a + 4 * c, 15 * a, 40 * a })
        {
            var run = chain.Train(CheckpointPolicy.MemoryBudget(budget));
            Assert.That(run.Peak - chain.LossSavedBytes, Is.LessThanOrEqualTo(budget), $"budget {budget}");
            var plan = Checkpoint.Plan(chain.Layers, chain.Input, CheckpointPolicy.MemoryBudget(budget));
            Assert.That(run.Recomputed, Is.EqualTo(plan.PredictedRecomputeSteps));
        }
    }

    [Test]
    public void MemoryBudgetBelowTheMinimumNamesTheMinimum()
    {
        var chain = new TanhChain(layers: 5, width: 8, batch: 4, DType.Float64);
        long minimum = chain.ActivationBytes + chain.LayerSavedBytes;
        var ex = Assert.Throws<InvalidOperationException>(() => chain.Train(CheckpointPolicy.MemoryBudget(minimum - 1)));
        Assert.That(ex!.Message, Does.Contain($"{minimum:N0} bytes"));
        Assert.DoesNotThrow(() => chain.Train(CheckpointPolicy.MemoryBudget(minimum)));
    }

    [Test]
    public void DropoutInsideLayersReplaysExactly()
    {
        var chain = new TanhChain(layers: 9, width: 8, batch: 3, DType.Float64);
        var dropped = chain.Layers.Select(f => (Func<Tensor, Tensor>)(x =>
        {
            var keep = Tensor.Rand(x.ShapeArray, x.DType).Gt(0.3);
            return f(x) * keep / 0.7;
        })).ToArray();
        Generator.Default.ManualSeed(11);
        var yPlain = Checkpoint.Sequential(dropped, chain.Input, CheckpointPolicy.None);
        TanhChain.Loss(yPlain).Backward();
        var plain = chain.Parameters.Select(p => p.Grad!.ToArray<double>()).ToList();
        var after = Generator.Default.GetState();
        foreach (var policy in new[] { CheckpointPolicy.SqrtN, CheckpointPolicy.Binomial(2) })
        {
            chain.ZeroGrad();
            Generator.Default.ManualSeed(11);
            var y = Checkpoint.Sequential(dropped, chain.Input, policy);
            Assert.That(y.ToArray<double>(), Is.EqualTo(yPlain.ToArray<double>()));
            TanhChain.Loss(y).Backward();
            Assert.That(chain.Parameters.Select(p => p.Grad!.ToArray<double>()), Is.EqualTo(plain), policy.ToString());
            Assert.That(Generator.Default.GetState(), Is.EqualTo(after), "recomputation leaves the generator where the forward pass left it");
        }
    }

    [Test]
    public void RetainGraphAllowsASecondBackward()
    {
        var chain = new TanhChain(layers: 10, width: 4, batch: 2, DType.Float64);
        var y = Checkpoint.Sequential(chain.Layers, chain.Input, CheckpointPolicy.Binomial(3));
        var loss = TanhChain.Loss(y);
        loss.Backward(retainGraph: true);
        var once = chain.Parameters.Select(p => p.Grad!.ToArray<double>()).ToList();
        loss.Backward();
        var twice = chain.Parameters.Select(p => p.Grad!.ToArray<double>()).ToList();
        for (int i = 0; i < once.Count; i++)
            Assert.That(twice[i], Is.EqualTo(once[i].Select(v => 2 * v).ToArray()).Within(1e-12));
    }

    [Test]
    public void BackwardReturnsEveryByteItHeld()
    {
        var chain = new TanhChain(layers: 16, width: 4, batch: 2, DType.Float64);
        long before = MemoryStats.SavedBytes;
        foreach (var policy in Policies())
        {
            chain.Train(policy);
            Assert.That(MemoryStats.SavedBytes, Is.EqualTo(before), policy.ToString());
        }
    }

    [Test]
    public void NoGradRunsPlainly()
    {
        var chain = new TanhChain(layers: 4, width: 4, batch: 2, DType.Float64);
        using (Autograd.NoGrad())
        {
            var y = Checkpoint.Sequential(chain.Layers, chain.Input, CheckpointPolicy.SqrtN);
            Assert.That(y.RequiresGrad, Is.False);
        }
    }
}

/// <summary>Take-over tapes and parameters read where they live compose with the rest of the engine.</summary>
[TestFixture]
public class SelectiveRecomputationTests
{
    private static IEnumerable<CheckpointPolicy> TakeOverPolicies()
    {
        yield return CheckpointPolicy.SqrtN;
        yield return CheckpointPolicy.EveryK(4);
        yield return CheckpointPolicy.SelectiveOps("Tanh");
        yield return CheckpointPolicy.Selective(info => info.Producer is null);
    }

    [TestCaseSource(nameof(TakeOverPolicies))]
    public void RetainGraphBackwardTwiceGivesTwiceTheGradient(CheckpointPolicy policy)
    {
        var chain = new TanhChain(layers: 17, width: 4, batch: 2, DType.Float64);
        using var graph = MemoryStats.Track();
        var loss = TanhChain.Loss(Checkpoint.Sequential(chain.Layers, chain.Input, policy));
        loss.Backward(retainGraph: true);
        var once = chain.Parameters.Select(p => p.Grad!.ToArray<double>()).ToList();
        long afterFirst = graph.RecomputedSteps;
        loss.Backward();
        var twice = chain.Parameters.Select(p => p.Grad!.ToArray<double>()).ToList();
        for (int i = 0; i < once.Count; i++)
            Assert.That(twice[i], Is.EqualTo(once[i].Select(v => 2 * v).ToArray()).Within(1e-12));
        Assert.That(graph.SavedBytes, Is.Zero, "everything is returned after the last pass");
        Assert.That(graph.RecomputedSteps, Is.GreaterThanOrEqualTo(2 * afterFirst));
    }

    [TestCaseSource(nameof(TakeOverPolicies))]
    public void DoubleBackwardThroughTheChain(CheckpointPolicy policy)
    {
        var chain = new TanhChain(layers: 9, width: 4, batch: 2, DType.Float64);
        chain.Input.RequiresGrad = true;
        Tensor[] Hessian(CheckpointPolicy p)
        {
            var y = Checkpoint.Sequential(chain.Layers, chain.Input, p);
            var g = Autograd.Grad(TanhChain.Loss(y), chain.Input, createGraph: true);
            return Autograd.Grad([(g * g).Sum()], [chain.Input, chain.Weights[3]]).Select(t => t!).ToArray();
        }
        var plain = Hessian(CheckpointPolicy.None);
        var got = Hessian(policy);
        for (int i = 0; i < plain.Length; i++)
            Assert.That(got[i].ToArray<double>(), Is.EqualTo(plain[i].ToArray<double>()).Within(1e-12));
    }

    [Test]
    public void AParameterModifiedInPlaceBeforeBackwardIsAnError()
    {
        var chain = new TanhChain(layers: 6, width: 4, batch: 2, DType.Float64);
        var loss = TanhChain.Loss(Checkpoint.Sequential(chain.Layers, chain.Input, CheckpointPolicy.SelectiveOps("Tanh")));
        using (Autograd.NoGrad()) chain.Weights[1].MulInPlace(2.0);
        var ex = Assert.Throws<InvalidOperationException>(() => loss.Backward());
        Assert.That(ex!.Message, Does.Contain("modified by an in-place operation").And.Contain("[4,4]"));
    }
}

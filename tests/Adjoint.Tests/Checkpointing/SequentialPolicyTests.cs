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
        // needs no snapshot of x_90: its saved tensors contain it).
        var sqrt = chain.Train(CheckpointPolicy.SqrtN);
        Assert.That(sqrt.Peak, Is.EqualTo(9 * c + 10 * a + loss));
        Assert.That(sqrt.Recomputed, Is.EqualTo(90));

        var plan = Checkpoint.Plan(chain.Layers, chain.Input, CheckpointPolicy.SqrtN);
        Assert.That(plan.PredictedPeakSavedBytes, Is.EqualTo(9 * c + 10 * a));
        Assert.That(plan.PredictedRecomputeSteps, Is.EqualTo(90));
        Assert.That(plan.PlainSavedBytes, Is.EqualTo(100 * a));
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

using Adjoint.Backends;
using Adjoint.NN;
using Adjoint.Optim;
using NUnit.Framework;

namespace Adjoint.Tests.Optim;

[TestFixture]
public class OptimizerTests
{
    private static IDisposable UseBackend(string name)
    {
        if (name == "native" && !Backend.NativeAvailable) Assert.Ignore("native backend unavailable");
        return Backend.Use(name == "native" ? Backend.Native : Backend.Managed);
    }

    private static Tensor P(params double[] values) => Tensor.FromArray(values, values.Length).SetRequiresGrad();

    private static void SetGrad(Tensor p, params double[] g) => p.Grad = Tensor.FromArray(g, g.Length);

    [Test]
    public void SgdPlainStep([Values] UpdateImplementation impl, [Values("native", "managed")] string backend)
    {
        using var use = UseBackend(backend);
        var p = P(1, -2);
        using var opt = new Sgd([p], learningRate: 0.1) { Implementation = impl };
        SetGrad(p, 0.5, -1);
        opt.Step();
        Assert.That(p.ToArray<double>(), Is.EqualTo(new[] { 0.95, -1.9 }).Within(1e-15));
    }

    [Test]
    public void SgdMomentumAndWeightDecayTwoSteps([Values] UpdateImplementation impl, [Values("native", "managed")] string backend)
    {
        using var use = UseBackend(backend);
        // p0 = 1, λ = 0.1, μ = 0.9, η = 0.1.
        // step 1: g = 0.5 + 0.1·1 = 0.6; b = 0.6; p = 1 − 0.06 = 0.94
        // step 2: g = 0.2 + 0.1·0.94 = 0.294; b = 0.9·0.6 + 0.294 = 0.834; p = 0.94 − 0.0834 = 0.8566
        var p = P(1);
        using var opt = new Sgd([p], 0.1, momentum: 0.9, weightDecay: 0.1) { Implementation = impl };
        SetGrad(p, 0.5);
        opt.Step();
        Assert.That(p.Item<double>(), Is.EqualTo(0.94).Within(1e-15));
        SetGrad(p, 0.2);
        opt.Step();
        Assert.That(p.Item<double>(), Is.EqualTo(0.8566).Within(1e-15));
        Assert.That(opt.MomentumBuffer(0)!.Item<double>(), Is.EqualTo(0.834).Within(1e-15));
    }

    [Test]
    public void SgdNesterovTwoSteps([Values] UpdateImplementation impl, [Values("native", "managed")] string backend)
    {
        using var use = UseBackend(backend);
        // step 1: g = 1; b = 1; g ← 1 + 0.9·1 = 1.9; p = 1 − 0.19 = 0.81
        // step 2: g = 1; b = 0.9 + 1 = 1.9; g ← 1 + 1.71 = 2.71; p = 0.81 − 0.271 = 0.539
        var p = P(1);
        using var opt = new Sgd([p], 0.1, momentum: 0.9, nesterov: true) { Implementation = impl };
        SetGrad(p, 1);
        opt.Step();
        Assert.That(p.Item<double>(), Is.EqualTo(0.81).Within(1e-15));
        SetGrad(p, 1);
        opt.Step();
        Assert.That(p.Item<double>(), Is.EqualTo(0.539).Within(1e-15));
    }

    [Test]
    public void AdamFirstTwoStepsWithBiasCorrection([Values] UpdateImplementation impl, [Values("native", "managed")] string backend)
    {
        using var use = UseBackend(backend);
        // η = 0.1, β = (0.9, 0.999), ε = 1e-8, p0 = 1.
        // step 1, g = 0.5: m = 0.05, v = 0.00025, m̂ = 0.5, v̂ = 0.25, p = 1 − 0.1·0.5/(0.5 + 1e-8) = 0.900000002
        // step 2, g = −1: m = −0.055, v = 0.00124975, m̂ = −0.055/0.19, v̂ = 0.00124975/0.001999,
        //   p = 0.900000002 + 0.1·0.289473684…/(0.790688…+1e-8) = 0.9366103542405654
        var p = P(1);
        using var opt = new Adam([p], learningRate: 0.1) { Implementation = impl };
        SetGrad(p, 0.5);
        opt.Step();
        Assert.That(p.Item<double>(), Is.EqualTo(0.900000002).Within(1e-15));
        Assert.That(opt.FirstMoment(0)!.Item<double>(), Is.EqualTo(0.05).Within(1e-16));
        Assert.That(opt.SecondMoment(0)!.Item<double>(), Is.EqualTo(0.00025).Within(1e-18));
        SetGrad(p, -1);
        opt.Step();
        Assert.That(p.Item<double>(), Is.EqualTo(0.9366103542405654).Within(1e-14));
        Assert.That(opt.FirstMoment(0)!.Item<double>(), Is.EqualTo(-0.055).Within(1e-16));
        Assert.That(opt.SecondMoment(0)!.Item<double>(), Is.EqualTo(0.00124975).Within(1e-17));
    }

    [Test]
    public void AdamWDecaysDecoupled([Values] UpdateImplementation impl, [Values("native", "managed")] string backend)
    {
        using var use = UseBackend(backend);
        // Same as Adam above, with p ← p·(1 − 0.1·0.1) before each step: 0.890000002, then 0.9177103542205653.
        var p = P(1);
        using var opt = new AdamW([p], learningRate: 0.1, weightDecay: 0.1) { Implementation = impl };
        SetGrad(p, 0.5);
        opt.Step();
        Assert.That(p.Item<double>(), Is.EqualTo(0.890000002).Within(1e-15));
        SetGrad(p, -1);
        opt.Step();
        Assert.That(p.Item<double>(), Is.EqualTo(0.9177103542205653).Within(1e-14));
    }

    [Test]
    public void FusedAndTensorOpUpdatesAgreeOnLargeParameters([Values] DType dtype, [Values("native", "managed")] string backend)
    {
        using var use = UseBackend(backend);
        // Above the parallel threshold and not a multiple of the vector width: chunks and tails both run.
        int n = (1 << 18) + 37;
        Func<Tensor[], Optimizer>[] makers =
        [
            ps => new Sgd(ps, 0.05, momentum: 0.9, nesterov: true, weightDecay: 0.01),
            ps => new Sgd(ps, 0.05, momentum: 0.8, dampening: 0.1),
            ps => new Adam(ps, 0.01, weightDecay: 0.01),
            ps => new AdamW(ps, 0.01),
        ];
        foreach (var make in makers)
        {
            var results = new List<double[]>();
            foreach (var impl in new[] { UpdateImplementation.Fused, UpdateImplementation.TensorOps })
            {
                var p = Tensor.Randn([n], dtype, new Generator(1)).SetRequiresGrad();
                using var opt = make([p]);
                opt.Implementation = impl;
                for (int step = 0; step < 3; step++)
                {
                    p.Grad = Tensor.Randn([n], dtype, new Generator((ulong)step + 10));
                    opt.Step();
                }
                results.Add(p.To(DType.Float64).ToArray<double>());
            }
            double tol = dtype == DType.Float32 ? 1e-6 : 1e-14;
            Assert.That(results[0], Is.EqualTo(results[1]).Within(tol), make([Tensor.Ones([1]).SetRequiresGrad()]).GetType().Name);
        }
    }

    [Test]
    public void StepRunsUnderNoGradAndBumpsTheVersion()
    {
        var w = P(1, 2, 3);
        var y = (w * w).Sum();         // Mul saves w at its current version
        y.Backward(retainGraph: true);
        int version = w.Version;
        using var opt = new Sgd([w], 0.1);
        opt.Step();
        Assert.That(w.Version, Is.GreaterThan(version));
        Assert.That(w.IsLeaf && w.RequiresGrad && w.GradFn is null, Is.True);
        Assert.That(() => y.Backward(), Throws.InvalidOperationException.With.Message.Contains("version").IgnoreCase);
    }

    [Test]
    public void StateSurvivesPerStepScopes()
    {
        var p = P(1, 2);
        using var opt = new Adam([p], 0.1);
        for (int i = 0; i < 3; i++)
        {
            using var scope = TensorScope.Begin();
            (p * p).Sum().Backward();
            opt.Step();
            opt.ZeroGrad();
        }
        Assert.That(opt.FirstMoment(0)!.IsDisposed, Is.False);
        Assert.That(opt.StepCount, Is.EqualTo(3));
    }

    [Test]
    public void OptimizersRejectBadArguments()
    {
        var p = P(1);
        Assert.Throws<ArgumentException>(() => _ = new Sgd(Array.Empty<Tensor>(), 0.1));
        Assert.Throws<ArgumentOutOfRangeException>(() => _ = new Sgd([p], -1));
        Assert.Throws<ArgumentException>(() => _ = new Sgd([p], 0.1, nesterov: true));
        Assert.Throws<ArgumentOutOfRangeException>(() => _ = new Adam([p], beta1: 1));
        Assert.Throws<ArgumentException>(() => _ = new Sgd([p * 2.0], 0.1));
    }

    [Test]
    public void ClipGradNormScalesByTheGlobalNorm()
    {
        var a = P(0, 0);
        var b = P(0);
        SetGrad(a, 3, 0);
        SetGrad(b, 4);
        double norm = GradientClipping.ClipGradNorm([a, b], 1.0);
        Assert.That(norm, Is.EqualTo(5).Within(1e-12));
        Assert.That(a.Grad!.ToArray<double>(), Is.EqualTo(new[] { 0.6, 0 }).Within(1e-6));
        Assert.That(b.Grad!.Item<double>(), Is.EqualTo(0.8).Within(1e-6));
        Assert.That(GradientClipping.ClipGradNorm([a, b], 10), Is.EqualTo(1).Within(1e-5));
        Assert.That(b.Grad!.Item<double>(), Is.EqualTo(0.8).Within(1e-6), "below the limit nothing changes");
        GradientClipping.ClipGradValue([a], 0.5);
        Assert.That(a.Grad!.ToArray<double>(), Is.EqualTo(new[] { 0.5, 0 }).Within(1e-12));
    }

    [Test]
    public void StepAndCosineSchedules()
    {
        using var opt = new Sgd([P(1)], 1.0);
        var step = new StepLR(opt, stepSize: 2, gamma: 0.5);
        var seen = new List<double>();
        for (int e = 0; e < 5; e++) { seen.Add(opt.LearningRate); step.Step(); }
        Assert.That(seen, Is.EqualTo(new[] { 1, 1, 0.5, 0.5, 0.25 }));

        using var opt2 = new Sgd([P(1)], 1.0);
        var cosine = new CosineAnnealingLR(opt2, tMax: 4, minLearningRate: 0.1);
        Assert.That(cosine.LearningRateAt(0), Is.EqualTo(1));
        Assert.That(cosine.LearningRateAt(2), Is.EqualTo(0.55).Within(1e-15));
        Assert.That(cosine.LearningRateAt(4), Is.EqualTo(0.1));
        Assert.That(cosine.LearningRateAt(9), Is.EqualTo(0.1));
        cosine.Step();
        Assert.That(opt2.LearningRate, Is.EqualTo(0.1 + 0.9 * (1 + Math.Cos(Math.PI / 4)) / 2).Within(1e-15));
    }

    [Test]
    public void TrainingAModuleReducesTheLoss()
    {
        var g = new Generator(3);
        using var model = new Sequential(new Linear(2, 16, generator: g), new ReLU(), new Linear(16, 1, generator: g));
        using var opt = new AdamW(model.Parameters(), 0.02);
        var x = Tensor.Randn([64, 2], DType.Float32, new Generator(4));
        var y = (x.Narrow(1, 0, 1) * 2.0 - x.Narrow(1, 1, 1)).Detach();
        double first = 0, last = 0;
        for (int i = 0; i < 100; i++)
        {
            using var scope = TensorScope.Begin();
            opt.ZeroGrad();
            var loss = Loss.Mse(model.Forward(x), y);
            loss.Backward();
            opt.Step();
            if (i == 0) first = loss.Item<float>();
            last = loss.Item<float>();
        }
        Assert.That(last, Is.LessThan(first * 0.05));
    }
}

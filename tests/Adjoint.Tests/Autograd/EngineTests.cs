using NUnit.Framework;

namespace Adjoint.Tests.Differentiation;

/// <summary>Behaviour of the engine: modes, graph retention, versions, hooks, anomaly mode, custom functions.</summary>
[TestFixture]
public class EngineTests
{
    private static Tensor Leaf(params double[] v) => Tensor.FromArray(v).SetRequiresGrad();

    [Test]
    public void GradAccumulatesAcrossBackwardCallsUntilZeroGrad()
    {
        var x = Leaf(1, 2);
        (x * 3.0).Sum().Backward();
        (x * 3.0).Sum().Backward();
        Assert.That(x.Grad!.ToArray<double>(), Is.EqualTo(new double[] { 6, 6 }));
        x.ZeroGrad();
        (x * x).Sum().Backward();
        Assert.That(x.Grad!.ToArray<double>(), Is.EqualTo(new double[] { 2, 4 }));
    }

    [Test]
    public void GradFnIsInspectable()
    {
        var x = Leaf(1, 2);
        var y = (x.Exp() * x).Sum();
        Assert.That(y.GradFn!.Name, Is.EqualTo("Sum"));
        var mul = y.GradFn.Inputs.Single()!;
        Assert.That(mul.Name, Is.EqualTo("Mul"));
        Assert.That(mul.Inputs.Select(n => n!.Name), Is.EqualTo(new[] { "Exp", "AccumulateGrad" }));
        Assert.That(x.IsLeaf && !y.IsLeaf, Is.True);
    }

    [Test]
    public void NonScalarBackwardWithoutGradientIsAClearError()
    {
        var y = Leaf(1, 2) * 2.0;
        var ex = Assert.Throws<ArgumentException>(() => y.Backward());
        Assert.That(ex!.Message, Does.Contain("one-element outputs").And.Contain("[2]"));
    }

    [Test]
    public void SecondBackwardThroughFreedGraphNamesRetainGraph()
    {
        var x = Leaf(1, 2);
        var y = (x.Exp()).Sum();
        y.Backward();
        var ex = Assert.Throws<InvalidOperationException>(() => y.Backward());
        Assert.That(ex!.Message, Does.Contain("second time").And.Contain("retainGraph"));
    }

    [Test]
    public void RetainGraphAllowsBackwardTwice()
    {
        var x = Leaf(1, 2);
        var y = x.Exp().Sum();
        y.Backward(retainGraph: true);
        y.Backward();
        Assert.That(x.Grad!.ToArray<double>(), Is.EqualTo(new[] { 2 * Math.E, 2 * Math.Exp(2) }).Within(1e-14));
    }

    [Test]
    public void CreateGraphGivesDoubleBackward()
    {
        var x = Leaf(0.7);
        var y = (x * x * x).Sum();
        var dy = Autograd.Grad(y, x, createGraph: true);
        Assert.That(dy.RequiresGrad, Is.True);
        var d2y = Autograd.Grad(dy.Sum(), x);
        Assert.That(d2y.Item<double>(), Is.EqualTo(6 * 0.7).Within(1e-15));
    }

    [Test]
    public void AutogradGradDoesNotTouchGradAndHandlesUnusedInputs()
    {
        var x = Leaf(1, 2);
        var unused = Leaf(5);
        var y = (x * x).Sum();
        var ex = Assert.Throws<InvalidOperationException>(() => Autograd.Grad([y], [x, unused], retainGraph: true));
        Assert.That(ex!.Message, Does.Contain("input 1").And.Contain("allowUnused"));
        var g = Autograd.Grad([y], [x, unused], retainGraph: true, allowUnused: true);
        Assert.That(g[1], Is.Null);
        var m = Autograd.Grad([y], [x, unused], materializeGrads: true);
        Assert.That(m[1]!.ToArray<double>(), Is.EqualTo(new double[] { 0 }));
        Assert.That(x.Grad, Is.Null);
    }

    [Test]
    public void GradWithRespectToIntermediate()
    {
        var x = Leaf(1, 2);
        var h = x * 3.0;
        var y = (h * h).Sum();
        var g = Autograd.Grad(y, h);
        Assert.That(g.ToArray<double>(), Is.EqualTo(new double[] { 6, 12 }));
    }

    [Test]
    public void NoGradRecordsNothingAndNests()
    {
        var x = Leaf(1);
        using (Autograd.NoGrad())
        {
            Assert.That((x * 2.0).RequiresGrad, Is.False);
            using (Autograd.EnableGrad())
                Assert.That((x * 2.0).RequiresGrad, Is.True);
            Assert.That(Autograd.IsGradEnabled, Is.False);
        }
        Assert.That(Autograd.IsGradEnabled, Is.True);
    }

    [Test]
    public void GradModeIsPerThread()
    {
        using var _ = Autograd.NoGrad();
        bool other = false;
        var t = new Thread(() => other = Autograd.IsGradEnabled);
        t.Start();
        t.Join();
        Assert.That(other, Is.True);
        Assert.That(Autograd.IsGradEnabled, Is.False);
    }

    [Test]
    public void InferenceTensorsCannotEnterTheGraph()
    {
        Tensor t;
        using (Autograd.InferenceMode()) t = Tensor.Ones([2], DType.Float64) * 2.0;
        Assert.That(t.IsInference, Is.True);
        var w = Leaf(1, 1);
        var ex = Assert.Throws<InvalidOperationException>(() => _ = t * w);
        Assert.That(ex!.Message, Does.Contain("inference tensor"));
    }

    [Test]
    public void GreyNodesAreNotRecorded()
    {
        var a = Tensor.FromArray(new double[] { 1, 2 });
        var b = a.Exp() * 2.0;
        Assert.That(b.GradFn, Is.Null);
        Assert.That(b.RequiresGrad, Is.False);
    }

    [Test]
    public void DetachCutsTheGraphButSharesStorage()
    {
        var x = Leaf(1, 2);
        var y = x * 2.0;
        var d = y.Detach();
        Assert.That(d.RequiresGrad, Is.False);
        Assert.That(d.SharesStorageWith(y), Is.True);
    }

    [Test]
    public void RequiresGradCanOnlyBeSetOnLeaves()
    {
        var y = Leaf(1) * 2.0;
        var ex = Assert.Throws<InvalidOperationException>(() => y.RequiresGrad = false);
        Assert.That(ex!.Message, Does.Contain("leaf").And.Contain("Mul"));
    }

    [Test]
    public void InPlaceChangeOfSavedTensorIsDetected()
    {
        var a = Tensor.FromArray(new double[] { 1, 2, 3 });
        var w = Leaf(1, 1, 1);
        var y = (a * w).Sum();
        a.AddInPlace(Tensor.Ones([3], DType.Float64));
        var ex = Assert.Throws<InvalidOperationException>(() => y.Backward());
        Assert.That(ex!.Message, Does.Contain("Mul").And.Contain("[3]").And.Contain("version 0").And.Contain("version 1"));
    }

    [Test]
    public void InPlaceOnLeafRequiringGradThrowsOutsideNoGrad()
    {
        var w = Leaf(1, 2);
        var ex = Assert.Throws<InvalidOperationException>(() => w.AddInPlace(Tensor.Ones([2], DType.Float64)));
        Assert.That(ex!.Message, Does.Contain("AddInPlace").And.Contain("NoGrad"));
        using (Autograd.NoGrad()) w.AddInPlace(Tensor.Ones([2], DType.Float64));
        Assert.That(w.ToArray<double>(), Is.EqualTo(new double[] { 2, 3 }));
    }

    [Test]
    public void TensorHookCanReplaceTheGradientAndBeRemoved()
    {
        var x = Leaf(1, 2);
        var h = x * 2.0;
        var seen = new List<double[]>();
        using (h.RegisterHook(g => { seen.Add(g.ToArray<double>()); return g * 10.0; }))
        {
            h.Sum().Backward();
        }
        Assert.That(seen.Single(), Is.EqualTo(new double[] { 1, 1 }));
        Assert.That(x.Grad!.ToArray<double>(), Is.EqualTo(new double[] { 20, 20 }));
        x.ZeroGrad();
        (x * 2.0).Sum().Backward();
        Assert.That(x.Grad!.ToArray<double>(), Is.EqualTo(new double[] { 2, 2 }));
    }

    [Test]
    public void LeafHookAndPostAccumulateHook()
    {
        var x = Leaf(3);
        int post = 0;
        using var h1 = x.RegisterHook(g => g * 2.0);
        using var h2 = x.RegisterPostAccumulateGradHook(t => post += (int)t.Grad!.Item<double>());
        (x * 5.0).Sum().Backward();
        Assert.That(x.Grad!.Item<double>(), Is.EqualTo(10));
        Assert.That(post, Is.EqualTo(10));
    }

    [Test]
    public void SavedTensorHooksPackAndUnpack()
    {
        int packed = 0, unpacked = 0;
        var x = Leaf(1, 2);
        Tensor y;
        using (Autograd.SavedTensorHooks(t => { packed++; return t.ToArray<double>(); },
                                         o => { unpacked++; return Tensor.FromArray((double[])o); }))
            y = (x.Exp() * x).Sum();
        y.Backward();
        Assert.That(packed, Is.EqualTo(3)); // Exp saves its output, Mul saves both inputs
        Assert.That(unpacked, Is.EqualTo(3));
        Assert.That(x.Grad!.ToArray<double>(), Is.EqualTo(new[] { 2 * Math.E, 3 * Math.Exp(2) }).Within(1e-14));
    }

    [Test]
    public void AnomalyModeNamesTheOpAndWhereItWasCreated()
    {
        var x = Leaf(0, 1);
        using var _ = Autograd.DetectAnomaly();
        var y = x.Sqrt().Sum(); // d sqrt / dx at 0 is +Inf
        var ex = Assert.Throws<AnomalyException>(() => y.Backward());
        Assert.That(ex!.Message, Does.Contain("Sqrt").And.Contain("non-finite").And.Contain(nameof(AnomalyModeNamesTheOpAndWhereItWasCreated)));
    }

    [Test]
    public void StraightThroughEstimatorPassesGradient()
    {
        var x = Leaf(0.4, 1.6, -2.5);
        var y = new StraightThroughRound().Apply(x);
        Assert.That(y.ToArray<double>(), Is.EqualTo(new double[] { 0, 2, -2 }));
        (y * y).Sum().Backward();
        Assert.That(x.Grad!.ToArray<double>(), Is.EqualTo(new double[] { 0, 4, -4 }));
        Assert.That(y.GradFn!.Name, Is.EqualTo(nameof(StraightThroughRound)));
    }

    private sealed class CubeDifferentiable : CustomFunction
    {
        protected override Tensor[] Forward(FunctionContext ctx, Tensor[] inputs)
        {
            ctx.SaveForBackward(inputs[0]);
            return [inputs[0] * inputs[0] * inputs[0]];
        }

        protected override Tensor?[] Backward(FunctionContext ctx, Tensor[] g)
        {
            var x = ctx.SavedTensors[0];
            return [g[0] * x * x * 3.0];
        }
    }

    private sealed class CubeThroughArrays : CustomFunction
    {
        protected override Tensor[] Forward(FunctionContext ctx, Tensor[] inputs)
        {
            ctx.SaveForBackward(inputs[0]);
            return [inputs[0] * inputs[0] * inputs[0]];
        }

        protected override Tensor?[] Backward(FunctionContext ctx, Tensor[] g)
        {
            var x = ctx.SavedTensors[0].ToArray<double>();
            var gv = g[0].ToArray<double>();
            return [Tensor.FromArray(x.Select((v, i) => 3 * v * v * gv[i]).ToArray())];
        }
    }

    [Test]
    public void CustomFunctionDoubleBackwardWorksWhenBackwardIsDifferentiable()
    {
        var x = Leaf(0.5, -1.5);
        var y = new CubeDifferentiable().Apply(x).Sum();
        var g = Autograd.Grad(y, x, createGraph: true);
        var gg = Autograd.Grad(g.Sum(), x);
        Assert.That(gg.ToArray<double>(), Is.EqualTo(new[] { 3.0, -9.0 }).Within(1e-14));
        Assert.That(Gradcheck.Check(t => new CubeDifferentiable().Apply(t[0]), [Leaf(0.3, 1.1)]).Passed, Is.True);
    }

    [Test]
    public void CustomFunctionDoubleBackwardThrowsWhenBackwardLeavesTheGraph()
    {
        var x = Leaf(0.5, -1.5);
        var y = new CubeThroughArrays().Apply(x).Sum();
        var g = Autograd.Grad(y, x, createGraph: true);
        Assert.That(g.ToArray<double>(), Is.EqualTo(new[] { 0.75, 6.75 }).Within(1e-14));
        var ex = Assert.Throws<InvalidOperationException>(() => Autograd.Grad(g.Sum(), x));
        Assert.That(ex!.Message, Does.Contain("CubeThroughArrays").And.Contain("not differentiable"));
    }

    private sealed class SplitWithIndex : CustomFunction
    {
        protected override Tensor[] Forward(FunctionContext ctx, Tensor[] inputs)
        {
            var index = Tensor.Arange(0, inputs[0].Size(0), 1, DType.Float64);
            ctx.MarkNonDifferentiable(index);
            Assert.That(ctx.NeedsInputGrad(0), Is.True);
            return [inputs[0] * 2.0, index];
        }

        protected override Tensor?[] Backward(FunctionContext ctx, Tensor[] g) => [g[0] * 2.0];
    }

    [Test]
    public void CustomFunctionNonDifferentiableOutputsHaveNoGradFn()
    {
        var x = Leaf(1, 2, 3);
        var outs = new SplitWithIndex().ApplyMany(x);
        Assert.That(outs[0].RequiresGrad, Is.True);
        Assert.That(outs[1].RequiresGrad, Is.False);
        outs[0].Sum().Backward();
        Assert.That(x.Grad!.ToArray<double>(), Is.EqualTo(new double[] { 2, 2, 2 }));
    }

    [Test]
    public void CustomFunctionWithoutJvpFailsClearlyInForwardMode()
    {
        using var _ = ForwardAD.Level();
        var x = ForwardAD.MakeDual(Tensor.FromArray(new double[] { 1 }), Tensor.FromArray(new double[] { 1 }));
        var ex = Assert.Throws<NotSupportedException>(() => new CubeDifferentiable().Apply(x));
        Assert.That(ex!.Message, Does.Contain("CubeDifferentiable").And.Contain("Jvp"));
    }

    [Test]
    public void GradcheckReportsWhereItFails()
    {
        var wrong = new CubeWrongGradient();
        var ex = Assert.Throws<GradcheckException>(() => Gradcheck.Check(t => wrong.Apply(t[0]), [Leaf(0.5, 2.0)]));
        Assert.That(ex!.Result.Passed, Is.False);
        Assert.That(ex.Result.InputIndex, Is.EqualTo(0));
        Assert.That(ex.Message, Does.Contain("FAILED").And.Contain("analytical").And.Contain("numerical"));
        var fast = Gradcheck.Check(t => wrong.Apply(t[0]), [Leaf(0.5, 2.0)], fastMode: true, raiseException: false);
        Assert.That(fast.Passed, Is.False);
    }

    private sealed class CubeWrongGradient : CustomFunction
    {
        protected override Tensor[] Forward(FunctionContext ctx, Tensor[] inputs)
        {
            ctx.SaveForBackward(inputs[0]);
            return [inputs[0] * inputs[0] * inputs[0]];
        }

        protected override Tensor?[] Backward(FunctionContext ctx, Tensor[] g) => [g[0] * ctx.SavedTensors[0] * 3.0];
    }

    [Test]
    public void GradcheckRequiresFloat64()
    {
        var x = Tensor.FromArray(new float[] { 1 }).SetRequiresGrad();
        var ex = Assert.Throws<ArgumentException>(() => Gradcheck.Check(t => t[0] * 2.0, [x]));
        Assert.That(ex!.Message, Does.Contain("Float64"));
    }

    [Test]
    public void LossesAreStableForExtremeLogits()
    {
        var logits = Tensor.FromArray(new double[] { 1000, -1000, 0, 800 }, 2, 2).SetRequiresGrad();
        var ce = Loss.CrossEntropy(logits, [1, 1]);
        Assert.That(double.IsFinite(ce.Item<double>()), Is.True);
        Assert.That(ce.Item<double>(), Is.EqualTo((2000 + 0) / 2.0).Within(1e-9)); // row 0: 1000 − (−1000); row 1: 800 − 800
        var bce = Loss.BinaryCrossEntropyWithLogits(Tensor.FromArray(new double[] { 500, -500 }), Tensor.FromArray(new double[] { 0, 1 }));
        Assert.That(bce.Item<double>(), Is.EqualTo(500).Within(1e-9));
        Assert.That(Gradcheck.Check(t => Loss.CrossEntropy(t[0], [0, 2, 1]), [DerivativeCases.U(-3, 3, 3, 3)]).Passed, Is.True);
        Assert.That(Gradcheck.Check(t => Loss.BinaryCrossEntropyWithLogits(t[0], t[1]), [DerivativeCases.U(-3, 3, 4), DerivativeCases.U(0, 1, 4)]).Passed, Is.True);
        Assert.That(Gradcheck.Check(t => Loss.Mse(t[0], t[1]), [DerivativeCases.U(-3, 3, 4), DerivativeCases.U(0, 1, 4)]).Passed, Is.True);
    }
}

using Adjoint.NN;
using NUnit.Framework;

namespace Adjoint.Tests.NN;

[TestFixture]
public class ModuleTests
{
    private sealed class TwoLayer : Module
    {
        public TwoLayer(DType dtype = DType.Float64, ulong seed = 1)
        {
            var g = new Generator(seed);
            Hidden = RegisterModule("hidden", new Linear(3, 4, dtype: dtype, generator: g));
            Norm = RegisterModule("norm", new LayerNorm(4, dtype: dtype));
            Out = RegisterModule("out", new Linear(4, 2, dtype: dtype, generator: g));
            Scale = RegisterBuffer("scale", Tensor.Full([2], 2.0, dtype));
        }

        public Linear Hidden { get; }
        public LayerNorm Norm { get; }
        public Linear Out { get; }
        public Tensor Scale { get; }

        public override Tensor Forward(Tensor input) => Out.Forward(GELU.Apply(Norm.Forward(Hidden.Forward(input)))) * Scale;
    }

    [Test]
    public void NamedParametersFollowRegistrationOrderWithDottedNames()
    {
        using var m = new TwoLayer();
        Assert.That(m.NamedParameters().Select(p => p.Name),
            Is.EqualTo(new[] { "hidden.weight", "hidden.bias", "norm.weight", "norm.bias", "out.weight", "out.bias" }));
        Assert.That(m.NamedBuffers().Select(b => b.Name), Is.EqualTo(new[] { "scale" }));
        Assert.That(m.ParameterCount, Is.EqualTo(3 * 4 + 4 + 4 + 4 + 4 * 2 + 2));
        Assert.That(m.Parameters().All(p => p.RequiresGrad && p.Value.IsLeaf), Is.True);
        Assert.That(m.ToString(), Does.Contain("Linear(3 → 4)"));
    }

    [Test]
    public void LinearComputesXWTransposedPlusB()
    {
        using var lin = new Linear(2, 3, dtype: DType.Float64);
        using (Autograd.NoGrad())
        {
            lin.Weight.Value.CopyFrom(Tensor.FromArray(new double[] { 1, 2, 3, 4, 5, 6 }, 3, 2));
            lin.Bias!.Value.CopyFrom(Tensor.FromArray(new double[] { 0.5, -1, 2 }, 3));
        }
        var y = lin.Forward(Tensor.FromArray(new double[] { 1, -1, 2, 0.5 }, 2, 2));
        Assert.That(y.ToArray<double>(), Is.EqualTo(new double[] { -0.5, -2, 1, 3.5, 7, 15 }));
    }

    [Test]
    public void ModuleGradientsPassGradcheck()
    {
        using var m = new TwoLayer();
        var x = Tensor.Randn([5, 3], DType.Float64, new Generator(9)).SetRequiresGrad();
        var result = Gradcheck.Check(i => m.Forward(i[0]).Tanh().Sum(), [x], atol: 1e-6, rtol: 1e-5);
        Assert.That(result.Passed, Is.True, "input: " + result);
        double worst = ParameterGradcheck(() => m.Forward(x).Tanh().Sum(), m.Parameters().Select(p => p.Value).ToArray());
        Assert.That(worst, Is.LessThan(1e-6));
    }

    /// <summary>
    /// Central differences with respect to parameters, which the module reads itself (Gradcheck.Check copies its
    /// inputs, so it cannot perturb a module's weights): each element is perturbed in place under no-grad.
    /// Returns the largest |analytical − numerical| / max(1, |numerical|).
    /// </summary>
    internal static double ParameterGradcheck(Func<Tensor> loss, Tensor[] parameters, double eps = 1e-6)
    {
        var analytical = global::Adjoint.Autograd.Grad([loss()], parameters).Select(g => g!.ToArray<double>()).ToArray();
        double worst = 0;
        for (int k = 0; k < parameters.Length; k++)
        {
            var flat = parameters[k].Detach().Reshape(-1);
            var values = flat.ToArray<double>();
            for (int j = 0; j < values.Length; j++)
            {
                double Eval(double v)
                {
                    using (global::Adjoint.Autograd.NoGrad())
                    {
                        flat.Narrow(0, j, 1).FillInPlace(v);
                        return loss().Item<double>();
                    }
                }
                double numerical = (Eval(values[j] + eps) - Eval(values[j] - eps)) / (2 * eps);
                Eval(values[j]);
                worst = Math.Max(worst, Math.Abs(analytical[k][j] - numerical) / Math.Max(1, Math.Abs(numerical)));
            }
        }
        return worst;
    }

    [Test]
    public void LinearForwardModeMatchesTheComposedOps()
    {
        var g = new Generator(6);
        var x = Tensor.Randn([4, 3], DType.Float64, g);
        var w = Tensor.Randn([2, 3], DType.Float64, g);
        var b = Tensor.Randn([2], DType.Float64, g);
        var tx = Tensor.Randn([4, 3], DType.Float64, g);
        var tw = Tensor.Randn([2, 3], DType.Float64, g);
        var tb = Tensor.Randn([2], DType.Float64, g);
        double[] Jvp(Func<Tensor, Tensor, Tensor, Tensor> f)
        {
            using (ForwardAD.Level())
                return ForwardAD.Unpack(f(ForwardAD.MakeDual(x, tx), ForwardAD.MakeDual(w, tw), ForwardAD.MakeDual(b, tb))).Tangent!.ToArray<double>();
        }
        var fused = Jvp((xi, wi, bi) => Linear.Apply(xi, wi, bi));
        var composed = Jvp((xi, wi, bi) => xi.MatMul(wi.Transpose(0, 1)) + bi);
        Assert.That(fused, Is.EqualTo(composed).Within(1e-12));
        Assert.That(Linear.Apply(x, w, b).ToArray<double>(), Is.EqualTo((x.MatMul(w.Transpose(0, 1)) + b).ToArray<double>()).Within(1e-12));
    }

    [Test]
    public void LinearAcceptsLeadingBatchDimensions()
    {
        using var lin = new Linear(3, 2, dtype: DType.Float64, generator: new Generator(8));
        var x = Tensor.Randn([2, 4, 3], DType.Float64, new Generator(9)).SetRequiresGrad();
        var result = Gradcheck.Check(i => lin.Forward(i[0]), [x]);
        Assert.That(result.Passed, Is.True, result.ToString());
        lin.Forward(x).Sum().Backward();
        Assert.That(lin.Weight.Grad!.ToArray<double>(), Is.EqualTo(x.Detach().Reshape(8, 3).Sum(0).Unsqueeze(0).Expand(2, 3).ToArray<double>()).Within(1e-12));
        Assert.That(lin.Bias!.Grad!.ToArray<double>(), Is.EqualTo(new double[] { 8, 8 }));
        Assert.Throws<TensorShapeException>(() => lin.Forward(Tensor.Ones([2, 4], DType.Float64)));
    }

    [Test]
    public void SecondOrderThroughMlpPassesGradcheck()
    {
        var g = new Generator(4);
        using var mlp = new Sequential(new Linear(3, 5, dtype: DType.Float64, generator: g), new Tanh(),
                                       new Linear(5, 2, dtype: DType.Float64, generator: g), new Softplus());
        var x = Tensor.Randn([4, 3], DType.Float64, new Generator(5)).SetRequiresGrad();
        var result = Gradcheck.CheckSecondOrder(i => mlp.Forward(i[0]).Sum(), [x], atol: 1e-5, rtol: 1e-4);
        Assert.That(result.Passed, Is.True, result.ToString());
    }

    [TestCase("relu")]
    [TestCase("tanh")]
    [TestCase("sigmoid")]
    [TestCase("gelu")]
    [TestCase("softplus")]
    public void ActivationsPassGradcheck(string name)
    {
        Module act = name switch
        {
            "relu" => new ReLU(),
            "tanh" => new Tanh(),
            "sigmoid" => new Sigmoid(),
            "gelu" => new GELU(),
            _ => new Softplus(),
        };
        // Away from relu's kink at 0.
        var x = (Tensor.Rand([3, 4], DType.Float64, new Generator(2)) * 3.0 + 0.1).Detach();
        x = (x * Tensor.FromArray(new double[] { 1, -1, 1, -1 }, 4)).Detach().SetRequiresGrad();
        var result = Gradcheck.Check(i => act.Forward(i[0]), [x]);
        Assert.That(result.Passed, Is.True, result.ToString());
    }

    [Test]
    public void GeluIsCloseToExactGelu()
    {
        var x = Tensor.Linspace(-4, 4, 81, DType.Float64);
        var y = GELU.Apply(x).ToArray<double>();
        var xs = x.ToArray<double>();
        for (int i = 0; i < xs.Length; i++)
        {
            double exact = 0.5 * xs[i] * (1 + Erf(xs[i] / Math.Sqrt(2)));
            Assert.That(y[i], Is.EqualTo(exact).Within(1e-3), $"x = {xs[i]}");
        }
    }

    // Abramowitz–Stegun 7.1.26 (|error| < 1.5e-7), enough to compare with the tanh approximation.
    private static double Erf(double x)
    {
        double t = 1 / (1 + 0.3275911 * Math.Abs(x));
        double y = 1 - (((((1.061405429 * t - 1.453152027) * t) + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.Exp(-x * x);
        return Math.Sign(x) * y;
    }

    [Test]
    public void LayerNormNormalizesRows()
    {
        using var ln = new LayerNorm(5, dtype: DType.Float64);
        var y = ln.Forward(Tensor.Randn([3, 5], DType.Float64, new Generator(3)) * 4.0 + 7.0);
        var mean = y.Mean(1).ToArray<double>();
        var variance = (y * y).Mean(1).ToArray<double>();
        Assert.That(mean, Is.All.EqualTo(0).Within(1e-12));
        Assert.That(variance, Is.All.EqualTo(1).Within(1e-4));
    }

    [Test]
    public void EmbeddingLooksUpRowsAndAccumulatesRepeatedGradients()
    {
        using var emb = new Embedding(4, 2, DType.Float64, new Generator(1));
        var rows = emb.Forward(Tensor.FromArray(new double[] { 1, 3, 1 }, 3));
        Assert.That(rows.Shape.ToArray(), Is.EqualTo(new[] { 3, 2 }));
        rows.Sum().Backward();
        Assert.That(emb.Weight.Grad!.ToArray<double>(), Is.EqualTo(new double[] { 0, 0, 2, 2, 0, 0, 1, 1 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => emb.Forward([4]));
    }

    [Test]
    public void TrainAndEvalPropagateAndSwitchDropout()
    {
        var dropout = new Dropout(0.5, new Generator(1));
        using var seq = new Sequential(new Linear(2, 2), dropout);
        seq.Eval();
        Assert.That(dropout.IsTraining, Is.False);
        var x = Tensor.Ones([4, 2]);
        Assert.That(dropout.Forward(x).ToArray<float>(), Is.All.EqualTo(1f));
        seq.Train();
        Assert.That(dropout.IsTraining, Is.True);
        var y = dropout.Forward(Tensor.Ones([1000])).ToArray<float>();
        Assert.That(y, Is.All.EqualTo(0f).Or.EqualTo(2f));
        Assert.That(y.Count(v => v == 0), Is.InRange(400, 600));
    }

    [Test]
    public void DropoutReplaysItsMaskFromTheGeneratorState()
    {
        var g = new Generator(42);
        var dropout = new Dropout(0.3, g);
        var x = Tensor.Ones([64]);
        var state = g.GetState();
        var first = dropout.Forward(x).ToArray<float>();
        g.SetState(state);
        Assert.That(dropout.Forward(x).ToArray<float>(), Is.EqualTo(first));
    }

    [Test]
    public void CheckpointedSequentialWithDropoutMatchesPlainGradients()
    {
        Tensor[] Grads(CheckpointPolicy policy)
        {
            var g = new Generator(11);
            var layers = new List<Module>();
            for (int i = 0; i < 6; i++)
            {
                layers.Add(new Linear(4, 4, dtype: DType.Float64, generator: new Generator((ulong)i + 1)));
                layers.Add(new Tanh());
                layers.Add(new Dropout(0.2, g));
            }
            using var seq = new Sequential(policy, [.. layers]);
            var x = Tensor.Randn([3, 4], DType.Float64, new Generator(7));
            seq.Forward(x).Sum().Backward();
            return seq.Parameters().Select(p => p.Grad!.Clone()).ToArray();
        }
        var plain = Grads(CheckpointPolicy.None);
        foreach (var policy in new[] { CheckpointPolicy.SqrtN, CheckpointPolicy.EveryK(2), CheckpointPolicy.Binomial(3) })
        {
            var ck = Grads(policy);
            for (int i = 0; i < plain.Length; i++)
                Assert.That(ck[i].ToArray<double>(), Is.EqualTo(plain[i].ToArray<double>()), $"{policy}: parameter {i}");
        }
    }

    [Test]
    public void CheckpointedSequentialSavesWhatThePlanSaysAndReleasesIt()
    {
        var g = new Generator(12);
        using var model = new Sequential(new Linear(2, 32, generator: g), new Tanh(), new Linear(32, 32, generator: g), new Tanh(),
                                         new Linear(32, 32, generator: g), new Tanh(), new Linear(32, 2, generator: g));
        var x = Tensor.Randn([200, 2], DType.Float32, new Generator(13));
        var y = Enumerable.Range(0, 200).Select(i => i % 2).ToArray();
        foreach (var policy in new[] { CheckpointPolicy.None, CheckpointPolicy.Binomial(2), CheckpointPolicy.SqrtN, CheckpointPolicy.Binomial(2) })
        {
            using var scope = TensorScope.Begin();
            model.Policy = policy;
            model.ZeroGrad();
            long before = MemoryStats.SavedBytes;
            MemoryStats.ResetPeak();
            var logits = model.Forward(x);
            long lossBytes = 200 * 2 * 4 + 200 * 4; // what the loss itself saves at most (log-softmax output, picked values)
            Loss.CrossEntropy(logits, y).Backward();
            long plan = model.Plan(x, policy).PredictedPeakSavedBytes;
            Assert.That(MemoryStats.PeakSavedBytes - before, Is.InRange(plan, plan + lossBytes), policy.ToString());
            Assert.That(MemoryStats.SavedBytes, Is.EqualTo(before), $"{policy}: saved tensors released after backward");
        }
    }

    [Test]
    public void ZeroGradClearsEveryParameter()
    {
        using var m = new TwoLayer();
        m.Forward(Tensor.Ones([2, 3], DType.Float64)).Sum().Backward();
        Assert.That(m.Parameters().All(p => p.Grad is not null), Is.True);
        m.ZeroGrad();
        Assert.That(m.Parameters().All(p => p.Grad is null), Is.True);
    }

    [Test]
    public void StateDictRoundTripsAndMismatchLeavesModelUnchanged()
    {
        using var a = new TwoLayer(seed: 1);
        using var b = new TwoLayer(seed: 2);
        var x = Tensor.Randn([2, 3], DType.Float64, new Generator(3));
        Assert.That(b.Forward(x).ToArray<double>(), Is.Not.EqualTo(a.Forward(x).ToArray<double>()));
        b.LoadStateDict(a.StateDict());
        Assert.That(b.Forward(x).ToArray<double>(), Is.EqualTo(a.Forward(x).ToArray<double>()));

        using var c = new TwoLayer(seed: 3);
        var before = c.StateDict().Select(e => e.Value.Clone().ToArray<double>()).ToList();
        var bad = new StateDict();
        foreach (var (name, t) in a.StateDict())
            if (name != "out.bias") bad.Add(name, name == "norm.weight" ? Tensor.Ones([5], DType.Float64) : t);
        bad.Add("extra", Tensor.Ones([1], DType.Float64));
        var e = Assert.Throws<StateDictMismatchException>(() => c.LoadStateDict(bad))!;
        Assert.That(e.Message, Does.Contain("missing 'out.bias'").And.Contain("'norm.weight': shape [5]").And.Contain("unexpected 'extra'"));
        var after = c.StateDict().Select(e => e.Value.ToArray<double>()).ToList();
        Assert.That(after, Is.EqualTo(before));
    }

    [Test]
    public void LossModulesMatchTheLossFunctions()
    {
        var logits = Tensor.FromArray(new double[] { 1, 2, 0.5, -1, 0, 3 }, 2, 3);
        Assert.That(new CrossEntropyLoss().Forward(logits, [1, 2]).Item<double>(),
            Is.EqualTo(Loss.CrossEntropy(logits, [1, 2]).Item<double>()));
        var t = Tensor.FromArray(new double[] { 0, 1, 1, 0, 1, 0 }, 2, 3);
        Assert.That(new BceWithLogitsLoss().Forward(logits, t).Item<double>(), Is.EqualTo(Loss.BinaryCrossEntropyWithLogits(logits, t).Item<double>()));
        Assert.That(new MseLoss(Reduction.Sum).Forward(logits, t).Item<double>(), Is.EqualTo(Loss.Mse(logits, t, Reduction.Sum).Item<double>()));
    }

    [Test]
    public void InitializersHaveTheirDocumentedScale()
    {
        var w = Tensor.Empty([200, 300], DType.Float64);
        Init.XavierUniform(w, generator: new Generator(1));
        double a = Math.Sqrt(6.0 / 500);
        var values = w.ToArray<double>();
        Assert.That(values.Max(), Is.LessThanOrEqualTo(a));
        Assert.That(values.Min(), Is.GreaterThanOrEqualTo(-a));
        Assert.That(Std(values), Is.EqualTo(a / Math.Sqrt(3)).Within(0.02 * a));

        Init.KaimingNormal(w, generator: new Generator(2));
        Assert.That(Std(w.ToArray<double>()), Is.EqualTo(Math.Sqrt(2.0 / 300)).Within(0.02 * Math.Sqrt(2.0 / 300)));
        Init.KaimingUniform(w, mode: FanMode.FanOut, generator: new Generator(3));
        Assert.That(w.ToArray<double>().Max(), Is.LessThanOrEqualTo(Math.Sqrt(6.0 / 200)));
        Init.XavierNormal(w, generator: new Generator(4));
        Assert.That(Std(w.ToArray<double>()), Is.EqualTo(Math.Sqrt(2.0 / 500)).Within(0.02 * Math.Sqrt(2.0 / 500)));
    }

    private static double Std(double[] v)
    {
        double mean = v.Average();
        return Math.Sqrt(v.Sum(x => (x - mean) * (x - mean)) / v.Length);
    }
}

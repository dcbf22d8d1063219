using NUnit.Framework;

namespace Adjoint.Tests.Differentiation;

/// <summary>The functional transforms on functions with known closed-form derivatives.</summary>
[TestFixture]
public class FunctionalTests
{
    private static Tensor V(params double[] v) => Tensor.FromArray(v);

    private static Tensor CubicPlusSquare(Tensor x) => x.Select(0, 0).Pow(3) + x.Select(0, 1).Pow(2);

    [Test]
    public void HessianOfCubicPlusSquare()
    {
        var h = Functional.Hessian(CubicPlusSquare, V(1, 2));
        Assert.That(h.Shape.ToArray(), Is.EqualTo(new[] { 2, 2 }));
        Assert.That(h.ToArray<double>(), Is.EqualTo(new double[] { 6, 0, 0, 2 }).Within(1e-12));
    }

    [Test]
    public void HvpEqualsHessianTimesVector()
    {
        Func<Tensor, Tensor> f = x => (x.Sin() * x.Exp()).Sum() + (x * x).Prod();
        var x0 = V(0.3, -0.7, 1.1);
        var v = V(0.5, 2, -1);
        var hv = Functional.Hvp(f, x0, v);
        var h = Functional.Hessian(f, x0);
        Assert.That(hv.ToArray<double>(), Is.EqualTo(h.MatMul(v).ToArray<double>()).Within(1e-12));
    }

    // A small MLP loss whose weight gradients go straight to leaves: the case Hvp evaluates tangent-only
    // (Note [Tangent-only gradients]). Batch 3 and widths 8-10-12: the second weight's tangent ḣᵀ·g + hᵀ·ġ takes
    // the joined-operand product (10·12 > 3·(10 + 12)); the first has no ḣ (the input is data).
    private static Tensor MlpInput => Tensor.Randn([3, 8], DType.Float64, new Generator(31));

    private static Tensor MlpLoss(Tensor[] p)
    {
        var h = (MlpInput.MatMul(p[0]) + p[1]).Tanh();
        var logits = h.MatMul(p[2]) + p[3];
        return (logits * logits).Mean() + logits.LogSoftmax(1).Sum() * 0.1;
    }

    private static Tensor[] MlpParameters(ulong seed) =>
        [Tensor.Randn([8, 10], DType.Float64, new Generator(seed)) * 0.5, Tensor.Randn([10], DType.Float64, new Generator(seed + 1)),
         Tensor.Randn([10, 12], DType.Float64, new Generator(seed + 2)) * 0.5, Tensor.Randn([12], DType.Float64, new Generator(seed + 3))];

    [Test]
    public void HvpOfAnMlpLossMatchesFiniteDifferencesOfItsGradient()
    {
        var p = MlpParameters(40);
        var v = MlpParameters(50);
        var hv = Functional.Hvp(MlpLoss, p, v);
        const double eps = 1e-6;
        var plus = Functional.Grad(MlpLoss)(p.Select((t, i) => t + v[i] * eps).ToArray());
        var minus = Functional.Grad(MlpLoss)(p.Select((t, i) => t - v[i] * eps).ToArray());
        for (int i = 0; i < p.Length; i++)
        {
            var numeric = ((plus[i] - minus[i]) / (2 * eps)).ToArray<double>();
            Assert.That(hv[i].Contiguous().ToArray<double>(), Is.EqualTo(numeric).Within(1e-7), $"parameter {i}");
        }
    }

    [Test]
    public void HvpOfAnMlpLossEqualsTheHessianOfTheFlatParametersTimesV()
    {
        // The flat form reaches the weights through Narrow/Reshape, so its backward forms every primal gradient:
        // an independent path to compare the tangent-only one with.
        var p = MlpParameters(60);
        var v = MlpParameters(70);
        var sizes = p.Select(t => (int)t.NumElements).ToArray();
        Tensor[] Split(Tensor flat)
        {
            var parts = new Tensor[p.Length];
            for (int i = 0, at = 0; i < p.Length; at += sizes[i], i++) parts[i] = flat.Narrow(0, at, sizes[i]).Reshape(p[i].ShapeArray);
            return parts;
        }
        var flatP = Tensor.Concat(p.Select(t => t.Flatten()).ToArray());
        var flatV = Tensor.Concat(v.Select(t => t.Flatten()).ToArray());
        var h = Functional.Hessian(x => MlpLoss(Split(x)), flatP);
        var expected = h.MatMul(flatV).ToArray<double>();
        var hv = Tensor.Concat(Functional.Hvp(MlpLoss, p, v).Select(t => t.Flatten()).ToArray()).ToArray<double>();
        Assert.That(hv, Is.EqualTo(expected).Within(1e-12));
        var hvFlat = Functional.Hvp(x => MlpLoss(Split(x)), flatP, flatV).ToArray<double>();
        Assert.That(hvFlat, Is.EqualTo(expected).Within(1e-12));
    }

    [Test]
    public void HessianOfAMatrixArgumentMatchesTheFlatHessian()
    {
        var w = Tensor.Randn([8, 3], DType.Float64, new Generator(80));
        Func<Tensor, Tensor> f = m => (MlpInput.MatMul(m).Tanh() * MlpInput.MatMul(m)).Sum();
        var h = Functional.Hessian(f, w);
        Assert.That(h.ShapeArray, Is.EqualTo(new[] { 8, 3, 8, 3 }));
        var flat = Functional.Hessian(x => f(x.Reshape(8, 3)), w.Flatten());
        Assert.That(h.Contiguous().ToArray<double>(), Is.EqualTo(flat.ToArray<double>()).Within(1e-12));
    }

    [Test]
    public void ForwardOverHvpMatchesFiniteDifferences()
    {
        // Hvp under an outer forward level: the tangent-only products must carry the outer tangents too.
        var p = MlpParameters(90);
        var v = MlpParameters(100);
        var u = MlpParameters(110);
        var (_, third) = Functional.Jvp(xs => Functional.Hvp(MlpLoss, xs, v), p, u);
        const double eps = 1e-5;
        var plus = Functional.Hvp(MlpLoss, p.Select((t, i) => t + u[i] * eps).ToArray(), v);
        var minus = Functional.Hvp(MlpLoss, p.Select((t, i) => t - u[i] * eps).ToArray(), v);
        for (int i = 0; i < p.Length; i++)
        {
            var numeric = ((plus[i] - minus[i]) / (2 * eps)).ToArray<double>();
            Assert.That(third[i].Contiguous().ToArray<double>(), Is.EqualTo(numeric).Within(1e-6), $"parameter {i}");
        }
    }

    [Test]
    public void ReverseOverHvpMatchesFiniteDifferences()
    {
        var v = MlpParameters(120);
        var w = MlpParameters(130);
        var result = Gradcheck.Check(p => Functional.Hvp(MlpLoss, p, v).Select((t, i) => (t * w[i]).Sum()).Aggregate((a, b) => a + b),
                                     MlpParameters(140).Select(t => t.SetRequiresGrad()).ToArray());
        Assert.That(result.Passed, Is.True, result.ToString());
    }

    [Test]
    public void HvpOverSeveralTensorsEqualsHvpOverTheirConcatenation()
    {
        Func<Tensor[], Tensor> f = p => (p[0].Sin() * p[1].Sum()).Sum() + (p[1] * p[1] * p[0].Sum()).Sum();
        var a = V(0.2, -0.5);
        var b = V(0.7, 1.3, -0.4);
        var va = V(1, -2);
        var vb = V(0.5, 0.25, 3);
        var split = Functional.Hvp(f, [a, b], [va, vb]);
        var joined = Functional.Hvp(x => f([x.Narrow(0, 0, 2), x.Narrow(0, 2, 3)]), Tensor.Concat([a, b]), Tensor.Concat([va, vb]));
        Assert.That(Tensor.Concat(split).ToArray<double>(), Is.EqualTo(joined.ToArray<double>()).Within(1e-13));
    }

    [Test]
    public void HessianOfQuadraticIsAtA()
    {
        var a = Tensor.FromArray(new double[] { 1, 2, 0, -1, 3, 1, 2, 0, 1, 0.5, 1, -2 }, 4, 3);
        var b = V(0.1, -0.2, 0.3);
        Func<Tensor, Tensor> f = x =>
        {
            var ax = a.MatMul(x);
            return (ax * ax).Sum() * 0.5 + b.MatMul(x);
        };
        var h = Functional.Hessian(f, V(0.2, 0.4, -0.9));
        var ata = a.T.MatMul(a).Contiguous();
        Assert.That(h.ToArray<double>(), Is.EqualTo(ata.ToArray<double>()).Within(1e-12));
    }

    [Test]
    public void JacobianOfSumAndDifferenceInEveryMode()
    {
        Func<Tensor[], Tensor[]> f = xs => [Tensor.Stack([xs[0] + xs[1], xs[0] - xs[1]])];
        foreach (var mode in new[] { JacobianMode.Auto, JacobianMode.Forward, JacobianMode.Reverse })
        {
            var j = Functional.Jacobian(f, [Tensor.Scalar(2, DType.Float64), Tensor.Scalar(3, DType.Float64)], mode);
            var full = Tensor.Stack([j[0][0], j[0][1]], 1);
            Assert.That(full.ToArray<double>(), Is.EqualTo(new double[] { 1, 1, 1, -1 }), mode.ToString());
        }
    }

    [Test]
    public void AutoJacobianEqualsBothForcedModes()
    {
        var a = Tensor.Randn([5, 3], DType.Float64, new Generator(1));
        Func<Tensor, Tensor> wide = x => a.MatMul(x).Tanh();           // 3 → 5: Auto picks forward
        Func<Tensor, Tensor> narrow = x => a.T.MatMul(x).Sin();         // 5 → 3: Auto picks reverse
        foreach (var (f, x) in new[] { (wide, V(0.1, 0.2, 0.3)), (narrow, V(0.1, 0.2, 0.3, 0.4, 0.5)) })
        {
            var auto = Functional.Jacobian(f, x).ToArray<double>();
            Assert.That(Functional.JacFwd(f, x).ToArray<double>(), Is.EqualTo(auto).Within(1e-13));
            Assert.That(Functional.JacRev(f, x).ToArray<double>(), Is.EqualTo(auto).Within(1e-13));
        }
    }

    [Test]
    public void ValueAndGradWithAux()
    {
        var (value, grad, aux) = Functional.ValueAndGrad<string>(x => ((x * x).Sum(), "aux"))(V(1, 2));
        Assert.That(value.Item<double>(), Is.EqualTo(5));
        Assert.That(grad.ToArray<double>(), Is.EqualTo(new double[] { 2, 4 }));
        Assert.That(aux, Is.EqualTo("aux"));
    }

    [Test]
    public void LinearizeGivesTheJvpAtAFixedPoint()
    {
        var (y, jvp) = Functional.Linearize(x => x.Exp(), V(0, 1));
        Assert.That(y.ToArray<double>(), Is.EqualTo(new[] { 1, Math.E }).Within(1e-15));
        Assert.That(jvp(V(2, 3)).ToArray<double>(), Is.EqualTo(new[] { 2, 3 * Math.E }).Within(1e-14));
    }

    [Test]
    public void VjpBatchedEqualsRowsOfTheJacobian()
    {
        Func<Tensor, Tensor> f = x => x.Exp() * x.Sum();
        var x0 = V(0.1, 0.2, 0.3);
        var (_, rows) = Functional.VjpBatched(f, x0, Tensor.Eye(3, dtype: DType.Float64));
        Assert.That(rows.ToArray<double>(), Is.EqualTo(Functional.JacRev(f, x0).ToArray<double>()).Within(1e-14));
    }

    [Test]
    public void GradientNormPenaltyMatchesFiniteDifferences()
    {
        // d/dw ‖∇ₓL(w, x)‖² by double backward, checked against central differences of the penalty itself.
        var x = V(0.5, -1.0, 2.0);
        Tensor Penalty(Tensor w)
        {
            var xl = x.Detach().SetRequiresGrad();
            var loss = ((xl * w).Tanh() * w).Sum();
            var g = Autograd.Grad(loss, xl, createGraph: true);
            return (g * g).Sum();
        }
        var result = Gradcheck.Check(t => Penalty(t[0]), [V(0.3, 0.8, -0.4).SetRequiresGrad()]);
        Assert.That(result.Passed, Is.True, result.ToString());
    }

    [Test]
    public void MamlMetaGradientMatchesClosedForm()
    {
        // Linear model, squared loss: L(θ) = ½‖Xθ − y‖². Inner step θ′ = θ − α∇L(θ); meta-loss L(θ′).
        // Meta-gradient = (I − α∇²L)ᵀ∇L(θ′) with ∇²L = XᵀX.
        var xData = Tensor.FromArray(new double[] { 1, 2, 0.5, -1, 0.3, 0.7, 2, 0 }, 4, 2);
        var y = V(1, -1, 0.5, 2);
        const double alpha = 0.1;
        Tensor L(Tensor th) { var r = xData.MatMul(th) - y; return (r * r).Sum() * 0.5; }
        var theta = V(0.2, -0.3).SetRequiresGrad();
        var inner = Autograd.Grad(L(theta), theta, createGraph: true);
        var thetaPrime = theta - inner * alpha;
        var meta = Autograd.Grad(L(thetaPrime), theta);

        using var _ = Autograd.NoGrad();
        var xtx = xData.T.MatMul(xData);
        var tp = theta.Detach() - (xData.T.MatMul(xData.MatMul(theta.Detach()) - y)) * alpha;
        var gradAtPrime = xData.T.MatMul(xData.MatMul(tp) - y);
        var expected = (Tensor.Eye(2, dtype: DType.Float64) - xtx * alpha).T.MatMul(gradAtPrime);
        Assert.That(meta.ToArray<double>(), Is.EqualTo(expected.ToArray<double>()).Within(1e-13));
    }
}

using NUnit.Framework;

namespace Adjoint.Tests.Differentiation;

/// <summary>Forward mode, generated from the same table cases as the reverse-mode gradchecks.</summary>
[TestFixture]
public class ForwardModeTests
{
    public static IEnumerable<DerivativeCase> Cases => DerivativeCases.All();

    private static Tensor[] RandomLike(Tensor[] xs, ulong seed) =>
        xs.Select((x, i) => Tensor.Randn(x.Shape.ToArray(), DType.Float64, new Generator(seed + (ulong)i))).ToArray();

    private static double Dot(Tensor a, Tensor b) => (a.Contiguous() * b.Contiguous()).Sum().Item<double>();

    [TestCaseSource(nameof(Cases))]
    public void JvpMatchesCentralDifferences(DerivativeCase c)
    {
        var x = c.Inputs();
        var v = RandomLike(x, 11);
        for (int i = 0; i < x.Length; i++) if (!x[i].RequiresGrad) v[i] = Tensor.ZerosLike(x[i]);
        var (_, tangents) = Functional.Jvp(xs => [c.Apply(xs)], x, v);
        double eps = c.Tolerance.Eps;
        Tensor Shifted(double s)
        {
            using var _ = Autograd.NoGrad();
            return c.Apply(x.Select((xi, i) => (xi.Detach() + v[i] * s).Detach()).ToArray()).To(DType.Float64);
        }
        var numeric = ((Shifted(eps) - Shifted(-eps)) / (2 * eps)).Contiguous().ToArray<double>();
        var analytic = tangents[0].To(DType.Float64).Contiguous().ToArray<double>();
        Assert.That(analytic, Is.EqualTo(numeric).Within(c.Tolerance.Eps == 1e-6 ? 1e-6 : 1e-3), c.Name);
    }

    [TestCaseSource(nameof(Cases))]
    public void ForwardAndReverseAreAdjoint(DerivativeCase c)
    {
        // ⟨w, J·u⟩ = ⟨Jᵀ·w, u⟩ with J·u from forward mode and Jᵀ·w from reverse mode.
        var x = c.Inputs();
        var u = RandomLike(x, 21);
        for (int i = 0; i < x.Length; i++) if (!x[i].RequiresGrad) u[i] = Tensor.ZerosLike(x[i]);
        var (ys, ju) = Functional.Jvp(xs => [c.Apply(xs)], x, u);
        var w = Tensor.Randn(ys[0].Shape.ToArray(), DType.Float64, new Generator(5));
        var (_, pullback) = Functional.Vjp(xs => [c.Apply(xs)], x);
        var jtw = pullback([w]);
        double lhs = Dot(w, ju[0]);
        double rhs = 0;
        for (int i = 0; i < x.Length; i++) rhs += Dot(jtw[i], u[i]);
        double tol = (c.Tolerance.Eps == 1e-6 ? 1e-10 : 1e-6) * Math.Max(1, Math.Abs(rhs)); // float32 round trips: 1e-6
        Assert.That(lhs, Is.EqualTo(rhs).Within(tol), c.Name);
    }

    [TestCaseSource(nameof(Cases))]
    public void BatchedTangentsEqualOneDirectionAtATime(DerivativeCase c)
    {
        var x = c.Inputs();
        int diffIndex = Array.FindIndex(x, t => t.RequiresGrad);
        var batch = Tensor.Randn(new[] { 3 }.Concat(x[diffIndex].Shape.ToArray()).ToArray(), DType.Float64, new Generator(9));
        Tensor F(Tensor xi)
        {
            var args = (Tensor[])x.Clone();
            args[diffIndex] = xi;
            return c.Apply(args);
        }
        var (_, batched) = Functional.JvpBatched(F, x[diffIndex], batch);
        for (int b = 0; b < 3; b++)
        {
            var single = Functional.Jvp(F, x[diffIndex], batch.Select(0, b).Contiguous()).Tangent;
            Assert.That(batched.Select(0, b).Contiguous().ToArray<double>(), Is.EqualTo(single.Contiguous().ToArray<double>()).Within(1e-12), $"{c.Name}, direction {b}");
        }
    }

    [Test]
    public void DualNumbersReproduceAnAnalyticDerivative()
    {
        // d/dx log(sin(x²) + eˣ) = (2x·cos(x²) + eˣ) / (sin(x²) + eˣ)
        double x0 = 1.5;
        var (_, t) = Functional.Jvp(x => (x * x).Sin().Add(x.Exp()).Log(), Tensor.Scalar(x0, DType.Float64), Tensor.Scalar(1, DType.Float64));
        double expected = (2 * x0 * Math.Cos(x0 * x0) + Math.Exp(x0)) / (Math.Sin(x0 * x0) + Math.Exp(x0));
        Assert.That(t.Item<double>(), Is.EqualTo(expected).Within(1e-12));
    }

    [Test]
    public void UnpackWithoutTangentGivesNull()
    {
        using var _ = ForwardAD.Level();
        var (p, t) = ForwardAD.Unpack(Tensor.Ones([2], DType.Float64));
        Assert.That(t, Is.Null);
        Assert.That(p.ToArray<double>(), Is.EqualTo(new double[] { 1, 1 }));
    }

    [Test]
    public void MakeDualOutsideALevelIsAClearError()
    {
        var ex = Assert.Throws<InvalidOperationException>(() => ForwardAD.MakeDual(Tensor.Ones([1]), Tensor.Ones([1])));
        Assert.That(ex!.Message, Does.Contain("ForwardAD.Level"));
    }

    [Test]
    public void MakeDualChecksShapes()
    {
        using var _ = ForwardAD.Level();
        var ex = Assert.Throws<ArgumentException>(() => ForwardAD.MakeDual(Tensor.Ones([2]), Tensor.Ones([3])));
        Assert.That(ex!.Message, Does.Contain("[3]").And.Contain("[2]"));
    }

    // d/dx [ x · (d/dy (x·y))(y = 3) ] at x = 5: the inner derivative is x, so the whole is d/dx x² = 2x = 10.
    // A perturbation-confused implementation returns 15 (it also differentiates y's tangent with respect to x).
    private static Tensor S(double v) => Tensor.Scalar(v, DType.Float64);

    [Test]
    public void NestedForwardInForward()
    {
        var outer = Functional.Jvp(x =>
        {
            var inner = Functional.Jvp(y => x * y, S(3), S(1)).Tangent;
            return x * inner;
        }, S(5), S(1)).Tangent;
        Assert.That(outer.Item<double>(), Is.EqualTo(10));
    }

    [Test]
    public void NestedForwardThroughAnOpWhoseJvpReadsItsOutput()
    {
        // tanh′ = 1 − y² reads the output y; the outer level must see y's own tangent there: d²/dx² tanh(x) = −2y(1 − y²).
        double x0 = 0.7, y = Math.Tanh(x0);
        var second = Functional.Jvp(x => Functional.Jvp(t => t.Tanh(), x, S(1)).Tangent, S(x0), S(1)).Tangent;
        Assert.That(second.Item<double>(), Is.EqualTo(-2 * y * (1 - y * y)).Within(1e-14));
        var softmax = Functional.Jvp(x => Functional.Jvp(t => t.Softmax(0), x, Tensor.FromArray(new[] { 1.0, 0 })).Tangent,
                                     Tensor.FromArray(new[] { 0.2, -0.4 }), Tensor.FromArray(new[] { 1.0, 0 })).Tangent;
        // softmax₀ = σ(x₀ − x₁); along e₀ twice: σ″ = σ(1 − σ)(1 − 2σ), and softmax₁ = 1 − softmax₀.
        double s = 1 / (1 + Math.Exp(-0.6)), d2 = s * (1 - s) * (1 - 2 * s);
        Assert.That(softmax.ToArray<double>(), Is.EqualTo(new[] { d2, -d2 }).Within(1e-14));
    }

    [Test]
    public void NestedForwardOverReverse()
    {
        var outer = Functional.Jvp(x =>
        {
            var inner = Functional.Grad(y => x * y)(S(3));
            return x * inner;
        }, S(5), S(1)).Tangent;
        Assert.That(outer.Item<double>(), Is.EqualTo(10));
    }

    [Test]
    public void NestedReverseOverForward()
    {
        var outer = Functional.Grad(x =>
        {
            var inner = Functional.Jvp(y => x * y, S(3), S(1)).Tangent;
            return x * inner;
        })(S(5));
        Assert.That(outer.Item<double>(), Is.EqualTo(10));
    }

    [Test]
    public void NestedReverseOverReverse()
    {
        var outer = Functional.Grad(x =>
        {
            var inner = Functional.Grad(y => x * y)(S(3));
            return x * inner;
        })(S(5));
        Assert.That(outer.Item<double>(), Is.EqualTo(10));
    }
}

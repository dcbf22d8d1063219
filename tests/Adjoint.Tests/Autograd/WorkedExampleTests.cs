using NUnit.Framework;

namespace Adjoint.Tests.Differentiation;

/// <summary>Hand-computed gradients of small functions, checked to the last few ulps.</summary>
[TestFixture]
public class WorkedExampleTests
{
    private static Tensor S(double v) => Tensor.Scalar(v, DType.Float64).SetRequiresGrad();

    private static Tensor M(double[] data, params int[] shape) => Tensor.FromArray(data, shape).SetRequiresGrad();

    [Test]
    public void SumTimesProduct()
    {
        var (x, y, z) = (S(-2), S(5), S(-4));
        var f = (x + y) * z;
        f.Backward();
        Assert.That(f.Item<double>(), Is.EqualTo(-12));
        Assert.That(x.Grad!.Item<double>(), Is.EqualTo(-4));
        Assert.That(y.Grad!.Item<double>(), Is.EqualTo(-4));
        Assert.That(z.Grad!.Item<double>(), Is.EqualTo(3));
    }

    [Test]
    public void LogPlusProductMinusSine()
    {
        var (x1, x2) = (S(2), S(5));
        var f = x1.Log() + x1 * x2 - x2.Sin();
        f.Backward();
        Assert.That(x1.Grad!.Item<double>(), Is.EqualTo(5.5).Within(1e-15));
        Assert.That(x2.Grad!.Item<double>(), Is.EqualTo(2 - Math.Cos(5)).Within(1e-15));
    }

    [Test]
    public void SumTimesSine()
    {
        var (x1, x2) = (S(1), S(2));
        var f = (x1 + x2) * x1.Sin();
        f.Backward();
        Assert.That(x1.Grad!.Item<double>(), Is.EqualTo(Math.Sin(1) + 3 * Math.Cos(1)).Within(1e-15));
        Assert.That(x2.Grad!.Item<double>(), Is.EqualTo(Math.Sin(1)).Within(1e-15));
    }

    [Test]
    public void ReluPassesGradientOnlyWherePositive()
    {
        var x = M([1, -2, 3, -1], 4);
        x.Relu().Backward(Tensor.FromArray(new double[] { 4, -1, 5, 9 }));
        Assert.That(x.Grad!.ToArray<double>(), Is.EqualTo(new double[] { 4, 0, 5, 0 }));
    }

    [Test]
    public void ReluDerivativeAtZeroIsZero()
    {
        var x = M([0, 0], 2);
        x.Relu().Sum().Backward();
        Assert.That(x.Grad!.ToArray<double>(), Is.EqualTo(new double[] { 0, 0 }));
    }

    [Test]
    public void MatrixProductGradients()
    {
        var xData = new double[] { 2, 1, -3, -3, 4, 2 };
        var wData = new double[] { 3, 2, 1, -1, 2, 1, 3, 2, 3, 2, 1, -2 };
        var gData = new double[] { 2, 3, -3, 9, -8, 1, 4, 6 };
        var x = M(xData, 2, 3);
        var w = M(wData, 3, 4);
        var g = Tensor.FromArray(gData, 2, 4);
        x.MatMul(w).Backward(g);
        var gx = x.Grad!.ToArray<double>();
        Assert.That(gx[0], Is.EqualTo(0));
        Assert.That(gx[1 * 3 + 2], Is.EqualTo(-30));
        // Full: ∂L/∂X = G·Wᵀ, ∂L/∂W = Xᵀ·G, by hand-written loops.
        for (int i = 0; i < 2; i++)
            for (int k = 0; k < 3; k++)
            {
                double s = 0;
                for (int j = 0; j < 4; j++) s += gData[i * 4 + j] * wData[k * 4 + j];
                Assert.That(gx[i * 3 + k], Is.EqualTo(s), $"dX[{i},{k}]");
            }
        var gw = w.Grad!.ToArray<double>();
        for (int k = 0; k < 3; k++)
            for (int j = 0; j < 4; j++)
            {
                double s = 0;
                for (int i = 0; i < 2; i++) s += xData[i * 3 + k] * gData[i * 4 + j];
                Assert.That(gw[k * 4 + j], Is.EqualTo(s), $"dW[{k},{j}]");
            }
    }

    [Test]
    public void SolveGradientsMatchClosedForm()
    {
        var aData = new double[] { 4, 1, 0, 1, 3, 1, 0, 1, 2 };
        var a = M(aData, 3, 3);
        var b = M([1, 2, 3], 3);
        var x = Linalg.Solve(a, b);
        var upstream = Tensor.FromArray(new double[] { 0.5, -1, 2 });
        x.Backward(upstream);
        using var _ = Autograd.NoGrad();
        var aInvT = Linalg.Inverse(a.Detach()).T;
        var expectedGb = aInvT.MatMul(upstream);
        var expectedGa = -(expectedGb.Unsqueeze(1).MatMul(x.Detach().Unsqueeze(0)));
        Assert.That(b.Grad!.ToArray<double>(), Is.EqualTo(expectedGb.ToArray<double>()).Within(1e-13));
        Assert.That(a.Grad!.ToArray<double>(), Is.EqualTo(expectedGa.Contiguous().ToArray<double>()).Within(1e-13));
    }

    [Test]
    public void GradientOfLogQuadraticForm()
    {
        var a = Tensor.FromArray(new double[] { 3, 1, 0.5, 1, 4, 1, 0.5, 1, 5 }, 3, 3); // symmetric positive definite
        var x = M([0.3, -1.2, 0.7], 3);
        var q = x.MatMul(a.MatMul(x));
        q.Log().Backward();
        using var _ = Autograd.NoGrad();
        var ax = a.MatMul(x.Detach());
        var expected = ax * 2.0 / q.Detach();
        Assert.That(x.Grad!.ToArray<double>(), Is.EqualTo(expected.ToArray<double>()).Within(1e-14));
    }

    [Test]
    public void TwoLayerNetworkLearnsByPlainGradientDescent()
    {
        var gen = new Generator(42);
        var xs = Tensor.Randn([64, 3], DType.Float64, gen);
        var target = (xs.Select(1, 0) * xs.Select(1, 1) + xs.Select(1, 2).Sin()).Unsqueeze(1);
        var w1 = (Tensor.Randn([3, 16], DType.Float64, gen) * 0.5).Detach().SetRequiresGrad();
        var b1 = Tensor.Zeros([16], DType.Float64).SetRequiresGrad();
        var w2 = (Tensor.Randn([16, 1], DType.Float64, gen) * 0.5).Detach().SetRequiresGrad();
        var b2 = Tensor.Zeros([1], DType.Float64).SetRequiresGrad();
        Tensor[] parameters = [w1, b1, w2, b2];
        double first = 0, last = 0;
        for (int step = 0; step < 400; step++)
        {
            var hidden = (xs.MatMul(w1) + b1).Tanh();
            var loss = Loss.Mse(hidden.MatMul(w2) + b2, target);
            foreach (var p in parameters) p.ZeroGrad();
            loss.Backward();
            using (Autograd.NoGrad())
                foreach (var p in parameters) p.AddInPlace(p.Grad!, -0.1);
            if (step == 0) first = loss.Item<double>();
            last = loss.Item<double>();
        }
        TestContext.Out.WriteLine($"loss {first} -> {last}");
        Assert.That(last, Is.LessThan(first / 10));
    }
}

using Adjoint.NN;
using NUnit.Framework;

namespace Adjoint.Tests.Differentiation;

/// <summary>
/// Note [Fresh gradients]: the engine takes over gradients a rule has just made (sums into them in place, a leaf
/// adopts one as .Grad) and never a tensor someone else can still see: a hook's, a user function's, a seed.
/// </summary>
[TestFixture]
public class FreshGradientTests
{
    private static Tensor Leaf(params double[] v) => Tensor.FromArray(v).SetRequiresGrad();

    [Test]
    public void AGradientAHookKeptIsNotAdoptedAndStaysUnchanged()
    {
        var x = Leaf(1, 2);
        Tensor? kept = null;
        using var hook = x.RegisterHook(g => { kept ??= g; return null; });
        (x * 3.0).Sum().Backward();
        (x * 3.0).Sum().Backward();
        Assert.That(x.Grad!.ToArray<double>(), Is.EqualTo(new double[] { 6, 6 }));
        Assert.That(kept!.ToArray<double>(), Is.EqualTo(new double[] { 3, 3 }), "the second backward must not add into the hook's tensor");
    }

    private sealed class DoubleAndRemember : CustomFunction
    {
        public readonly List<Tensor> Returned = [];

        protected override Tensor[] Forward(FunctionContext ctx, Tensor[] inputs) => [inputs[0] * 2.0];

        protected override Tensor?[] Backward(FunctionContext ctx, Tensor[] g)
        {
            var r = g[0] * 2.0;
            Returned.Add(r);
            return [r];
        }
    }

    [Test]
    public void AGradientAUserFunctionKeepsIsNotAdopted()
    {
        var x = Leaf(1, -1);
        var f = new DoubleAndRemember();
        f.Apply(x).Sum().Backward();
        f.Apply(x).Sum().Backward();
        Assert.That(x.Grad!.ToArray<double>(), Is.EqualTo(new double[] { 4, 4 }));
        Assert.That(f.Returned[0].ToArray<double>(), Is.EqualTo(new double[] { 2, 2 }), "the function's own tensor must not become .Grad");
    }

    [Test]
    public void ASeedThatFlowsThroughUnchangedIsNotAdopted()
    {
        var x = Leaf(1, 2, 3, 4);
        var seed = Tensor.FromArray(new double[] { 1, 2, 3, 4 }).Reshape(2, 2);
        x.Reshape(2, 2).Backward(seed);
        x.Reshape(2, 2).Backward(seed);
        Assert.That(x.Grad!.ToArray<double>(), Is.EqualTo(new double[] { 2, 4, 6, 8 }));
        Assert.That(seed.ToArray<double>(), Is.EqualTo(new double[] { 1, 2, 3, 4 }));
    }

    [Test]
    public void ContributionsToOneInputSumCorrectlyInPlace()
    {
        var x = Leaf(0.5, -1, 2);
        var a = Tensor.FromArray(new double[] { 1, 2, 3 });
        var b = Tensor.FromArray(new double[] { -4, 5, 0.25 });
        // Four contributions to x: two fresh products, a fresh exp-derivative and the pass-through of x + x.
        var y = (x * a).Sum() + (x * b).Sum() + x.Exp().Sum() + (x + x).Sum();
        y.Backward();
        var xs = new[] { 0.5, -1, 2 };
        var expected = xs.Select((v, i) => new[] { 1.0, 2, 3 }[i] + new[] { -4, 5, 0.25 }[i] + Math.Exp(v) + 2).ToArray();
        Assert.That(x.Grad!.ToArray<double>(), Is.EqualTo(expected).Within(1e-12));
        // And the same once more on top of the adopted gradient.
        ((x * a).Sum() + (x * b).Sum() + x.Exp().Sum() + (x + x).Sum()).Backward();
        Assert.That(x.Grad!.ToArray<double>(), Is.EqualTo(expected.Select(v => 2 * v).ToArray()).Within(1e-12));
        Assert.That(a.ToArray<double>(), Is.EqualTo(new double[] { 1, 2, 3 }));
        Assert.That(b.ToArray<double>(), Is.EqualTo(new double[] { -4, 5, 0.25 }));
    }

    [Test]
    public void LinearGradientsAccumulateOverTwoBackwardsAndMatchTheFormula()
    {
        var layer = new Linear(3, 2, dtype: DType.Float64, generator: new Generator(4));
        var x = Tensor.FromArray(new double[] { 1, -2, 0.5, 3, 0, -1 }).Reshape(2, 3);
        var g = Tensor.FromArray(new double[] { 0.5, -1, 2, 0.25 }).Reshape(2, 2);
        layer.Forward(x).Backward(g);
        var w1 = layer.Weight.Value.Grad!.ToArray<double>();
        var b1 = layer.Bias!.Value.Grad!.ToArray<double>();
        // dW = gᵀ·x, db = Σ rows of g.
        using (Autograd.NoGrad())
        {
            Assert.That(w1, Is.EqualTo(g.T.MatMul(x).ToArray<double>()).Within(1e-12));
            Assert.That(b1, Is.EqualTo(new double[] { 2.5, -0.75 }).Within(1e-12));
        }
        layer.Forward(x).Backward(g);
        Assert.That(layer.Weight.Value.Grad!.ToArray<double>(), Is.EqualTo(w1.Select(v => 2 * v).ToArray()).Within(1e-12));
        Assert.That(layer.Bias.Value.Grad!.ToArray<double>(), Is.EqualTo(b1.Select(v => 2 * v).ToArray()).Within(1e-12));
        Assert.That(g.ToArray<double>(), Is.EqualTo(new double[] { 0.5, -1, 2, 0.25 }), "the seed is untouched");
    }
}

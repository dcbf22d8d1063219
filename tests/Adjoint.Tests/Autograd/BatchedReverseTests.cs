using NUnit.Framework;
using System.Reflection;

namespace Adjoint.Tests.Differentiation;

/// <summary>
/// Batched reverse mode (Note [Batched backward]), generated from the same table cases as the gradchecks: a batch
/// of cotangents pushed through one backward pass equals the cotangents pulled back one at a time.
/// </summary>
[TestFixture]
public class BatchedReverseTests
{
    public static IEnumerable<DerivativeCase> Cases => DerivativeCases.All();

    private static double[] Values(Tensor t) => t.To(DType.Float64).Contiguous().ToArray<double>();

    [TestCaseSource(nameof(Cases))]
    public void BatchedCotangentsEqualOneCotangentAtATime(DerivativeCase c)
    {
        var x = c.Inputs();
        var y = c.Apply(x);
        const int batch = 3;
        var cot = Tensor.Randn([batch, .. y.ShapeArray], y.DType, new Generator(17));
        var (outputs, batched) = Functional.VjpBatched(xs => [c.Apply(xs)], x, [cot]);
        Assert.That(outputs[0].ShapeArray, Is.EqualTo(y.ShapeArray));
        var (_, pullback) = Functional.Vjp(xs => [c.Apply(xs)], x);
        for (int b = 0; b < batch; b++)
        {
            var single = pullback([cot.Select(0, b).Contiguous()]);
            for (int i = 0; i < x.Length; i++)
            {
                Assert.That(batched[i].ShapeArray, Is.EqualTo(new[] { batch }.Concat(x[i].ShapeArray).ToArray()), $"{c.Name}: input {i}");
                Assert.That(Values(batched[i].Select(0, b)), Is.EqualTo(Values(single[i])).Within(1e-12), $"{c.Name}: input {i}, cotangent {b}");
            }
        }
    }

    private static IEnumerable<(string Name, OpRow Row)> Rows() =>
        typeof(Derivatives).GetFields(BindingFlags.Static | BindingFlags.Public)
            .Concat(typeof(LinalgRows).GetFields(BindingFlags.Static | BindingFlags.Public))
            .Where(f => f.FieldType == typeof(OpRow))
            .Select(f => (f.Name, (OpRow)f.GetValue(null)!));

    [Test]
    public void OnlyTheListedRowsPullBackOneEntryAtATime()
    {
        // Gather/ScatterAdd index the cotangent with an index shaped like it, and Svd has three outputs; they take
        // the per-entry fallback, which the test above checks like every other row.
        var fallback = Rows().Where(r => !r.Row.NonDifferentiable && r.Row.BatchedVjp is null && !r.Row.CotangentBroadcasts)
            .Select(r => r.Name).OrderBy(n => n).ToArray();
        Assert.That(fallback, Is.EqualTo(new[] { "Gather", "ScatterAdd", "Svd" }));
    }

    [Test]
    public void ReverseJacobianOfTheGradientIsTheHessian()
    {
        // JacRev over Grad: a batched backward through a graph that a createGraph backward recorded.
        var a = Tensor.Randn([4, 3], DType.Float64, new Generator(4));
        Func<Tensor, Tensor> f = x => (a.MatMul(x).Tanh().Softmax(0) * a.Sum([1])).Sum() + x.Pow(3).Sum() * 0.1;
        var x0 = Tensor.FromArray(new[] { 0.3, -0.2, 0.5 });
        var viaReverse = Functional.JacRev(Functional.Grad(f), x0);
        var viaForward = Functional.Hessian(f, x0);
        Assert.That(Values(viaReverse), Is.EqualTo(Values(viaForward)).Within(1e-12));
    }

    [Test]
    public void BatchedPullbackThroughACustomFunction()
    {
        var x0 = Tensor.FromArray(new[] { 0.4, 1.6, -2.2 });
        Func<Tensor, Tensor> f = x => new StraightThroughRound().Apply(x.Exp()) * x;
        var j = Functional.JacRev(f, x0);
        var single = Enumerable.Range(0, 3).Select(i => Functional.Vjp(f, x0).Pullback(Tensor.Eye(3, dtype: DType.Float64).Select(0, i).Contiguous())).ToArray();
        Assert.That(Values(j), Is.EqualTo(single.SelectMany(Values).ToArray()).Within(1e-13));
    }

    [Test]
    public void GradientHooksSeeOneCotangentAtATime()
    {
        var seen = new List<int[]>();
        Func<Tensor, Tensor> f = x =>
        {
            var h = x * 2.0;
            h.RegisterHook(g => { seen.Add(g.ShapeArray); return g * 3.0; });
            return h.Sin();
        };
        var x0 = Tensor.FromArray(new[] { 0.1, 0.2 });
        var j = Functional.JacRev(f, x0);
        Assert.That(seen, Has.Count.EqualTo(2));
        Assert.That(seen, Has.All.EqualTo(new[] { 2 }));
        // ∂/∂x sin(2x) with the hook tripling the gradient at h: diag(6·cos(2x)).
        Assert.That(Values(j), Is.EqualTo(new[] { 6 * Math.Cos(0.2), 0, 0, 6 * Math.Cos(0.4) }).Within(1e-14));
    }

    [Test]
    public void ReverseAndForwardJacobiansAgreeForMatrices()
    {
        var w = Tensor.Randn([3, 5], DType.Float64, new Generator(6));
        Func<Tensor, Tensor> f = x => x.MatMul(w).LogSoftmax(1).Transpose(0, 1) * x.Sum([1]).Exp();
        var x0 = Tensor.Randn([2, 3], DType.Float64, new Generator(7));
        var reverse = Functional.JacRev(f, x0);
        Assert.That(reverse.ShapeArray, Is.EqualTo(new[] { 5, 2, 2, 3 }));
        Assert.That(Values(reverse), Is.EqualTo(Values(Functional.JacFwd(f, x0))).Within(1e-12));
    }

    [Test]
    public void MismatchedCotangentBatchesAreAShapeError()
    {
        var ex = Assert.Throws<TensorShapeException>(() =>
            Functional.VjpBatched(xs => [xs[0] * 2.0, xs[0].Sum()], [Tensor.Ones([3], DType.Float64)],
                                  [Tensor.Ones([2, 3], DType.Float64), Tensor.Ones([4], DType.Float64)]));
        Assert.That(ex!.Message, Does.Contain("[2,3]").And.Contain("[4]"));
        Assert.Throws<TensorShapeException>(() => Functional.VjpBatched(x => x * 2.0, Tensor.Ones([3], DType.Float64), Tensor.Ones([2, 4], DType.Float64)));
    }

    [Test]
    public void UnusedInputsGetZeroBatches()
    {
        var (_, grads) = Functional.VjpBatched(xs => [xs[0] * 2.0], [Tensor.Ones([3], DType.Float64), Tensor.Ones([2], DType.Float64)],
                                               [Tensor.Ones([4, 3], DType.Float64)]);
        Assert.That(grads[1].ShapeArray, Is.EqualTo(new[] { 4, 2 }));
        Assert.That(Values(grads[1]), Is.All.EqualTo(0.0));
        Assert.That(Values(grads[0]), Is.All.EqualTo(2.0));
    }
}

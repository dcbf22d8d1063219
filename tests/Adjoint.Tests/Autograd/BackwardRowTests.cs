using NUnit.Framework;

namespace Adjoint.Tests.Differentiation;

/// <summary>
/// The paths the generated table tests do not reach: the JVPs taken when nothing watches the tangents (the backward
/// pass inside Hvp: raw kernels for the backward rows z = g·f′(s), Note [Backward rows]), and Hvp through every
/// activation whose VJP is such a row, against finite differences of the gradient.
/// </summary>
[TestFixture]
public class BackwardRowTests
{
    // Every table case, not only the backward rows: the other unwatched shortcuts (fused unary tangents, MatMul's
    // in-place sum of its two products) are held to the recorded ops the same way.
    public static IEnumerable<DerivativeCase> Cases => DerivativeCases.All();

    private static double[] Values(Tensor t) => t.To(DType.Float64).Contiguous().ToArray<double>();

    [TestCaseSource(nameof(Cases))]
    public void RawTangentsEqualTheRecordedOps(DerivativeCase c)
    {
        var x = c.Inputs();
        var u = x.Select((t, i) => Tensor.Randn(t.Shape.ToArray(), DType.Float64, new Generator(70 + (ulong)i))).ToArray();
        // Inputs that require grad under grad mode: the JVP is written in recorded ops.
        var (_, watched) = Functional.Jvp(xs => [c.Apply(xs)], x, u);
        // Plain inputs under NoGrad: nothing watches the tangents, so same-shaped operands take the raw kernels.
        Tensor[] raw;
        using (Autograd.NoGrad())
            (_, raw) = Functional.Jvp(xs => [c.Apply(xs)], x.Select(t => t.Detach()).ToArray(), u);
        Assert.That(Values(raw[0]), Is.EqualTo(Values(watched[0])).Within(1e-12), c.Name);
    }

    public static IEnumerable<string> Activations => ["Tanh", "Sigmoid", "Relu", "Abs", "Sin", "Cos", "Softplus"];

    private static Tensor Activate(string name, Tensor x) => name switch
    {
        "Tanh" => x.Tanh(),
        "Sigmoid" => x.Sigmoid(),
        "Relu" => x.Relu(),
        "Abs" => x.Abs(),
        "Sin" => x.Sin(),
        "Cos" => x.Cos(),
        _ => x.Softplus(),
    };

    // Two hidden layers, so the activation's backward row sees tangents in both its inputs (ẏ from the first layer's
    // direction, ġ from the layers above).
    private static Func<Tensor[], Tensor> Loss(string activation)
    {
        var input = Tensor.Randn([4, 5], DType.Float64, new Generator(80));
        return p =>
        {
            var h = Activate(activation, input.MatMul(p[0]) + p[1]);
            h = Activate(activation, h.MatMul(p[2]) + p[3]);
            var logits = h.MatMul(p[4]);
            return (logits * logits).Mean();
        };
    }

    private static Tensor[] Parameters(ulong seed) =>
    [
        Tensor.Randn([5, 6], DType.Float64, new Generator(seed)), Tensor.Randn([6], DType.Float64, new Generator(seed + 1)),
        Tensor.Randn([6, 7], DType.Float64, new Generator(seed + 2)) * 0.5, Tensor.Randn([7], DType.Float64, new Generator(seed + 3)),
        Tensor.Randn([7, 3], DType.Float64, new Generator(seed + 4)),
    ];

    [TestCaseSource(nameof(Activations))]
    public void HvpMatchesFiniteDifferencesOfTheGradient(string activation)
    {
        var f = Loss(activation);
        var p = Parameters(90);
        var v = Parameters(100);
        var hv = Functional.Hvp(f, p, v);
        const double eps = 1e-6;
        var plus = Functional.Grad(f)(p.Select((t, i) => t + v[i] * eps).ToArray());
        var minus = Functional.Grad(f)(p.Select((t, i) => t - v[i] * eps).ToArray());
        for (int i = 0; i < p.Length; i++)
        {
            var numeric = Values((plus[i] - minus[i]) / (2 * eps));
            Assert.That(Values(hv[i]), Is.EqualTo(numeric).Within(1e-6), $"{activation}: parameter {i}");
        }
    }

    [TestCaseSource(nameof(Activations))]
    public void ForwardOverHvpMatchesFiniteDifferences(string activation)
    {
        // Under an outer level the backward rows' JVPs are watched and take the recorded ops: third derivatives.
        var f = Loss(activation);
        var p = Parameters(110);
        var v = Parameters(120);
        var u = Parameters(130);
        var (_, third) = Functional.Jvp(xs => Functional.Hvp(f, xs, v), p, u);
        const double eps = 1e-5;
        var plus = Functional.Hvp(f, p.Select((t, i) => t + u[i] * eps).ToArray(), v);
        var minus = Functional.Hvp(f, p.Select((t, i) => t - u[i] * eps).ToArray(), v);
        for (int i = 0; i < p.Length; i++)
        {
            var numeric = Values((plus[i] - minus[i]) / (2 * eps));
            Assert.That(Values(third[i]), Is.EqualTo(numeric).Within(1e-5), $"{activation}: parameter {i}");
        }
    }

    [Test]
    public void MismatchedDTypesAreAClearError()
    {
        var y = Tensor.Zeros([2, 3]);
        var g = Tensor.Zeros([2, 3], DType.Float64);
        var e = Assert.Throws<ArgumentException>(() => Ops.Call(Derivatives.TanhBackward, null, y, g));
        Assert.That(e!.Message, Does.Contain("TanhBackward").And.Contain("Float32").And.Contain("Float64"));
    }
}

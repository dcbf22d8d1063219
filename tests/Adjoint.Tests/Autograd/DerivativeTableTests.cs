using NUnit.Framework;
using System.Reflection;

namespace Adjoint.Tests.Differentiation;

// Note [Table coverage]: these tests are generated from the derivative table. Every row must have a sampled
// case (DerivativeCases, in the library), every case is gradchecked in float64 against central differences, first and second order,
// and every public differentiable op on Tensor must be exercised by some case.
[TestFixture]
public class DerivativeTableTests
{
    public static IEnumerable<DerivativeCase> Cases => DerivativeCases.All();

    public static IEnumerable<DerivativeCase> SecondOrderCases => DerivativeCases.All().Where(c => c.SecondOrder);

    [TestCaseSource(nameof(Cases))]
    public void FirstOrderMatchesFiniteDifferences(DerivativeCase c)
    {
        var result = Gradcheck.Check(c.Apply, c.Inputs(), eps: c.Tolerance.Eps, atol: c.Tolerance.Atol, rtol: c.Tolerance.Rtol);
        Assert.That(result.Passed, Is.True, result.ToString());
        TestContext.Out.WriteLine($"{c.Name}: {result}");
    }

    [TestCaseSource(nameof(SecondOrderCases))]
    public void SecondOrderMatchesFiniteDifferences(DerivativeCase c)
    {
        var result = Gradcheck.CheckSecondOrder(c.Apply, c.Inputs(), eps: 1e-5, atol: 1e-5, rtol: 1e-4);
        Assert.That(result.Passed, Is.True, result.ToString());
    }

    [TestCaseSource(nameof(Cases))]
    public void FusedAndDifferentiableBackwardAgree(DerivativeCase c)
    {
        var inputs = c.Inputs();
        var y = c.Apply(inputs);
        var seed = Tensor.Randn(y.Shape.ToArray(), DType.Float64, new Generator(3));
        var wrt = inputs.Where(t => t.RequiresGrad).ToArray();
        var fused = global::Adjoint.Autograd.Grad([y], wrt, [seed], retainGraph: true, allowUnused: true, materializeGrads: true);
        var graph = global::Adjoint.Autograd.Grad([y], wrt, [seed], createGraph: true, allowUnused: true, materializeGrads: true);
        for (int i = 0; i < wrt.Length; i++)
            Assert.That(graph[i]!.ToArray<double>(), Is.EqualTo(fused[i]!.ToArray<double>()).Within(1e-12), $"{c.Name}: input {i}");
    }

    private static IEnumerable<(string Name, OpRow Row)> Rows() =>
        typeof(Derivatives).GetFields(BindingFlags.Static | BindingFlags.Public)
            .Concat(typeof(LinalgRows).GetFields(BindingFlags.Static | BindingFlags.Public))
            .Where(f => f.FieldType == typeof(OpRow))
            .Select(f => (f.Name, (OpRow)f.GetValue(null)!));

    [Test]
    public void EveryDifferentiableRowHasASampledCase()
    {
        var covered = DerivativeCases.All().Select(c => c.Row).ToHashSet();
        var missing = Rows().Where(r => !r.Row.NonDifferentiable && !covered.Contains(r.Name)).Select(r => r.Name).ToList();
        Assert.That(missing, Is.Empty, "rows without a sampler case: " + string.Join(", ", missing));
    }

    [Test]
    public void EveryRowHasAJvp()
    {
        var missing = Rows().Where(r => r.Row.Jvp is null && r.Row.JvpMany is null).Select(r => r.Name).ToList();
        Assert.That(missing, Is.Empty);
    }

    // Public Tensor methods that return a tensor but are not differentiable ops (creation, comparison, masks).
    private static readonly HashSet<string> NotDifferentiable =
    [
        "SetRequiresGrad", "Eq", "Ne", "Gt", "Ge", "Lt", "Le", "Sign", "Round", "Detach", "RequiresGrad_",
        "FromArray", "Zeros", "Ones", "Full", "Scalar", "Arange", "Linspace", "Eye", "Rand", "Randn", "Empty",
        "ZerosLike", "OnesLike", "EmptyLike", "CopyFrom", "FillInPlace", "ZeroInPlace", "AddInPlace", "MulInPlace",
    ];

    [Test]
    public void EveryPublicDifferentiableOpIsCovered()
    {
        var caseNames = DerivativeCases.All().Select(c => c.Name.Split('.')[0]).ToHashSet();
        var ops = typeof(Tensor).GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly)
            .Where(m => m.ReturnType == typeof(Tensor) && !m.IsSpecialName)
            .Select(m => m.Name).Distinct()
            .Where(n => !NotDifferentiable.Contains(n))
            .ToList();
        var aliases = new Dictionary<string, string>
        {
            ["Add"] = "Add", ["Sub"] = "Sub", ["Mul"] = "Mul", ["Div"] = "Div", ["View"] = "Reshape", ["BroadcastTo"] = "Expand",
            ["To"] = "Cast", ["MaskedFill"] = "Where", ["Clamp"] = "Clamp",
        };
        var missing = ops.Where(n => !caseNames.Contains(n) && !(aliases.TryGetValue(n, out var a) && caseNames.Contains(a))).ToList();
        Assert.That(missing, Is.Empty, "public ops without a gradcheck case: " + string.Join(", ", missing));
    }
}

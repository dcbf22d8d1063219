using System.Reflection;

namespace Adjoint.Cli.Commands;

/// <summary>One sampled use of a derivative-table row: float64 inputs in the op's domain and the call.</summary>
/// <param name="Name">Case name, e.g. "MatMul.batched".</param>
/// <param name="Row">The derivative-table row it exercises.</param>
/// <param name="Inputs">Builds fresh inputs that require grad.</param>
/// <param name="Apply">The function checked.</param>
/// <param name="Eps">Finite-difference step.</param>
/// <param name="SecondOrder">Whether the second-order check applies.</param>
public sealed record GradcheckCase(string Name, string Row, Func<Tensor[]> Inputs, Func<Tensor[], Tensor> Apply, double Eps = 1e-6, bool SecondOrder = true);

/// <summary>
/// The cases <c>adjoint gradcheck</c> runs: at least one per differentiable row of the derivative table, with
/// broadcasting and non-contiguous views where they matter. <see cref="TableRows"/> lists the table itself (read by
/// reflection from the library), so rows without a case are reported rather than silently skipped.
/// </summary>
public static class GradcheckCases
{
    private static ulong _seed = 500;

    /// <summary>The differentiable rows of the derivative table (Derivatives and LinalgRows), by field name.</summary>
    public static IReadOnlyList<string> TableRows()
    {
        var assembly = typeof(Tensor).Assembly;
        var tables = new[] { assembly.GetType("Adjoint.Derivatives"), assembly.GetType("Adjoint.LinalgRows") };
        var rows = new List<string>();
        foreach (var table in tables.OfType<Type>())
            foreach (var field in table.GetFields(BindingFlags.Static | BindingFlags.Public))
            {
                if (field.FieldType.Name != "OpRow") continue;
                var row = field.GetValue(null);
                bool constant = row?.GetType().GetProperty("NonDifferentiable")?.GetValue(row) is true;
                if (!constant) rows.Add(field.Name);
            }
        return rows;
    }

    private static Tensor U(double lo, double hi, params int[] shape)
    {
        var r = Tensor.Rand(shape, DType.Float64, new Generator(Interlocked.Increment(ref _seed)));
        return (r * (hi - lo) + lo).Detach().SetRequiresGrad();
    }

    private static Tensor AwayFromZero(double lo, double hi, params int[] shape)
    {
        var mag = U(lo, hi, shape).Detach();
        var sign = U(0, 1, shape).Detach().Gt(0.5) * 2.0 - 1.0;
        return (mag * sign).Detach().SetRequiresGrad();
    }

    private static Tensor Transposed(double lo, double hi, int rows, int cols) => U(lo, hi, cols, rows).Detach().Transpose(0, 1).SetRequiresGrad();

    private static Tensor WellConditioned(int n) =>
        (U(-0.5, 0.5, n, n).Detach() + Tensor.Eye(n, dtype: DType.Float64) * 3.0).Detach().SetRequiresGrad();

    private static GradcheckCase C(string name, string row, Func<Tensor[]> inputs, Func<Tensor[], Tensor> apply, bool second = true, double eps = 1e-6) =>
        new(name, row, inputs, apply, eps, second);

    /// <summary>Every case, in table order.</summary>
    public static IEnumerable<GradcheckCase> All()
    {
        yield return C("Neg", "Neg", () => [U(-2, 2, 3, 4)], x => x[0].Neg());
        yield return C("Abs", "Abs", () => [AwayFromZero(0.1, 2, 3, 4)], x => x[0].Abs());
        yield return C("Exp.transposed", "Exp", () => [Transposed(-2, 2, 3, 4)], x => x[0].Exp());
        yield return C("Log", "Log", () => [U(0.2, 3, 3, 4)], x => x[0].Log());
        yield return C("Sqrt", "Sqrt", () => [U(0.2, 3, 5)], x => x[0].Sqrt());
        yield return C("Sin", "Sin", () => [U(-3, 3, 2, 3)], x => x[0].Sin());
        yield return C("Cos", "Cos", () => [U(-3, 3, 2, 3)], x => x[0].Cos());
        yield return C("Tanh", "Tanh", () => [U(-2, 2, 2, 3)], x => x[0].Tanh());
        yield return C("Sigmoid", "Sigmoid", () => [U(-3, 3, 2, 3)], x => x[0].Sigmoid());
        yield return C("Relu", "Relu", () => [AwayFromZero(0.05, 2, 3, 4)], x => x[0].Relu());
        yield return C("Softplus", "Softplus", () => [U(-3, 3, 2, 3)], x => x[0].Softplus());
        // The backward rows g·f′(s): the gradient of f(x) for the cotangent g, recorded (createGraph), checked in x and g.
        yield return C("Tanh.grad", "TanhBackward", () => [U(-2, 2, 2, 3), U(-1, 1, 2, 3)], x => Autograd.Grad(x[0].Tanh(), x[0], x[1], createGraph: true));
        yield return C("Sigmoid.grad", "SigmoidBackward", () => [U(-3, 3, 2, 3), U(-1, 1, 2, 3)], x => Autograd.Grad(x[0].Sigmoid(), x[0], x[1], createGraph: true));
        yield return C("Relu.grad", "ReluBackward", () => [AwayFromZero(0.05, 2, 3, 4), U(-1, 1, 3, 4)], x => Autograd.Grad(x[0].Relu(), x[0], x[1], createGraph: true));
        yield return C("Abs.grad", "AbsBackward", () => [AwayFromZero(0.05, 2, 3, 4), U(-1, 1, 3, 4)], x => Autograd.Grad(x[0].Abs(), x[0], x[1], createGraph: true));
        yield return C("Sin.grad", "SinBackward", () => [U(-3, 3, 2, 3), U(-1, 1, 2, 3)], x => Autograd.Grad(x[0].Sin(), x[0], x[1], createGraph: true));
        yield return C("Cos.grad", "CosBackward", () => [U(-3, 3, 2, 3), U(-1, 1, 2, 3)], x => Autograd.Grad(x[0].Cos(), x[0], x[1], createGraph: true));
        yield return C("Softplus.grad", "SoftplusBackward", () => [U(-3, 3, 2, 3), U(-1, 1, 2, 3)], x => Autograd.Grad(x[0].Softplus(), x[0], x[1], createGraph: true));
        yield return C("Add.broadcast", "Add", () => [U(-1, 1, 2, 3), U(-1, 1, 3)], x => x[0] + x[1]);
        yield return C("Sub.broadcast", "Sub", () => [U(-1, 1, 2, 1), U(-1, 1, 1, 3)], x => x[0] - x[1]);
        yield return C("Mul.broadcast", "Mul", () => [U(-1, 1, 2, 3), U(-1, 1, 2, 1)], x => x[0] * x[1]);
        yield return C("Div", "Div", () => [U(-1, 1, 2, 3), AwayFromZero(0.5, 2, 2, 3)], x => x[0] / x[1]);
        yield return C("Pow", "Pow", () => [U(0.5, 2, 2, 3), U(-1.5, 2, 2, 3)], x => x[0].Pow(x[1]));
        yield return C("Maximum", "Maximum", () => [U(-1, 1, 4, 3), U(-1, 1, 4, 3)], x => x[0].Maximum(x[1]));
        yield return C("Minimum.broadcast", "Minimum", () => [U(-1, 1, 4, 3), U(-1, 1, 3)], x => x[0].Minimum(x[1]));
        yield return C("AddScalar", "AddScalar", () => [U(-1, 1, 3)], x => x[0] + 2.5);
        yield return C("MulScalar", "MulScalar", () => [U(-1, 1, 3)], x => 3.0 * x[0]);
        yield return C("DivScalar", "DivScalar", () => [U(-1, 1, 3)], x => x[0] / 4.0);
        yield return C("RSubScalar", "RSubScalar", () => [U(-1, 1, 3)], x => 1.0 - x[0]);
        yield return C("RDivScalar", "RDivScalar", () => [AwayFromZero(0.5, 2, 3)], x => 2.0 / x[0]);
        yield return C("PowScalar", "PowScalar", () => [U(0.5, 2, 3)], x => x[0].Pow(2.7));
        yield return C("Clamp", "Clamp", () => [AwayFromZero(0.1, 2, 3, 4)], x => x[0].Clamp(-1, 1.05));
        yield return C("Where", "Where", () => [U(-1, 1, 3, 4), U(-1, 1, 4)],
            x => Tensor.Where(Tensor.FromArray(new double[] { 1, 0, 1, 1, 0, 0, 1, 0, 1, 0, 0, 1 }, 3, 4), x[0], x[1]));
        yield return C("Sum.axes", "Sum", () => [U(-1, 1, 2, 3, 4)], x => x[0].Sum([0, 2], keepDims: true));
        yield return C("Mean", "Sum", () => [U(-1, 1, 2, 3)], x => x[0].Mean(1));
        yield return C("Max", "Max", () => [U(-1, 1, 3, 5)], x => x[0].Max(1));
        yield return C("Min", "Min", () => [U(-1, 1, 3, 5)], x => x[0].Min([0], keepDims: true));
        yield return C("Prod", "Prod", () => [AwayFromZero(0.5, 1.5, 3, 4)], x => x[0].Prod(1));
        yield return C("Norm", "Norm", () => [U(-1, 1, 3, 4)], x => x[0].Norm([1]));
        yield return C("LogSumExp", "LogSumExp", () => [U(-2, 2, 3, 4)], x => x[0].LogSumExp(1));
        yield return C("Softmax", "Softmax", () => [U(-2, 2, 3, 4)], x => x[0].Softmax(-1));
        yield return C("LogSoftmax", "LogSoftmax", () => [U(-2, 2, 3, 4)], x => x[0].LogSoftmax(1));
        yield return C("MatMul.transposed", "MatMul", () => [Transposed(-1, 1, 3, 4), U(-1, 1, 4, 2)], x => x[0].MatMul(x[1]));
        yield return C("MatMul.batched", "MatMul", () => [U(-1, 1, 2, 3, 4), U(-1, 1, 4, 2)], x => x[0].MatMul(x[1]));
        yield return C("MatMul.mv", "MatMul", () => [U(-1, 1, 3, 4), U(-1, 1, 4)], x => x[0].MatMul(x[1]));
        yield return C("Transpose", "Transpose", () => [U(-1, 1, 2, 3, 4)], x => x[0].Transpose(0, 2) * 1.0);
        yield return C("Permute", "Permute", () => [U(-1, 1, 2, 3, 4)], x => x[0].Permute(2, 0, 1) * 1.0);
        yield return C("Reshape.view", "Reshape", () => [Transposed(-1, 1, 3, 4)], x => x[0].Reshape(12));
        yield return C("Expand", "Expand", () => [U(-1, 1, 3, 1)], x => x[0].Expand(2, 3, 4) * 1.0);
        yield return C("Narrow", "Narrow", () => [U(-1, 1, 4, 5)], x => x[0].Narrow(1, 1, 3) * 1.0);
        yield return C("NarrowScatter", "NarrowScatter", () => [U(-1, 1, 4, 5)], x => x[0].Narrow(0, 1, 2).Exp().Sum());
        yield return C("Alias", "Alias", () => [U(-1, 1, 3)], x => ForwardADAlias(x[0]));
        yield return C("Clone", "Copy", () => [Transposed(-1, 1, 3, 4)], x => x[0].Clone());
        yield return C("Cast", "Cast", () => [U(-1, 1, 3)], x => x[0].To(DType.Float32).To(DType.Float64) * 1.0, second: false, eps: 1e-2);
        yield return C("Concat", "Concat", () => [U(-1, 1, 2, 3), U(-1, 1, 2, 2)], x => Tensor.Concat([x[0], x[1]], 1));
        yield return C("IndexSelect", "IndexSelect", () => [U(-1, 1, 4, 3)], x => x[0].IndexSelect(0, [2, 0, 2, 3]));
        yield return C("IndexAdd", "IndexAdd", () => [U(-1, 1, 4, 3)], x => x[0].IndexSelect(1, [1, 1]).Sin());
        yield return C("Gather", "Gather", () => [U(-1, 1, 3, 4)], x => x[0].Gather(1, [0, 3, 3, 1, 2, 2], [3, 2]));
        yield return C("ScatterAdd", "ScatterAdd", () => [U(-1, 1, 3, 4)], x => x[0].Gather(0, [2, 0, 1, 1, 0, 2, 2, 2], [2, 4]).Exp());
        yield return C("Solve", "Solve", () => [WellConditioned(3), U(-1, 1, 3, 2)], x => Linalg.Solve(x[0], x[1]));
        yield return C("Inverse", "Inverse", () => [WellConditioned(3)], x => Linalg.Inverse(x[0]));
        yield return C("Det", "Det", () => [WellConditioned(3)], x => Linalg.Det(x[0]));
        yield return C("LogDet", "LogDet", () => [WellConditioned(3)], x => Linalg.LogDet(x[0]));
        yield return C("Svd.S", "Svd", () => [U(-1, 1, 4, 3)], x => Linalg.Svd(x[0]).S);
        yield return C("Svd.reconstruct", "Svd", () => [U(-1, 1, 3, 3)], x =>
        {
            var (u, s, vh) = Linalg.Svd(x[0]);
            return (u * s.Unsqueeze(0)).MatMul(vh);
        });
    }

    private static Tensor ForwardADAlias(Tensor x)
    {
        using (ForwardAD.Level())
        {
            var dual = ForwardAD.MakeDual(x, Tensor.ZerosLike(x));
            return ForwardAD.Unpack(dual).Primal * 2.0;
        }
    }
}

using Adjoint.Backends;
using NUnit.Framework;

namespace Adjoint.Tests.Parity;

/// <summary>
/// The same public tensor op under <c>Backend.Use(Backend.Native)</c> and <c>Backend.Use(Backend.Managed)</c>,
/// on views (transposed, narrowed, selected, broadcast), in both dtypes. This covers what the raw-buffer parity
/// cannot: the kernels layer's choice of strides, permutations and contiguous copies for each backend.
/// </summary>
[TestFixture]
[NonParallelizable]
public class TensorParityTests
{
    /// <summary>One op on views of three fixed-seed inputs: x [6,7,8], y [6,7,8], s [7,1].</summary>
    public sealed record OpCase(string Name, Func<Tensor, Tensor, Tensor, Tensor> Op, bool PositiveInputs = false)
    {
        public override string ToString() => Name;
    }

    private static readonly OpCase[] Cases =
    [
        new("neg(xᵀ)", (x, _, _) => x.Transpose(0, 2).Neg()),
        new("abs(narrow x)", (x, _, _) => x.Narrow(1, 2, 4).Abs()),
        new("exp(xᵀ)", (x, _, _) => x.Transpose(0, 2).Exp()),
        new("log(xᵀ)", (x, _, _) => x.Transpose(0, 1).Log(), PositiveInputs: true),
        new("sqrt(select x)", (x, _, _) => x.Select(0, 3).Sqrt(), PositiveInputs: true),
        new("sin(xᵀ)", (x, _, _) => x.Transpose(1, 2).Sin()),
        new("cos(narrow x)", (x, _, _) => x.Narrow(2, 1, 5).Cos()),
        new("tanh(xᵀ)", (x, _, _) => x.Transpose(0, 2).Tanh()),
        new("sigmoid(xᵀ)", (x, _, _) => x.Transpose(0, 2).Sigmoid()),
        new("relu(xᵀ)", (x, _, _) => x.Transpose(0, 2).Relu()),
        new("softplus(xᵀ)", (x, _, _) => x.Transpose(0, 2).Softplus()),
        new("xᵀ + yᵀ", (x, y, _) => x.Transpose(0, 2) + y.Transpose(0, 2)),
        new("x - s (broadcast)", (x, _, s) => x - s),
        new("narrow x * s", (x, _, s) => x.Narrow(1, 0, 7) * s),
        new("x / expand s", (x, _, s) => x / s.Expand(6, 7, 8)),
        new("pow(x, y)", (x, y, _) => x.Pow(y.Transpose(0, 1).Transpose(0, 1)), PositiveInputs: true),
        new("maximum(xᵀ, yᵀ)", (x, y, _) => x.Transpose(0, 1).Maximum(y.Transpose(0, 1))),
        new("minimum(x, s)", (x, _, s) => x.Minimum(s)),
        new("sum(xᵀ)", (x, _, _) => x.Transpose(0, 2).Sum()),
        new("sum(x, [0, 2])", (x, _, _) => x.Sum([0, 2])),
        new("sum(narrow x, 1, keep)", (x, _, _) => x.Narrow(1, 1, 5).Sum(1, keepDims: true)),
        new("mean(xᵀ, 0)", (x, _, _) => x.Transpose(0, 2).Mean(0)),
        new("max(xᵀ, 1)", (x, _, _) => x.Transpose(0, 2).Max(1)),
        new("min(x, [0, 1])", (x, _, _) => x.Min([0, 1])),
        new("softmax(x, 0)", (x, _, _) => x.Softmax(0)),
        new("log_softmax(xᵀ)", (x, _, _) => x.Transpose(1, 2).LogSoftmax()),
        new("logsumexp(x, 1)", (x, _, _) => x.LogSumExp(1)),
        new("matmul(xᵀ, y) batched", (x, y, _) => x.Transpose(1, 2).MatMul(y)),
        new("matmul(select x, selectᵀ y)", (x, y, _) => x.Select(0, 2).MatMul(y.Select(0, 4).Transpose(0, 1))),
        new("matmul(x, narrowᵀ y)", (x, y, _) => x.MatMul(y.Select(0, 1).Narrow(0, 0, 7).Transpose(0, 1).Narrow(1, 0, 7))),
        new("tanh(x @ yᵀ).sum", (x, y, _) => x.MatMul(y.Transpose(1, 2)).Tanh().Sum()),
    ];

    [Test]
    public void SameResultOnBothBackends([ValueSource(nameof(Cases))] OpCase testCase, [Values] DType dtype)
    {
        double[] native = Run(Backend.Native, testCase, dtype, out int[] nativeShape);
        double[] managed = Run(Backend.Managed, testCase, dtype, out int[] managedShape);

        Assert.That(nativeShape, Is.EqualTo(managedShape), testCase.Name);
        Compare.AssertClose(native, managed, Compare.Tolerance(dtype) * 10, $"{testCase.Name} {dtype}");
    }

    private static double[] Run(IBackend backend, OpCase testCase, DType dtype, out int[] shape)
    {
        using var use = Backend.Use(backend);
        using var scope = TensorScope.Begin();
        var rng = new Random(Samples.Seed(testCase.Name));
        Tensor x = Input(rng, [6, 7, 8], dtype, testCase.PositiveInputs);
        Tensor y = Input(rng, [6, 7, 8], dtype, testCase.PositiveInputs);
        Tensor s = Input(rng, [7, 1], dtype, positive: true);
        Tensor result = testCase.Op(x, y, s);
        shape = result.Shape.ToArray();
        return dtype == DType.Float64
            ? result.ToArray<double>()
            : Array.ConvertAll(result.ToArray<float>(), v => (double)v);
    }

    private static Tensor Input(Random rng, int[] shape, DType dtype, bool positive)
    {
        var data = new double[shape.Aggregate(1, (a, b) => a * b)];
        for (int i = 0; i < data.Length; i++)
            data[i] = positive ? 0.1 + 2 * rng.NextDouble() : 4 * rng.NextDouble() - 2;
        var t = Tensor.FromArray(data, shape);
        return dtype == DType.Float64 ? t : t.To(dtype);
    }
}

using Adjoint.Backends;
using Adjoint.Interop;
using NUnit.Framework;

namespace Adjoint.Tests.Core;

/// <summary>Unary and binary ops (public API over the managed backend) against double-precision loops.</summary>
public class ElementwiseTests(string backend) : CoreTest(backend)
{
    private static readonly (string Name, Func<Tensor, Tensor> Op, Func<double, double> Reference, double Lo, double Hi)[] UnaryCases =
    [
        ("Neg", t => t.Neg(), x => -x, -3, 3),
        ("Abs", t => t.Abs(), Math.Abs, -3, 3),
        ("Exp", t => t.Exp(), Math.Exp, -5, 5),
        ("Log", t => t.Log(), Math.Log, 0.01, 5),
        ("Sqrt", t => t.Sqrt(), Math.Sqrt, 0, 5),
        ("Sin", t => t.Sin(), Math.Sin, -4, 4),
        ("Cos", t => t.Cos(), Math.Cos, -4, 4),
        ("Tanh", t => t.Tanh(), Math.Tanh, -4, 4),
        ("Sigmoid", t => t.Sigmoid(), x => 1 / (1 + Math.Exp(-x)), -8, 8),
        ("Relu", t => t.Relu(), x => Math.Max(x, 0), -3, 3),
        ("Softplus", t => t.Softplus(), x => Math.Log(1 + Math.Exp(x)), -20, 20),
        ("UnaryMinus", t => -t, x => -x, -3, 3),
    ];

    private static IEnumerable<TestCaseData> Unaries() =>
        from c in UnaryCases from dt in new[] { DType.Float32, DType.Float64 }
        select new TestCaseData(c.Name, dt).SetName($"Unary_{c.Name}_{dt}");

    [TestCaseSource(nameof(Unaries))]
    public void UnaryMatchesReference(string name, DType dtype)
    {
        var c = UnaryCases.Single(u => u.Name == name);
        var rng = new Random(name.GetHashCode(StringComparison.Ordinal) ^ (int)dtype);
        for (int n = 0; n <= 70; n++) RunUnary(c, dtype, rng, [n], contiguous: true);
        for (int i = 0; i < 20; i++) RunUnary(c, dtype, rng, RandomShape(rng), contiguous: rng.Next(2) == 0);
    }

    private static void RunUnary((string Name, Func<Tensor, Tensor> Op, Func<double, double> Reference, double Lo, double Hi) c,
                                 DType dtype, Random rng, int[] shape, bool contiguous)
    {
        long n = Count(shape);
        var data = new double[n];
        for (long i = 0; i < n; i++) data[i] = c.Lo + rng.NextDouble() * (c.Hi - c.Lo);
        using var x = contiguous ? MakeTensor(data, shape, dtype) : NonContiguous(data, shape, dtype, rng);
        var input = Values(x); // rounded to the dtype
        using var y = c.Op(x);
        Assert.That(y.Shape.ToArray(), Is.EqualTo(shape));
        AssertClose(Values(y), input.Select(c.Reference).ToArray(), dtype == DType.Float32 ? 2e-6 : 1e-13, c.Name);
    }

    [Test]
    public void SpecialValues()
    {
        using var x = Tensor.FromArray([double.NaN, 0.0, -0.0, double.PositiveInfinity, double.NegativeInfinity, -1000, 1000]);
        using (var r = x.Relu()) Assert.That(Values(r)[..2], Is.EqualTo(new[] { double.NaN, 0.0 }));
        using (var s = x.Softplus())
            AssertClose(Values(s), [double.NaN, Math.Log(2), Math.Log(2), double.PositiveInfinity, 0, 0, 1000], 1e-15);
        using (var tiny = Tensor.FromArray([-50.0]))
        using (var s = tiny.Softplus())
            Assert.That(s.Item<double>(), Is.EqualTo(Math.Exp(-50)).Within(1e-30), "log1p keeps precision far left");
        using (var sg = x.Sigmoid())
            AssertClose(Values(sg), [double.NaN, 0.5, 0.5, 1, 0, 0, 1], 1e-15);
    }

    private static readonly (string Name, Func<Tensor, Tensor, Tensor> Op, Func<double, double, double> Reference)[] BinaryCases =
    [
        ("Add", (a, b) => a + b, (a, b) => a + b),
        ("Sub", (a, b) => a - b, (a, b) => a - b),
        ("Mul", (a, b) => a * b, (a, b) => a * b),
        ("Div", (a, b) => a / b, (a, b) => a / b),
        ("Pow", (a, b) => a.Pow(b), Math.Pow),
        ("Maximum", (a, b) => a.Maximum(b), (a, b) => double.IsNaN(a) || double.IsNaN(b) ? double.NaN : b > a ? b : a),
        ("Minimum", (a, b) => a.Minimum(b), (a, b) => double.IsNaN(a) || double.IsNaN(b) ? double.NaN : b < a ? b : a),
    ];

    private static IEnumerable<TestCaseData> Binaries() =>
        from c in BinaryCases from dt in new[] { DType.Float32, DType.Float64 }
        select new TestCaseData(c.Name, dt).SetName($"Binary_{c.Name}_{dt}");

    [TestCaseSource(nameof(Binaries))]
    public void BinaryBroadcastsLikeNumPy(string name, DType dtype)
    {
        var c = BinaryCases.Single(u => u.Name == name);
        var rng = new Random(name.GetHashCode(StringComparison.Ordinal) + (int)dtype);
        for (int trial = 0; trial < 60; trial++)
        {
            // Derive two broadcast-compatible shapes from one output shape.
            var outShape = RandomShape(rng, maxRank: 4, maxExtent: 4);
            int[] Derive()
            {
                int drop = rng.Next(outShape.Length + 1);
                return outShape.Skip(drop).Select(d => rng.Next(3) == 0 ? 1 : d).ToArray();
            }
            int[] sa = Derive(), sb = Derive();
            var expectedShape = Broadcast(sa, sb);
            double[] da = RandomData(rng, Count(sa)), db = RandomData(rng, Count(sb));
            if (name == "Pow") da = da.Select(Math.Abs).ToArray();
            using var a = rng.Next(2) == 0 ? MakeTensor(da, sa, dtype) : NonContiguous(da, sa, dtype, rng);
            using var b = rng.Next(2) == 0 ? MakeTensor(db, sb, dtype) : NonContiguous(db, sb, dtype, rng);
            using var y = c.Op(a, b);
            Assert.That(y.Shape.ToArray(), Is.EqualTo(expectedShape), $"{Fmt(sa)} {Fmt(sb)}");
            Assert.That(y.IsContiguous, Is.True);
            var va = Values(a);
            var vb = Values(b);
            var expected = new double[Count(expectedShape)];
            for (long f = 0; f < expected.Length; f++)
            {
                var idx = Unravel(f, expectedShape);
                expected[f] = c.Reference(va[Ravel(Project(idx, sa), sa)], vb[Ravel(Project(idx, sb), sb)]);
            }
            AssertClose(Values(y), expected, dtype == DType.Float32 ? 2e-6 : 1e-14, $"{name} {Fmt(sa)} {Fmt(sb)}");
        }
    }

    [Test]
    public void ScalarOverloads([Values] DType dtype)
    {
        using var a = MakeTensor([1, 2, 4], [3], dtype);
        using (var r = a + 1) Assert.That(Values(r), Is.EqualTo(new double[] { 2, 3, 5 }));
        using (var r = 1 - a) Assert.That(Values(r), Is.EqualTo(new double[] { 0, -1, -3 }));
        using (var r = 2 * a) Assert.That(Values(r), Is.EqualTo(new double[] { 2, 4, 8 }));
        using (var r = 8 / a) Assert.That(Values(r), Is.EqualTo(new double[] { 8, 4, 2 }));
        using (var r = a / 2) Assert.That(Values(r), Is.EqualTo(new double[] { 0.5, 1, 2 }));
        using (var r = a.Pow(2)) Assert.That(Values(r), Is.EqualTo(new double[] { 1, 4, 16 }));
        using (var r = a.Sub(1)) Assert.That(Values(r), Is.EqualTo(new double[] { 0, 1, 3 }));
        using (var r = a.Mul(a)) Assert.That(Values(r), Is.EqualTo(new double[] { 1, 4, 16 }));
        using (var r = a.Add(a).Div(a)) Assert.That(Values(r), Is.EqualTo(new double[] { 2, 2, 2 }));
        using var s = Tensor.Scalar(3, dtype);
        using (var r = s * a) Assert.That(r.Shape.ToArray(), Is.EqualTo(new[] { 3 }));
        using (var r = s + s) Assert.That(r.Rank, Is.Zero);
    }

    [Test]
    public void MaximumMinimumTiesAndNaN()
    {
        using var a = Tensor.FromArray([0.0, -0.0, double.NaN, 1, 2]);
        using var b = Tensor.FromArray([-0.0, 0.0, 1, double.NaN, 2]);
        using var mx = a.Maximum(b);
        using var mn = a.Minimum(b);
        var x = mx.ToArray<double>();
        var n = mn.ToArray<double>();
        Assert.That(double.IsNegative(x[0]), Is.False, "tie returns a (+0)");
        Assert.That(double.IsNegative(x[1]), Is.True, "tie returns a (-0)");
        Assert.That(double.IsNegative(n[1]), Is.True);
        Assert.That(x[2], Is.NaN);
        Assert.That(x[3], Is.NaN);
        Assert.That(n[2], Is.NaN);
        Assert.That(n[3], Is.NaN);
    }

    [Test]
    public void PowFollowsC()
    {
        using var a = Tensor.FromArray([-2.0, -2.0, 0.0, double.NaN]);
        using var b = Tensor.FromArray([2.0, 0.5, 0.0, 0.0]);
        using var p = a.Pow(b);
        var v = p.ToArray<double>();
        Assert.That(v[0], Is.EqualTo(4));
        Assert.That(v[1], Is.NaN);
        Assert.That(v[2], Is.EqualTo(1));
        Assert.That(v[3], Is.EqualTo(1));
    }

    private static readonly UnaryOp[] AllUnary = Enum.GetValues<UnaryOp>();

    [Test]
    public unsafe void UnaryBackwardMatchesFormulas([ValueSource(nameof(AllUnary))] UnaryOp op, [Values] DType dtype)
    {
        var rng = new Random((int)op * 7 + (int)dtype);
        double lo = op is UnaryOp.Log or UnaryOp.Sqrt ? 0.1 : -3;
        var xs = Enumerable.Range(0, 37).Select(_ => lo + rng.NextDouble() * 3).ToArray();
        if (op is UnaryOp.Abs or UnaryOp.Relu) xs[5] = 0;
        var gys = RandomData(rng, xs.Length);
        using var x = MakeTensor(xs, [xs.Length], dtype);
        using var gy = MakeTensor(gys, [xs.Length], dtype);
        using var y = Kernels.Unary(op, x);
        using var gx = Kernels.UnaryBackward(op, x, y, gy);
        var vx = Values(x);
        var vy = Values(y);
        var vg = Values(gy);
        var expected = new double[xs.Length];
        for (int i = 0; i < xs.Length; i++)
        {
            double xi = vx[i], yi = vy[i], g = vg[i];
            expected[i] = op switch
            {
                UnaryOp.Neg => -g,
                UnaryOp.Abs => g * Math.Sign(xi),
                UnaryOp.Exp => g * yi,
                UnaryOp.Log => g / xi,
                UnaryOp.Sqrt => g / (2 * yi),
                UnaryOp.Sin => g * Math.Cos(xi),
                UnaryOp.Cos => -g * Math.Sin(xi),
                UnaryOp.Tanh => g * (1 - yi * yi),
                UnaryOp.Sigmoid => g * yi * (1 - yi),
                UnaryOp.Relu => xi > 0 ? g : 0,
                UnaryOp.Softplus => g / (1 + Math.Exp(-xi)),
                _ => throw new ArgumentOutOfRangeException(nameof(op)),
            };
        }
        AssertClose(Values(gx), expected, dtype == DType.Float32 ? 1e-5 : 1e-13, op.ToString());
    }

    private static int[] Project(int[] outIdx, int[] shape)
    {
        var idx = new int[shape.Length];
        int lead = outIdx.Length - shape.Length;
        for (int i = 0; i < shape.Length; i++) idx[i] = shape[i] == 1 ? 0 : outIdx[lead + i];
        return idx;
    }

    private static int[] Broadcast(int[] a, int[] b)
    {
        int r = Math.Max(a.Length, b.Length);
        var s = new int[r];
        for (int i = 0; i < r; i++)
        {
            int da = i < r - a.Length ? 1 : a[i - (r - a.Length)];
            int db = i < r - b.Length ? 1 : b[i - (r - b.Length)];
            s[i] = da == 1 ? db : da;
        }
        return s;
    }

    private static string Fmt(int[] s) => "[" + string.Join(",", s) + "]";
    [Test]
    public void UnaryBackwardReadsNonContiguousInputs()
    {
        using var x0 = Tensor.FromArray([-1.0, 2, -3, 4, 0.5, -6], 2, 3);
        using var x = x0.T;
        using var gy = Tensor.Ones([3, 2], DType.Float64);
        using var gx = Kernels.UnaryBackward(UnaryOp.Relu, x, null, gy);
        Assert.That(gx.ToArray<double>(), Is.EqualTo(new double[] { 0, 1, 1, 1, 0, 0 }));
        using var neg = Kernels.UnaryBackward(UnaryOp.Neg, null, null, gy);
        Assert.That(neg.ToArray<double>(), Has.All.EqualTo(-1.0));
    }
}

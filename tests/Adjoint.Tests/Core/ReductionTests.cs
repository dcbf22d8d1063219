using Adjoint.Interop;
using NUnit.Framework;

namespace Adjoint.Tests.Core;

/// <summary>Sum/Mean/Max/Min and the row operations against double loops.</summary>
public class ReductionTests(string backend) : CoreTest(backend)
{
    /// <summary>Reference reduction: returns values (keep-dims order) and the row-major index within the reduced block.</summary>
    private static (double[] Values, long[] Index) Reference(double[] x, int[] shape, int[] axes, string op)
    {
        var outShape = shape.Select((s, d) => axes.Contains(d) ? 1 : s).ToArray();
        var redShape = axes.Select(a => shape[a]).ToArray();
        long outCount = Count(outShape), redCount = Count(redShape);
        var values = new double[outCount];
        var index = new long[outCount];
        for (long o = 0; o < outCount; o++)
        {
            var idx = Unravel(o, outShape);
            double acc = op == "Sum" ? 0 : double.NaN;
            long best = -1;
            for (long r = 0; r < redCount; r++)
            {
                var ridx = Unravel(r, redShape);
                for (int i = 0; i < axes.Length; i++) idx[axes[i]] = ridx[i];
                double v = x[Ravel(idx, shape)];
                switch (op)
                {
                    case "Sum": acc += v; break;
                    case "Mean": acc = (r == 0 ? 0 : acc) + v; break;
                    default:
                        bool better = best < 0 || (!double.IsNaN(acc) && (double.IsNaN(v) || (op == "Max" ? v > acc : v < acc)));
                        if (better) { acc = v; best = r; }
                        break;
                }
            }
            if (op == "Mean") acc = redCount == 0 ? double.NaN : acc / redCount;
            values[o] = acc;
            index[o] = best;
        }
        return (values, index);
    }

    [Test]
    public void RandomReductions([Values("Sum", "Mean", "Max", "Min")] string op, [Values] DType dtype)
    {
        var rng = new Random(op.Length * 31 + (int)dtype);
        for (int trial = 0; trial < 80; trial++)
        {
            var shape = RandomShape(rng, maxRank: 4, maxExtent: 5, zeroRate: op is "Sum" or "Mean" ? 0.1 : 0);
            int rank = shape.Length;
            int[]? axes = rng.Next(4) == 0 ? null : Enumerable.Range(0, rank).Where(_ => rng.Next(2) == 0).ToArray();
            bool keep = rng.Next(2) == 0;
            var data = RandomData(rng, Count(shape));
            if (data.Length > 3 && rng.Next(5) == 0) data[rng.Next(data.Length)] = double.NaN;
            if (data.Length > 3 && rng.Next(3) == 0) data[1] = data[2]; // ties
            using var x = rng.Next(2) == 0 ? MakeTensor(data, shape, dtype) : NonContiguous(data, shape, dtype, rng);
            // Mix in negative axes.
            int[]? given = axes?.Select(a => rng.Next(2) == 0 ? a - rank : a).ToArray();
            using var y = op switch
            {
                "Sum" => x.Sum(given, keep),
                "Mean" => x.Mean(given, keep),
                "Max" => x.Max(given, keep),
                _ => x.Min(given, keep),
            };
            var all = axes ?? Enumerable.Range(0, rank).ToArray();
            var (expected, _) = Reference(Values(x), shape, all, op);
            var expectedShape = keep
                ? shape.Select((s, d) => all.Contains(d) ? 1 : s).ToArray()
                : shape.Where((_, d) => !all.Contains(d)).ToArray();
            Assert.That(y.Shape.ToArray(), Is.EqualTo(expectedShape));
            AssertClose(Values(y), expected, dtype == DType.Float32 ? 1e-5 : 1e-12, $"{op} shape [{string.Join(",", shape)}] axes [{string.Join(",", all)}]");
        }
    }

    [Test]
    public void MaxMinIndices([Values] DType dtype)
    {
        using var x = MakeTensor([1, 5, 5, 2, /**/ 7, 0, 7, double.NaN, /**/ -1, -3, -3, -2], [3, 4], dtype);
        var (mx, imax) = x.MaxWithIndices(1);
        using (mx)
        {
            Assert.That(imax, Is.EqualTo(new long[] { 1, 3, 0 }), "first occurrence; NaN wins");
            AssertClose(Values(mx), [5, double.NaN, -1], 0);
        }
        var (mn, imin) = x.MinWithIndices(-1, keepDims: true);
        using (mn)
        {
            Assert.That(mn.Shape.ToArray(), Is.EqualTo(new[] { 3, 1 }));
            Assert.That(imin, Is.EqualTo(new long[] { 0, 3, 1 }));
        }
        var (m0, i0) = x.MaxWithIndices(0);
        using (m0) Assert.That(i0, Is.EqualTo(new long[] { 1, 0, 1, 1 }));
    }

    [Test]
    public void SumOfAllAndScalar()
    {
        using var x = Tensor.Arange(0, 10, 1, DType.Float64);
        using (var s = x.Sum()) Assert.That(s.Item<double>(), Is.EqualTo(45));
        using (var s = x.Sum(0, keepDims: true)) Assert.That(s.Shape.ToArray(), Is.EqualTo(new[] { 1 }));
        using var z = Tensor.Scalar(2.5, DType.Float64);
        using (var s = z.Sum()) Assert.That(s.Item<double>(), Is.EqualTo(2.5));
        using (var s = z.Max()) Assert.That(s.Item<double>(), Is.EqualTo(2.5));
        using var empty = Tensor.Zeros([0, 3], DType.Float64);
        using (var s = empty.Sum(0)) Assert.That(s.ToArray<double>(), Is.EqualTo(new double[] { 0, 0, 0 }));
        using (var s = empty.Mean()) Assert.That(s.Item<double>(), Is.NaN);
    }

    private static double[] RowReference(RowOp op, double[] row)
    {
        double m = row.Length == 0 ? double.NegativeInfinity : row.Max();
        double lse = row.Length == 0 ? double.NegativeInfinity : m + Math.Log(row.Sum(v => Math.Exp(v - m)));
        return op switch
        {
            RowOp.Softmax => row.Select(v => Math.Exp(v - lse)).ToArray(),
            RowOp.LogSoftmax => row.Select(v => v - lse).ToArray(),
            _ => [lse],
        };
    }

    [Test]
    public void RowOpsAlongEveryAxis([Values] RowOp op, [Values] DType dtype)
    {
        var rng = new Random((int)op * 3 + (int)dtype);
        for (int trial = 0; trial < 30; trial++)
        {
            var shape = RandomShape(rng, maxRank: 3, maxExtent: 5, zeroRate: 0);
            int rank = shape.Length;
            int axis = rank == 0 ? -1 : rng.Next(rank);
            bool keep = rng.Next(2) == 0;
            var data = RandomData(rng, Count(shape), scale: 10);
            using var x = MakeTensor(data, shape, dtype);
            using var y = op switch
            {
                RowOp.Softmax => x.Softmax(axis),
                RowOp.LogSoftmax => x.LogSoftmax(axis),
                _ => x.LogSumExp(axis, keep),
            };
            var vx = Values(x);
            // Move the axis to the end by index arithmetic and compare row by row.
            int a = rank == 0 ? 0 : axis;
            int[] s = rank == 0 ? [1] : shape;
            int cols = s[a];
            var others = s.Where((_, d) => d != a).ToArray();
            long rows = Count(others);
            using var yc = y.Contiguous();
            var vy = Values(yc);
            for (long r = 0; r < rows; r++)
            {
                var oidx = Unravel(r, others);
                var row = new double[cols];
                var full = new int[s.Length];
                for (int c = 0; c < cols; c++)
                {
                    for (int d = 0, j = 0; d < s.Length; d++) full[d] = d == a ? c : oidx[j++];
                    row[c] = vx[Ravel(full, s)];
                }
                var expected = RowReference(op, row);
                if (op == RowOp.LogSumExp)
                {
                    Assert.That(vy[r], Is.EqualTo(expected[0]).Within(1e-5 * Math.Max(1, Math.Abs(expected[0]))));
                    continue;
                }
                for (int c = 0; c < cols; c++)
                {
                    for (int d = 0, j = 0; d < s.Length; d++) full[d] = d == a ? c : oidx[j++];
                    Assert.That(vy[Ravel(full, s)], Is.EqualTo(expected[c]).Within(1e-5 * Math.Max(1, Math.Abs(expected[c]))));
                }
            }
            if (op == RowOp.LogSumExp)
            {
                var expectedShape = rank == 0 ? [] : keep ? shape.Select((e, d) => d == a ? 1 : e).ToArray() : others;
                Assert.That(y.Shape.ToArray(), Is.EqualTo(expectedShape));
            }
            else Assert.That(y.Shape.ToArray(), Is.EqualTo(shape));
        }
    }

    [Test]
    public void RowOpStability()
    {
        using var x = Tensor.FromArray([1000.0, 1000.0, -1000.0]);
        using (var s = x.Softmax()) AssertClose(s.ToArray<double>(), [0.5, 0.5, 0], 1e-15);
        using (var l = x.LogSumExp()) Assert.That(l.Item<double>(), Is.EqualTo(1000 + Math.Log(2)).Within(1e-12));
        using var inf = Tensor.FromArray([double.NegativeInfinity, double.NegativeInfinity]);
        using (var l = inf.LogSumExp()) Assert.That(l.Item<double>(), Is.EqualTo(double.NegativeInfinity));
        using var empty = Tensor.Zeros([2, 0], DType.Float64);
        using (var l = empty.LogSumExp()) Assert.That(l.ToArray<double>(), Is.EqualTo(new[] { double.NegativeInfinity, double.NegativeInfinity }));
    }

    [Test]
    public void RowOpBackwardMatchesFiniteDifferences([Values] RowOp op, [Values(0, 1)] int axis)
    {
        var rng = new Random((int)op + axis * 10);
        int[] shape = [3, 4];
        var data = RandomData(rng, 12);
        var gdata = RandomData(rng, op == RowOp.LogSumExp ? 12 / shape[axis] : 12);
        using var x = Tensor.FromArray(data, shape);
        using var y = Kernels.RowOp(op, x, axis);
        using var gy = Tensor.FromArray(gdata, y.Shape.ToArray());
        using var gx = Kernels.RowOpBackward(op, op == RowOp.LogSumExp ? x : null, y, gy, axis);
        Assert.That(gx.Shape.ToArray(), Is.EqualTo(shape));
        var analytic = Values(gx);
        // <gy, f(x + h e_i)> − <gy, f(x − h e_i)> over 2h
        const double h = 1e-6;
        for (int i = 0; i < 12; i++)
        {
            double Objective(double delta)
            {
                var d = (double[])data.Clone();
                d[i] += delta;
                using var xp = Tensor.FromArray(d, shape);
                using var yp = Kernels.RowOp(op, xp, axis);
                using var prod = yp * gy;
                using var s = prod.Sum();
                return s.Item<double>();
            }
            double numeric = (Objective(h) - Objective(-h)) / (2 * h);
            Assert.That(analytic[i], Is.EqualTo(numeric).Within(1e-6), $"element {i}");
        }
    }
}

using Adjoint.Backends;
using NUnit.Framework;

namespace Adjoint.Tests.Core;

/// <summary>MatMul semantics and the managed GEMM against naive loops.</summary>
public class LinearAlgebraTests(string backend) : CoreTest(backend)
{
    private static double[] NaiveMatMul(double[] a, double[] b, int m, int k, int n)
    {
        var c = new double[m * n];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double s = 0;
                for (int p = 0; p < k; p++) s += a[i * k + p] * b[p * n + j];
                c[i * n + j] = s;
            }
        return c;
    }

    [TestCase(3, 4, 2)]
    [TestCase(1, 1, 1)]
    [TestCase(0, 3, 2)]
    [TestCase(3, 0, 2)]
    [TestCase(5, 7, 0)]
    [TestCase(17, 33, 9)]
    [TestCase(70, 300, 130)] // blocked path: several KC and MR/NR tails
    [TestCase(129, 257, 1030)] // crosses MC, KC and NC
    public void MatrixTimesMatrix(int m, int k, int n)
    {
        foreach (var dtype in new[] { DType.Float32, DType.Float64 })
        {
            var rng = new Random(m * 1000 + k * 10 + n);
            var da = RandomData(rng, m * k);
            var db = RandomData(rng, k * n);
            using var a = MakeTensor(da, [m, k], dtype);
            using var b = MakeTensor(db, [k, n], dtype);
            using var c = a.MatMul(b);
            Assert.That(c.Shape.ToArray(), Is.EqualTo(new[] { m, n }));
            AssertClose(Values(c), NaiveMatMul(Values(a), Values(b), m, k, n), dtype == DType.Float32 ? 1e-4 : 1e-12);
        }
    }

    [Test]
    public void TransposedViewsAreUsedWithoutCopy([Values] DType dtype, [Values(2, 40)] int size)
    {
        var rng = new Random(size);
        int m = size + 1, k = size + 3, n = size;
        using var at = MakeTensor(RandomData(rng, k * m), [k, m], dtype);
        using var bt = MakeTensor(RandomData(rng, n * k), [n, k], dtype);
        using var a = at.T;
        using var b = bt.T;
        Assert.That(a.IsContiguous, Is.False);
        using var ac = a.Clone();
        using var bc = b.Clone();
        using var c = a.MatMul(b);
        AssertClose(Values(c), NaiveMatMul(Values(ac), Values(bc), m, k, n), dtype == DType.Float32 ? 1e-4 : 1e-12);
    }

    [Test]
    public void VectorCases()
    {
        using var v = Tensor.FromArray([1.0, 2, 3]);
        using var w = Tensor.FromArray([4.0, 5, 6]);
        using (var dot = v.MatMul(w))
        {
            Assert.That(dot.Rank, Is.Zero);
            Assert.That(dot.Item<double>(), Is.EqualTo(32));
        }
        using var m = Tensor.FromArray([1.0, 2, 3, 4, 5, 6], 3, 2);
        using (var vm = v.MatMul(m))
        {
            Assert.That(vm.Shape.ToArray(), Is.EqualTo(new[] { 2 }));
            Assert.That(vm.ToArray<double>(), Is.EqualTo(new double[] { 22, 28 }));
        }
        using var mt = m.T;
        using (var mv = mt.MatMul(v))
        {
            Assert.That(mv.Shape.ToArray(), Is.EqualTo(new[] { 2 }));
            Assert.That(mv.ToArray<double>(), Is.EqualTo(new double[] { 22, 28 }));
        }
    }

    [Test]
    public void BatchedWithBroadcasting([Values] DType dtype)
    {
        var rng = new Random(5);
        // a: [2,1,3,4], b: [3,4,5] -> [2,3,3,5]
        var da = RandomData(rng, 2 * 3 * 4);
        var db = RandomData(rng, 3 * 4 * 5);
        using var a = MakeTensor(da, [2, 1, 3, 4], dtype);
        using var b = MakeTensor(db, [3, 4, 5], dtype);
        using var c = a.MatMul(b);
        Assert.That(c.Shape.ToArray(), Is.EqualTo(new[] { 2, 3, 3, 5 }));
        var va = Values(a);
        var vb = Values(b);
        var vc = Values(c);
        for (int i = 0; i < 2; i++)
            for (int j = 0; j < 3; j++)
            {
                var expected = NaiveMatMul(va.Skip(i * 12).Take(12).ToArray(), vb.Skip(j * 20).Take(20).ToArray(), 3, 4, 5);
                AssertClose(vc.Skip((i * 3 + j) * 15).Take(15).ToArray(), expected, dtype == DType.Float32 ? 1e-5 : 1e-13);
            }
        // batched matrix times vector
        using var v = MakeTensor(RandomData(rng, 4), [4], dtype);
        using var av = a.MatMul(v);
        Assert.That(av.Shape.ToArray(), Is.EqualTo(new[] { 2, 1, 3 }));
    }

    [Test]
    public void BatchedNonContiguousOperands()
    {
        var rng = new Random(9);
        using var big = MakeTensor(RandomData(rng, 4 * 6 * 5), [4, 6, 5], DType.Float64);
        using var a = big.Narrow(1, 1, 3).Transpose(0, 2); // [5,3,4], odd strides
        using var b = MakeTensor(RandomData(rng, 5 * 4 * 2), [5, 4, 2], DType.Float64);
        using var ac = a.Clone();
        using var c = a.MatMul(b);
        var va = Values(ac);
        var vb = Values(b);
        var vc = Values(c);
        for (int t = 0; t < 5; t++)
            AssertClose(vc.Skip(t * 6).Take(6).ToArray(),
                NaiveMatMul(va.Skip(t * 12).Take(12).ToArray(), vb.Skip(t * 8).Take(8).ToArray(), 3, 4, 2), 1e-13);
    }

    [Test]
    public unsafe void GemmAlphaBetaAndTransposes([Values] bool ta, [Values] bool tb, [Values(0.0, 1.0, -0.5)] double beta)
    {
        var rng = new Random((ta ? 1 : 0) + (tb ? 2 : 0));
        foreach (var (m, n, k) in new[] { (3, 5, 4), (37, 41, 19), (1, 1, 300) })
        {
            var a = RandomData(rng, m * k);
            var b = RandomData(rng, k * n);
            var c = RandomData(rng, m * n);
            if (beta == 0) c[0] = double.NaN; // β = 0 must not read C
            // stored layouts: A is m×k or (ta) k×m; B is k×n or (tb) n×k; both with padded leading dims.
            int lda = (ta ? m : k) + 2, ldb = (tb ? k : n) + 1, ldc = n + 3;
            var ap = new double[(ta ? k : m) * lda];
            var bp = new double[(tb ? n : k) * ldb];
            var cp = new double[m * ldc];
            for (int i = 0; i < m; i++)
                for (int p = 0; p < k; p++)
                    ap[ta ? p * lda + i : i * lda + p] = a[i * k + p];
            for (int p = 0; p < k; p++)
                for (int j = 0; j < n; j++)
                    bp[tb ? j * ldb + p : p * ldb + j] = b[p * n + j];
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++)
                    cp[i * ldc + j] = c[i * n + j];
            fixed (double* pa = ap, pb = bp, pc = cp)
                Backend.Managed.Gemm(DType.Float64, ta, tb, m, n, k, 1.5, pa, lda, pb, ldb, beta, pc, ldc);
            var ab = NaiveMatMul(a, b, m, k, n);
            var expected = new double[m * n];
            var actual = new double[m * n];
            for (int i = 0; i < m * n; i++)
                expected[i] = 1.5 * ab[i] + (beta == 0 ? 0 : beta * c[i]);
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++)
                    actual[i * n + j] = cp[i * ldc + j];
            AssertClose(actual, expected, 1e-12, $"m={m} n={n} k={k}");
        }
    }
    [Test]
    public void ExpandedOperandsAreCopiedForGemm()
    {
        // Rows of a stride-0 (expanded) matrix overlap; GEMM cannot take them, so the kernels layer copies.
        using var row = Tensor.FromArray([1.0, 2, 3]);
        using var a = row.Expand(4, 3);
        using var b = Tensor.FromArray([1.0, 0, 0, 1, 1, 1], 3, 2);
        using var c = a.MatMul(b);
        Assert.That(c.ToArray<double>(), Is.EqualTo(new double[] { 4, 5, 4, 5, 4, 5, 4, 5 }));
        // A strided vector as the left operand: passed as a transposed 1×k matrix.
        using var wide = Tensor.Arange(0, 6, 1, DType.Float64);
        using var v = wide.Reshape(3, 2).Select(1, 0); // [0, 2, 4], stride 2
        using var dot = v.MatMul(row);
        Assert.That(dot.Item<double>(), Is.EqualTo(0 * 1 + 2 * 2 + 4 * 3));
    }
}

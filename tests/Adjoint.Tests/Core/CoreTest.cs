using Adjoint.Backends;
using NUnit.Framework;

namespace Adjoint.Tests.Core;

/// <summary>
/// Runs every test of a derived fixture once per backend (Backend.Use is per thread): the managed backend
/// always, the native one when its library loads (otherwise those cases are ignored, not failed).
/// </summary>
[TestFixtureSource(nameof(BackendNames))]
public abstract class CoreTest(string backend)
{
    private IDisposable? _backend;

    public static readonly string[] BackendNames = ["managed", "native"];

    [SetUp]
    public void UseBackend()
    {
        if (backend == "native" && !Backend.NativeAvailable)
            Assert.Ignore($"native backend unavailable: {Backend.NativeLoadError?.Message}");
        _backend = Backend.Use(backend == "native" ? Backend.Native : Backend.Managed);
    }

    [TearDown]
    public void RestoreBackend() => _backend?.Dispose();

    protected static double[] RandomData(Random rng, long n, double scale = 2)
    {
        var d = new double[n];
        for (long i = 0; i < n; i++) d[i] = (rng.NextDouble() * 2 - 1) * scale;
        return d;
    }

    protected static Tensor RandomTensor(Random rng, int[] shape, DType dtype = DType.Float64, double scale = 2)
    {
        long n = 1;
        foreach (int s in shape) n *= s;
        var data = RandomData(rng, n, scale);
        using var t64 = Tensor.FromArray(data, shape.Length == 0 ? [] : shape);
        if (shape.Length == 0)
        {
            using var scalar = Tensor.Scalar(data[0], DType.Float64);
            return scalar.To(dtype);
        }
        return t64.To(dtype);
    }

    protected static double[] Values(Tensor t) =>
        t.DType == DType.Float64 ? t.ToArray<double>() : Array.ConvertAll(t.ToArray<float>(), f => (double)f);

    protected static double Tolerance(DType dtype) => dtype == DType.Float64 ? 1e-12 : 1e-5;

    protected static void AssertClose(double[] actual, double[] expected, double tol, string what = "")
    {
        Assert.That(actual, Has.Length.EqualTo(expected.Length), what);
        for (int i = 0; i < actual.Length; i++)
        {
            double e = expected[i], a = actual[i];
            if (double.IsNaN(e))
            {
                Assert.That(a, Is.NaN, $"{what} [{i}]");
                continue;
            }
            if (double.IsInfinity(e))
            {
                Assert.That(a, Is.EqualTo(e), $"{what} [{i}]");
                continue;
            }
            Assert.That(a, Is.EqualTo(e).Within(tol * Math.Max(1, Math.Abs(e))), $"{what} [{i}]");
        }
    }

    /// <summary>Row-major multi-index of flat position <paramref name="flat"/> in <paramref name="shape"/>.</summary>
    protected static int[] Unravel(long flat, int[] shape)
    {
        var idx = new int[shape.Length];
        for (int d = shape.Length - 1; d >= 0; d--)
        {
            idx[d] = (int)(flat % shape[d]);
            flat /= shape[d];
        }
        return idx;
    }

    protected static long Ravel(int[] idx, int[] shape)
    {
        long flat = 0;
        for (int d = 0; d < shape.Length; d++) flat = flat * shape[d] + idx[d];
        return flat;
    }

    protected static long Count(int[] shape)
    {
        long n = 1;
        foreach (int s in shape) n *= s;
        return n;
    }

    /// <summary>A random shape of rank 0..maxRank with extents 0..maxExtent (0 only with probability zeroRate).</summary>
    protected static int[] RandomShape(Random rng, int maxRank = 4, int maxExtent = 5, double zeroRate = 0.05)
    {
        int rank = rng.Next(maxRank + 1);
        var s = new int[rank];
        for (int i = 0; i < rank; i++) s[i] = rng.NextDouble() < zeroRate ? 0 : rng.Next(1, maxExtent + 1);
        return s;
    }

    /// <summary>
    /// A tensor of <paramref name="shape"/> holding <paramref name="data"/>, laid out non-contiguously: a
    /// permuted, contiguous parent, permuted back (a transpose-like view).
    /// </summary>
    protected static Tensor NonContiguous(double[] data, int[] shape, DType dtype, Random rng)
    {
        int rank = shape.Length;
        if (rank < 2) return MakeTensor(data, shape, dtype);
        var perm = Enumerable.Range(0, rank).OrderBy(_ => rng.Next()).ToArray();
        if (perm.SequenceEqual(Enumerable.Range(0, rank))) (perm[0], perm[^1]) = (perm[^1], perm[0]);
        var inverse = new int[rank];
        for (int i = 0; i < rank; i++) inverse[perm[i]] = i;
        var pshape = perm.Select(p => shape[p]).ToArray();
        var pdata = new double[data.Length];
        for (long f = 0; f < data.Length; f++)
        {
            var idx = Unravel(f, pshape);
            var orig = new int[rank];
            for (int i = 0; i < rank; i++) orig[perm[i]] = idx[i];
            pdata[f] = data[Ravel(orig, shape)];
        }
        using var parent = MakeTensor(pdata, pshape, dtype);
        return parent.Permute(inverse);
    }

    protected static Tensor MakeTensor(double[] data, int[] shape, DType dtype)
    {
        if (shape.Length == 0)
            return Tensor.Scalar(data[0], dtype);
        using var t = Tensor.FromArray(data, shape);
        return t.To(dtype);
    }
}

using Adjoint.Backends;
using Adjoint.Interop;
using NUnit.Framework;

namespace Adjoint.Tests.Parity;

/// <summary>
/// Every <see cref="IBackend"/> kernel run on the native and the managed backend with the same raw inputs, under each
/// ISA tier this CPU has: random shapes including empty and 0-d, broadcast (zero) and negative strides,
/// non-contiguous views, both dtypes, special values. Outputs must agree within the dtype's tolerance (NaN
/// with NaN), and no kernel may write outside its output.
/// </summary>
[TestFixture]
[NonParallelizable] // the ISA choice is process-wide
public unsafe class BackendParityTests
{
    private const int Cases = 40;

    private static IBackend Native => Backend.Native;

    private static IBackend Managed => Backend.Managed;

    [Test]
    public void Fill([ValueSource(typeof(Interop.IsaTiers), nameof(Interop.IsaTiers.OfThisArchitecture))] Isa isa, [Values] DType dtype)
    {
        using var _ = IsaScope.Force(isa);
        var rng = new Random(Samples.Seed(nameof(Fill), isa, dtype));
        double[] values = [0, -0.0, 1.5, -3.25, double.NaN, double.PositiveInfinity, 1e300, 1e-310];
        foreach (long n in Samples.Lengths)
        {
            double value = values[rng.Next(values.Length)];
            using var a = new RawBuffer(dtype, Math.Max(n, 1));
            using var b = new RawBuffer(dtype, Math.Max(n, 1));
            Native.Fill(dtype, n, value, a.Pointer);
            Managed.Fill(dtype, n, value, b.Pointer);
            Check(a, b, 0, $"fill n={n} value={value}");
        }
    }

    [Test]
    public void CopyStrided([ValueSource(typeof(Interop.IsaTiers), nameof(Interop.IsaTiers.OfThisArchitecture))] Isa isa, [Values] DType dtype)
    {
        using var _ = IsaScope.Force(isa);
        var rng = new Random(Samples.Seed(nameof(CopyStrided), isa, dtype));
        for (int c = 0; c < Cases; c++)
        {
            long[] shape = Layout.RandomShape(rng);
            var src = Layout.Random(rng, shape, broadcast: true);
            var dst = rng.NextDouble() < 0.5 ? Layout.Contiguous(shape) : Layout.Random(rng, shape, broadcast: false);
            using var x = Samples.Random(dtype, src.Extent, rng, specialRate: 0.05);
            using var a = new RawBuffer(dtype, dst.Extent);
            using var b = new RawBuffer(dtype, dst.Extent);
            Native.CopyStrided(dtype, shape, src.At(x), src.Strides, dst.At(a), dst.Strides);
            Managed.CopyStrided(dtype, shape, src.At(x), src.Strides, dst.At(b), dst.Strides);
            Check(a, b, 0, $"copy src {src} dst {dst}");
        }
    }

    [Test]
    public void Cast([ValueSource(typeof(Interop.IsaTiers), nameof(Interop.IsaTiers.OfThisArchitecture))] Isa isa, [Values] DType from, [Values] DType to)
    {
        using var _ = IsaScope.Force(isa);
        var rng = new Random(Samples.Seed(nameof(Cast), isa, from, to));
        foreach (long n in Samples.Lengths)
        {
            using var x = Samples.Random(from, n, rng, -1e6, 1e6, specialRate: 0.1);
            using var a = new RawBuffer(to, Math.Max(n, 1));
            using var b = new RawBuffer(to, Math.Max(n, 1));
            Native.Cast(from, x.Pointer, to, a.Pointer, n);
            Managed.Cast(from, x.Pointer, to, b.Pointer, n);
            Check(a, b, 0, $"cast {from}->{to} n={n}");
        }
    }

    [Test]
    public void Gemm([ValueSource(typeof(Interop.IsaTiers), nameof(Interop.IsaTiers.OfThisArchitecture))] Isa isa, [Values] DType dtype, [Values] bool transA, [Values] bool transB)
    {
        using var _ = IsaScope.Force(isa);
        var rng = new Random(Samples.Seed(nameof(Gemm), isa, dtype, transA, transB));
        long[] sizes = [0, 1, 2, 3, 5, 8, 13, 16, 17, 31, 33, 64];
        double[] alphas = [1, 0.5, -2, 0];
        double[] betas = [0, 1, 0.25, -1];
        for (int c = 0; c < Cases + 1; c++)
        {
            bool large = c == Cases; // one case with a long inner dimension, where float32 sums drift most
            long m = large ? 70 : sizes[rng.Next(sizes.Length)];
            long n = large ? 67 : sizes[rng.Next(sizes.Length)];
            long k = large ? 300 : sizes[rng.Next(sizes.Length)];
            double alpha = alphas[rng.Next(alphas.Length)], beta = betas[rng.Next(betas.Length)];
            long aRows = transA ? k : m, aCols = transA ? m : k;
            long bRows = transB ? n : k, bCols = transB ? k : n;
            long lda = Math.Max(aCols, 1) + rng.Next(3), ldb = Math.Max(bCols, 1) + rng.Next(3), ldc = Math.Max(n, 1) + rng.Next(3);
            using var a = Samples.Random(dtype, aRows * lda, rng);
            using var b = Samples.Random(dtype, bRows * ldb, rng);
            using var c0 = Samples.Random(dtype, m * ldc, rng);
            if (beta == 0) Samples.Fill(c0, rng, double.NaN, double.NaN); // beta = 0 must not read C
            using var cNative = c0.Clone();
            using var cManaged = c0.Clone();

            Native.Gemm(dtype, transA, transB, m, n, k, alpha, a.Pointer, lda, b.Pointer, ldb, beta, cNative.Pointer, ldc);
            Managed.Gemm(dtype, transA, transB, m, n, k, alpha, a.Pointer, lda, b.Pointer, ldb,
                         beta, cManaged.Pointer, ldc);

            // The error of a dot product scales with Σ|a||b|, not with the (possibly cancelling) result.
            using var absA = Abs(a);
            using var absB = Abs(b);
            using var scale = beta == 0 ? new RawBuffer(dtype, Math.Max(m * ldc, 1)) : Abs(c0);
            Managed.Gemm(dtype, transA, transB, m, n, k, Math.Abs(alpha), absA.Pointer, lda, absB.Pointer, ldb,
                         Math.Abs(beta), scale.Pointer, ldc);
            double tolerance = Compare.Tolerance(dtype) * (1 + k / 64.0);
            Check(cNative, cManaged, tolerance, $"gemm m={m} n={n} k={k} tA={transA} tB={transB} alpha={alpha} beta={beta}",
                  i => scale[i]);
        }
    }

    [Test]
    public void Unary([ValueSource(typeof(Interop.IsaTiers), nameof(Interop.IsaTiers.OfThisArchitecture))] Isa isa, [Values] DType dtype, [Values] UnaryOp op, [Values] bool inPlace)
    {
        using var _ = IsaScope.Force(isa);
        var rng = new Random(Samples.Seed(nameof(Unary), isa, dtype, op, inPlace));
        foreach (long n in Samples.Lengths)
        {
            using var x = Samples.Random(dtype, n, rng, -6, 6, specialRate: 0.1);
            using var a = inPlace ? x.Clone() : new RawBuffer(dtype, x.Count);
            using var b = inPlace ? x.Clone() : new RawBuffer(dtype, x.Count);
            Native.Unary(op, dtype, n, inPlace ? a.Pointer : x.Pointer, a.Pointer);
            Managed.Unary(op, dtype, n, inPlace ? b.Pointer : x.Pointer, b.Pointer);
            Check(a, b, Compare.Tolerance(dtype), $"unary {op} n={n} inPlace={inPlace}");
        }
    }

    [Test]
    public void UnaryBackward([ValueSource(typeof(Interop.IsaTiers), nameof(Interop.IsaTiers.OfThisArchitecture))] Isa isa, [Values] DType dtype, [Values] UnaryOp op)
    {
        using var _ = IsaScope.Force(isa);
        var rng = new Random(Samples.Seed(nameof(UnaryBackward), isa, dtype, op));
        foreach (long n in Samples.Lengths)
        {
            bool positive = op is UnaryOp.Log or UnaryOp.Sqrt;
            using var x = Samples.Random(dtype, n, rng, positive ? 0.1 : -6, 6, specialRate: 0.05);
            using var y = new RawBuffer(dtype, x.Count);
            Managed.Unary(op, dtype, n, x.Pointer, y.Pointer); // both backward kernels see the same forward output
            using var gy = Samples.Random(dtype, n, rng);
            using var a = new RawBuffer(dtype, x.Count);
            using var b = new RawBuffer(dtype, x.Count);
            Native.UnaryBackward(op, dtype, n, x.Pointer, y.Pointer, gy.Pointer, a.Pointer);
            Managed.UnaryBackward(op, dtype, n, x.Pointer, y.Pointer, gy.Pointer, b.Pointer);
            Check(a, b, Compare.Tolerance(dtype), $"unary backward {op} n={n}");

            using var inPlace = gy.Clone(); // gx may equal gy
            Native.UnaryBackward(op, dtype, n, x.Pointer, y.Pointer, inPlace.Pointer, inPlace.Pointer);
            Check(inPlace, b, Compare.Tolerance(dtype), $"unary backward {op} n={n} gx == gy", count: n);
        }
    }

    [Test]
    public void Binary([ValueSource(typeof(Interop.IsaTiers), nameof(Interop.IsaTiers.OfThisArchitecture))] Isa isa, [Values] DType dtype, [Values] BinaryOp op)
    {
        using var _ = IsaScope.Force(isa);
        var rng = new Random(Samples.Seed(nameof(Binary), isa, dtype, op));
        for (int c = 0; c < Cases + 3; c++)
        {
            // The last cases are long contiguous runs, where SIMD bodies and tails matter.
            long[] shape = c >= Cases ? [(long)Samples.Lengths[^1] + c] : Layout.RandomShape(rng);
            bool contiguous = c >= Cases;
            var la = contiguous ? Layout.Contiguous(shape) : Layout.Random(rng, shape, broadcast: true);
            var lb = contiguous ? Layout.Contiguous(shape) : Layout.Random(rng, shape, broadcast: true);
            var lo = contiguous || rng.NextDouble() < 0.6 ? Layout.Contiguous(shape) : Layout.Random(rng, shape, broadcast: false);
            double low = op == BinaryOp.Pow ? -2 : -5;
            using var a = Samples.Random(dtype, la.Extent, rng, low, 5, specialRate: 0.05);
            using var b = Samples.Random(dtype, lb.Extent, rng, low, 5, specialRate: 0.05);
            using var outNative = new RawBuffer(dtype, lo.Extent);
            using var outManaged = new RawBuffer(dtype, lo.Extent);
            Native.Binary(op, dtype, shape, la.At(a), la.Strides, lb.At(b), lb.Strides, lo.At(outNative), lo.Strides);
            Managed.Binary(op, dtype, shape, la.At(a), la.Strides, lb.At(b), lb.Strides, lo.At(outManaged), lo.Strides);
            Check(outNative, outManaged, Compare.Tolerance(dtype), $"binary {op} a {la} b {lb} out {lo}");

            // In place: out is a, with a's strides.
            var lin = Layout.Random(rng, shape, broadcast: false);
            using var xa = Samples.Random(dtype, lin.Extent, rng, low, 5);
            using var inNative = xa.Clone();
            using var inManaged = xa.Clone();
            Native.Binary(op, dtype, shape, lin.At(inNative), lin.Strides, lb.At(b), lb.Strides, lin.At(inNative), lin.Strides);
            Managed.Binary(op, dtype, shape, lin.At(inManaged), lin.Strides, lb.At(b), lb.Strides, lin.At(inManaged), lin.Strides);
            Check(inNative, inManaged, Compare.Tolerance(dtype), $"binary {op} in place {lin} b {lb}");
        }
    }

    [Test]
    public void Reduce([ValueSource(typeof(Interop.IsaTiers), nameof(Interop.IsaTiers.OfThisArchitecture))] Isa isa, [Values] DType dtype, [Values] ReduceOp op)
    {
        using var _ = IsaScope.Force(isa);
        var rng = new Random(Samples.Seed(nameof(Reduce), isa, dtype, op));
        for (int c = 0; c < Cases + 2; c++)
        {
            long[] shape = c >= Cases ? [3, 1000 + c] : Layout.RandomShape(rng);
            ulong mask = shape.Length == 0 ? 0 : (ulong)rng.NextInt64(1L << shape.Length);
            var lx = c >= Cases ? Layout.Contiguous(shape) : Layout.Random(rng, shape, broadcast: true);
            using var x = Samples.Random(dtype, lx.Extent, rng, -5, 5, specialRate: op == ReduceOp.Sum ? 0 : 0.02);
            long outCount = 1;
            bool emptyReduction = false;
            for (int d = 0; d < shape.Length; d++)
            {
                bool reduced = (mask & (1UL << d)) != 0;
                if (!reduced) outCount *= shape[d];
                else if (shape[d] == 0) emptyReduction = true;
            }
            using var yNative = new RawBuffer(dtype, Math.Max(outCount, 1));
            using var yManaged = new RawBuffer(dtype, Math.Max(outCount, 1));
            using var iNative = new RawBuffer(DType.Float64, Math.Max(outCount, 1)); // 8-byte slots for int64 indices
            using var iManaged = new RawBuffer(DType.Float64, Math.Max(outCount, 1));
            long* indexNative = op == ReduceOp.Sum ? null : (long*)iNative.Pointer;
            long* indexManaged = op == ReduceOp.Sum ? null : (long*)iManaged.Pointer;
            string context = $"reduce {op} {lx} mask {mask:b}";

            Exception? nativeError = Try(() => Native.Reduce(op, dtype, shape, lx.At(x), lx.Strides, mask, yNative.Pointer, indexNative));
            Exception? managedError = Try(() => Managed.Reduce(op, dtype, shape, lx.At(x), lx.Strides, mask, yManaged.Pointer, indexManaged));
            if (emptyReduction && op != ReduceOp.Sum)
            {
                // adjoint.h: max/min over an empty extent is ADJ_ERR_INVALID_ARGUMENT, even when no output exists.
                Assert.That(nativeError, Is.InstanceOf<AdjointNativeException>(), context);
                Assert.That(managedError, Is.Not.Null, $"{context}: managed accepted a max/min over an empty extent");
                continue;
            }
            Assert.That(nativeError, Is.Null, context);
            Assert.That(managedError, Is.Null, context);

            Func<long, double>? scale = null;
            if (op == ReduceOp.Sum)
            {
                using var absX = Abs(x);
                var absSum = new RawBuffer(dtype, Math.Max(outCount, 1));
                Managed.Reduce(ReduceOp.Sum, dtype, shape, lx.At(absX), lx.Strides, mask, absSum.Pointer, null);
                double[] sums = absSum.ToArray();
                absSum.Dispose();
                scale = i => sums[i];
            }
            Check(yNative, yManaged, Compare.Tolerance(dtype), context, scale);
            if (op != ReduceOp.Sum)
            {
                for (long i = 0; i < outCount; i++)
                    Assert.That(indexNative[i], Is.EqualTo(indexManaged[i]), $"{context}: index of output {i}");
                Assert.That(iNative.GuardsIntact, Is.True, $"{context}: index written out of bounds");
            }
        }
    }

    [Test]
    public void RowOp([ValueSource(typeof(Interop.IsaTiers), nameof(Interop.IsaTiers.OfThisArchitecture))] Isa isa, [Values] DType dtype, [Values] RowOp op)
    {
        using var _ = IsaScope.Force(isa);
        var rng = new Random(Samples.Seed(nameof(RowOp), isa, dtype, op));
        foreach (var (rows, cols) in RowShapes(rng))
        {
            long outCount = op == global::Adjoint.Interop.RowOp.LogSumExp ? rows : rows * cols;
            // +inf is left out: adjoint.h does not define softmax of a row holding +inf.
            using var x = Samples.Random(dtype, rows * cols, rng, -8, 8, specialRate: 0.02, Samples.RowSpecials);
            using var a = new RawBuffer(dtype, Math.Max(outCount, 1));
            using var b = new RawBuffer(dtype, Math.Max(outCount, 1));
            Native.RowOp(op, dtype, rows, cols, x.Pointer, a.Pointer);
            Managed.RowOp(op, dtype, rows, cols, x.Pointer, b.Pointer);
            Check(a, b, Compare.Tolerance(dtype), $"row op {op} [{rows},{cols}]");
        }
    }

    [Test]
    public void RowOpBackward([ValueSource(typeof(Interop.IsaTiers), nameof(Interop.IsaTiers.OfThisArchitecture))] Isa isa, [Values] DType dtype, [Values] RowOp op)
    {
        using var _ = IsaScope.Force(isa);
        var rng = new Random(Samples.Seed(nameof(RowOpBackward), isa, dtype, op));
        foreach (var (rows, cols) in RowShapes(rng))
        {
            long outCount = op == global::Adjoint.Interop.RowOp.LogSumExp ? rows : rows * cols;
            using var x = Samples.Random(dtype, rows * cols, rng, -8, 8);
            using var y = new RawBuffer(dtype, Math.Max(outCount, 1));
            Managed.RowOp(op, dtype, rows, cols, x.Pointer, y.Pointer);
            using var gy = Samples.Random(dtype, outCount, rng);
            using var a = new RawBuffer(dtype, x.Count);
            using var b = new RawBuffer(dtype, x.Count);
            Native.RowOpBackward(op, dtype, rows, cols, x.Pointer, y.Pointer, gy.Pointer, a.Pointer);
            Managed.RowOpBackward(op, dtype, rows, cols, x.Pointer, y.Pointer, gy.Pointer, b.Pointer);
            Check(a, b, Compare.Tolerance(dtype), $"row op backward {op} [{rows},{cols}]");
        }
    }

    private static IEnumerable<(long Rows, long Cols)> RowShapes(Random rng)
    {
        yield return (0, 5);
        yield return (3, 0);
        yield return (1, 1);
        yield return (4, 1000);
        foreach (long cols in Samples.Lengths.Where(l => l is > 0 and < 1000))
            yield return (1 + rng.Next(4), cols);
    }

    private static void Check(RawBuffer native, RawBuffer managed, double tolerance, string context,
                              Func<long, double>? scale = null, long? count = null)
    {
        Assert.That(native.GuardsIntact, Is.True, $"{context}: native wrote out of bounds");
        Assert.That(managed.GuardsIntact, Is.True, $"{context}: managed wrote out of bounds");
        long n = count ?? native.Count;
        Compare.AssertClose(native.ToArray()[..(int)n], managed.ToArray()[..(int)n], tolerance, context, scale);
    }

    private static RawBuffer Abs(RawBuffer x)
    {
        var abs = new RawBuffer(x.DType, x.Count);
        for (long i = 0; i < x.Count; i++) abs[i] = Math.Abs(x[i]);
        return abs;
    }

    private static Exception? Try(Action action)
    {
        try
        {
            action();
            return null;
        }
        catch (Exception e) when (e is AdjointNativeException or ArgumentException or InvalidOperationException)
        {
            return e;
        }
    }
}

/// <summary>
/// Forces a native ISA tier for one test and restores the previous one; ignores tiers this CPU lacks and the other
/// architecture's tiers (Neon on x64, Avx2/Avx512 on Arm64).
/// </summary>
internal sealed class IsaScope : IDisposable
{
    private readonly Isa _previous;

    private IsaScope(Isa previous) => _previous = previous;

    public static IsaScope Force(Isa isa)
    {
        if (!Interop.IsaTiers.Runnable().Contains(isa))
            Assert.Ignore($"{isa} cannot run here (this library's tiers: {string.Join(", ", Interop.IsaTiers.Runnable())}).");
        var scope = new IsaScope(NativeBackend.Isa);
        NativeBackend.SetIsa(isa);
        return scope;
    }

    public void Dispose() => NativeBackend.SetIsa(_previous);
}

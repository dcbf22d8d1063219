using System.Diagnostics;
using Adjoint.Backends;
using Adjoint.Interop;

namespace Adjoint.Benchmarks;

/// <summary>
/// Where the MLP gradient and HVP of <see cref="FunctionalBenchmarks"/> spend their kernel time: every backend call
/// counted and timed (wall) by kind and shape, the two cases interleaved call by call, with the GEMMs' multiply-adds
/// and the garbage collections per call. Run:
/// <c>dotnet run -c Release --project benchmarks/Adjoint.Benchmarks -- functional-kernels [calls]</c>.
/// The timer around each call adds a little; the probe is for the breakdown, <see cref="FunctionalCpuProbe"/> for
/// the ratios.
/// </summary>
public static class FunctionalKernelsProbe
{
    public static void Run(int calls)
    {
        var f = new FunctionalBenchmarks();
        f.Setup();
        for (int w = 0; w < 3; w++)
        {
            f.Gradient();
            f.Hvp();
        }
        var cases = new (string Name, Func<Tensor> Body, Counting Backend)[]
        {
            ("gradient", f.Gradient, new Counting(Backend.Current)),
            ("HVP", f.Hvp, new Counting(Backend.Current)),
        };
        var wall = new double[cases.Length];
        var gen2 = new int[cases.Length];
        for (int r = 0; r < calls; r++)
        {
            for (int c = 0; c < cases.Length; c++)
            {
                int g0 = GC.CollectionCount(2);
                long t0 = Stopwatch.GetTimestamp();
                using (Backend.Use(cases[c].Backend)) cases[c].Body();
                wall[c] += Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
                gen2[c] += GC.CollectionCount(2) - g0;
            }
        }
        Console.WriteLine($"{calls} calls of each, interleaved; per call (wall ms):");
        for (int c = 0; c < cases.Length; c++)
        {
            var k = cases[c].Backend;
            double gemmMs = k.Entries.Where(e => e.Key.StartsWith("Gemm", StringComparison.Ordinal)).Sum(e => e.Value.Ms) / calls;
            double macs = k.Entries.Where(e => e.Key.StartsWith("Gemm", StringComparison.Ordinal)).Sum(e => (double)e.Value.Elements) / calls;
            double kernelMs = k.Entries.Sum(e => e.Value.Ms) / calls;
            Console.WriteLine($"== {cases[c].Name}: {wall[c] / calls:F2} ms, kernels {kernelMs:F2} ms in {k.Entries.Sum(e => e.Value.Calls) / calls} calls, " +
                              $"GEMM {gemmMs:F2} ms for {macs / 1e9:F3}e9 multiply-adds ({gemmMs / (macs / 1e9):F1} ms per 1e9), full GCs {gen2[c] / (double)calls:F1}");
            foreach (var (key, v) in k.Entries.OrderBy(e => e.Key, StringComparer.Ordinal))
                Console.WriteLine($"  {key,-28} {v.Calls / calls,4} calls {v.Elements / 1e6 / calls,10:F3} M elements {v.Ms / calls,9:F3} ms");
        }
    }

    /// <summary>Forwards every call to the wrapped backend, counting calls and elements and timing each by key.</summary>
    private sealed unsafe class Counting(IBackend inner) : IBackend
    {
        public Dictionary<string, (int Calls, long Elements, double Ms)> Entries { get; } = [];

        private long Begin() => Stopwatch.GetTimestamp();

        private void End(string key, long elements, long t0)
        {
            Entries.TryGetValue(key, out var e);
            Entries[key] = (e.Calls + 1, e.Elements + elements, e.Ms + Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
        }

        private static long Count(ReadOnlySpan<long> shape)
        {
            long n = 1;
            foreach (long d in shape) n *= d;
            return n;
        }

        public string Name => inner.Name;

        public void Fill(DType dtype, long n, double value, void* y)
        {
            long t = Begin();
            inner.Fill(dtype, n, value, y);
            End("Fill", n, t);
        }

        public void CopyStrided(DType dtype, ReadOnlySpan<long> shape, void* src, ReadOnlySpan<long> srcStrides, void* dst, ReadOnlySpan<long> dstStrides)
        {
            long t = Begin();
            inner.CopyStrided(dtype, shape, src, srcStrides, dst, dstStrides);
            End("CopyStrided", Count(shape), t);
        }

        public void Cast(DType srcDType, void* src, DType dstDType, void* dst, long n)
        {
            long t = Begin();
            inner.Cast(srcDType, src, dstDType, dst, n);
            End("Cast", n, t);
        }

        public void Gemm(DType dtype, bool transA, bool transB, long m, long n, long k, double alpha, void* a, long lda, void* b, long ldb, double beta, void* c, long ldc)
        {
            long t = Begin();
            inner.Gemm(dtype, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
            End($"Gemm {m}x{n}x{k} {(transA ? 'T' : 'N')}{(transB ? 'T' : 'N')}", m * n * k, t);
        }

        public void Unary(UnaryOp op, DType dtype, long n, void* x, void* y)
        {
            long t = Begin();
            inner.Unary(op, dtype, n, x, y);
            End($"Unary {op}", n, t);
        }

        public void UnaryBackward(UnaryOp op, DType dtype, long n, void* x, void* y, void* gy, void* gx)
        {
            long t = Begin();
            inner.UnaryBackward(op, dtype, n, x, y, gy, gx);
            End($"UnaryBackward {op}", n, t);
        }

        public void Binary(BinaryOp op, DType dtype, ReadOnlySpan<long> shape, void* a, ReadOnlySpan<long> aStrides, void* b, ReadOnlySpan<long> bStrides, void* output, ReadOnlySpan<long> outputStrides)
        {
            long t = Begin();
            inner.Binary(op, dtype, shape, a, aStrides, b, bStrides, output, outputStrides);
            // In place (the output is operand a) and broadcast (a zero stride) are told apart: their costs differ.
            string how = output == a ? " in place" : aStrides.Contains(0L) || bStrides.Contains(0L) ? " broadcast" : "";
            End($"Binary {op}{how}", Count(shape), t);
        }

        public void Reduce(ReduceOp op, DType dtype, ReadOnlySpan<long> shape, void* x, ReadOnlySpan<long> xStrides, ulong axesMask, void* y, long* index)
        {
            long t = Begin();
            inner.Reduce(op, dtype, shape, x, xStrides, axesMask, y, index);
            End($"Reduce {op}", Count(shape), t);
        }

        public void RowOp(RowOp op, DType dtype, long rows, long cols, void* x, void* y)
        {
            long t = Begin();
            inner.RowOp(op, dtype, rows, cols, x, y);
            End($"RowOp {op}", rows * cols, t);
        }

        public void RowOpBackward(RowOp op, DType dtype, long rows, long cols, void* x, void* y, void* gy, void* gx)
        {
            long t = Begin();
            inner.RowOpBackward(op, dtype, rows, cols, x, y, gy, gx);
            End($"RowOpBackward {op}", rows * cols, t);
        }

        public void SgdUpdate(DType dtype, long n, void* param, void* grad, void* momentumBuffer, double lr, double weightDecay, double momentum, double dampening, bool nesterov, bool firstStep) =>
            inner.SgdUpdate(dtype, n, param, grad, momentumBuffer, lr, weightDecay, momentum, dampening, nesterov, firstStep);

        public void AdamUpdate(DType dtype, long n, void* param, void* grad, void* m, void* v, double lr, double beta1, double beta2, double eps, double weightDecay, bool decoupled, long stepNumber) =>
            inner.AdamUpdate(dtype, n, param, grad, m, v, lr, beta1, beta2, eps, weightDecay, decoupled, stepNumber);
    }
}

using System.Numerics;
using System.Runtime.CompilerServices;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;

namespace Adjoint.Backends;

public sealed unsafe partial class ManagedBackend
{
    // Block sizes of the five-loop GEMM (BLIS naming): NC columns of B and KC of the shared dimension are
    // packed once and reused by every MC-row block of A; the MR×NR microkernel keeps its tile in registers.
    private const int MR = 4, KC = 256, MC = 128, NC = 1024;

    // Below this many multiply-adds, packing costs more than it saves.
    private const long SmallGemm = 8 * 8 * 8;

    /// <inheritdoc/>
    public void Gemm(DType dtype, bool transA, bool transB, long m, long n, long k,
                     double alpha, void* a, long lda, void* b, long ldb, double beta, void* c, long ldc)
    {
        CheckCount(m, nameof(m));
        CheckCount(n, nameof(n));
        CheckCount(k, nameof(k));
        long aCols = transA ? m : k, bCols = transB ? k : n;
        if (lda < Math.Max(1, aCols)) throw new ArgumentException($"ManagedBackend.Gemm: lda = {lda} is less than {Math.Max(1, aCols)}.", nameof(lda));
        if (ldb < Math.Max(1, bCols)) throw new ArgumentException($"ManagedBackend.Gemm: ldb = {ldb} is less than {Math.Max(1, bCols)}.", nameof(ldb));
        if (ldc < Math.Max(1, n)) throw new ArgumentException($"ManagedBackend.Gemm: ldc = {ldc} is less than {Math.Max(1, n)}.", nameof(ldc));
        CheckPointer(a, m * k, nameof(a));
        CheckPointer(b, k * n, nameof(b));
        CheckPointer(c, m * n, nameof(c));
        switch (dtype)
        {
            case DType.Float32: GemmImpl(transA, transB, m, n, k, (float)alpha, (float*)a, lda, (float*)b, ldb, (float)beta, (float*)c, ldc); break;
            case DType.Float64: GemmImpl(transA, transB, m, n, k, alpha, (double*)a, lda, (double*)b, ldb, beta, (double*)c, ldc); break;
            default: throw BadDType(dtype);
        }
    }

    private static void GemmImpl<T>(bool ta, bool tb, long m, long n, long k, T alpha, T* a, long lda,
                                    T* b, long ldb, T beta, T* c, long ldc)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (m == 0 || n == 0) return;
        for (long i = 0; i < m; i++)
        {
            var row = new Span<T>(c + i * ldc, (int)n);
            if (beta == T.Zero) row.Clear(); // β = 0: C is not read, NaN in C does not survive
            else if (beta != T.One) TensorPrimitives.Multiply(row, beta, row);
        }
        if (k == 0 || alpha == T.Zero) return;

        if (m * n * k <= SmallGemm)
        {
            for (long i = 0; i < m; i++)
                for (long j = 0; j < n; j++)
                {
                    T sum = T.Zero;
                    for (long p = 0; p < k; p++)
                        sum += (ta ? a[p * lda + i] : a[i * lda + p]) * (tb ? b[j * ldb + p] : b[p * ldb + j]);
                    c[i * ldc + j] += alpha * sum;
                }
            return;
        }

        int nr = 2 * Vector<T>.Count;
        T* packA = (T*)NativeMemory.AlignedAlloc((nuint)(MC * KC * sizeof(T)), 64);
        T* packB = (T*)NativeMemory.AlignedAlloc((nuint)((NC + nr) * KC * sizeof(T)), 64);
        try
        {
            for (long jc = 0; jc < n; jc += NC)
            {
                int nb = (int)Math.Min(NC, n - jc);
                int nPanels = (nb + nr - 1) / nr;
                for (long pc = 0; pc < k; pc += KC)
                {
                    int kb = (int)Math.Min(KC, k - pc);
                    PackB(tb, b, ldb, pc, jc, kb, nb, nr, packB);
                    for (long ic = 0; ic < m; ic += MC)
                    {
                        int mb = (int)Math.Min(MC, m - ic);
                        int mPanels = (mb + MR - 1) / MR;
                        PackA(ta, a, lda, ic, pc, mb, kb, alpha, packA);
                        for (int jp = 0; jp < nPanels; jp++)
                        {
                            int cols = Math.Min(nr, nb - jp * nr);
                            for (int ip = 0; ip < mPanels; ip++)
                            {
                                int rows = Math.Min(MR, mb - ip * MR);
                                T* tile = c + (ic + ip * MR) * ldc + jc + jp * nr;
                                Microkernel(kb, packA + ip * MR * kb, packB + jp * nr * kb, tile, ldc, rows, cols);
                            }
                        }
                    }
                }
            }
        }
        finally
        {
            NativeMemory.AlignedFree(packA);
            NativeMemory.AlignedFree(packB);
        }
    }

    /// <summary>Packs op(B)[pc.., jc..] as panels of nr columns, p-major within a panel, zero-padded.</summary>
    private static void PackB<T>(bool tb, T* b, long ldb, long pc, long jc, int kb, int nb, int nr, T* dst)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int j0 = 0; j0 < nb; j0 += nr)
        {
            int cols = Math.Min(nr, nb - j0);
            for (int p = 0; p < kb; p++)
            {
                long row = pc + p;
                for (int jj = 0; jj < cols; jj++)
                {
                    long col = jc + j0 + jj;
                    dst[jj] = tb ? b[col * ldb + row] : b[row * ldb + col];
                }
                for (int jj = cols; jj < nr; jj++) dst[jj] = T.Zero;
                dst += nr;
            }
        }
    }

    /// <summary>Packs α·op(A)[ic.., pc..] as panels of MR rows, p-major within a panel, zero-padded.</summary>
    private static void PackA<T>(bool ta, T* a, long lda, long ic, long pc, int mb, int kb, T alpha, T* dst)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i0 = 0; i0 < mb; i0 += MR)
        {
            int rows = Math.Min(MR, mb - i0);
            for (int p = 0; p < kb; p++)
            {
                long col = pc + p;
                for (int ii = 0; ii < rows; ii++)
                {
                    long row = ic + i0 + ii;
                    dst[ii] = alpha * (ta ? a[col * lda + row] : a[row * lda + col]);
                }
                for (int ii = rows; ii < MR; ii++) dst[ii] = T.Zero;
                dst += MR;
            }
        }
    }

    /// <summary>C[0..rows, 0..cols] += Apanel (MR×kb) · Bpanel (kb×nr), with the MR×nr tile in eight vector registers.</summary>
    private static void Microkernel<T>(int kb, T* ap, T* bp, T* c, long ldc, int rows, int cols)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int vc = Vector<T>.Count;
        Vector<T> c00 = default, c01 = default, c10 = default, c11 = default;
        Vector<T> c20 = default, c21 = default, c30 = default, c31 = default;
        for (int p = 0; p < kb; p++)
        {
            var b0 = Vector.Load(bp);
            var b1 = Vector.Load(bp + vc);
            var a0 = new Vector<T>(ap[0]);
            c00 = Fma(a0, b0, c00);
            c01 = Fma(a0, b1, c01);
            var a1 = new Vector<T>(ap[1]);
            c10 = Fma(a1, b0, c10);
            c11 = Fma(a1, b1, c11);
            var a2 = new Vector<T>(ap[2]);
            c20 = Fma(a2, b0, c20);
            c21 = Fma(a2, b1, c21);
            var a3 = new Vector<T>(ap[3]);
            c30 = Fma(a3, b0, c30);
            c31 = Fma(a3, b1, c31);
            ap += MR;
            bp += 2 * vc;
        }
        if (rows == MR && cols == 2 * vc)
        {
            AddRow(c, c00, c01, vc);
            AddRow(c + ldc, c10, c11, vc);
            AddRow(c + 2 * ldc, c20, c21, vc);
            AddRow(c + 3 * ldc, c30, c31, vc);
            return;
        }
        T* tile = stackalloc T[MR * 2 * Vector<T>.Count];
        int w = 2 * vc;
        Vector.Store(c00, tile); Vector.Store(c01, tile + vc);
        Vector.Store(c10, tile + w); Vector.Store(c11, tile + w + vc);
        Vector.Store(c20, tile + 2 * w); Vector.Store(c21, tile + 2 * w + vc);
        Vector.Store(c30, tile + 3 * w); Vector.Store(c31, tile + 3 * w + vc);
        for (int r = 0; r < rows; r++)
            for (int j = 0; j < cols; j++)
                c[r * ldc + j] += tile[r * w + j];
    }

    /// <summary>a·b + c with one rounding where the hardware has FMA (generic math has no vector FMA).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<T> Fma<T>(Vector<T> a, Vector<T> b, Vector<T> c) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(float))
            return Unsafe.BitCast<Vector<float>, Vector<T>>(Vector.FusedMultiplyAdd(
                Unsafe.BitCast<Vector<T>, Vector<float>>(a), Unsafe.BitCast<Vector<T>, Vector<float>>(b), Unsafe.BitCast<Vector<T>, Vector<float>>(c)));
        if (typeof(T) == typeof(double))
            return Unsafe.BitCast<Vector<double>, Vector<T>>(Vector.FusedMultiplyAdd(
                Unsafe.BitCast<Vector<T>, Vector<double>>(a), Unsafe.BitCast<Vector<T>, Vector<double>>(b), Unsafe.BitCast<Vector<T>, Vector<double>>(c)));
        return a * b + c;
    }

    private static void AddRow<T>(T* c, Vector<T> v0, Vector<T> v1, int vc) where T : unmanaged, IFloatingPointIeee754<T>
    {
        Vector.Store(Vector.Load(c) + v0, c);
        Vector.Store(Vector.Load(c + vc) + v1, c + vc);
    }
}

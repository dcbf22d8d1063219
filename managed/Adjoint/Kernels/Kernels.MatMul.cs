namespace Adjoint;

internal static unsafe partial class Kernels
{
    /// <summary>
    /// Matrix product with NumPy/PyTorch semantics: 1-D·1-D is a dot product (0-d result); a 1-D left
    /// operand is a row vector and a 1-D right operand a column vector, their unit dimension removed from the
    /// result; leading (batch) dimensions broadcast. One GEMM per batch element; a matrix whose view is a
    /// transposed contiguous matrix is passed as such instead of being copied. Shapes are checked here with
    /// messages naming MatMul.
    /// </summary>
    public static Tensor MatMul(Tensor a, Tensor b)
    {
        CheckSameDType("MatMul", a, b);
        int[] sa = a.ShapeArray, sb = b.ShapeArray;
        if (sa.Length == 0 || sb.Length == 0)
            throw new TensorShapeException($"MatMul: both arguments must be at least 1-D, got {Shapes.Format(sa)} x {Shapes.Format(sb)}.");

        // Promote vectors to matrices as views (no copies), remember which unit dims to drop at the end.
        bool aVec = sa.Length == 1, bVec = sb.Length == 1;
        Tensor a2 = aVec ? Unsqueeze(a, 0, register: false) : a;
        Tensor b2 = bVec ? Unsqueeze(b, 1, register: false) : b;
        try
        {
            int[] pa = a2.ShapeArray, pb = b2.ShapeArray;
            int m = pa[^2], k = pa[^1], k2 = pb[^2], n = pb[^1];
            if (k != k2)
                throw new TensorShapeException($"MatMul: inner dimensions differ: {Shapes.Format(sa)} x {Shapes.Format(sb)}.");
            var batch = Shapes.Broadcast("MatMul", pa.AsSpan(0, pa.Length - 2), pb.AsSpan(0, pb.Length - 2));

            var outShape = new int[batch.Length + 2];
            batch.CopyTo(outShape, 0);
            outShape[^2] = m;
            outShape[^1] = n;
            var result = MatMulInto(a2, b2, batch, outShape, m, n, k, register: !aVec && !bVec);
            if (!aVec && !bVec) return result;

            // Drop the promoted unit dims: [.., 1, n] -> [.., n], [.., m, 1] -> [.., m], [1, 1] -> [].
            int drop = (aVec ? 1 : 0) + (bVec ? 1 : 0);
            var finalShape = new int[outShape.Length - drop];
            Array.Copy(outShape, finalShape, batch.Length);
            int at = batch.Length;
            if (!aVec) finalShape[at++] = m;
            if (!bVec) finalShape[at] = n;
            using (result)
                return View(result, finalShape, Shapes.ContiguousStrides(finalShape), 0);
        }
        finally
        {
            if (aVec) a2.Dispose();
            if (bVec) b2.Dispose();
        }
    }

    private static Tensor MatMulInto(Tensor a, Tensor b, int[] batch, int[] outShape, int m, int n, int k, bool register)
    {
        DType dtype = a.ElementType;
        int es = dtype.ElementSize();
        var output = Empty(outShape, dtype, register);
        try
        {
            if (output.Count > 0)
            {
                var ac = GemmOperand(a, out bool aOwned, out bool transA, out long lda);
                var bc = GemmOperand(b, out bool bOwned, out bool transB, out long ldb);
                try
                {
                    long[] aBatch = Shapes.BroadcastStrides(ac.ShapeArray.AsSpan(0, ac.ShapeArray.Length - 2), ac.StrideArray.AsSpan(0, ac.StrideArray.Length - 2), batch);
                    long[] bBatch = Shapes.BroadcastStrides(bc.ShapeArray.AsSpan(0, bc.ShapeArray.Length - 2), bc.StrideArray.AsSpan(0, bc.StrideArray.Length - 2), batch);
                    byte* pa = (byte*)ac.DataPointer, pb = (byte*)bc.DataPointer, pc = (byte*)output.DataPointer;
                    long batches = Shapes.NumElements(batch);
                    Span<int> index = stackalloc int[batch.Length];
                    long offA = 0, offB = 0;
                    for (long t = 0; t < batches; t++)
                    {
                        B.Gemm(dtype, transA, transB, m, n, k, 1.0, pa + offA * es, lda, pb + offB * es, ldb, 0.0,
                               pc + t * m * n * es, Math.Max(n, 1));
                        for (int d = batch.Length - 1; d >= 0; d--)
                        {
                            offA += aBatch[d];
                            offB += bBatch[d];
                            if (++index[d] < batch[d]) break;
                            offA -= aBatch[d] * batch[d];
                            offB -= bBatch[d] * batch[d];
                            index[d] = 0;
                        }
                    }
                    GC.KeepAlive(ac);
                    GC.KeepAlive(bc);
                }
                finally
                {
                    if (aOwned) ac.Dispose();
                    if (bOwned) bc.Dispose();
                }
                GC.KeepAlive(output);
            }
            return output;
        }
        catch
        {
            output.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The operand as GEMM sees it: its last two dims must be row-major (unit column stride) or column-major
    /// (unit row stride, passed as a transpose) with a leading dimension covering the other extent; otherwise
    /// a contiguous copy is made.
    /// </summary>
    private static Tensor GemmOperand(Tensor x, out bool owned, out bool trans, out long ld)
    {
        int[] s = x.ShapeArray;
        long[] st = x.StrideArray;
        int rows = s[^2], cols = s[^1];
        long rs = st[^2], cs = st[^1];
        owned = false;
        if (cs == 1 || cols == 1)
        {
            ld = rows > 1 ? rs : Math.Max(cols, 1);
            if (ld >= Math.Max(cols, 1)) { trans = false; return x; }
        }
        if (rs == 1 || rows == 1)
        {
            ld = cols > 1 ? cs : Math.Max(rows, 1);
            if (ld >= Math.Max(rows, 1)) { trans = true; return x; }
        }
        owned = true;
        trans = false;
        ld = Math.Max(cols, 1);
        return Copy(x, register: false);
    }
}

using Adjoint.Interop;

namespace Adjoint;

internal static unsafe partial class Kernels
{
    /// <summary>
    /// Reduces <paramref name="x"/> over <paramref name="axes"/> (normalised, sorted, distinct). The output
    /// keeps each reduced dim as 1 when <paramref name="keepDims"/>, else drops it; both layouts are the same
    /// contiguous memory, so the kernel writes the final tensor directly. For Max/Min,
    /// <paramref name="indices"/> (when requested) receives, per output element in row-major order, the
    /// row-major position of the chosen element within the reduced block — for one axis, its index along it.
    /// </summary>
    public static Tensor Reduce(ReduceOp op, Tensor x, int[] axes, bool keepDims, bool wantIndices, out long[]? indices)
    {
        int[] shape = x.ShapeArray;
        ulong mask = 0;
        foreach (int a in axes) mask |= 1UL << a;
        var outShape = ReducedShape(shape, mask, keepDims);
        var y = Empty(outShape, x.ElementType);
        indices = wantIndices && op != ReduceOp.Sum ? new long[y.Count] : null;
        Span<long> longShape = stackalloc long[shape.Length];
        for (int i = 0; i < shape.Length; i++) longShape[i] = shape[i];
        fixed (long* ip = indices)
            B.Reduce(op, x.ElementType, longShape, x.DataPointer, x.StrideArray, mask, y.DataPointer, ip);
        GC.KeepAlive(x);
        GC.KeepAlive(y);
        return y;
    }

    /// <summary>Mean over <paramref name="axes"/>: the sum divided by the number of reduced elements (NaN when that is 0).</summary>
    public static Tensor Mean(Tensor x, int[] axes, bool keepDims)
    {
        long count = 1;
        foreach (int a in axes) count *= x.ShapeArray[a];
        var sum = Reduce(ReduceOp.Sum, x, axes, keepDims, false, out _);
        using var divisor = ScalarTemp(count, x.ElementType);
        Span<long> shape = stackalloc long[sum.ShapeArray.Length];
        for (int i = 0; i < shape.Length; i++) shape[i] = sum.ShapeArray[i];
        // A fresh tensor nobody else sees: no version bump needed.
        B.Binary(BinaryOp.Div, x.ElementType, shape, sum.DataPointer, sum.StrideArray,
                 divisor.DataPointer, new long[shape.Length], sum.DataPointer, sum.StrideArray);
        GC.KeepAlive(sum);
        GC.KeepAlive(divisor);
        return sum;
    }

    private static int[] ReducedShape(int[] shape, ulong mask, bool keepDims)
    {
        int rank = 0;
        for (int d = 0; d < shape.Length; d++) if (keepDims || (mask >> d & 1) == 0) rank++;
        var result = new int[rank];
        for (int d = 0, j = 0; d < shape.Length; d++)
        {
            if ((mask >> d & 1) == 0) result[j++] = shape[d];
            else if (keepDims) result[j++] = 1;
        }
        return result;
    }

    /// <summary>Permutation that moves <paramref name="axis"/> to the end, and its inverse.</summary>
    private static (int[] Forward, int[] Inverse) AxisToEnd(int rank, int axis)
    {
        var forward = new int[rank];
        var inverse = new int[rank];
        for (int i = 0, j = 0; i < rank; i++) if (i != axis) forward[j++] = i;
        forward[rank - 1] = axis;
        for (int i = 0; i < rank; i++) inverse[forward[i]] = i;
        return (forward, inverse);
    }

    /// <summary>
    /// Softmax / log-softmax (same shape as x) or logsumexp (axis removed, or kept as 1) along
    /// <paramref name="axis"/> (normalised). The axis is permuted to the end and made contiguous for the
    /// row kernel; softmax results along an inner axis come back as a permuted (non-contiguous) view.
    /// A 0-d input is treated as one row of one element.
    /// </summary>
    public static Tensor RowOp(RowOp op, Tensor x, int axis, bool keepDims = false)
    {
        int rank = x.ShapeArray.Length;
        if (rank == 0)
        {
            using var row = Unsqueeze(x, 0, register: false);
            using var r = RowOp(op, row, 0, keepDims: false);
            return View(r, [], [], r.OffsetValue);
        }
        int cols = x.ShapeArray[axis];
        bool last = axis == rank - 1;
        var (forward, inverse) = AxisToEnd(rank, axis);
        Tensor moved = last ? x : Permute(x, forward, register: false);
        var xc = ContiguousTemp(moved, out bool owned);
        try
        {
            long rows = cols == 0 ? Shapes.NumElements(moved.ShapeArray.AsSpan(0, rank - 1)) : xc.Count / cols;
            if (op == Interop.RowOp.LogSumExp)
            {
                var y = Empty(ReducedShape(x.ShapeArray, 1UL << axis, keepDims), x.ElementType);
                B.RowOp(op, x.ElementType, rows, cols, xc.DataPointer, y.DataPointer);
                GC.KeepAlive(xc);
                GC.KeepAlive(y);
                return y;
            }
            var ym = Empty(moved.ShapeArray, x.ElementType, register: !last);
            B.RowOp(op, x.ElementType, rows, cols, xc.DataPointer, ym.DataPointer);
            GC.KeepAlive(xc);
            GC.KeepAlive(ym);
            if (last) return ym;
            using (ym) return Permute(ym, inverse);
        }
        finally
        {
            if (owned) xc.Dispose();
            if (!last) moved.Dispose();
        }
    }

    /// <summary>
    /// Fused backward of <see cref="RowOp(Interop.RowOp, Tensor, int, bool)"/>: gx (shape of x) from the forward
    /// output y and its gradient gy. <paramref name="x"/> is read only by logsumexp (may be null otherwise).
    /// For logsumexp, y and gy have x's shape with the axis removed or kept as 1.
    /// </summary>
    public static Tensor RowOpBackward(RowOp op, Tensor? x, Tensor y, Tensor gy, int axis)
    {
        bool lse = op == Interop.RowOp.LogSumExp;
        int[] xShape = lse ? x!.ShapeArray : y.ShapeArray;
        int rank = xShape.Length;
        if (rank == 0)
        {
            using var x1 = x is null ? null : Unsqueeze(x, 0, register: false);
            using var y1 = lse ? null : Unsqueeze(y, 0, register: false);
            using var gy1 = lse ? null : Unsqueeze(gy, 0, register: false);
            using var g = RowOpBackward(op, x1, y1 ?? y, gy1 ?? gy, 0);
            return View(g, [], [], g.OffsetValue);
        }
        int cols = xShape[axis];
        bool last = axis == rank - 1;
        var (forward, inverse) = AxisToEnd(rank, axis);
        var temps = new List<Tensor>(6);
        try
        {
            Tensor Prepare(Tensor t, bool permute)
            {
                if (permute && !last)
                {
                    t = Permute(t, forward, register: false);
                    temps.Add(t);
                }
                var c = ContiguousTemp(t, out bool owned);
                if (owned) temps.Add(c);
                return c;
            }

            Tensor? xc = x is null ? null : Prepare(x, permute: true);
            Tensor yc = Prepare(y, permute: !lse);
            Tensor gyc = Prepare(gy, permute: !lse);
            int[] movedShape = new int[rank];
            for (int i = 0; i < rank; i++) movedShape[i] = xShape[forward[i]];
            long rows = Shapes.NumElements(movedShape.AsSpan(0, rank - 1));
            var gm = Empty(movedShape, gy.ElementType, register: last);
            B.RowOpBackward(op, gy.ElementType, rows, cols, xc is null ? null : xc.DataPointer,
                            yc.DataPointer, gyc.DataPointer, gm.DataPointer);
            GC.KeepAlive(xc);
            GC.KeepAlive(yc);
            GC.KeepAlive(gyc);
            GC.KeepAlive(gm);
            if (last) return gm;
            using (gm) return Permute(gm, inverse);
        }
        finally
        {
            foreach (var t in temps) t.Dispose();
        }
    }
}

using System.Numerics;
using System.Numerics.Tensors;
using Adjoint.Interop;

namespace Adjoint.Backends;

public sealed unsafe partial class ManagedBackend
{
    /// <inheritdoc/>
    public void Reduce(ReduceOp op, DType dtype, ReadOnlySpan<long> shape, void* x, ReadOnlySpan<long> xStrides,
                       ulong axesMask, void* y, long* index)
    {
        CheckStrides(shape, xStrides, nameof(xStrides));
        if ((uint)op > 2) throw BadOp(op);
        if (shape.Length < 64 && (axesMask >> shape.Length) != 0)
            throw new ArgumentException($"ManagedBackend.Reduce: axes mask 0x{axesMask:X} names axes beyond rank {shape.Length}.", nameof(axesMask));

        Dims16 keptShape = default, keptStrides = default, redShape = default, redStrides = default;
        int kr = 0, rr = 0;
        long outCount = 1, redCount = 1;
        for (int d = 0; d < shape.Length; d++)
        {
            if (shape[d] < 0) throw new ArgumentException($"ManagedBackend.Reduce: negative extent {shape[d]}.", nameof(shape));
            if ((axesMask >> d & 1) != 0)
            {
                redShape[rr] = shape[d];
                redStrides[rr++] = xStrides[d];
                redCount *= shape[d];
            }
            else
            {
                keptShape[kr] = shape[d];
                keptStrides[kr++] = xStrides[d];
                outCount *= shape[d];
            }
        }
        CheckPointer(x, outCount * redCount, nameof(x));
        CheckPointer(y, outCount, nameof(y));
        // As in adjoint.h: max/min over an empty extent is an error even when the output is empty too.
        if (redCount == 0 && op != ReduceOp.Sum)
            throw new ArgumentException($"ManagedBackend.Reduce: {op} over an empty extent has no result.", nameof(shape));
        if (outCount == 0) return;

        var kept = ((ReadOnlySpan<long>)keptShape)[..kr];
        var keptS = ((ReadOnlySpan<long>)keptStrides)[..kr];
        var red = ((ReadOnlySpan<long>)redShape)[..rr];
        var redS = ((ReadOnlySpan<long>)redStrides)[..rr];
        switch (dtype)
        {
            case DType.Float32: ReduceImpl(op, kept, keptS, red, redS, redCount, (float*)x, (float*)y, index); break;
            case DType.Float64: ReduceImpl(op, kept, keptS, red, redS, redCount, (double*)x, (double*)y, index); break;
            default: throw BadDType(dtype);
        }
    }

    private static void ReduceImpl<T>(ReduceOp op, ReadOnlySpan<long> kept, ReadOnlySpan<long> keptS,
                                      ReadOnlySpan<long> red, ReadOnlySpan<long> redS, long redCount,
                                      T* x, T* y, long* index)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var outer = StridedLoop.Create(kept, keptS, default, default);
        var inner = StridedLoop.Create(red, redS, default, default);
        if (outer.OuterCount == 1 && outer.InnerStride0 == 1 && outer.InnerCount <= Chunk && redCount > 0)
        {
            ReduceRows(op, (int)outer.InnerCount, ref inner, x, y, index);
            return;
        }
        long yi = 0;
        for (long o = 0; o < outer.OuterCount; o++, outer.Advance())
            for (long j = 0; j < outer.InnerCount; j++)
            {
                T* block = x + outer.Offset0 + j * outer.InnerStride0;
                inner.Reset();
                if (op == ReduceOp.Sum)
                {
                    y[yi] = redCount == 0 ? T.Zero : SumBlock(block, ref inner);
                }
                else
                {
                    long at = ExtremeBlock(block, ref inner, op == ReduceOp.Max, out T best);
                    y[yi] = best;
                    if (index != null) index[yi] = at;
                }
                yi++;
            }
    }

    /// <summary>
    /// The kept elements form one contiguous run (e.g. reducing the leading axes of a row-major tensor): walk
    /// the reduced positions in order and combine whole runs into y, reading memory sequentially instead of
    /// striding through it once per output element. Same results as the per-element path: sums accumulate in
    /// reduced-block order, and max/min keep the first occurrence and the first NaN.
    /// </summary>
    private static void ReduceRows<T>(ReduceOp op, int n, ref StridedLoop red, T* x, T* y, long* index)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var acc = new Span<T>(y, n);
        long pos = 0;
        long count = red.InnerCount, stride = red.InnerStride0;
        for (long o = 0; o < red.OuterCount; o++, red.Advance())
            for (long i = 0; i < count; i++, pos++)
            {
                var row = new ReadOnlySpan<T>(x + red.Offset0 + i * stride, n);
                if (op == ReduceOp.Sum)
                {
                    if (pos == 0) row.CopyTo(acc);
                    else TensorPrimitives.Add(acc, row, acc);
                    continue;
                }
                if (pos == 0)
                {
                    row.CopyTo(acc);
                    if (index != null) new Span<long>(index, n).Clear();
                    continue;
                }
                bool max = op == ReduceOp.Max;
                for (int j = 0; j < n; j++)
                {
                    T v = row[j], best = acc[j];
                    if (!T.IsNaN(best) && (T.IsNaN(v) || (max ? v > best : v < best)))
                    {
                        acc[j] = v;
                        if (index != null) index[j] = pos;
                    }
                }
            }
    }

    private static T SumBlock<T>(T* block, ref StridedLoop loop) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T sum = T.Zero;
        long n = loop.InnerCount, s = loop.InnerStride0;
        for (long o = 0; o < loop.OuterCount; o++, loop.Advance())
        {
            T* p = block + loop.Offset0;
            if (s == 1 && n <= Chunk) sum += TensorPrimitives.Sum(new ReadOnlySpan<T>(p, (int)n));
            else for (long i = 0; i < n; i++) sum += p[i * s];
        }
        return sum;
    }

    /// <summary>
    /// Max or min of a block in row-major order. NaN wins over numbers and the first NaN is kept; otherwise only a
    /// strictly better value replaces the current one, so the index is the first occurrence of the result.
    /// </summary>
    private static long ExtremeBlock<T>(T* block, ref StridedLoop loop, bool max, out T best)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        best = T.Zero;
        long bestAt = -1, pos = 0;
        long n = loop.InnerCount, s = loop.InnerStride0;
        for (long o = 0; o < loop.OuterCount; o++, loop.Advance())
        {
            T* p = block + loop.Offset0;
            for (long i = 0; i < n; i++, pos++)
            {
                T v = p[i * s];
                if (bestAt < 0 || (!T.IsNaN(best) && (T.IsNaN(v) || (max ? v > best : v < best))))
                {
                    best = v;
                    bestAt = pos;
                }
            }
        }
        return bestAt;
    }

    /// <inheritdoc/>
    public void RowOp(RowOp op, DType dtype, long rows, long cols, void* x, void* y)
    {
        CheckCount(rows, nameof(rows));
        CheckCount(cols, nameof(cols));
        if (cols > Chunk) throw new ArgumentException($"ManagedBackend.RowOp: {cols} columns exceed {Chunk}.", nameof(cols));
        if ((uint)op > 2) throw BadOp(op);
        CheckPointer(x, rows * cols, nameof(x));
        CheckPointer(y, op == Interop.RowOp.LogSumExp ? rows : rows * cols, nameof(y));
        switch (dtype)
        {
            case DType.Float32: RowOpImpl(op, rows, (int)cols, (float*)x, (float*)y); break;
            case DType.Float64: RowOpImpl(op, rows, (int)cols, (double*)x, (double*)y); break;
            default: throw BadDType(dtype);
        }
    }

    private static void RowOpImpl<T>(RowOp op, long rows, int cols, T* xp, T* yp) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (long r = 0; r < rows; r++)
        {
            var x = new ReadOnlySpan<T>(xp + r * cols, cols);
            if (op == Interop.RowOp.LogSumExp)
            {
                yp[r] = LogSumExp(x);
                continue;
            }
            if (cols == 0) continue;
            var y = new Span<T>(yp + r * cols, cols);
            if (op == Interop.RowOp.Softmax)
            {
                T m = TensorPrimitives.Max(x);
                TensorPrimitives.Subtract(x, m, y);
                TensorPrimitives.Exp(y, y);
                T s = TensorPrimitives.Sum<T>(y);
                TensorPrimitives.Divide(y, s, y);
            }
            else
            {
                TensorPrimitives.Subtract(x, LogSumExp(x), y);
            }
        }
    }

    /// <summary>m + log Σ exp(x − m) with m = max x; an infinite maximum is the result itself (no ∞ − ∞).</summary>
    private static T LogSumExp<T>(ReadOnlySpan<T> x) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (x.IsEmpty) return T.NegativeInfinity;
        T m = TensorPrimitives.Max(x);
        if (T.IsInfinity(m) || T.IsNaN(m)) return m;
        T s = T.Zero;
        foreach (T v in x) s += T.Exp(v - m);
        return m + T.Log(s);
    }

    /// <inheritdoc/>
    public void RowOpBackward(RowOp op, DType dtype, long rows, long cols, void* x, void* y, void* gy, void* gx)
    {
        CheckCount(rows, nameof(rows));
        CheckCount(cols, nameof(cols));
        if (cols > Chunk) throw new ArgumentException($"ManagedBackend.RowOpBackward: {cols} columns exceed {Chunk}.", nameof(cols));
        if ((uint)op > 2) throw BadOp(op);
        long yCount = op == Interop.RowOp.LogSumExp ? rows : rows * cols;
        if (op == Interop.RowOp.LogSumExp) CheckPointer(x, rows * cols, nameof(x));
        CheckPointer(y, yCount, nameof(y));
        CheckPointer(gy, yCount, nameof(gy));
        CheckPointer(gx, rows * cols, nameof(gx));
        switch (dtype)
        {
            case DType.Float32: RowOpBackwardImpl(op, rows, (int)cols, (float*)x, (float*)y, (float*)gy, (float*)gx); break;
            case DType.Float64: RowOpBackwardImpl(op, rows, (int)cols, (double*)x, (double*)y, (double*)gy, (double*)gx); break;
            default: throw BadDType(dtype);
        }
    }

    private static void RowOpBackwardImpl<T>(RowOp op, long rows, int cols, T* xp, T* yp, T* gyp, T* gxp)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (cols == 0) return;
        for (long r = 0; r < rows; r++)
        {
            var gx = new Span<T>(gxp + r * cols, cols);
            switch (op)
            {
                case Interop.RowOp.Softmax:
                {
                    var y = new ReadOnlySpan<T>(yp + r * cols, cols);
                    var gy = new ReadOnlySpan<T>(gyp + r * cols, cols);
                    T dot = TensorPrimitives.Dot(gy, y);
                    for (int j = 0; j < cols; j++) gx[j] = y[j] * (gy[j] - dot);
                    break;
                }
                case Interop.RowOp.LogSumExp:
                {
                    var x = new ReadOnlySpan<T>(xp + r * cols, cols);
                    T g = gyp[r], lse = yp[r];
                    for (int j = 0; j < cols; j++) gx[j] = g * T.Exp(x[j] - lse);
                    break;
                }
                default:
                {
                    var y = new ReadOnlySpan<T>(yp + r * cols, cols);
                    var gy = new ReadOnlySpan<T>(gyp + r * cols, cols);
                    T sum = TensorPrimitives.Sum(gy);
                    for (int j = 0; j < cols; j++) gx[j] = gy[j] - T.Exp(y[j]) * sum;
                    break;
                }
            }
        }
    }
}

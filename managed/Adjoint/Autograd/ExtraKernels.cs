namespace Adjoint;

/// <summary>
/// Kernels that exist only in managed code for now: selection, comparison, products, indexing and
/// concatenation. They work on contiguous buffers and move or compare values exactly (results are inputs, 0
/// or 1), except Prod, which multiplies in double and rounds once. Not on a hot path of training: the fused
/// native kernels cover those.
/// </summary>
internal static unsafe class ExtraKernels
{
    private static Tensor Alloc(int[] shape, DType dtype) => Kernels.Empty(shape, dtype);

    private static Tensor Zeros(int[] shape, DType dtype)
    {
        var t = Alloc(shape, dtype);
        new Span<byte>(t.DataPointer, checked((int)(t.Count * dtype.ElementSize()))).Clear();
        return t;
    }

    /// <summary>x broadcast to <paramref name="shape"/> and laid out contiguously.</summary>
    private static Tensor Dense(Tensor x, int[] shape)
    {
        var v = x.ShapeArray.AsSpan().SequenceEqual(shape) ? x : Kernels.Expand(x, shape);
        return v.IsContiguous ? v : Kernels.Contiguous(v);
    }

    private static double Get(void* p, DType dt, long i) => dt == DType.Float32 ? ((float*)p)[i] : ((double*)p)[i];

    private static void Set(void* p, DType dt, long i, double v)
    {
        if (dt == DType.Float32) ((float*)p)[i] = (float)v;
        else ((double*)p)[i] = v;
    }

    private static Tensor Map(Tensor x, Func<double, double> f)
    {
        var src = x.IsContiguous ? x : Kernels.Contiguous(x);
        var y = Alloc((int[])x.ShapeArray.Clone(), x.DType);
        void* ps = src.DataPointer, py = y.DataPointer;
        for (long i = 0; i < y.Count; i++) Set(py, y.DType, i, f(Get(ps, src.DType, i)));
        GC.KeepAlive(src);
        return y;
    }

    public static Tensor Sign(Tensor x) => Map(x, v => v > 0 ? 1 : v < 0 ? -1 : double.IsNaN(v) ? v : 0);

    public static Tensor Round(Tensor x) => Map(x, Math.Round);

    public static Tensor Step(Tensor x) => Map(x, v => v > 0 ? 1 : 0);

    public static Tensor Clamp(Tensor x, (double Lo, double Hi) range) =>
        Map(x, v => v < range.Lo ? range.Lo : v > range.Hi ? range.Hi : v);

    public static Tensor Compare(CompareOp op, Tensor a, Tensor b)
    {
        var shape = Shapes.Broadcast(op.ToString(), a.ShapeArray, b.ShapeArray);
        var da = Dense(a, shape);
        var db = Dense(b, shape);
        var y = Alloc(shape, a.DType);
        void* pa = da.DataPointer, pb = db.DataPointer, py = y.DataPointer;
        for (long i = 0; i < y.Count; i++)
        {
            double u = Get(pa, a.DType, i), w = Get(pb, b.DType, i);
            bool r = op switch
            {
                CompareOp.Eq => u == w,
                CompareOp.Ne => u != w,
                CompareOp.Gt => u > w,
                CompareOp.Ge => u >= w,
                CompareOp.Lt => u < w,
                _ => u <= w,
            };
            Set(py, y.DType, i, r ? 1 : 0);
        }
        GC.KeepAlive(da);
        GC.KeepAlive(db);
        return y;
    }

    public static Tensor Where(Tensor cond, Tensor a, Tensor b)
    {
        var shape = Shapes.Broadcast("Where", Shapes.Broadcast("Where", cond.ShapeArray, a.ShapeArray), b.ShapeArray);
        var dc = Dense(cond, shape);
        var da = Dense(a, shape);
        var db = Dense(b, shape);
        var y = Alloc(shape, a.DType);
        void* pc = dc.DataPointer, pa = da.DataPointer, pb = db.DataPointer, py = y.DataPointer;
        for (long i = 0; i < y.Count; i++)
            Set(py, y.DType, i, Get(pc, cond.DType, i) != 0 ? Get(pa, a.DType, i) : Get(pb, b.DType, i));
        GC.KeepAlive(dc);
        GC.KeepAlive(da);
        GC.KeepAlive(db);
        return y;
    }

    /// <summary>Splits a contiguous shape around <paramref name="dim"/> into (outer, extent, inner).</summary>
    private static (long Outer, int N, long Inner) Around(int[] shape, int dim)
    {
        long outer = 1, inner = 1;
        for (int d = 0; d < dim; d++) outer *= shape[d];
        for (int d = dim + 1; d < shape.Length; d++) inner *= shape[d];
        return (outer, shape[dim], inner);
    }

    public static Tensor Prod(Tensor x, int[] axes, bool keepDims)
    {
        int rank = x.Rank;
        var kept = Enumerable.Range(0, rank).Where(d => Array.IndexOf(axes, d) < 0).ToArray();
        var perm = kept.Concat(axes).ToArray();
        var xp = Kernels.Contiguous(Kernels.Permute(x, perm));
        long n = 1;
        foreach (int d in axes) n *= x.ShapeArray[d];
        long outer = n == 0 ? Shapes.NumElements(kept.Select(d => x.ShapeArray[d]).ToArray()) : xp.Count / n;
        var outShape = keepDims
            ? x.ShapeArray.Select((s, d) => Array.IndexOf(axes, d) >= 0 ? 1 : s).ToArray()
            : kept.Select(d => x.ShapeArray[d]).ToArray();
        var y = Alloc(outShape, x.DType);
        void* px = xp.DataPointer, py = y.DataPointer;
        for (long o = 0; o < outer; o++)
        {
            double p = 1;
            for (long k = 0; k < n; k++) p *= Get(px, x.DType, o * n + k);
            Set(py, y.DType, o, p);
        }
        GC.KeepAlive(xp);
        return y;
    }

    public static Tensor NarrowScatter(Tensor g, NarrowScatterAttrs a)
    {
        var src = Kernels.Contiguous(g);
        var y = Zeros((int[])a.FullShape.Clone(), g.DType);
        var (outer, n, inner) = Around(a.FullShape, a.Dim);
        int len = g.ShapeArray[a.Dim];
        int es = g.DType.ElementSize();
        byte* ps = (byte*)src.DataPointer, py = (byte*)y.DataPointer;
        long block = len * inner * es;
        for (long o = 0; o < outer; o++)
            Buffer.MemoryCopy(ps + o * block, py + (o * n + a.Start) * inner * es, block, block);
        GC.KeepAlive(src);
        return y;
    }

    public static Tensor Concat(ReadOnlySpan<Tensor> inputs, int axis)
    {
        var shape = (int[])inputs[0].ShapeArray.Clone();
        shape[axis] = 0;
        foreach (var t in inputs) shape[axis] += t.ShapeArray[axis];
        var y = Alloc(shape, inputs[0].DType);
        var (outer, total, inner) = Around(shape, axis);
        int es = y.DType.ElementSize();
        byte* py = (byte*)y.DataPointer;
        long start = 0;
        foreach (var t in inputs)
        {
            var src = Kernels.Contiguous(t);
            long block = t.ShapeArray[axis] * inner * es;
            byte* ps = (byte*)src.DataPointer;
            for (long o = 0; o < outer; o++)
                Buffer.MemoryCopy(ps + o * block, py + (o * total + start) * inner * es, block, block);
            start += t.ShapeArray[axis];
            GC.KeepAlive(src);
        }
        return y;
    }

    public static Tensor IndexSelect(Tensor x, IndexAttrs a)
    {
        var src = Kernels.Contiguous(x);
        var shape = (int[])x.ShapeArray.Clone();
        shape[a.Dim] = a.Indices.Length;
        var y = Alloc(shape, x.DType);
        var (outer, n, inner) = Around(x.ShapeArray, a.Dim);
        int es = x.DType.ElementSize();
        long row = inner * es;
        byte* ps = (byte*)src.DataPointer, py = (byte*)y.DataPointer;
        for (long o = 0; o < outer; o++)
            for (int k = 0; k < a.Indices.Length; k++)
                Buffer.MemoryCopy(ps + (o * n + a.Indices[k]) * row, py + (o * a.Indices.Length + k) * row, row, row);
        GC.KeepAlive(src);
        return y;
    }

    public static Tensor IndexAdd(Tensor g, IndexAttrs a)
    {
        var src = Kernels.Contiguous(g);
        var y = Zeros((int[])a.SourceShape!.Clone(), g.DType);
        var (outer, n, inner) = Around(a.SourceShape!, a.Dim);
        int m = a.Indices.Length;
        void* ps = src.DataPointer, py = y.DataPointer;
        for (long o = 0; o < outer; o++)
            for (int k = 0; k < m; k++)
                for (long i = 0; i < inner; i++)
                {
                    long to = (o * n + a.Indices[k]) * inner + i;
                    Set(py, y.DType, to, Get(py, y.DType, to) + Get(ps, g.DType, (o * m + k) * inner + i));
                }
        GC.KeepAlive(src);
        return y;
    }

    /// <summary>Maps each position of the index shape to (its linear index, the source linear index).</summary>
    private static void ForEachGather(int[] indexShape, int[] sourceShape, int dim, long[] index, Action<long, long> visit)
    {
        int rank = indexShape.Length;
        var srcStrides = Shapes.ContiguousStrides(sourceShape);
        var coord = new int[rank];
        long count = Shapes.NumElements(indexShape);
        for (long i = 0; i < count; i++)
        {
            long src = 0;
            for (int d = 0; d < rank; d++) src += (d == dim ? index[i] : coord[d]) * srcStrides[d];
            visit(i, src);
            for (int d = rank - 1; d >= 0; d--)
            {
                if (++coord[d] < indexShape[d]) break;
                coord[d] = 0;
            }
        }
    }

    public static Tensor Gather(Tensor x, GatherAttrs a)
    {
        var src = Kernels.Contiguous(x);
        var y = Alloc((int[])a.IndexShape.Clone(), x.DType);
        void* ps = src.DataPointer, py = y.DataPointer;
        var dt = x.DType;
        ForEachGather(a.IndexShape, x.ShapeArray, a.Dim, a.Index, (i, s) => Set(py, dt, i, Get(ps, dt, s)));
        GC.KeepAlive(src);
        return y;
    }

    public static Tensor ScatterAdd(Tensor g, GatherAttrs a)
    {
        var src = Kernels.Contiguous(g);
        var y = Zeros((int[])a.SourceShape!.Clone(), g.DType);
        void* ps = src.DataPointer, py = y.DataPointer;
        var dt = g.DType;
        ForEachGather(a.IndexShape, a.SourceShape!, a.Dim, a.Index, (i, s) => Set(py, dt, s, Get(py, dt, s) + Get(ps, dt, i)));
        GC.KeepAlive(src);
        return y;
    }
}

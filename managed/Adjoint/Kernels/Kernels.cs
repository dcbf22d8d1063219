using Adjoint.Backends;

namespace Adjoint;

/// <summary>
/// Where tensors meet backends: allocates outputs, computes broadcast shapes and strides, makes inputs
/// contiguous where a kernel needs it, and calls <see cref="Backend.Current"/>. Never records autograd
/// nodes; callers have validated arguments (public ops) or know them to be valid (derivative rules).
/// </summary>
/// <remarks>
/// Conventions: every tensor a method returns is registered with the current <see cref="TensorScope"/>;
/// temporaries it makes for itself are not, and are disposed before it returns. Shape and stride arrays
/// are never mutated after a tensor is built, so views may share them. Pointers taken from a tensor are
/// used only while the tensor is kept alive (<see cref="GC.KeepAlive"/>), because a finalizer could
/// otherwise free the storage mid-kernel.
/// </remarks>
internal static unsafe partial class Kernels
{
    private static IBackend B => Backend.Current;

    // ---- allocation ----

    /// <summary>A new contiguous, uninitialised tensor.</summary>
    public static Tensor Empty(int[] shape, DType dtype, bool register = true) =>
        Empty(shape, Shapes.ContiguousStrides(shape), dtype, register);

    /// <summary>As <see cref="Empty(int[], DType, bool)"/> with the contiguous strides already at hand (shared, not copied).</summary>
    public static Tensor Empty(int[] shape, long[] contiguousStrides, DType dtype, bool register = true)
    {
        long n = Shapes.NumElements(shape);
        var storage = TensorStorage.Allocate(dtype, n);
        return new Tensor(storage, shape, contiguousStrides, 0, register);
    }

    public static Tensor Full(int[] shape, DType dtype, double value, bool register = true)
    {
        var t = Empty(shape, dtype, register);
        B.Fill(dtype, t.Count, value, t.DataPointer);
        GC.KeepAlive(t);
        return t;
    }

    /// <summary>A 0-d tensor holding <paramref name="value"/>: how scalars enter broadcasting kernels.</summary>
    public static Tensor ScalarTemp(double value, DType dtype) => Full([], dtype, value, register: false);

    /// <summary>A tensor copied from managed memory into a new contiguous tensor of <paramref name="shape"/>.</summary>
    public static Tensor FromSpan<T>(ReadOnlySpan<T> data, int[] shape, DType dtype) where T : unmanaged
    {
        var t = Empty(shape, dtype);
        data.CopyTo(new Span<T>(t.DataPointer, data.Length));
        GC.KeepAlive(t);
        return t;
    }

    // ---- views: share storage and version counter ----

    /// <summary>A new tensor over <paramref name="x"/>'s storage with the given geometry.</summary>
    public static Tensor View(Tensor x, int[] shape, long[] strides, long offset, bool register = true)
    {
        var storage = x.Storage;
        storage.AddRef();
        return new Tensor(storage, shape, strides, offset, register);
    }

    /// <summary>A view with <paramref name="shape"/> (fully resolved), or null when the strides do not allow one.</summary>
    public static Tensor? ReshapeView(Tensor x, int[] shape)
    {
        long[]? strides = Shapes.ViewStrides(x.ShapeArray, x.StrideArray, shape);
        return strides is null ? null : View(x, shape, strides, x.OffsetValue);
    }

    /// <summary>A view when the layout allows, else a contiguous copy.</summary>
    public static Tensor Reshape(Tensor x, int[] shape)
    {
        var view = ReshapeView(x, shape);
        if (view is not null) return view;
        var copy = Copy(x, register: false);
        try
        {
            return View(copy, shape, Shapes.ContiguousStrides(shape), 0);
        }
        finally
        {
            copy.Dispose();
        }
    }

    public static Tensor Permute(Tensor x, int[] dims, bool register = true)
    {
        var shape = new int[dims.Length];
        var strides = new long[dims.Length];
        for (int i = 0; i < dims.Length; i++)
        {
            shape[i] = x.ShapeArray[dims[i]];
            strides[i] = x.StrideArray[dims[i]];
        }
        return View(x, shape, strides, x.OffsetValue, register);
    }

    public static Tensor Transpose(Tensor x, int d0, int d1)
    {
        var shape = (int[])x.ShapeArray.Clone();
        var strides = (long[])x.StrideArray.Clone();
        (shape[d0], shape[d1]) = (shape[d1], shape[d0]);
        (strides[d0], strides[d1]) = (strides[d1], strides[d0]);
        return View(x, shape, strides, x.OffsetValue);
    }

    public static Tensor Narrow(Tensor x, int dim, int start, int length)
    {
        var shape = (int[])x.ShapeArray.Clone();
        shape[dim] = length;
        long offset = x.OffsetValue + (length == 0 ? 0 : start * x.StrideArray[dim]);
        return View(x, shape, x.StrideArray, offset);
    }

    public static Tensor Unsqueeze(Tensor x, int dim, bool register = true)
    {
        int rank = x.ShapeArray.Length;
        var shape = new int[rank + 1];
        var strides = new long[rank + 1];
        for (int i = 0, j = 0; i <= rank; i++)
        {
            if (i == dim)
            {
                shape[i] = 1;
                // Any stride works for an extent of 1; this one keeps a contiguous tensor contiguous.
                strides[i] = dim < rank ? x.StrideArray[dim] * x.ShapeArray[dim] : 1;
                continue;
            }
            shape[i] = x.ShapeArray[j];
            strides[i] = x.StrideArray[j++];
        }
        return View(x, shape, strides, x.OffsetValue, register);
    }

    /// <summary>Broadcast view to <paramref name="shape"/> (already checked compatible): stride 0 on new or stretched dims.</summary>
    public static Tensor Expand(Tensor x, int[] shape, bool register = true) =>
        View(x, shape, Shapes.BroadcastStrides(x.ShapeArray, x.StrideArray, shape), x.OffsetValue, register);

    // ---- copies ----

    /// <summary>
    /// <paramref name="x"/> itself when it is contiguous, else a contiguous unregistered copy
    /// (<paramref name="owned"/> = true: the caller disposes it).
    /// </summary>
    public static Tensor ContiguousTemp(Tensor x, out bool owned)
    {
        owned = !Shapes.IsContiguous(x.ShapeArray, x.StrideArray);
        return owned ? Copy(x, register: false) : x;
    }

    /// <summary>A new tensor object: a view of the same storage when <paramref name="x"/> is contiguous, else a copy.</summary>
    public static Tensor Contiguous(Tensor x) =>
        Shapes.IsContiguous(x.ShapeArray, x.StrideArray) ? View(x, x.ShapeArray, x.StrideArray, x.OffsetValue) : Copy(x);

    /// <summary>A contiguous copy that shares nothing with <paramref name="x"/>.</summary>
    public static Tensor Copy(Tensor x, bool register = true)
    {
        var y = Empty(x.ShapeArray, x.ElementType, register);
        CopyStrided(x, x.StrideArray, y, y.StrideArray);
        return y;
    }

    /// <summary>dst[idx] = src[idx] over dst's shape, reading src through <paramref name="srcStrides"/> (may be broadcast).</summary>
    private static void CopyStrided(Tensor src, long[] srcStrides, Tensor dst, long[] dstStrides)
    {
        int rank = dst.ShapeArray.Length;
        Span<long> shape = stackalloc long[rank];
        for (int i = 0; i < rank; i++) shape[i] = dst.ShapeArray[i];
        B.CopyStrided(dst.ElementType, shape, src.DataPointer, srcStrides, dst.DataPointer, dstStrides);
        GC.KeepAlive(src);
        GC.KeepAlive(dst);
    }

    /// <summary>Converts to <paramref name="dtype"/>: always a new contiguous tensor.</summary>
    public static Tensor Cast(Tensor x, DType dtype, bool register = true)
    {
        if (x.ElementType == dtype) return Copy(x, register);
        var xc = ContiguousTemp(x, out bool owned);
        try
        {
            var y = Empty(x.ShapeArray, dtype, register);
            B.Cast(x.ElementType, xc.DataPointer, dtype, y.DataPointer, y.Count);
            GC.KeepAlive(xc);
            GC.KeepAlive(y);
            return y;
        }
        finally
        {
            if (owned) xc.Dispose();
        }
    }

    // ---- in-place writes: each bumps the storage version (Note [Storage versions]) ----

    /// <summary>dst[idx] = src[idx] with src broadcast to dst's shape (and cast to dst's dtype).</summary>
    public static void CopyInto(Tensor dst, Tensor src)
    {
        CheckWritable("CopyFrom", dst);
        CheckBroadcastInto("CopyFrom", dst, src);
        Tensor s = src;
        bool owned = false;
        if (src.ElementType != dst.ElementType)
        {
            s = Cast(src, dst.ElementType, register: false);
            owned = true;
        }
        else if (ReferenceEquals(src.Storage, dst.Storage))
        {
            // The kernel forbids overlap; read from a private copy instead.
            s = Copy(src, register: false);
            owned = true;
        }
        try
        {
            CopyStrided(s, Shapes.BroadcastStrides(s.ShapeArray, s.StrideArray, dst.ShapeArray), dst, dst.StrideArray);
        }
        finally
        {
            if (owned) s.Dispose();
        }
        dst.Storage.BumpVersion();
    }

    /// <summary>Every element of <paramref name="dst"/> = <paramref name="value"/>.</summary>
    public static void FillInto(Tensor dst, double value)
    {
        CheckWritable("Fill", dst);
        if (Shapes.IsContiguous(dst.ShapeArray, dst.StrideArray))
        {
            B.Fill(dst.ElementType, dst.Count, value, dst.DataPointer);
            GC.KeepAlive(dst);
        }
        else
        {
            using var scalar = ScalarTemp(value, dst.ElementType);
            CopyStrided(scalar, new long[dst.ShapeArray.Length], dst, dst.StrideArray);
        }
        dst.Storage.BumpVersion();
    }

    /// <summary>Rejects in-place writes into a tensor whose elements alias one another (an expanded view).</summary>
    private static void CheckWritable(string op, Tensor dst)
    {
        for (int i = 0; i < dst.ShapeArray.Length; i++)
            if (dst.StrideArray[i] == 0 && dst.ShapeArray[i] > 1)
                throw new InvalidOperationException(
                    $"{op}: cannot write in place into a broadcast (expanded) view of shape {Shapes.Format(dst.ShapeArray)}: several elements share one memory location.");
    }

    private static void CheckBroadcastInto(string op, Tensor dst, Tensor src)
    {
        int[] shape = Shapes.Broadcast(op, dst.ShapeArray, src.ShapeArray);
        if (!Shapes.SameShape(shape, dst.ShapeArray))
            throw new TensorShapeException(
                $"{op}: a tensor of shape {Shapes.Format(src.ShapeArray)} cannot be broadcast into shape {Shapes.Format(dst.ShapeArray)}.");
    }

    private static void CheckSameDType(string op, Tensor a, Tensor b)
    {
        if (a.ElementType != b.ElementType)
            throw new ArgumentException($"{op}: dtypes differ: {a.ElementType} and {b.ElementType}. Convert one with To(DType).");
    }
}

using Adjoint.Interop;

namespace Adjoint;

internal static unsafe partial class Kernels
{
    /// <summary>y = f(x), a new contiguous tensor of x's shape.</summary>
    public static Tensor Unary(UnaryOp op, Tensor x)
    {
        var xc = ContiguousTemp(x, out bool owned);
        try
        {
            var y = Empty(x.ShapeArray, xc.StrideArray, x.ElementType);
            B.Unary(op, x.ElementType, y.Count, xc.DataPointer, y.DataPointer);
            GC.KeepAlive(xc);
            GC.KeepAlive(y);
            return y;
        }
        finally
        {
            if (owned) xc.Dispose();
        }
    }

    /// <summary>
    /// gx = gy·f′(x) by the fused kernel; <paramref name="x"/> and <paramref name="y"/> (the forward input and
    /// output) may be null when the op does not read them (see adjoint.h). All given tensors share gy's shape.
    /// </summary>
    public static Tensor UnaryBackward(UnaryOp op, Tensor? x, Tensor? y, Tensor gy)
    {
        bool xOwned = false, yOwned = false;
        Tensor? xc = x is null ? null : ContiguousTemp(x, out xOwned);
        Tensor? yc = y is null ? null : ContiguousTemp(y, out yOwned);
        var gyc = ContiguousTemp(gy, out bool gyOwned);
        try
        {
            var gx = Empty(gy.ShapeArray, gyc.StrideArray, gy.ElementType);
            B.UnaryBackward(op, gy.ElementType, gx.Count,
                xc is null ? null : xc.DataPointer, yc is null ? null : yc.DataPointer, gyc.DataPointer, gx.DataPointer);
            GC.KeepAlive(xc);
            GC.KeepAlive(yc);
            GC.KeepAlive(gyc);
            GC.KeepAlive(gx);
            return gx;
        }
        finally
        {
            if (xOwned) xc!.Dispose();
            if (yOwned) yc!.Dispose();
            if (gyOwned) gyc.Dispose();
        }
    }

    /// <summary>out = f(a, b) with NumPy broadcasting; out is contiguous with the broadcast shape.</summary>
    public static Tensor Binary(BinaryOp op, Tensor a, Tensor b, bool register = true)
    {
        string name = op.ToString();
        CheckSameDType(name, a, b);
        int[] shape = Shapes.Broadcast(name, a.ShapeArray, b.ShapeArray);
        // The output is contiguous; an equal-shaped contiguous input already holds those strides.
        long[] outStrides =
            ReferenceEquals(shape, a.ShapeArray) && Shapes.IsContiguous(a.ShapeArray, a.StrideArray) ? a.StrideArray :
            ReferenceEquals(shape, b.ShapeArray) && Shapes.IsContiguous(b.ShapeArray, b.StrideArray) ? b.StrideArray :
            Shapes.ContiguousStrides(shape);
        var output = Empty(shape, outStrides, a.ElementType, register);
        Span<long> longShape = stackalloc long[shape.Length];
        for (int i = 0; i < shape.Length; i++) longShape[i] = shape[i];
        B.Binary(op, a.ElementType, longShape,
                 a.DataPointer, Shapes.BroadcastStrides(a.ShapeArray, a.StrideArray, shape),
                 b.DataPointer, Shapes.BroadcastStrides(b.ShapeArray, b.StrideArray, shape),
                 output.DataPointer, output.StrideArray);
        GC.KeepAlive(a);
        GC.KeepAlive(b);
        GC.KeepAlive(output);
        return output;
    }

    /// <summary>out = f(a, s): the scalar enters as a 0-d tensor of a's dtype.</summary>
    public static Tensor Binary(BinaryOp op, Tensor a, double s)
    {
        using var scalar = ScalarTemp(s, a.ElementType);
        return Binary(op, a, scalar);
    }

    /// <summary>out = f(s, b).</summary>
    public static Tensor Binary(BinaryOp op, double s, Tensor b)
    {
        using var scalar = ScalarTemp(s, b.ElementType);
        return Binary(op, scalar, b);
    }

    /// <summary>dst = f(dst, src) in place, src broadcast to dst's shape. Bumps dst's version.</summary>
    public static void BinaryInto(BinaryOp op, Tensor dst, Tensor src, string? opName = null)
    {
        string name = opName ?? op + "InPlace";
        CheckWritable(name, dst);
        CheckSameDType(name, dst, src);
        CheckBroadcastInto(name, dst, src);
        Tensor s = src;
        bool owned = false;
        if (ReferenceEquals(src.Storage, dst.Storage))
        {
            // A partial overlap between output and input is undefined for the kernel; read a private copy.
            s = Copy(src, register: false);
            owned = true;
        }
        try
        {
            int rank = dst.ShapeArray.Length;
            Span<long> shape = stackalloc long[rank];
            for (int i = 0; i < rank; i++) shape[i] = dst.ShapeArray[i];
            B.Binary(op, dst.ElementType, shape,
                     dst.DataPointer, dst.StrideArray,
                     s.DataPointer, Shapes.BroadcastStrides(s.ShapeArray, s.StrideArray, dst.ShapeArray),
                     dst.DataPointer, dst.StrideArray);
            GC.KeepAlive(dst);
            GC.KeepAlive(s);
        }
        finally
        {
            if (owned) s.Dispose();
        }
        dst.Storage.BumpVersion();
    }

    /// <summary>dst = f(dst, s) in place. Bumps dst's version.</summary>
    public static void BinaryInto(BinaryOp op, Tensor dst, double s, string? opName = null)
    {
        using var scalar = ScalarTemp(s, dst.ElementType);
        BinaryInto(op, dst, scalar, opName);
    }

    /// <summary>dst += alpha·src (src broadcast to dst). Bumps dst's version.</summary>
    public static void AddInto(Tensor dst, Tensor src, double alpha)
    {
        if (alpha == 1)
        {
            BinaryInto(BinaryOp.Add, dst, src, "AddInPlace");
            return;
        }
        CheckSameDType("AddInPlace", dst, src);
        using var factor = ScalarTemp(alpha, src.ElementType);
        using var scaled = Binary(BinaryOp.Mul, src, factor, register: false);
        BinaryInto(BinaryOp.Add, dst, scaled, "AddInPlace");
    }
}

using System.Numerics;
using System.Numerics.Tensors;
using Adjoint.Interop;

namespace Adjoint.Backends;

public sealed unsafe partial class ManagedBackend
{
    /// <inheritdoc/>
    public void Unary(UnaryOp op, DType dtype, long n, void* x, void* y)
    {
        CheckCount(n, nameof(n));
        CheckPointer(x, n, nameof(x));
        CheckPointer(y, n, nameof(y));
        if ((uint)op >= 11) throw BadOp(op);
        switch (dtype)
        {
            case DType.Float32: UnaryImpl(op, n, (float*)x, (float*)y); break;
            case DType.Float64: UnaryImpl(op, n, (double*)x, (double*)y); break;
            default: throw BadDType(dtype);
        }
    }

    private static void UnaryImpl<T>(UnaryOp op, long n, T* xp, T* yp) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (long done = 0; done < n; done += Chunk)
        {
            int len = (int)Math.Min(Chunk, n - done);
            var x = new ReadOnlySpan<T>(xp + done, len);
            var y = new Span<T>(yp + done, len);
            switch (op)
            {
                case UnaryOp.Neg: TensorPrimitives.Negate(x, y); break;
                case UnaryOp.Abs: TensorPrimitives.Abs(x, y); break;
                case UnaryOp.Exp: TensorPrimitives.Exp(x, y); break;
                case UnaryOp.Log: TensorPrimitives.Log(x, y); break;
                case UnaryOp.Sqrt: TensorPrimitives.Sqrt(x, y); break;
                case UnaryOp.Sin: TensorPrimitives.Sin(x, y); break;
                case UnaryOp.Cos: TensorPrimitives.Cos(x, y); break;
                case UnaryOp.Tanh: TensorPrimitives.Tanh(x, y); break;
                case UnaryOp.Sigmoid: TensorPrimitives.Sigmoid(x, y); break;
                case UnaryOp.Relu:
                    // NaN > 0 is false but NaN must propagate, as in PyTorch.
                    for (int i = 0; i < len; i++) y[i] = x[i] > T.Zero || T.IsNaN(x[i]) ? x[i] : T.Zero;
                    break;
                case UnaryOp.Softplus:
                    for (int i = 0; i < len; i++) y[i] = T.CreateTruncating(Softplus(double.CreateTruncating(x[i])));
                    break;
                default: throw BadOp(op);
            }
        }
    }

    /// <summary>ln(1 + eˣ) = max(x, 0) + log1p(e^−|x|): never overflows, keeps precision for x ≪ 0.</summary>
    internal static double Softplus(double x) => Math.Max(x, 0) + Log1P(Math.Exp(-Math.Abs(x)));

    /// <summary>log(1 + u), accurate for small u (Goldberg's correction: the rounding of 1 + u is divided back out).</summary>
    internal static double Log1P(double u)
    {
        double w = 1.0 + u;
        return w == 1.0 ? u : Math.Log(w) * u / (w - 1.0);
    }

    private static double SigmoidScalar(double x) => 1.0 / (1.0 + Math.Exp(-x));

    /// <inheritdoc/>
    public void UnaryBackward(UnaryOp op, DType dtype, long n, void* x, void* y, void* gy, void* gx)
    {
        CheckCount(n, nameof(n));
        CheckPointer(gy, n, nameof(gy));
        CheckPointer(gx, n, nameof(gx));
        switch (op)
        {
            case UnaryOp.Abs or UnaryOp.Log or UnaryOp.Sin or UnaryOp.Cos or UnaryOp.Relu or UnaryOp.Softplus:
                CheckPointer(x, n, nameof(x));
                break;
            case UnaryOp.Exp or UnaryOp.Sqrt or UnaryOp.Tanh or UnaryOp.Sigmoid:
                CheckPointer(y, n, nameof(y));
                break;
            case UnaryOp.Neg:
                break;
            default: throw BadOp(op);
        }
        switch (dtype)
        {
            case DType.Float32: UnaryBackwardImpl(op, n, (float*)x, (float*)y, (float*)gy, (float*)gx); break;
            case DType.Float64: UnaryBackwardImpl(op, n, (double*)x, (double*)y, (double*)gy, (double*)gx); break;
            default: throw BadDType(dtype);
        }
    }

    private static void UnaryBackwardImpl<T>(UnaryOp op, long n, T* x, T* y, T* gy, T* gx) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T one = T.One, two = T.One + T.One;
        switch (op)
        {
            case UnaryOp.Neg:
                for (long i = 0; i < n; i++) gx[i] = -gy[i];
                break;
            case UnaryOp.Abs:
                // sign(x) with abs'(0) = 0; a NaN input gives a NaN gradient.
                for (long i = 0; i < n; i++)
                    gx[i] = x[i] > T.Zero ? gy[i] : x[i] < T.Zero ? -gy[i] : T.IsNaN(x[i]) ? x[i] : T.Zero;
                break;
            case UnaryOp.Exp:
                for (long i = 0; i < n; i++) gx[i] = gy[i] * y[i];
                break;
            case UnaryOp.Log:
                for (long i = 0; i < n; i++) gx[i] = gy[i] / x[i];
                break;
            case UnaryOp.Sqrt:
                for (long i = 0; i < n; i++) gx[i] = gy[i] / (two * y[i]);
                break;
            case UnaryOp.Sin:
                for (long i = 0; i < n; i++) gx[i] = gy[i] * T.Cos(x[i]);
                break;
            case UnaryOp.Cos:
                for (long i = 0; i < n; i++) gx[i] = -gy[i] * T.Sin(x[i]);
                break;
            case UnaryOp.Tanh:
                for (long i = 0; i < n; i++) gx[i] = gy[i] * (one - y[i] * y[i]);
                break;
            case UnaryOp.Sigmoid:
                for (long i = 0; i < n; i++) gx[i] = gy[i] * y[i] * (one - y[i]);
                break;
            case UnaryOp.Relu:
                for (long i = 0; i < n; i++) gx[i] = x[i] > T.Zero ? gy[i] : T.Zero;
                break;
            case UnaryOp.Softplus:
                for (long i = 0; i < n; i++) gx[i] = gy[i] * T.CreateTruncating(SigmoidScalar(double.CreateTruncating(x[i])));
                break;
            default: throw BadOp(op);
        }
    }

    /// <inheritdoc/>
    public void Binary(BinaryOp op, DType dtype, ReadOnlySpan<long> shape,
                       void* a, ReadOnlySpan<long> aStrides, void* b, ReadOnlySpan<long> bStrides,
                       void* output, ReadOnlySpan<long> outputStrides)
    {
        CheckStrides(shape, aStrides, nameof(aStrides));
        CheckStrides(shape, bStrides, nameof(bStrides));
        CheckStrides(shape, outputStrides, nameof(outputStrides));
        long n = ShapeCount(shape);
        CheckPointer(a, n, nameof(a));
        CheckPointer(b, n, nameof(b));
        CheckPointer(output, n, nameof(output));
        if (n == 0) return;
        switch (dtype)
        {
            case DType.Float32: BinaryDispatch(op, shape, (float*)a, aStrides, (float*)b, bStrides, (float*)output, outputStrides); break;
            case DType.Float64: BinaryDispatch(op, shape, (double*)a, aStrides, (double*)b, bStrides, (double*)output, outputStrides); break;
            default: throw BadDType(dtype);
        }
    }

    private static void BinaryDispatch<T>(BinaryOp op, ReadOnlySpan<long> shape, T* a, ReadOnlySpan<long> sa,
                                          T* b, ReadOnlySpan<long> sb, T* o, ReadOnlySpan<long> so)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        switch (op)
        {
            case BinaryOp.Add: BinaryImpl<T, AddOp<T>>(shape, a, sa, b, sb, o, so); break;
            case BinaryOp.Sub: BinaryImpl<T, SubOp<T>>(shape, a, sa, b, sb, o, so); break;
            case BinaryOp.Mul: BinaryImpl<T, MulOp<T>>(shape, a, sa, b, sb, o, so); break;
            case BinaryOp.Div: BinaryImpl<T, DivOp<T>>(shape, a, sa, b, sb, o, so); break;
            case BinaryOp.Pow: BinaryImpl<T, PowOp<T>>(shape, a, sa, b, sb, o, so); break;
            case BinaryOp.Maximum: BinaryImpl<T, MaximumOp<T>>(shape, a, sa, b, sb, o, so); break;
            case BinaryOp.Minimum: BinaryImpl<T, MinimumOp<T>>(shape, a, sa, b, sb, o, so); break;
            default: throw BadOp(op);
        }
    }

    private static void BinaryImpl<T, TOp>(ReadOnlySpan<long> shape, T* a, ReadOnlySpan<long> sa,
                                           T* b, ReadOnlySpan<long> sb, T* o, ReadOnlySpan<long> so)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TOp : IBinaryKernel<T>
    {
        var loop = StridedLoop.Create(shape, sa, sb, so);
        long n = loop.InnerCount, ia = loop.InnerStride0, ib = loop.InnerStride1, io = loop.InnerStride2;
        bool spans = io == 1 && n <= Chunk && (ia == 1 || ia == 0) && (ib == 1 || ib == 0);
        for (long outer = 0; outer < loop.OuterCount; outer++, loop.Advance())
        {
            T* pa = a + loop.Offset0, pb = b + loop.Offset1, po = o + loop.Offset2;
            if (spans)
            {
                var dst = new Span<T>(po, (int)n);
                if (ia == 1 && ib == 1) TOp.Apply(new ReadOnlySpan<T>(pa, (int)n), new ReadOnlySpan<T>(pb, (int)n), dst);
                else if (ia == 1) TOp.Apply(new ReadOnlySpan<T>(pa, (int)n), *pb, dst);
                else if (ib == 1) TOp.Apply(*pa, new ReadOnlySpan<T>(pb, (int)n), dst);
                else dst.Fill(TOp.Apply(*pa, *pb));
            }
            else
            {
                for (long i = 0; i < n; i++) po[i * io] = TOp.Apply(pa[i * ia], pb[i * ib]);
            }
        }
    }

    /// <summary>One binary function in scalar and span forms, so the strided driver can pick the fast path per run.</summary>
    private interface IBinaryKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        static abstract T Apply(T a, T b);

        static abstract void Apply(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> y);

        static abstract void Apply(ReadOnlySpan<T> a, T b, Span<T> y);

        static abstract void Apply(T a, ReadOnlySpan<T> b, Span<T> y);
    }

    private readonly struct AddOp<T> : IBinaryKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        public static T Apply(T a, T b) => a + b;
        public static void Apply(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> y) => TensorPrimitives.Add(a, b, y);
        public static void Apply(ReadOnlySpan<T> a, T b, Span<T> y) => TensorPrimitives.Add(a, b, y);
        public static void Apply(T a, ReadOnlySpan<T> b, Span<T> y) => TensorPrimitives.Add(b, a, y);
    }

    private readonly struct SubOp<T> : IBinaryKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        public static T Apply(T a, T b) => a - b;
        public static void Apply(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> y) => TensorPrimitives.Subtract(a, b, y);
        public static void Apply(ReadOnlySpan<T> a, T b, Span<T> y) => TensorPrimitives.Subtract(a, b, y);
        public static void Apply(T a, ReadOnlySpan<T> b, Span<T> y) => TensorPrimitives.Subtract(a, b, y);
    }

    private readonly struct MulOp<T> : IBinaryKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        public static T Apply(T a, T b) => a * b;
        public static void Apply(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> y) => TensorPrimitives.Multiply(a, b, y);
        public static void Apply(ReadOnlySpan<T> a, T b, Span<T> y) => TensorPrimitives.Multiply(a, b, y);
        public static void Apply(T a, ReadOnlySpan<T> b, Span<T> y) => TensorPrimitives.Multiply(b, a, y);
    }

    private readonly struct DivOp<T> : IBinaryKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        public static T Apply(T a, T b) => a / b;
        public static void Apply(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> y) => TensorPrimitives.Divide(a, b, y);
        public static void Apply(ReadOnlySpan<T> a, T b, Span<T> y) => TensorPrimitives.Divide(a, b, y);
        public static void Apply(T a, ReadOnlySpan<T> b, Span<T> y) => TensorPrimitives.Divide(a, b, y);
    }

    // Pow stays scalar: C pow() semantics (negative bases with integral exponents, pow(x, 0) = 1 for NaN x)
    // are what the header promises, and Math.Pow/MathF.Pow are the C functions.
    private readonly struct PowOp<T> : IBinaryKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        public static T Apply(T a, T b) => T.Pow(a, b);

        public static void Apply(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> y)
        {
            for (int i = 0; i < y.Length; i++) y[i] = T.Pow(a[i], b[i]);
        }

        public static void Apply(ReadOnlySpan<T> a, T b, Span<T> y)
        {
            for (int i = 0; i < y.Length; i++) y[i] = T.Pow(a[i], b);
        }

        public static void Apply(T a, ReadOnlySpan<T> b, Span<T> y)
        {
            for (int i = 0; i < y.Length; i++) y[i] = T.Pow(a, b[i]);
        }
    }

    // Maximum/minimum: NaN if either operand is NaN; at a tie (including +0 vs −0) the first operand wins.
    private readonly struct MaximumOp<T> : IBinaryKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        public static T Apply(T a, T b) => b > a || T.IsNaN(b) ? b : a;

        public static void Apply(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> y)
        {
            for (int i = 0; i < y.Length; i++) y[i] = Apply(a[i], b[i]);
        }

        public static void Apply(ReadOnlySpan<T> a, T b, Span<T> y)
        {
            for (int i = 0; i < y.Length; i++) y[i] = Apply(a[i], b);
        }

        public static void Apply(T a, ReadOnlySpan<T> b, Span<T> y)
        {
            for (int i = 0; i < y.Length; i++) y[i] = Apply(a, b[i]);
        }
    }

    private readonly struct MinimumOp<T> : IBinaryKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        public static T Apply(T a, T b) => b < a || T.IsNaN(b) ? b : a;

        public static void Apply(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> y)
        {
            for (int i = 0; i < y.Length; i++) y[i] = Apply(a[i], b[i]);
        }

        public static void Apply(ReadOnlySpan<T> a, T b, Span<T> y)
        {
            for (int i = 0; i < y.Length; i++) y[i] = Apply(a[i], b);
        }

        public static void Apply(T a, ReadOnlySpan<T> b, Span<T> y)
        {
            for (int i = 0; i < y.Length; i++) y[i] = Apply(a, b[i]);
        }
    }
}

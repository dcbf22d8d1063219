namespace Adjoint;

public sealed unsafe partial class Tensor
{
    /// <summary>
    /// A new float32 tensor holding a copy of <paramref name="data"/> in row-major order. With no
    /// <paramref name="shape"/> the tensor is 1-D of length <c>data.Length</c>; otherwise the product of the
    /// shape must equal <c>data.Length</c>.
    /// </summary>
    public static Tensor FromArray(float[] data, params int[] shape)
    {
        ArgumentNullException.ThrowIfNull(data);
        return Kernels.FromSpan<float>(data, ArrayShape("FromArray", data.Length, shape), DType.Float32);
    }

    /// <summary>A new float64 tensor holding a copy of <paramref name="data"/>; see <see cref="FromArray(float[], int[])"/>.</summary>
    public static Tensor FromArray(double[] data, params int[] shape)
    {
        ArgumentNullException.ThrowIfNull(data);
        return Kernels.FromSpan<double>(data, ArrayShape("FromArray", data.Length, shape), DType.Float64);
    }

    private static int[] ArrayShape(string op, int length, int[]? shape)
    {
        if (shape is null || shape.Length == 0) return [length];
        shape = (int[])shape.Clone();
        Shapes.ValidateShape(op, shape);
        long n = Shapes.NumElements(shape);
        if (n != length)
            throw new TensorShapeException($"{op}: the data has {length} elements but shape {Shapes.Format(shape)} needs {n}.");
        return shape;
    }

    private static int[] CheckedShape(string op, int[] shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        Shapes.ValidateShape(op, shape);
        return (int[])shape.Clone();
    }

    /// <summary>A tensor of <paramref name="shape"/> with uninitialised elements.</summary>
    public static Tensor Empty(int[] shape, DType dtype = DType.Float32) => Kernels.Empty(CheckedShape("Empty", shape), dtype);

    /// <summary>A tensor of <paramref name="shape"/> filled with 0.</summary>
    public static Tensor Zeros(int[] shape, DType dtype = DType.Float32) => Kernels.Full(CheckedShape("Zeros", shape), dtype, 0);

    /// <summary>A tensor of <paramref name="shape"/> filled with 1.</summary>
    public static Tensor Ones(int[] shape, DType dtype = DType.Float32) => Kernels.Full(CheckedShape("Ones", shape), dtype, 1);

    /// <summary>A tensor of <paramref name="shape"/> filled with <paramref name="value"/> (rounded to the dtype).</summary>
    public static Tensor Full(int[] shape, double value, DType dtype = DType.Float32) => Kernels.Full(CheckedShape("Full", shape), dtype, value);

    /// <summary>A 0-d tensor holding <paramref name="value"/>.</summary>
    public static Tensor Scalar(double value, DType dtype = DType.Float32) => Kernels.Full([], dtype, value);

    /// <summary>Zeros with <paramref name="like"/>'s shape and dtype.</summary>
    public static Tensor ZerosLike(Tensor like)
    {
        ArgumentNullException.ThrowIfNull(like);
        like.ThrowIfDisposed();
        return Kernels.Full(like._shape, like._dtype, 0);
    }

    /// <summary>Ones with <paramref name="like"/>'s shape and dtype.</summary>
    public static Tensor OnesLike(Tensor like)
    {
        ArgumentNullException.ThrowIfNull(like);
        like.ThrowIfDisposed();
        return Kernels.Full(like._shape, like._dtype, 1);
    }

    /// <summary>An uninitialised contiguous tensor with <paramref name="like"/>'s shape and dtype.</summary>
    public static Tensor EmptyLike(Tensor like)
    {
        ArgumentNullException.ThrowIfNull(like);
        like.ThrowIfDisposed();
        return Kernels.Empty(like._shape, like._dtype);
    }

    /// <summary>
    /// The 1-D tensor [start, start + step, …] of the values start + i·step that lie in [start, end)
    /// (⌈(end − start) / step⌉ elements). <paramref name="step"/> may be negative, not zero.
    /// </summary>
    public static Tensor Arange(double start, double end, double step = 1, DType dtype = DType.Float32)
    {
        if (step == 0 || !double.IsFinite(step) || !double.IsFinite(start) || !double.IsFinite(end))
            throw new ArgumentException($"Arange: start, end and step must be finite and step non-zero, got ({start}, {end}, {step}).", nameof(step));
        double count = Math.Ceiling((end - start) / step);
        if (count < 0)
            throw new ArgumentException($"Arange: a step of {step} never goes from {start} to {end}.", nameof(step));
        if (count > int.MaxValue)
            throw new ArgumentException($"Arange: {count} elements are too many.", nameof(step));
        int n = (int)count;
        var t = Kernels.Empty([n], dtype);
        Fill(t, i => start + i * step);
        return t;
    }

    /// <summary>
    /// <paramref name="steps"/> evenly spaced values from <paramref name="start"/> to <paramref name="end"/>
    /// inclusive: start + i·(end − start)/(steps − 1); a single step gives [start].
    /// </summary>
    public static Tensor Linspace(double start, double end, int steps, DType dtype = DType.Float32)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(steps);
        var t = Kernels.Empty([steps], dtype);
        double delta = steps > 1 ? (end - start) / (steps - 1) : 0;
        // Fill the upper half from the end so both endpoints are exact and the spacing is symmetric.
        Fill(t, i => i < (steps + 1) / 2 ? start + i * delta : end - (steps - 1 - i) * delta);
        return t;
    }

    /// <summary>The n×m matrix with ones on the main diagonal (m defaults to n).</summary>
    public static Tensor Eye(int n, int? m = null, DType dtype = DType.Float32)
    {
        int cols = m ?? n;
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        ArgumentOutOfRangeException.ThrowIfNegative(cols, nameof(m));
        var t = Kernels.Full([n, cols], dtype, 0);
        Fill(t, i => i / Math.Max(cols, 1) == i % Math.Max(cols, 1) ? 1 : 0);
        return t;
    }

    /// <summary>Independent draws from U[0, 1) (see <see cref="Generator"/>; <see cref="Generator.Default"/> when none is given).</summary>
    public static Tensor Rand(int[] shape, DType dtype = DType.Float32, Generator? generator = null)
    {
        var t = Kernels.Empty(CheckedShape("Rand", shape), dtype);
        var g = generator ?? Generator.Default;
        if (dtype == DType.Float32) g.FillUniform((float*)t.DataPointer, t._numel);
        else g.FillUniform((double*)t.DataPointer, t._numel);
        GC.KeepAlive(t);
        return t;
    }

    /// <summary>Independent draws from the standard normal N(0, 1), by Box–Muller over Philox output.</summary>
    public static Tensor Randn(int[] shape, DType dtype = DType.Float32, Generator? generator = null)
    {
        var t = Kernels.Empty(CheckedShape("Randn", shape), dtype);
        var g = generator ?? Generator.Default;
        if (dtype == DType.Float32) g.FillNormal((float*)t.DataPointer, t._numel);
        else g.FillNormal((double*)t.DataPointer, t._numel);
        GC.KeepAlive(t);
        return t;
    }

    /// <summary>Writes f(i) for every element of a fresh contiguous tensor (creation helpers only).</summary>
    private static void Fill(Tensor t, Func<long, double> f)
    {
        if (t._dtype == DType.Float32)
        {
            float* p = (float*)t.DataPointer;
            for (long i = 0; i < t._numel; i++) p[i] = (float)f(i);
        }
        else
        {
            double* p = (double*)t.DataPointer;
            for (long i = 0; i < t._numel; i++) p[i] = f(i);
        }
        GC.KeepAlive(t);
    }

    // ---- reading back ----

    /// <summary>
    /// The elements in row-major order, copied into a new array. <typeparamref name="T"/> must be
    /// <see cref="float"/> for float32 tensors and <see cref="double"/> for float64. Works on any view.
    /// </summary>
    public T[] ToArray<T>() where T : unmanaged
    {
        ThrowIfDisposed();
        CheckElementType<T>("ToArray");
        if (_numel > Array.MaxLength) throw new InvalidOperationException($"ToArray: {_numel} elements do not fit in an array.");
        var result = new T[_numel];
        var c = Kernels.ContiguousTemp(this, out bool owned);
        try
        {
            new ReadOnlySpan<T>(c.DataPointer, (int)_numel).CopyTo(result);
            GC.KeepAlive(c);
        }
        finally
        {
            if (owned) c.Dispose();
        }
        return result;
    }

    /// <summary>The value of a one-element tensor (any rank), as <typeparamref name="T"/> (float or double matching the dtype).</summary>
    public T Item<T>() where T : unmanaged
    {
        ThrowIfDisposed();
        CheckElementType<T>("Item");
        if (_numel != 1)
            throw new InvalidOperationException($"Item: the tensor has {_numel} elements (shape {Shapes.Format(_shape)}), not 1.");
        T value = *(T*)DataPointer;
        GC.KeepAlive(this);
        return value;
    }

    private void CheckElementType<T>(string op)
    {
        bool ok = _dtype == DType.Float32 ? typeof(T) == typeof(float) : typeof(T) == typeof(double);
        if (!ok)
            throw new InvalidOperationException($"{op}: the tensor's dtype is {_dtype} but {typeof(T).Name} was requested; use {(_dtype == DType.Float32 ? "float" : "double")} or convert with To(DType).");
    }

    /// <summary>A copy converted to <paramref name="dtype"/> (float64 → float32 rounds to nearest). Always a new, contiguous tensor.</summary>
    public Tensor To(DType dtype)
    {
        ThrowIfDisposed();
        return Ops.Call(Derivatives.Cast, (_dtype, dtype), this);
    }

    /// <summary>A contiguous copy that shares no memory with this tensor.</summary>
    public Tensor Clone()
    {
        ThrowIfDisposed();
        return Ops.Call(Derivatives.Copy, null, this);
    }
}

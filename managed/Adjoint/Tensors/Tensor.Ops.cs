using Adjoint.Interop;

namespace Adjoint;

// The public operations. Each one validates its arguments (messages name the op and the shapes) and calls
// Kernels; keep them one thin method per op, so the autograd layer can route each through its derivative row.
public sealed partial class Tensor
{
    private static void CheckOperand(Tensor? t, string name)
    {
        ArgumentNullException.ThrowIfNull(t, name);
        t.ThrowIfDisposed();
    }

    private Tensor ApplyUnary(UnaryOp op)
    {
        ThrowIfDisposed();
        return Ops.Call(Derivatives.ForUnary(op), null, this);
    }

    private static Tensor ApplyBinary(BinaryOp op, Tensor a, Tensor b)
    {
        CheckOperand(a, nameof(a));
        CheckOperand(b, nameof(b));
        return Ops.Call(Derivatives.ForBinary(op), null, a, b);
    }

    private static Tensor ApplyBinary(BinaryOp op, Tensor a, double b)
    {
        CheckOperand(a, nameof(a));
        return op switch
        {
            BinaryOp.Add => Ops.Call(Derivatives.AddScalar, b, a),
            BinaryOp.Sub => Ops.Call(Derivatives.AddScalar, -b, a),
            BinaryOp.Mul => Ops.Call(Derivatives.MulScalar, b, a),
            BinaryOp.Div => Ops.Call(Derivatives.DivScalar, b, a),
            BinaryOp.Pow => Ops.Call(Derivatives.PowScalar, b, a),
            _ => Ops.Call(Derivatives.ForBinary(op), null, a, Scalar(b, a.DType)),
        };
    }

    private static Tensor ApplyBinary(BinaryOp op, double a, Tensor b)
    {
        CheckOperand(b, nameof(b));
        return op switch
        {
            BinaryOp.Add => Ops.Call(Derivatives.AddScalar, a, b),
            BinaryOp.Sub => Ops.Call(Derivatives.RSubScalar, a, b),
            BinaryOp.Mul => Ops.Call(Derivatives.MulScalar, a, b),
            BinaryOp.Div => Ops.Call(Derivatives.RDivScalar, a, b),
            _ => Ops.Call(Derivatives.ForBinary(op), null, Scalar(a, b.DType), b),
        };
    }

    // ---- elementwise unary ----

    /// <summary>−x.</summary>
    public Tensor Neg() => ApplyUnary(UnaryOp.Neg);

    /// <summary>|x|. Its derivative is taken as sign(x), with 0 at x = 0.</summary>
    public Tensor Abs() => ApplyUnary(UnaryOp.Abs);

    /// <summary>eˣ.</summary>
    public Tensor Exp() => ApplyUnary(UnaryOp.Exp);

    /// <summary>ln x (−∞ at 0, NaN for x &lt; 0).</summary>
    public Tensor Log() => ApplyUnary(UnaryOp.Log);

    /// <summary>√x (NaN for x &lt; 0).</summary>
    public Tensor Sqrt() => ApplyUnary(UnaryOp.Sqrt);

    /// <summary>sin x.</summary>
    public Tensor Sin() => ApplyUnary(UnaryOp.Sin);

    /// <summary>cos x.</summary>
    public Tensor Cos() => ApplyUnary(UnaryOp.Cos);

    /// <summary>tanh x.</summary>
    public Tensor Tanh() => ApplyUnary(UnaryOp.Tanh);

    /// <summary>σ(x) = 1 / (1 + e^−x).</summary>
    public Tensor Sigmoid() => ApplyUnary(UnaryOp.Sigmoid);

    /// <summary>max(x, 0); NaN stays NaN. Its derivative is 1 for x &gt; 0 and 0 otherwise (relu′(0) = 0).</summary>
    public Tensor Relu() => ApplyUnary(UnaryOp.Relu);

    /// <summary>ln(1 + eˣ), computed stably as max(x, 0) + log1p(e^−|x|).</summary>
    public Tensor Softplus() => ApplyUnary(UnaryOp.Softplus);

    // ---- elementwise binary, NumPy broadcasting ----

    /// <summary>a + b elementwise, with broadcasting.</summary>
    public Tensor Add(Tensor other) => ApplyBinary(BinaryOp.Add, this, other);

    /// <summary>a + s elementwise.</summary>
    public Tensor Add(double other) => ApplyBinary(BinaryOp.Add, this, other);

    /// <summary>a − b elementwise, with broadcasting.</summary>
    public Tensor Sub(Tensor other) => ApplyBinary(BinaryOp.Sub, this, other);

    /// <summary>a − s elementwise.</summary>
    public Tensor Sub(double other) => ApplyBinary(BinaryOp.Sub, this, other);

    /// <summary>a · b elementwise (Hadamard product), with broadcasting.</summary>
    public Tensor Mul(Tensor other) => ApplyBinary(BinaryOp.Mul, this, other);

    /// <summary>a · s elementwise.</summary>
    public Tensor Mul(double other) => ApplyBinary(BinaryOp.Mul, this, other);

    /// <summary>a / b elementwise (IEEE division: x/0 = ±∞, 0/0 = NaN), with broadcasting.</summary>
    public Tensor Div(Tensor other) => ApplyBinary(BinaryOp.Div, this, other);

    /// <summary>a / s elementwise.</summary>
    public Tensor Div(double other) => ApplyBinary(BinaryOp.Div, this, other);

    /// <summary>aᵇ elementwise as C <c>pow</c> (so (−2)² = 4, (−2)^0.5 = NaN), with broadcasting.</summary>
    public Tensor Pow(Tensor exponent) => ApplyBinary(BinaryOp.Pow, this, exponent);

    /// <summary>aˢ elementwise as C <c>pow</c>.</summary>
    public Tensor Pow(double exponent) => ApplyBinary(BinaryOp.Pow, this, exponent);

    /// <summary>max(a, b) elementwise: NaN if either is NaN; at a tie the value of this tensor. Broadcasts.</summary>
    public Tensor Maximum(Tensor other) => ApplyBinary(BinaryOp.Maximum, this, other);

    /// <summary>min(a, b) elementwise: NaN if either is NaN; at a tie the value of this tensor. Broadcasts.</summary>
    public Tensor Minimum(Tensor other) => ApplyBinary(BinaryOp.Minimum, this, other);

    // ---- reductions ----

    private int[] ReduceAxes(string op, int[]? axes)
    {
        ThrowIfDisposed();
        return Shapes.NormalizeAxes(op, axes, _shape.Length);
    }

    private void CheckNonEmptyExtremum(string op, int[] axes)
    {
        foreach (int a in axes)
            if (_shape[a] == 0)
                throw new TensorShapeException($"{op}: cannot reduce over dimension {a} of size 0 (shape {Shapes.Format(_shape)}): the result is undefined.");
    }

    /// <summary>Σ over <paramref name="axes"/> (all axes when null). Reduced dims are dropped, or kept as 1 with <paramref name="keepDims"/>. An empty sum is 0.</summary>
    public Tensor Sum(int[]? axes = null, bool keepDims = false)
    {
        var a = ReduceAxes("Sum", axes);
        return Ops.Call(Derivatives.Sum, new ReduceAttrs(a, keepDims), this);
    }

    /// <summary>Σ over one <paramref name="axis"/> (negative counts from the end).</summary>
    public Tensor Sum(int axis, bool keepDims = false) => Sum([axis], keepDims);

    /// <summary>The arithmetic mean over <paramref name="axes"/> (all when null): Σx / n; NaN when n = 0.</summary>
    public Tensor Mean(int[]? axes = null, bool keepDims = false)
    {
        var a = ReduceAxes("Mean", axes);
        long n = 1;
        foreach (int d in a) n *= _shape[d];
        return Sum(a, keepDims) / n;
    }

    /// <summary>The mean over one <paramref name="axis"/>.</summary>
    public Tensor Mean(int axis, bool keepDims = false) => Mean([axis], keepDims);

    /// <summary>The largest element over <paramref name="axes"/> (all when null); NaN if any element is NaN. Throws for an empty axis.</summary>
    public Tensor Max(int[]? axes = null, bool keepDims = false)
    {
        var a = ReduceAxes("Max", axes);
        CheckNonEmptyExtremum("Max", a);
        return Ops.Call(Derivatives.Max, new ReduceAttrs(a, keepDims), this);
    }

    /// <summary>The largest element along one <paramref name="axis"/>.</summary>
    public Tensor Max(int axis, bool keepDims = false) => Max([axis], keepDims);

    /// <summary>The smallest element over <paramref name="axes"/> (all when null); NaN if any element is NaN. Throws for an empty axis.</summary>
    public Tensor Min(int[]? axes = null, bool keepDims = false)
    {
        var a = ReduceAxes("Min", axes);
        CheckNonEmptyExtremum("Min", a);
        return Ops.Call(Derivatives.Min, new ReduceAttrs(a, keepDims), this);
    }

    /// <summary>The smallest element along one <paramref name="axis"/>.</summary>
    public Tensor Min(int axis, bool keepDims = false) => Min([axis], keepDims);

    /// <summary>
    /// The largest element along <paramref name="axis"/> and, per result element (row-major), its index along
    /// the axis — the first occurrence at ties, the first NaN if there is one.
    /// </summary>
    public (Tensor Values, long[] Indices) MaxWithIndices(int axis, bool keepDims = false)
    {
        var a = ReduceAxes("MaxWithIndices", [axis]);
        CheckNonEmptyExtremum("MaxWithIndices", a);
        Kernels.Reduce(ReduceOp.Max, this, a, keepDims, true, out long[]? indices).Dispose();
        return (Max(a, keepDims), indices!);
    }

    /// <summary>The smallest element along <paramref name="axis"/> and its index (see <see cref="MaxWithIndices"/>).</summary>
    public (Tensor Values, long[] Indices) MinWithIndices(int axis, bool keepDims = false)
    {
        var a = ReduceAxes("MinWithIndices", [axis]);
        CheckNonEmptyExtremum("MinWithIndices", a);
        Kernels.Reduce(ReduceOp.Min, this, a, keepDims, true, out long[]? indices).Dispose();
        return (Min(a, keepDims), indices!);
    }

    // ---- row operations ----

    private int RowAxis(string op, int axis)
    {
        ThrowIfDisposed();
        // A 0-d tensor is one row of one element; accept axis 0 and -1 for it, as PyTorch does.
        return _shape.Length == 0 ? Shapes.NormalizeAxis(op, axis, 1) : Shapes.NormalizeAxis(op, axis, _shape.Length);
    }

    /// <summary>softmax(x)ᵢ = exp(xᵢ − m) / Σⱼ exp(xⱼ − m) along <paramref name="axis"/>, m = maxⱼ xⱼ (stable).</summary>
    public Tensor Softmax(int axis = -1) => Ops.Call(Derivatives.Softmax, new AxisAttrs(RowAxis("Softmax", axis)), this);

    /// <summary>log softmax(x)ᵢ = xᵢ − logsumexp(x) along <paramref name="axis"/>.</summary>
    public Tensor LogSoftmax(int axis = -1) => Ops.Call(Derivatives.LogSoftmax, new AxisAttrs(RowAxis("LogSoftmax", axis)), this);

    /// <summary>log Σⱼ exp(xⱼ) = m + log Σⱼ exp(xⱼ − m) along <paramref name="axis"/>, m = max (−∞ for an empty axis).</summary>
    public Tensor LogSumExp(int axis = -1, bool keepDims = false) =>
        Ops.Call(Derivatives.LogSumExp, new AxisAttrs(RowAxis("LogSumExp", axis), keepDims), this);

    // ---- linear algebra ----

    /// <summary>
    /// Matrix product with NumPy semantics: vector·vector is a dot product (0-d result), matrix·matrix is
    /// C = A·B with Cᵢⱼ = Σₖ AᵢₖBₖⱼ, a 1-D operand is treated as a row (left) or column (right) vector and that
    /// unit dimension is removed, and leading batch dimensions broadcast.
    /// </summary>
    public Tensor MatMul(Tensor other)
    {
        ThrowIfDisposed();
        CheckOperand(other, nameof(other));
        return Ops.Call(Derivatives.MatMul, null, this, other);
    }
}

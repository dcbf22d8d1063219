namespace Adjoint;

// Comparisons, masks and selection. Comparisons return 0/1 tensors of the inputs' dtype and carry no gradient.
public sealed partial class Tensor
{
    private Tensor CompareWith(CompareOp op, Tensor other)
    {
        CheckSameDType(op.ToString(), this, other);
        Shapes.Broadcast(op.ToString(), _shape, other._shape);
        return Ops.Call(Derivatives.Compare, op, this, other);
    }

    private Tensor CompareWith(CompareOp op, double value) => Ops.Call(Derivatives.Compare, op, this, Scalar(value, DType));

    /// <summary>1 where this = other, else 0 (NaN is unequal to everything), broadcasting. Not differentiable.</summary>
    public Tensor Eq(Tensor other) => CompareWith(CompareOp.Eq, other);

    /// <summary>1 where this = value, else 0.</summary>
    public Tensor Eq(double value) => CompareWith(CompareOp.Eq, value);

    /// <summary>1 where this ≠ other (and where either is NaN), else 0.</summary>
    public Tensor Ne(Tensor other) => CompareWith(CompareOp.Ne, other);

    /// <summary>1 where this &gt; other, else 0.</summary>
    public Tensor Gt(Tensor other) => CompareWith(CompareOp.Gt, other);

    /// <summary>1 where this &gt; value, else 0.</summary>
    public Tensor Gt(double value) => CompareWith(CompareOp.Gt, value);

    /// <summary>1 where this ≥ other, else 0.</summary>
    public Tensor Ge(Tensor other) => CompareWith(CompareOp.Ge, other);

    /// <summary>1 where this ≥ value, else 0.</summary>
    public Tensor Ge(double value) => CompareWith(CompareOp.Ge, value);

    /// <summary>1 where this &lt; other, else 0.</summary>
    public Tensor Lt(Tensor other) => CompareWith(CompareOp.Lt, other);

    /// <summary>1 where this &lt; value, else 0.</summary>
    public Tensor Lt(double value) => CompareWith(CompareOp.Lt, value);

    /// <summary>1 where this ≤ other, else 0.</summary>
    public Tensor Le(Tensor other) => CompareWith(CompareOp.Le, other);

    /// <summary>1 where this ≤ value, else 0.</summary>
    public Tensor Le(double value) => CompareWith(CompareOp.Le, value);

    /// <summary>sign(x) ∈ {−1, 0, 1}; NaN stays NaN. Derivative 0 (not recorded).</summary>
    public Tensor Sign() => Ops.Call(Derivatives.Sign, null, this);

    /// <summary>Rounds half to even. Derivative 0 (not recorded); see the straight-through estimator for training through it.</summary>
    public Tensor Round() => Ops.Call(Derivatives.Round, null, this);

    /// <summary>1 where x &gt; 0, else 0 (the derivative of relu, with relu′(0) = 0).</summary>
    internal Tensor Step() => Ops.Call(Derivatives.Step, null, this);

    /// <summary>
    /// where(condition, a, b): a where condition ≠ 0, else b, broadcasting all three. Differentiable in a and b:
    /// each receives the gradient only where it was selected.
    /// </summary>
    public static Tensor Where(Tensor condition, Tensor a, Tensor b)
    {
        ArgumentNullException.ThrowIfNull(condition);
        CheckSameDType("Where", a, b);
        Shapes.Broadcast("Where", Shapes.Broadcast("Where", condition._shape, a._shape), b._shape);
        return Ops.Call(Derivatives.Where, condition, a, b);
    }

    /// <summary>This tensor with <paramref name="value"/> wherever <paramref name="mask"/> ≠ 0 (broadcasting); gradient 0 there.</summary>
    public Tensor MaskedFill(Tensor mask, double value) => Where(mask, Scalar(value, DType), this);

    /// <summary>
    /// clamp(x, min, max) = min(max(x, min), max). The gradient is 1 where min ≤ x ≤ max (bounds inclusive) and 0
    /// outside; NaN stays NaN.
    /// </summary>
    public Tensor Clamp(double min = double.NegativeInfinity, double max = double.PositiveInfinity)
    {
        if (min > max) throw new ArgumentException($"Clamp: min {min} is greater than max {max}.");
        return Ops.Call(Derivatives.Clamp, (min, max), this);
    }

    private static void CheckSameDType(string op, Tensor a, Tensor b)
    {
        if (a.DType != b.DType)
            throw new ArgumentException($"{op}: dtypes differ: {a.DType} {Shapes.Format(a._shape)} and {b.DType} {Shapes.Format(b._shape)}. Convert one with To(DType).");
    }
}

using Adjoint.Interop;

namespace Adjoint;

// In-place writes. Every one bumps the storage's version counter, which all views share
// (Note [Storage versions] in TensorStorage.cs). Writing into an expanded (stride-0) view throws.
public sealed partial class Tensor
{
    /// <summary>this[idx] = src[idx], with <paramref name="src"/> broadcast to this shape and converted to this dtype. Returns this.</summary>
    public Tensor CopyFrom(Tensor src)
    {
        CheckInPlace("CopyFrom");
        ArgumentNullException.ThrowIfNull(src);
        src.ThrowIfDisposed();
        Kernels.CopyInto(this, src);
        return this;
    }

    /// <summary>Sets every element to <paramref name="value"/>. Returns this.</summary>
    public Tensor FillInPlace(double value)
    {
        CheckInPlace("FillInPlace");
        Kernels.FillInto(this, value);
        return this;
    }

    /// <summary>Sets every element to 0. Returns this.</summary>
    public Tensor ZeroInPlace() => FillInPlace(0);

    /// <summary>this ← this + α·<paramref name="other"/> (other broadcast to this shape, same dtype). Returns this.</summary>
    public Tensor AddInPlace(Tensor other, double alpha = 1)
    {
        CheckInPlace("AddInPlace");
        ArgumentNullException.ThrowIfNull(other);
        other.ThrowIfDisposed();
        Kernels.AddInto(this, other, alpha);
        return this;
    }

    /// <summary>this ← this ⊙ <paramref name="other"/> (elementwise, other broadcast to this shape). Returns this.</summary>
    public Tensor MulInPlace(Tensor other)
    {
        CheckInPlace("MulInPlace");
        ArgumentNullException.ThrowIfNull(other);
        other.ThrowIfDisposed();
        Kernels.BinaryInto(BinaryOp.Mul, this, other, "MulInPlace");
        return this;
    }

    /// <summary>this ← this · <paramref name="factor"/>. Returns this.</summary>
    public Tensor MulInPlace(double factor)
    {
        CheckInPlace("MulInPlace");
        Kernels.BinaryInto(BinaryOp.Mul, this, factor, "MulInPlace");
        return this;
    }

    // In-place writes are not recorded on the graph: on a tensor that requires grad they would silently
    // detach it from its history, so outside NoGrad they are refused (optimizers step under NoGrad).
    private void CheckInPlace(string op)
    {
        ThrowIfDisposed();
        if (!GradMode.IsEnabled || !RequiresGrad) return;
        throw new InvalidOperationException(IsLeaf
            ? $"{op}: a leaf tensor that requires grad (shape {Shapes.Format(_shape)}) cannot be modified in place while gradients are recorded; wrap the update in `using (Autograd.NoGrad())`."
            : $"{op}: in-place modification of a tensor produced by {GradFn!.Name} (shape {Shapes.Format(_shape)}) is not recorded by autograd; use the out-of-place op, or Detach() first.");
    }
}

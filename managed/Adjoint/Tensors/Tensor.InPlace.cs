using Adjoint.Interop;

namespace Adjoint;

// In-place writes. Every one bumps the storage's version counter, which all views share
// (Note [Storage versions] in TensorStorage.cs). Writing into an expanded (stride-0) view throws.
public sealed partial class Tensor
{
    /// <summary>this[idx] = src[idx], with <paramref name="src"/> broadcast to this shape and converted to this dtype. Returns this.</summary>
    public Tensor CopyFrom(Tensor src)
    {
        ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(src);
        src.ThrowIfDisposed();
        Kernels.CopyInto(this, src);
        return this;
    }

    /// <summary>Sets every element to <paramref name="value"/>. Returns this.</summary>
    public Tensor FillInPlace(double value)
    {
        ThrowIfDisposed();
        Kernels.FillInto(this, value);
        return this;
    }

    /// <summary>Sets every element to 0. Returns this.</summary>
    public Tensor ZeroInPlace() => FillInPlace(0);

    /// <summary>this ← this + α·<paramref name="other"/> (other broadcast to this shape, same dtype). Returns this.</summary>
    public Tensor AddInPlace(Tensor other, double alpha = 1)
    {
        ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(other);
        other.ThrowIfDisposed();
        Kernels.AddInto(this, other, alpha);
        return this;
    }

    /// <summary>this ← this ⊙ <paramref name="other"/> (elementwise, other broadcast to this shape). Returns this.</summary>
    public Tensor MulInPlace(Tensor other)
    {
        ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(other);
        other.ThrowIfDisposed();
        Kernels.BinaryInto(BinaryOp.Mul, this, other, "MulInPlace");
        return this;
    }

    /// <summary>this ← this · <paramref name="factor"/>. Returns this.</summary>
    public Tensor MulInPlace(double factor)
    {
        ThrowIfDisposed();
        Kernels.BinaryInto(BinaryOp.Mul, this, factor, "MulInPlace");
        return this;
    }
}

namespace Adjoint;

// Views: new Tensor objects over the same storage (and version counter); no element is copied unless a
// method says so. Each returned tensor must be disposed on its own; the storage lives while any view does.
public sealed partial class Tensor
{
    /// <summary>
    /// The same elements in row-major order with a new <paramref name="shape"/> (one entry may be -1: inferred).
    /// A view when the strides allow it (always for contiguous tensors), otherwise a contiguous copy.
    /// </summary>
    public Tensor Reshape(params int[] shape)
    {
        ThrowIfDisposed();
        var resolved = Shapes.InferShape("Reshape", _shape, _numel, shape);
        return ReshapeTo(resolved);
    }

    /// <summary>Like <see cref="Reshape"/> but never copies: throws when the strides do not allow a view.</summary>
    public Tensor View(params int[] shape)
    {
        ThrowIfDisposed();
        var resolved = Shapes.InferShape("View", _shape, _numel, shape);
        if (Shapes.ViewStrides(_shape, _strides, resolved) is not null) return ReshapeTo(resolved);
        throw new TensorShapeException($"View: a tensor of shape {Shapes.Format(_shape)} with strides {FormatStrides()} cannot be viewed as {Shapes.Format(resolved)} without a copy; use Reshape.");
    }

    /// <summary>Swaps dimensions <paramref name="dim0"/> and <paramref name="dim1"/> (negative values count from the end).</summary>
    public Tensor Transpose(int dim0, int dim1)
    {
        ThrowIfDisposed();
        int d0 = Shapes.NormalizeAxis("Transpose", dim0, _shape.Length, nameof(dim0));
        int d1 = Shapes.NormalizeAxis("Transpose", dim1, _shape.Length, nameof(dim1));
        return Ops.Call(Derivatives.Transpose, (d0, d1), this);
    }

    /// <summary>The transpose of a 2-D tensor (Xᵀ[i, j] = X[j, i]) as a view.</summary>
    public Tensor T
    {
        get
        {
            ThrowIfDisposed();
            if (_shape.Length != 2)
                throw new InvalidOperationException($"T: only defined for 2-D tensors, got shape {Shapes.Format(_shape)}; use Transpose or Permute.");
            return Ops.Call(Derivatives.Transpose, (0, 1), this);
        }
    }

    /// <summary>Reorders dimensions: result dim i is this tensor's dim <c>dims[i]</c>. <paramref name="dims"/> must be a permutation.</summary>
    public Tensor Permute(params int[] dims)
    {
        ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(dims);
        int rank = _shape.Length;
        if (dims.Length != rank)
            throw new ArgumentException($"Permute: {dims.Length} dims given for a tensor of shape {Shapes.Format(_shape)}.", nameof(dims));
        var normalized = new int[rank];
        var seen = new bool[rank];
        for (int i = 0; i < rank; i++)
        {
            int d = Shapes.NormalizeAxis("Permute", dims[i], rank, nameof(dims));
            if (seen[d]) throw new ArgumentException($"Permute: dim {dims[i]} repeats in {Shapes.Format(dims)}.", nameof(dims));
            seen[d] = true;
            normalized[i] = d;
        }
        return Ops.Call(Derivatives.Permute, normalized, this);
    }

    /// <summary>Elements <paramref name="start"/> … start + length − 1 along <paramref name="dim"/> (negative start counts from the end).</summary>
    public Tensor Narrow(int dim, int start, int length)
    {
        ThrowIfDisposed();
        int d = Shapes.NormalizeAxis("Narrow", dim, _shape.Length, nameof(dim));
        int size = _shape[d];
        int s = start < 0 ? start + size : start;
        if (s < 0 || s > size)
            throw new ArgumentOutOfRangeException(nameof(start), start, $"Narrow: start {start} is out of range for dimension {dim} of size {size} (shape {Shapes.Format(_shape)}).");
        if (length < 0 || s + (long)length > size)
            throw new ArgumentOutOfRangeException(nameof(length), length, $"Narrow: start {start} + length {length} exceeds dimension {dim} of size {size} (shape {Shapes.Format(_shape)}).");
        return Ops.Call(Derivatives.Narrow, (d, s, length), this);
    }

    /// <summary>The slice at <paramref name="index"/> along <paramref name="dim"/>, with that dimension removed.</summary>
    public Tensor Select(int dim, int index)
    {
        ThrowIfDisposed();
        int d = Shapes.NormalizeAxis("Select", dim, _shape.Length, nameof(dim));
        int size = _shape[d];
        int i = index < 0 ? index + size : index;
        if (i < 0 || i >= size)
            throw new ArgumentOutOfRangeException(nameof(index), index, $"Select: index {index} is out of range for dimension {dim} of size {size} (shape {Shapes.Format(_shape)}).");
        var slice = Ops.Call(Derivatives.Narrow, (d, i, 1), this);
        var shape = new int[_shape.Length - 1];
        for (int k = 0, j = 0; k < _shape.Length; k++) if (k != d) shape[j++] = _shape[k];
        var result = slice.ReshapeTo(shape);
        slice.Dispose(); // the result views the storage itself; the graph keeps nodes, not this tensor
        return result;
    }

    /// <summary>
    /// A broadcast view of <paramref name="shape"/>: new leading dimensions and dimensions of size 1 are
    /// repeated with stride 0 (no copy); -1 keeps a dimension's size. Writing into the result is not allowed.
    /// </summary>
    public Tensor Expand(params int[] shape)
    {
        ThrowIfDisposed();
        return Ops.Call(Derivatives.Expand, ExpandShape("Expand", shape), this);
    }

    /// <summary>Same as <see cref="Expand"/>: the view of this tensor broadcast to <paramref name="shape"/>.</summary>
    public Tensor BroadcastTo(int[] shape)
    {
        ThrowIfDisposed();
        return Ops.Call(Derivatives.Expand, ExpandShape("BroadcastTo", shape), this);
    }

    private int[] ExpandShape(string op, int[] shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        int rank = shape.Length, lead = rank - _shape.Length;
        if (lead < 0 || rank > Shapes.MaxRank)
            throw new TensorShapeException($"{op}: cannot expand shape {Shapes.Format(_shape)} to {Shapes.Format(shape)}.");
        var result = new int[rank];
        for (int i = 0; i < rank; i++)
        {
            int want = shape[i];
            int have = i >= lead ? _shape[i - lead] : 1;
            if (want == -1 && i >= lead) want = have;
            if (want < 0 || (have != want && have != 1))
                throw new TensorShapeException($"{op}: cannot expand shape {Shapes.Format(_shape)} to {Shapes.Format(shape)}.");
            result[i] = want;
        }
        return result;
    }

    /// <summary>Removes dimension <paramref name="dim"/> if its size is 1; otherwise returns an unchanged view (as PyTorch does).</summary>
    public Tensor Squeeze(int dim)
    {
        ThrowIfDisposed();
        int d = Shapes.NormalizeAxis("Squeeze", dim, _shape.Length, nameof(dim));
        if (_shape[d] != 1) return ReshapeTo(_shape);
        var shape = new int[_shape.Length - 1];
        for (int k = 0, j = 0; k < _shape.Length; k++) if (k != d) shape[j++] = _shape[k];
        return ReshapeTo(shape);
    }

    /// <summary>Removes every dimension of size 1.</summary>
    public Tensor Squeeze()
    {
        ThrowIfDisposed();
        return ReshapeTo(_shape.Where(s => s != 1).ToArray());
    }

    /// <summary>Inserts a dimension of size 1 at <paramref name="dim"/> (in [-rank-1, rank]).</summary>
    public Tensor Unsqueeze(int dim)
    {
        ThrowIfDisposed();
        int d = Shapes.NormalizeAxis("Unsqueeze", dim, _shape.Length + 1, nameof(dim));
        if (_shape.Length + 1 > Shapes.MaxRank)
            throw new TensorShapeException($"Unsqueeze: rank would exceed {Shapes.MaxRank} (shape {Shapes.Format(_shape)}).");
        var shape = new int[_shape.Length + 1];
        for (int k = 0, j = 0; k < shape.Length; k++) shape[k] = k == d ? 1 : _shape[j++];
        return ReshapeTo(shape);
    }

    /// <summary>The elements as a 1-D tensor (a view when possible, see <see cref="Reshape"/>); a 0-d tensor becomes shape [1].</summary>
    public Tensor Flatten()
    {
        ThrowIfDisposed();
        return ReshapeTo([checked((int)_numel)]);
    }

    /// <summary>
    /// A contiguous tensor with the same values. If this tensor is already contiguous, the result is a new
    /// Tensor object viewing the same storage (writes are shared); otherwise it is a copy that shares nothing.
    /// Either way the result must be disposed separately.
    /// </summary>
    public Tensor Contiguous()
    {
        ThrowIfDisposed();
        return Ops.Call(IsContiguous ? Derivatives.Alias : Derivatives.Copy, null, this);
    }

    /// <summary>Reshape to an already validated shape, through the derivative table.</summary>
    private Tensor ReshapeTo(int[] shape) => Ops.Call(Derivatives.Reshape, shape, this);

    /// <summary>True when <paramref name="other"/> views the same storage as this tensor (they see each other's writes).</summary>
    public bool SharesStorageWith(Tensor other)
    {
        ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(other);
        other.ThrowIfDisposed();
        return ReferenceEquals(_storage, other._storage);
    }

    private string FormatStrides() => "[" + string.Join(",", _strides) + "]";
}

namespace Adjoint;

// Joining and indexing. Indices are plain integers; gradients add back into the rows they were read from.
public sealed partial class Tensor
{
    /// <summary>Concatenates tensors of equal shape except along <paramref name="axis"/>.</summary>
    public static Tensor Concat(Tensor[] tensors, int axis = 0)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        if (tensors.Length == 0) throw new ArgumentException("Concat: no tensors given.", nameof(tensors));
        var first = tensors[0];
        int ax = Shapes.NormalizeAxis("Concat", axis, first.Rank);
        foreach (var t in tensors)
        {
            CheckSameDType("Concat", first, t);
            bool ok = t.Rank == first.Rank;
            for (int d = 0; ok && d < t.Rank; d++) ok = d == ax || t._shape[d] == first._shape[d];
            if (!ok)
                throw new TensorShapeException($"Concat: shapes {string.Join(" and ", tensors.Select(x => Shapes.Format(x._shape)))} differ outside axis {ax}.");
        }
        return Ops.Call(Derivatives.Concat, new AxisAttrs(ax), tensors);
    }

    /// <summary>Stacks tensors of identical shape along a new axis.</summary>
    public static Tensor Stack(Tensor[] tensors, int axis = 0)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        if (tensors.Length == 0) throw new ArgumentException("Stack: no tensors given.", nameof(tensors));
        foreach (var t in tensors)
            if (!t.Shape.SequenceEqual(tensors[0].Shape))
                throw new TensorShapeException($"Stack: shapes {string.Join(" and ", tensors.Select(x => Shapes.Format(x._shape)))} differ.");
        int ax = Shapes.NormalizeAxis("Stack", axis, tensors[0].Rank + 1);
        return Concat(tensors.Select(t => t.Unsqueeze(ax)).ToArray(), ax);
    }

    /// <summary>
    /// The slices at <paramref name="indices"/> along <paramref name="dim"/> (repeats allowed: an embedding
    /// lookup). The gradient adds each output slice back into its source slice.
    /// </summary>
    public Tensor IndexSelect(int dim, int[] indices)
    {
        ArgumentNullException.ThrowIfNull(indices);
        int d = Shapes.NormalizeAxis("IndexSelect", dim, Rank, nameof(dim));
        foreach (int i in indices)
            if (i < 0 || i >= _shape[d])
                throw new ArgumentOutOfRangeException(nameof(indices), $"IndexSelect: index {i} is out of range for dimension {d} of size {_shape[d]} (shape {Shapes.Format(_shape)}).");
        return Ops.Call(Derivatives.IndexSelect, new IndexAttrs(d, (int[])indices.Clone()), this);
    }

    /// <summary>
    /// out[…, i, …] = this[…, index[…, i, …], …] along <paramref name="dim"/>; <paramref name="index"/> holds integers,
    /// has this tensor's rank, and no extent larger than this tensor's outside dim. Gradient: scatter-add.
    /// </summary>
    public Tensor Gather(int dim, long[] index, int[] indexShape)
    {
        ArgumentNullException.ThrowIfNull(index);
        ArgumentNullException.ThrowIfNull(indexShape);
        int d = Shapes.NormalizeAxis("Gather", dim, Rank, nameof(dim));
        if (indexShape.Length != Rank)
            throw new TensorShapeException($"Gather: index of shape {Shapes.Format(indexShape)} must have rank {Rank} like the source {Shapes.Format(_shape)}.");
        if (Shapes.NumElements(indexShape) != index.Length)
            throw new ArgumentException($"Gather: {index.Length} indices for an index shape {Shapes.Format(indexShape)}.");
        for (int k = 0; k < Rank; k++)
            if (k != d && indexShape[k] > _shape[k])
                throw new TensorShapeException($"Gather: index shape {Shapes.Format(indexShape)} exceeds source shape {Shapes.Format(_shape)} at dimension {k}.");
        foreach (long i in index)
            if (i < 0 || i >= _shape[d])
                throw new ArgumentOutOfRangeException(nameof(index), $"Gather: index {i} is out of range for dimension {d} of size {_shape[d]}.");
        return Ops.Call(Derivatives.Gather, new GatherAttrs(d, (long[])index.Clone(), (int[])indexShape.Clone()), this);
    }

    /// <summary>
    /// Gather with an index tensor holding integral values (any dtype), for PyTorch-style code.
    /// </summary>
    public Tensor Gather(int dim, Tensor index)
    {
        ArgumentNullException.ThrowIfNull(index);
        var values = index.To(DType.Float64).ToArray<double>();
        var ints = new long[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            if (values[i] != Math.Floor(values[i]))
                throw new ArgumentException($"Gather: index values must be integers; found {values[i]}.");
            ints[i] = (long)values[i];
        }
        return Gather(dim, ints, index.ShapeArray);
    }

    /// <summary>Product over <paramref name="axes"/> (all when null). Its gradient ∏_{j≠i} xⱼ is exact when elements are zero.</summary>
    public Tensor Prod(int[]? axes = null, bool keepDims = false)
    {
        var ax = Shapes.NormalizeAxes("Prod", axes, Rank);
        Array.Sort(ax);
        return Ops.Call(Derivatives.Prod, new ReduceAttrs(ax, keepDims), this);
    }

    /// <summary>Product over one axis.</summary>
    public Tensor Prod(int axis, bool keepDims = false) => Prod([axis], keepDims);

    /// <summary>
    /// Euclidean norm ‖x‖₂ = √(Σ x²) over <paramref name="axes"/> (all when null). The gradient x/‖x‖ is taken as
    /// 0 where the norm is 0 (a subgradient), so it never returns NaN.
    /// </summary>
    public Tensor Norm(int[]? axes = null, bool keepDims = false)
    {
        var ax = Shapes.NormalizeAxes("Norm", axes, Rank);
        Array.Sort(ax);
        return Ops.Call(Derivatives.Norm, new ReduceAttrs(ax, keepDims), this);
    }
}

namespace Adjoint;

/// <summary>
/// The dispatcher every differentiable op goes through: run the row's forward kernel, then record a backward
/// node when grad mode is on and an input requires grad, then push forward-mode tangents when a dual level
/// is active. Public ops on <see cref="Tensor"/> validate their arguments and call <see cref="Call"/>.
/// </summary>
internal static class Ops
{
    public static Tensor Call(OpRow row, object? attrs, params ReadOnlySpan<Tensor> inputs)
    {
        var output = row.Forward!(inputs, attrs);
        bool record = GradMode.IsEnabled && !row.NonDifferentiable && AnyRequiresGrad(inputs);
        if (record) Record(row, attrs, inputs, [output]);
        if (ForwardAD.IsActive && !row.NonDifferentiable) ForwardAD.Propagate(row, attrs, inputs, [output]);
        if (GradMode.IsInference) output.IsInference = true;
        return output;
    }

    /// <summary>
    /// The forward-mode tangents of <paramref name="row"/> applied to <paramref name="inputs"/>, without its primal
    /// result: the returned tensor's values are zeros (a broadcast view of one zero, shaped
    /// <paramref name="outputShape"/>) and only its tangents are meaningful. Nothing is recorded. Used where a
    /// caller discards the primal, e.g. a weight gradient inside a Hessian-vector product (Note [Tangent-only
    /// gradients]). Only for rows whose JVP does not read the primal output (matrix products, linear rows).
    /// </summary>
    public static Tensor CallTangentOnly(OpRow row, object? attrs, int[] outputShape, params ReadOnlySpan<Tensor> inputs)
    {
        if (row != Derivatives.MatMul && row.Saves != Saves.Nothing)
            throw new InvalidOperationException($"{row.Name}: its JVP may read the primal output, so it cannot be evaluated tangent-only.");
        var output = Kernels.Expand(Tensor.Scalar(0, inputs[0].DType), outputShape);
        if (ForwardAD.IsActive) ForwardAD.Propagate(row, attrs, inputs, [output]);
        return output;
    }

    /// <summary>Multi-output form of <see cref="Call"/>.</summary>
    public static Tensor[] CallMany(OpRow row, object? attrs, params ReadOnlySpan<Tensor> inputs)
    {
        var outputs = row.ForwardMany!(inputs, attrs);
        if (GradMode.IsEnabled && AnyRequiresGrad(inputs)) Record(row, attrs, inputs, outputs);
        if (ForwardAD.IsActive) ForwardAD.Propagate(row, attrs, inputs, outputs);
        if (GradMode.IsInference) foreach (var o in outputs) o.IsInference = true;
        return outputs;
    }

    private static bool AnyRequiresGrad(ReadOnlySpan<Tensor> inputs)
    {
        foreach (var t in inputs)
            if (t.RequiresGrad) return true;
        return false;
    }

    private static void Record(OpRow row, object? attrs, ReadOnlySpan<Tensor> inputs, Tensor[] outputs)
    {
        var edges = new Edge[inputs.Length];
        for (int i = 0; i < inputs.Length; i++)
        {
            if (inputs[i].IsInference)
                throw new InvalidOperationException($"{row.Name}: an inference tensor (created under Autograd.InferenceMode) cannot be used in an op that records the graph. Clone it outside inference mode first.");
            edges[i] = inputs[i].GradientEdge();
        }
        var node = new OpNode(row, attrs, edges, inputs, outputs);
        for (int i = 0; i < outputs.Length; i++) outputs[i].SetGradFn(node, i);
    }

    /// <summary>
    /// Sums <paramref name="grad"/> over the dimensions that broadcasting added or stretched, so it gets
    /// <paramref name="shape"/>: the one place where broadcasting is undone in backward.
    /// </summary>
    public static Tensor SumTo(Tensor grad, int[] shape)
    {
        var gshape = grad.ShapeArray;
        if (gshape.AsSpan().SequenceEqual(shape)) return grad;
        int lead = gshape.Length - shape.Length;
        var axes = new List<int>();
        for (int i = 0; i < gshape.Length; i++)
        {
            if (i < lead) axes.Add(i);
            else if (shape[i - lead] == 1 && gshape[i] != 1) axes.Add(i);
        }
        var summed = axes.Count == 0 ? grad : grad.Sum(axes.ToArray(), keepDims: true);
        return summed.ShapeArray.AsSpan().SequenceEqual(shape) ? summed : summed.Reshape(shape);
    }

    /// <summary>
    /// <see cref="SumTo"/> for a batch of gradients: <paramref name="grad"/> is [B, …] and the result is
    /// [B] ++ <paramref name="shape"/>. Broadcasting aligns dimensions from the right, so the batch dimension is
    /// never one that broadcasting added; everything between it and the input's dimensions is.
    /// </summary>
    public static Tensor SumToBatched(Tensor grad, int[] shape, int batch)
    {
        var gshape = grad.ShapeArray;
        var target = new int[shape.Length + 1];
        target[0] = batch;
        shape.CopyTo(target, 1);
        if (gshape.AsSpan().SequenceEqual(target)) return grad;
        if (gshape.Length < 1 || gshape[0] != batch || gshape.Length - 1 < shape.Length)
            throw new InvalidOperationException($"Batched backward: gradient of shape {Shapes.Format(gshape)} cannot be summed to {Shapes.Format(target)} (derivative table bug).");
        int lead = gshape.Length - 1 - shape.Length;
        var axes = new List<int>();
        for (int i = 1; i < gshape.Length; i++)
        {
            int j = i - 1 - lead;
            if (j < 0 || (shape[j] == 1 && gshape[i] != 1)) axes.Add(i);
        }
        var summed = axes.Count == 0 ? grad : grad.Sum(axes.ToArray(), keepDims: true);
        return summed.ShapeArray.AsSpan().SequenceEqual(target) ? summed : summed.Reshape(target);
    }

    /// <summary>Broadcasts a tangent to the output's shape when an input was broadcast in the forward pass.</summary>
    public static Tensor BroadcastLike(Tensor t, Tensor like, int batch = 0)
    {
        if (batch == 0) return t.ShapeArray.AsSpan().SequenceEqual(like.ShapeArray) ? t : t.Expand(like.ShapeArray);
        var target = new int[like.Rank + 1];
        target[0] = batch;
        like.ShapeArray.CopyTo(target, 1);
        return t.ShapeArray.AsSpan().SequenceEqual(target) ? t : PadBatched(t, like.Rank).Expand(target);
    }

    /// <summary>Inserts unit dimensions after the batch dimension until t has rank + 1 dimensions.</summary>
    public static Tensor PadBatched(Tensor t, int rank)
    {
        if (t.Rank >= rank + 1) return t;
        var shape = new int[rank + 1];
        shape[0] = t.ShapeArray[0];
        int pad = rank + 1 - t.Rank;
        for (int i = 1; i <= pad; i++) shape[i] = 1;
        for (int i = 1; i < t.Rank; i++) shape[pad + i] = t.ShapeArray[i];
        return t.Reshape(shape);
    }

    /// <summary>True when every element is finite (x − x is NaN exactly for NaN and ±Inf).</summary>
    public static bool AllFinite(Tensor t)
    {
        using (Autograd.NoGrad())
        {
            if (t.NumElements == 0) return true;
            double s = (t - t).Sum().To(DType.Float64).Item<double>();
            return !double.IsNaN(s);
        }
    }
}

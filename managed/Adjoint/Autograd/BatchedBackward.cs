namespace Adjoint;

// Note [Batched backward]
// A batched backward pushes B cotangents through the graph in one pass: every gradient the engine carries has a
// leading dimension [B, …] in front of the shape it has in a plain backward. Table rows provide the VJP of a
// batch in one of three ways (OpRow.BatchedVjp, OpRow.CotangentBroadcasts, or none); rows with none, custom
// functions and any other node run their plain VJP once per batch entry and the results are stacked, so every
// node works and the batched rules are only an optimisation. Because every rule is linear in the cotangent,
// entry b of the batched result is exactly the plain VJP of cotangent b. Leaves are never accumulated into
// (.Grad has no batch dimension): a batched backward always captures the gradients of given inputs.

/// <summary>Runs one node of a batched backward (see Note [Batched backward]).</summary>
internal static class BatchedBackward
{
    public static Tensor?[] Apply(Node node, Tensor?[] gradOutputs, bool createGraph, int batch) => node switch
    {
        OpNode op => op.ApplyBatched(gradOutputs, createGraph, batch),
        AccumulateGrad => throw new InvalidOperationException("Batched backward: gradients with a batch dimension cannot be accumulated into a leaf's .Grad; pass the inputs to differentiate with respect to."),
        _ => PerEntry(node, gradOutputs, createGraph, batch),
    };

    /// <summary>The node's plain VJP once per batch entry; each input's results are stacked along a new leading dimension.</summary>
    public static Tensor?[] PerEntry(Node node, Tensor?[] gradOutputs, bool createGraph, int batch)
    {
        var perEntry = new Tensor?[batch][];
        for (int b = 0; b < batch; b++)
        {
            var slice = new Tensor?[gradOutputs.Length];
            for (int k = 0; k < slice.Length; k++) slice[k] = gradOutputs[k]?.Select(0, b);
            perEntry[b] = node.Apply(slice, createGraph);
        }
        int inputs = perEntry.Length == 0 ? 0 : perEntry.Max(r => r.Length);
        var result = new Tensor?[inputs];
        for (int i = 0; i < inputs; i++)
        {
            Tensor? like = null;
            foreach (var r in perEntry)
                if (i < r.Length && r[i] is not null) { like = r[i]; break; }
            if (like is null) continue;
            var slices = new Tensor[batch];
            for (int b = 0; b < batch; b++)
                slices[b] = i < perEntry[b].Length && perEntry[b][i] is { } t ? t : Tensor.ZerosLike(like);
            result[i] = Tensor.Stack(slices);
        }
        return result;
    }

    /// <summary>Gradient hooks see one entry at a time, as they would in a plain backward.</summary>
    public static Tensor RunPreHooks(Node node, int outputNr, Tensor grad, int batch)
    {
        if (!node.HasPreHooks(outputNr)) return grad;
        var slices = new Tensor[batch];
        for (int b = 0; b < batch; b++) slices[b] = node.RunPreHooks(outputNr, grad.Select(0, b));
        return Tensor.Stack(slices);
    }
}

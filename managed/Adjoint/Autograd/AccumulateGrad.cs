namespace Adjoint;

/// <summary>
/// The backward node of a leaf that requires grad: adds the incoming gradient into <see cref="Tensor.Grad"/>,
/// then runs the leaf's post-accumulate hooks.
/// </summary>
internal sealed class AccumulateGrad : Node
{
    private List<Action<Tensor>>? _postHooks;

    public AccumulateGrad(Tensor leaf) : base(1, []) => Leaf = leaf;

    public Tensor Leaf { get; }

    public override string Name => "AccumulateGrad";

    internal IDisposable AddPostHook(Action<Tensor> hook)
    {
        var list = _postHooks ??= [];
        list.Add(hook);
        return new GradMode.Restore(() => list.Remove(hook));
    }

    internal override Tensor?[] Apply(Tensor?[] gradOutputs, bool createGraph) =>
        gradOutputs[0] is { } g ? Accumulate(g, createGraph, owned: false) : [];

    /// <summary>
    /// Accumulates a gradient that the engine alone holds (Note [Fresh gradients]): an empty .Grad adopts it
    /// instead of a copy when it is a dense, contiguous tensor of its own storage (what the fused optimizers want).
    /// </summary>
    internal Tensor?[] Adopt(Tensor g) => Accumulate(g, createGraph: false, owned: true);

    private Tensor?[] Accumulate(Tensor g, bool createGraph, bool owned)
    {
        if (!g.Shape.SequenceEqual(Leaf.Shape))
            throw new InvalidOperationException(
                $"AccumulateGrad: gradient of shape [{string.Join(",", g.Shape.ToArray())}] does not match the leaf's shape [{string.Join(",", Leaf.Shape.ToArray())}].");
        var current = Leaf.Grad;
        if (createGraph)
        {
            // The accumulated gradient must itself stay on the graph (double backward), so sum out of place.
            Leaf.Grad = current is null ? g : current + g;
        }
        else if (current is null && owned && !g.RequiresGrad && g.IsContiguous && g.Offset == 0 && g.Storage.Length == g.NumElements)
        {
            Leaf.Grad = g;
        }
        else if (current is null)
        {
            // The engine's gradient may alias a tensor someone else holds (a user's seed, a VJP that passed
            // its input through); .Grad is later accumulated in place, so it gets storage of its own.
            using (Autograd.NoGrad()) Leaf.Grad = g.Detach().Clone();
        }
        else if (current.RequiresGrad)
        {
            using (Autograd.NoGrad()) Leaf.Grad = current + g;
        }
        else
        {
            using (Autograd.NoGrad()) current.AddInPlace(g);
        }
        if (_postHooks is not null)
            foreach (var hook in _postHooks.ToArray()) hook(Leaf);
        return [];
    }
}

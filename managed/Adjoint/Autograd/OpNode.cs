namespace Adjoint;

/// <summary>
/// The backward node of one table-driven op. It is also the context its VJP reads: the saved inputs and
/// output, the op's attributes, the input shapes and which inputs need a gradient.
/// </summary>
internal sealed class OpNode : Node
{
    private readonly SavedTensor?[]? _savedInputs;
    private SavedTensor?[]? _savedOutputs;
    private readonly int[][] _inputShapes;
    private bool _released;

    public OpNode(OpRow row, object? attrs, Edge[] next, ReadOnlySpan<Tensor> inputs, ReadOnlySpan<Tensor> outputs) : base(outputs.Length, next)
    {
        Row = row;
        Attrs = attrs;
        _inputShapes = new int[inputs.Length][];
        for (int i = 0; i < inputs.Length; i++) _inputShapes[i] = inputs[i].ShapeArray;
        DType = outputs[0].DType;
        if ((row.Saves & Saves.Inputs) != 0)
        {
            _savedInputs = new SavedTensor?[inputs.Length];
            for (int i = 0; i < inputs.Length && i < 3; i++)
                if (((int)row.Saves & (1 << i)) != 0) _savedInputs[i] = new SavedTensor(inputs[i]);
        }
        if ((row.Saves & Saves.Output) != 0)
        {
            _savedOutputs = new SavedTensor?[outputs.Length];
            for (int i = 0; i < outputs.Length; i++) _savedOutputs[i] = new SavedTensor(outputs[i]);
        }
    }

    public OpRow Row { get; }

    public object? Attrs { get; }

    public DType DType { get; }

    public override string Name => Row.Name;

    /// <summary>True while this backward runs with <c>createGraph</c>.</summary>
    public bool CreateGraph { get; private set; }

    /// <summary>
    /// Set by the engine while this node runs in a backward whose caller discards the primal gradients of the
    /// captured leaves: true for input i when its gradient goes straight to such a leaf, so only its
    /// forward-mode tangent is needed (Note [Tangent-only gradients]).
    /// </summary>
    internal bool[]? UnusedPrimals { get; set; }

    /// <summary>True when only the tangent of the gradient of input <paramref name="i"/> will be read.</summary>
    public bool PrimalUnused(int i) => UnusedPrimals is { } u && u[i] && ForwardAD.IsActive;

    /// <summary>0, or the size B of the leading batch dimension the cotangents carry while a batched backward runs.</summary>
    public int Batch { get; private set; }

    public T Attr<T>() => (T)Attrs!;

    public int[] InputShape(int i) => _inputShapes[i];

    public int InputCount => _inputShapes.Length;

    public bool NeedsInputGrad(int i) => Next[i].Node is not null;

    public Tensor Input(int i) => InputOrNull(i) ?? throw new InvalidOperationException($"Backward of {Name}: input {i} was not saved (derivative table bug).");

    public Tensor? InputOrNull(int i) => _savedInputs?[i]?.Unpack(Name);

    public Tensor Output => OutputOrNull() ?? throw new InvalidOperationException($"Backward of {Name}: the output was not saved (derivative table bug).");

    public Tensor? OutputOrNull(int i = 0) => _savedOutputs?[i]?.Unpack(Name);

    public Tensor SavedOutput(int i) => OutputOrNull(i) ?? throw new InvalidOperationException($"Backward of {Name}: output {i} was not saved (derivative table bug).");

    /// <summary>
    /// Sums a gradient over broadcast dimensions back to the shape of input <paramref name="i"/> (with the leading
    /// batch dimension kept in a batched backward).
    /// </summary>
    public Tensor SumToInput(Tensor grad, int i) => Batch > 0 ? Ops.SumToBatched(grad, _inputShapes[i], Batch) : Ops.SumTo(grad, _inputShapes[i]);

    /// <summary>[B] ++ the shape of input <paramref name="i"/>: the shape of its gradient in a batched backward.</summary>
    public int[] BatchedInputShape(int i) => [Batch, .. _inputShapes[i]];

    internal override Tensor?[] Apply(Tensor?[] gradOutputs, bool createGraph)
    {
        if (_released)
            throw new InvalidOperationException(
                $"Backward of {Name}: trying to backward through the graph a second time. Saved tensors are freed after the first backward; " +
                "pass retainGraph: true to the first Backward/Grad call if you need to backward twice.");
        CreateGraph = createGraph;
        // Fused kernels bypass the dispatcher, so they are used only when nothing watches the backward pass:
        // no graph is being built and no forward-mode level would need the tangents of the gradient.
        var rule = !createGraph && !ForwardAD.IsActive && Row.FusedVjp is not null ? Row.FusedVjp : Row.Vjp;
        return rule(this, gradOutputs);
    }

    /// <summary>
    /// The VJP of cotangents with a leading batch dimension of size <paramref name="batch"/>: the row's batched
    /// rule, its plain rule where that only broadcasts, and otherwise one plain VJP per batch entry.
    /// Fused kernels expect unbatched shapes, so they are not used here.
    /// </summary>
    internal Tensor?[] ApplyBatched(Tensor?[] gradOutputs, bool createGraph, int batch)
    {
        var rule = Row.BatchedVjp ?? (Row.CotangentBroadcasts ? Row.Vjp : null);
        if (rule is null) return BatchedBackward.PerEntry(this, gradOutputs, createGraph, batch);
        if (_released) return Apply(gradOutputs, createGraph); // throws the second-backward error
        CreateGraph = createGraph;
        Batch = batch;
        try
        {
            return rule(this, gradOutputs);
        }
        finally
        {
            Batch = 0;
        }
    }

    internal override void ReleaseSaved()
    {
        // Nodes that save nothing can be replayed; only nodes that freed something refuse a second backward.
        if (_savedInputs is null && _savedOutputs is null) return;
        _released = true;
        if (_savedInputs is not null)
            foreach (var s in _savedInputs) s?.Release();
        if (_savedOutputs is not null)
            foreach (var s in _savedOutputs) s?.Release();
    }
}

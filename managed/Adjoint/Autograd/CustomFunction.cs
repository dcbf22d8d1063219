namespace Adjoint;

/// <summary>
/// A user-defined differentiable operation: override <see cref="Forward"/> (runs without recording) and
/// <see cref="Backward"/> (the VJP: gradients of the outputs → gradients of the inputs), and optionally
/// <see cref="Jvp"/> for forward mode. Call it with <see cref="Apply"/> or <see cref="ApplyMany"/>.
/// </summary>
/// <remarks>
/// Double backward works when <see cref="Backward"/> is written with differentiable tensor ops. When it is not
/// (it leaves the graph, e.g. through arrays), or <see cref="IsOnceDifferentiable"/> is true, differentiating
/// its result again throws a clear error rather than returning a silently wrong second derivative.
/// </remarks>
public abstract class CustomFunction
{
    /// <summary>The name used in GradFn and error messages (default: the class name).</summary>
    public virtual string Name => GetType().Name;

    /// <summary>Declare true when <see cref="Backward"/> is not itself differentiable.</summary>
    public virtual bool IsOnceDifferentiable => false;

    /// <summary>
    /// True for the library's own functions whose Backward keeps no reference to the gradients it returns, so the
    /// engine may take them over (see Note [Fresh gradients]). A user's Backward may cache what it returns, so
    /// functions outside the library are never trusted with this.
    /// </summary>
    internal virtual bool BackwardResultsAreUnshared => false;

    /// <summary>Computes the outputs. Runs with gradient recording off; save what Backward needs on <paramref name="ctx"/>.</summary>
    protected abstract Tensor[] Forward(FunctionContext ctx, Tensor[] inputs);

    /// <summary>Given ∂L/∂outputᵢ (zeros for outputs that received none), returns ∂L/∂inputⱼ (null where not needed).</summary>
    protected abstract Tensor?[] Backward(FunctionContext ctx, Tensor[] gradOutputs);

    /// <summary>Forward mode: given input tangents (null = zero), returns output tangents. Optional.</summary>
    protected virtual Tensor?[] Jvp(FunctionContext ctx, Tensor?[] tangents) =>
        throw new NotSupportedException($"CustomFunction {Name} has no Jvp, so it cannot be used in forward mode; override Jvp to support it.");

    internal Tensor?[] InvokeBackward(FunctionContext ctx, Tensor[] gradOutputs) => Backward(ctx, gradOutputs);

    internal Tensor?[] InvokeJvp(FunctionContext ctx, Tensor?[] tangents) => Jvp(ctx, tangents);

    /// <summary>Runs the function and records it on the graph; returns its single output.</summary>
    public Tensor Apply(params Tensor[] inputs)
    {
        var outputs = ApplyMany(inputs);
        if (outputs.Length != 1)
            throw new InvalidOperationException($"CustomFunction {Name}: Apply expects one output, Forward returned {outputs.Length}; use ApplyMany.");
        return outputs[0];
    }

    /// <summary>Runs the function and records it on the graph; returns all outputs.</summary>
    public Tensor[] ApplyMany(params Tensor[] inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        var ctx = new FunctionContext(this, inputs);
        Tensor[] outputs;
        using (Autograd.NoGrad()) outputs = Forward(ctx, inputs);
        if (outputs is null || outputs.Length == 0)
            throw new InvalidOperationException($"CustomFunction {Name}: Forward returned no outputs.");
        for (int i = 0; i < outputs.Length; i++)
            if (Array.IndexOf(inputs, outputs[i]) >= 0) outputs[i] = outputs[i].Detach(); // an input passed through gets its own node

        bool record = GradMode.IsEnabled && inputs.Any(t => t.RequiresGrad);
        if (record)
        {
            ctx.OutputSpecs = outputs.Select(o => (o.ShapeArray, o.DType)).ToArray();
            var node = new CustomNode(this, ctx, outputs.Length, inputs.Select(t => t.GradientEdge()).ToArray());
            for (int i = 0; i < outputs.Length; i++)
                if (!ctx.IsNonDifferentiable(outputs[i])) outputs[i].SetGradFn(node, i);
        }
        if (ForwardAD.IsActive) ForwardAD.PropagateCustom(this, ctx, inputs, outputs);
        if (!record) ctx.Release(); // no node will read them: return the saved bytes now
        return outputs;
    }
}

/// <summary>What a <see cref="CustomFunction"/> keeps between Forward and Backward.</summary>
public sealed class FunctionContext
{
    private readonly CustomFunction _function;
    private SavedTensor[] _saved = [];
    private readonly HashSet<Tensor> _nonDifferentiable = new(ReferenceEqualityComparer.Instance);
    private readonly bool[] _needsInputGrad;

    internal FunctionContext(CustomFunction function, Tensor[] inputs)
    {
        _function = function;
        _needsInputGrad = inputs.Select(t => t.RequiresGrad).ToArray();
        InputShapes = inputs.Select(t => t.ShapeArray).ToArray();
    }

    internal int[][] InputShapes { get; }

    /// <summary>Free-form values Forward wants Backward to see (shapes, scalars…).</summary>
    public Dictionary<string, object> Items { get; } = [];

    /// <summary>Saves tensors for Backward; they are checked against in-place modification when read.</summary>
    public void SaveForBackward(params Tensor[] tensors) => _saved = tensors.Select(t => new SavedTensor(t)).ToArray();

    /// <summary>The tensors passed to <see cref="SaveForBackward"/>, in order.</summary>
    public Tensor[] SavedTensors => _saved.Select(s => s.Unpack(_function.Name)).ToArray();

    /// <summary>Marks outputs that are not differentiable (indices, masks): they get no GradFn.</summary>
    public void MarkNonDifferentiable(params Tensor[] outputs)
    {
        foreach (var t in outputs) _nonDifferentiable.Add(t);
    }

    /// <summary>Whether input <paramref name="index"/> requires a gradient.</summary>
    public bool NeedsInputGrad(int index) => _needsInputGrad[index];

    internal bool IsNonDifferentiable(Tensor t) => _nonDifferentiable.Contains(t);

    internal bool AnySavedRequiresGrad => SavedRequiringGrad.Any();

    internal IEnumerable<Tensor> SavedRequiringGrad =>
        _saved.Where(s => !s.IsReleased).Select(s => s.Unpack(_function.Name)).Where(t => t.RequiresGrad);

    internal (int[] Shape, DType DType)[] OutputSpecs { get; set; } = [];

    internal void Release()
    {
        foreach (var s in _saved) s.Release();
    }
}

/// <summary>The backward node of a <see cref="CustomFunction"/> call.</summary>
internal sealed class CustomNode(CustomFunction function, FunctionContext ctx, int outputs, Edge[] next) : Node(outputs, next)
{
    public override string Name => function.Name;

    internal override bool ResultsAreUnshared => function.BackwardResultsAreUnshared;

    internal override Tensor?[] Apply(Tensor?[] gradOutputs, bool createGraph)
    {
        var grads = new Tensor[gradOutputs.Length];
        for (int i = 0; i < grads.Length; i++)
            grads[i] = gradOutputs[i] ?? Tensor.Zeros(ctx.OutputSpecs[i].Shape, ctx.OutputSpecs[i].DType);
        bool graphAround = createGraph && (grads.Any(g => g.RequiresGrad) || ctx.AnySavedRequiresGrad);
        Tensor?[] result;
        if (createGraph && !function.IsOnceDifferentiable) result = function.InvokeBackward(ctx, grads);
        else using (Autograd.NoGrad()) result = function.InvokeBackward(ctx, grads);

        if (result is null || result.Length != Next.Length)
            throw new InvalidOperationException($"Backward of {Name}: returned {result?.Length ?? 0} gradients for {Next.Length} inputs.");
        for (int i = 0; i < result.Length; i++)
        {
            var r = result[i];
            if (r is null) continue;
            if (!r.Shape.SequenceEqual(ctx.InputShapes[i]))
                throw new InvalidOperationException(
                    $"Backward of {Name}: gradient {i} has shape {Shapes.Format(r.ShapeArray)} but input {i} has shape {Shapes.Format(ctx.InputShapes[i])}.");
            // A result that left the graph although its inputs were on it would give a zero second derivative.
            if (graphAround && !r.RequiresGrad) result[i] = Poisoned(r, grads);
        }
        return result;
    }

    private Tensor Poisoned(Tensor r, Tensor[] grads)
    {
        // Link to everything the result should have depended on, so a second backward reaches this node.
        var edges = grads.Where(g => g.RequiresGrad).Concat(ctx.SavedRequiringGrad).Select(g => g.GradientEdge()).ToArray();
        var t = r.Detach();
        t.SetGradFn(new NotDifferentiableNode(Name, edges), 0);
        return t;
    }

    internal override void ReleaseSaved() => ctx.Release();
}

/// <summary>Stands where a once-differentiable backward's result enters a graph; differentiating it throws.</summary>
internal sealed class NotDifferentiableNode(string function, Edge[] next) : Node(1, next)
{
    public override string Name => $"{function}BackwardNotDifferentiable";

    internal override Tensor?[] Apply(Tensor?[] gradOutputs, bool createGraph) =>
        throw new InvalidOperationException(
            $"Double backward through CustomFunction {function} is not supported: its Backward is not differentiable " +
            "(it is marked IsOnceDifferentiable, or its result does not depend on the graph). Write Backward with differentiable tensor ops to allow it.");
}

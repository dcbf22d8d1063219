
namespace Adjoint;

public sealed partial class Tensor
{
    private bool _requiresGrad;
    private Node? _gradFn;
    private int _outputNr;
    private AccumulateGrad? _accumulator;
    private Tensor? _grad;

    /// <summary>
    /// Whether gradients are computed for this tensor. Settable only on leaves (tensors not produced by a
    /// recorded op); results of recorded ops require grad because an input did.
    /// </summary>
    /// <exception cref="InvalidOperationException">Set on a non-leaf tensor.</exception>
    public bool RequiresGrad
    {
        get { ThrowIfDisposed(); return _requiresGrad || _gradFn is not null; }
        set
        {
            ThrowIfDisposed();
            if (_gradFn is not null)
                throw new InvalidOperationException(
                    $"RequiresGrad: can only be set on leaf tensors; this tensor of shape {Shapes.Format(_shape)} was produced by {_gradFn.Name}. Use Detach() to get a leaf.");
            if (value && GradMode.IsInference && IsInference)
                throw new InvalidOperationException("RequiresGrad: cannot be set on a tensor created in inference mode.");
            _requiresGrad = value;
        }
    }

    /// <summary>True for tensors not produced by a recorded op (user-created tensors, parameters, detached tensors).</summary>
    public bool IsLeaf
    {
        get { ThrowIfDisposed(); return _gradFn is null; }
    }

    /// <summary>
    /// The accumulated gradient ∂L/∂this after <see cref="Backward"/>; successive backward passes add into it
    /// until <see cref="ZeroGrad"/>. Null before the first backward.
    /// </summary>
    public Tensor? Grad
    {
        get { ThrowIfDisposed(); return _grad; }
        set
        {
            ThrowIfDisposed();
            if (value is not null && !value.Shape.SequenceEqual(Shape))
                throw new ArgumentException($"Grad: a gradient of shape {Shapes.Format(value.ShapeArray)} cannot be assigned to a tensor of shape {Shapes.Format(_shape)}.");
            _grad = value;
        }
    }

    /// <summary>The backward node of the op that produced this tensor (its name and inputs are inspectable); null for leaves.</summary>
    public Node? GradFn
    {
        get { ThrowIfDisposed(); return _gradFn; }
    }

    /// <summary>True when the tensor was created inside <see cref="Autograd.InferenceMode"/>.</summary>
    public bool IsInference { get; internal set; }

    /// <summary>Sets <see cref="Grad"/> to null (the next backward assigns a fresh gradient).</summary>
    public void ZeroGrad()
    {
        ThrowIfDisposed();
        _grad = null;
    }

    /// <summary>Sets <see cref="RequiresGrad"/> and returns this tensor, for fluent construction.</summary>
    public Tensor SetRequiresGrad(bool requiresGrad = true)
    {
        RequiresGrad = requiresGrad;
        return this;
    }

    /// <summary>
    /// A tensor sharing this one's storage but cut from the graph: a leaf that does not require grad.
    /// In-place writes to either are seen by both (and bump the shared version counter).
    /// </summary>
    public Tensor Detach()
    {
        ThrowIfDisposed();
        Storage.AddRef();
        return new Tensor(Storage, _shape, _strides, _offset);
    }

    /// <summary>
    /// Computes ∂this/∂leaf for every leaf that requires grad and adds it into the leaves' <see cref="Grad"/>.
    /// </summary>
    /// <param name="gradient">∂L/∂this; may be omitted only for a one-element tensor (then 1).</param>
    /// <param name="retainGraph">Keep saved tensors so the graph can be differentiated again (default: <paramref name="createGraph"/>).</param>
    /// <param name="createGraph">Record the backward pass itself, so gradients can be differentiated (double backward).</param>
    public void Backward(Tensor? gradient = null, bool? retainGraph = null, bool createGraph = false)
    {
        ThrowIfDisposed();
        var seed = Autograd.SeedGradient(this, gradient, "Backward");
        Engine.Run([this], [seed], retainGraph ?? createGraph, createGraph, null);
    }

    /// <summary>
    /// Registers <paramref name="hook"/> on the gradient flowing into this tensor during backward. The hook may
    /// return a replacement gradient or null to keep it. Disposing the result removes the hook.
    /// </summary>
    public IDisposable RegisterHook(Func<Tensor, Tensor?> hook)
    {
        ArgumentNullException.ThrowIfNull(hook);
        var edge = GradientEdge();
        if (edge.IsEmpty)
            throw new InvalidOperationException($"RegisterHook: the tensor of shape {Shapes.Format(_shape)} does not require grad, so no gradient will flow into it.");
        return edge.Node!.AddPreHook(edge.InputNr, hook);
    }

    /// <summary>
    /// Registers <paramref name="hook"/> to run on a leaf after its gradient has been accumulated into
    /// <see cref="Grad"/> (optimizers can step a parameter as soon as its gradient is ready).
    /// </summary>
    public IDisposable RegisterPostAccumulateGradHook(Action<Tensor> hook)
    {
        ArgumentNullException.ThrowIfNull(hook);
        if (!IsLeaf || !RequiresGrad)
            throw new InvalidOperationException("RegisterPostAccumulateGradHook: only leaves that require grad accumulate gradients.");
        return Accumulator().AddPostHook(hook);
    }

    /// <summary>Where this tensor's gradient goes: its GradFn's output, its accumulator if a leaf requiring grad, or nowhere.</summary>
    internal Edge GradientEdge()
    {
        ThrowIfDisposed();
        if (_gradFn is not null) return new Edge(_gradFn, _outputNr);
        return _requiresGrad ? new Edge(Accumulator(), 0) : default;
    }

    internal AccumulateGrad Accumulator() => _accumulator ??= new AccumulateGrad(this);

    internal void SetGradFn(Node node, int outputNr)
    {
        _gradFn = node;
        _outputNr = outputNr;
    }
}

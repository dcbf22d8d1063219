using Adjoint.NN;

namespace Adjoint.Optim;

/// <summary>Which implementation of the parameter update an optimizer runs.</summary>
public enum UpdateImplementation
{
    /// <summary>
    /// One fused pass per parameter over its raw buffers, when parameter and gradient are contiguous: the native
    /// kernels adj_sgd_update / adj_adam_update on the native backend, a vectorised managed pass on the managed one.
    /// </summary>
    Fused,

    /// <summary>The update written as a sequence of in-place tensor ops: slower, the readable reference the fused pass is tested against.</summary>
    TensorOps,
}

/// <summary>
/// The base of the optimizers: holds the parameters (leaf tensors) and the learning rate, and runs
/// <see cref="Step"/> under no-grad. Every update writes the parameter in place and bumps its version counter,
/// so a graph that saved the old value refuses to backward through it instead of using the new one.
/// Optimizer state (momentum, moments) lives outside every <see cref="TensorScope"/>: it survives per-step
/// scopes and is freed by <see cref="Dispose"/>.
/// </summary>
public abstract class Optimizer : IDisposable
{
    private readonly Tensor[] _parameters;
    private readonly List<Tensor> _state = [];

    /// <summary>Creates the optimizer over <paramref name="parameters"/> with learning rate <paramref name="learningRate"/>.</summary>
    protected Optimizer(IEnumerable<Tensor> parameters, double learningRate)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        _parameters = parameters.ToArray();
        if (_parameters.Length == 0) throw new ArgumentException($"{GetType().Name}: no parameters to optimize.", nameof(parameters));
        for (int i = 0; i < _parameters.Length; i++)
        {
            var p = _parameters[i] ?? throw new ArgumentException($"{GetType().Name}: parameter {i} is null.", nameof(parameters));
            if (!p.IsLeaf) throw new ArgumentException($"{GetType().Name}: parameter {i} (shape {Shapes.Format(p.ShapeArray)}) is not a leaf; optimize leaves (e.g. Parameter.Value).", nameof(parameters));
        }
        if (_parameters.Distinct(ReferenceEqualityComparer.Instance).Count() != _parameters.Length)
            throw new ArgumentException($"{GetType().Name}: a parameter appears more than once.", nameof(parameters));
        LearningRate = CheckNonNegative(learningRate, nameof(learningRate));
    }

    /// <summary>Creates the optimizer over the tensors of <paramref name="parameters"/> (e.g. <see cref="Module.Parameters"/>).</summary>
    protected Optimizer(IEnumerable<Parameter> parameters, double learningRate)
        : this((parameters ?? throw new ArgumentNullException(nameof(parameters))).Select(p => p.Value), learningRate) { }

    /// <summary>The optimized tensors.</summary>
    public IReadOnlyList<Tensor> Parameters => _parameters;

    /// <summary>The step size; schedules (<see cref="LearningRateSchedule"/>) change it between steps.</summary>
    public double LearningRate { get; set; }

    /// <summary>Completed steps (Adam's bias correction uses it).</summary>
    public long StepCount { get; private set; }

    /// <summary>Fused (default) or tensor-op updates.</summary>
    public UpdateImplementation Implementation { get; set; } = UpdateImplementation.Fused;

    /// <summary>Drops every parameter's gradient (sets it to null).</summary>
    public void ZeroGrad()
    {
        foreach (var p in _parameters) p.ZeroGrad();
    }

    /// <summary>
    /// Updates every parameter that has a gradient, under no-grad. Parameters without a gradient are skipped
    /// (their state is not advanced).
    /// </summary>
    public void Step()
    {
        StepCount++;
        using var noGrad = Autograd.NoGrad();
        for (int i = 0; i < _parameters.Length; i++)
        {
            var p = _parameters[i];
            var g = p.Grad;
            if (g is null) continue;
            if (g.DType != p.DType)
                throw new InvalidOperationException($"{GetType().Name}: gradient dtype {g.DType} differs from parameter {i}'s {p.DType}.");
            bool fused = Implementation == UpdateImplementation.Fused && p.IsContiguous && g.IsContiguous;
            Update(i, p, g, fused);
            if (fused) p.Storage.BumpVersion(); // the raw-buffer pass bypasses the tensor ops that bump it
        }
    }

    /// <summary>
    /// Updates parameter <paramref name="index"/> from its gradient. With <paramref name="fused"/>, both are
    /// contiguous and the implementation may write the raw buffers (the caller bumps the version); otherwise it
    /// must use in-place tensor ops.
    /// </summary>
    private protected abstract void Update(int index, Tensor parameter, Tensor grad, bool fused);

    /// <summary>A zero tensor shaped like <paramref name="like"/> that belongs to no scope (optimizer state).</summary>
    private protected Tensor NewState(Tensor like)
    {
        var t = Kernels.Full(like.ShapeArray, like.DType, 0, register: false);
        _state.Add(t);
        return t;
    }

    private protected static double CheckNonNegative(double value, string name) =>
        value >= 0 && double.IsFinite(value) ? value : throw new ArgumentOutOfRangeException(name, value, $"{name} must be a finite number ≥ 0.");

    /// <summary>Frees the optimizer state (the parameters are not touched).</summary>
    public void Dispose()
    {
        foreach (var t in _state) t.Dispose();
        _state.Clear();
        GC.SuppressFinalize(this);
    }
}

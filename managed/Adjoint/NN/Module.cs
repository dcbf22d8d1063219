namespace Adjoint.NN;

/// <summary>
/// The base of every layer and model: holds named parameters, buffers and child modules, switches between
/// training and evaluation behaviour, and exposes the whole tree's state as a <see cref="StateDict"/>.
/// A subclass registers what it owns in its constructor and implements <see cref="Forward"/>.
/// </summary>
/// <example><code>
/// sealed class Mlp : Module
/// {
///     private readonly Linear _l1, _l2;
///     public Mlp() { _l1 = RegisterModule("l1", new Linear(2, 64)); _l2 = RegisterModule("l2", new Linear(64, 2)); }
///     public override Tensor Forward(Tensor x) => _l2.Forward(_l1.Forward(x).Relu());
/// }
/// </code></example>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1716", Justification = "Module is the name every PyTorch, JAX and TorchSharp user looks for.")]
public abstract class Module : IDisposable
{
    private readonly List<(string Name, Parameter Parameter)> _parameters = [];
    private readonly List<(string Name, Tensor Buffer)> _buffers = [];
    private readonly List<(string Name, Module Module)> _children = [];
    private bool _disposed;

    /// <summary>True in training mode (the default): dropout is active. See <see cref="Train"/> and <see cref="Eval"/>.</summary>
    public bool IsTraining { get; private set; } = true;

    /// <summary>Computes the module's output for <paramref name="input"/>.</summary>
    public abstract Tensor Forward(Tensor input);

    /// <summary>Same as <see cref="Forward"/>, so a module reads like a function: <c>model.Call(x)</c>.</summary>
    public Tensor Call(Tensor input) => Forward(input);

    /// <summary>Registers a parameter under <paramref name="name"/> (unique among this module's members) and returns it.</summary>
    protected Parameter RegisterParameter(string name, Tensor data) => RegisterParameter(name, new Parameter(data));

    /// <summary>Registers an existing <see cref="Parameter"/> (parameters may be shared between modules).</summary>
    protected Parameter RegisterParameter(string name, Parameter parameter)
    {
        ArgumentNullException.ThrowIfNull(parameter);
        CheckName(name);
        _parameters.Add((name, parameter));
        return parameter;
    }

    /// <summary>
    /// Registers a buffer: state that is saved in the state dict but not trained (e.g. running statistics).
    /// The buffer is detached and marked as not requiring grad.
    /// </summary>
    protected Tensor RegisterBuffer(string name, Tensor buffer)
    {
        ArgumentNullException.ThrowIfNull(buffer);
        CheckName(name);
        var b = buffer.IsLeaf && !buffer.RequiresGrad ? buffer : buffer.Detach();
        _buffers.Add((name, b));
        return b;
    }

    /// <summary>Registers a child module; its members appear under "<paramref name="name"/>.…" in names and the state dict.</summary>
    protected T RegisterModule<T>(string name, T module) where T : Module
    {
        ArgumentNullException.ThrowIfNull(module);
        CheckName(name);
        if (ReferenceEquals(module, this)) throw new ArgumentException("A module cannot be its own child.", nameof(module));
        _children.Add((name, module));
        return module;
    }

    private void CheckName(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (name.Contains('.', StringComparison.Ordinal))
            throw new ArgumentException($"{GetType().Name}: member name '{name}' must not contain '.'.", nameof(name));
        if (_parameters.Any(p => p.Name == name) || _buffers.Any(b => b.Name == name) || _children.Any(c => c.Name == name))
            throw new ArgumentException($"{GetType().Name}: a member named '{name}' is already registered.", nameof(name));
    }

    /// <summary>The direct children, in registration order.</summary>
    public IEnumerable<(string Name, Module Module)> NamedChildren() => _children;

    /// <summary>This module and every descendant, depth first, with dotted names ("" for this one).</summary>
    public IEnumerable<(string Name, Module Module)> NamedModules()
    {
        var seen = new HashSet<Module>(ReferenceEqualityComparer.Instance);
        return NamedModules("", seen);
    }

    private IEnumerable<(string Name, Module Module)> NamedModules(string prefix, HashSet<Module> seen)
    {
        if (!seen.Add(this)) yield break;
        yield return (prefix, this);
        foreach (var (name, child) in _children)
            foreach (var entry in child.NamedModules(Join(prefix, name), seen))
                yield return entry;
    }

    /// <summary>
    /// Every parameter of this module and its descendants with its dotted name ("0.weight", "encoder.bias"), in
    /// registration order. A parameter shared by several modules is listed once, under its first name.
    /// </summary>
    public IEnumerable<(string Name, Parameter Parameter)> NamedParameters()
    {
        var seen = new HashSet<Parameter>(ReferenceEqualityComparer.Instance);
        foreach (var (prefix, module) in NamedModules())
            foreach (var (name, p) in module._parameters)
                if (seen.Add(p)) yield return (Join(prefix, name), p);
    }

    /// <summary>Every parameter of the tree (see <see cref="NamedParameters"/>).</summary>
    public IEnumerable<Parameter> Parameters() => NamedParameters().Select(p => p.Parameter);

    /// <summary>Every buffer of the tree with its dotted name.</summary>
    public IEnumerable<(string Name, Tensor Buffer)> NamedBuffers()
    {
        foreach (var (prefix, module) in NamedModules())
            foreach (var (name, b) in module._buffers)
                yield return (Join(prefix, name), b);
    }

    /// <summary>The total number of parameter elements.</summary>
    public long ParameterCount => Parameters().Sum(p => p.NumElements);

    /// <summary>Sets training mode on this module and all descendants. Returns this.</summary>
    public Module Train(bool training = true)
    {
        foreach (var (_, m) in NamedModules()) m.IsTraining = training;
        return this;
    }

    /// <summary>Sets evaluation mode (dropout off) on this module and all descendants. Returns this.</summary>
    public Module Eval() => Train(false);

    /// <summary>Drops every parameter's gradient (sets it to null; the next backward assigns fresh ones).</summary>
    public void ZeroGrad()
    {
        foreach (var p in Parameters()) p.ZeroGrad();
    }

    /// <summary>
    /// The parameters and buffers under their dotted names. The tensors are detached views that share storage
    /// with the module: they are the live values, not copies (clone them to keep a snapshot).
    /// </summary>
    public StateDict StateDict()
    {
        var dict = new StateDict();
        foreach (var (name, p) in NamedParameters()) dict.Add(name, p.Value.Detach());
        foreach (var (name, b) in NamedBuffers()) dict.Add(name, b.Detach());
        return dict;
    }

    /// <summary>
    /// Copies <paramref name="state"/> into the parameters and buffers. Everything is validated first — missing
    /// and unexpected names (when <paramref name="strict"/>), shapes and dtypes — and one exception lists every
    /// problem; only then are values written (under no-grad, bumping version counters), so a failed load leaves
    /// the module unchanged.
    /// </summary>
    /// <exception cref="StateDictMismatchException">The state does not fit the module.</exception>
    public void LoadStateDict(IReadOnlyDictionary<string, Tensor> state, bool strict = true)
    {
        ArgumentNullException.ThrowIfNull(state);
        var targets = NamedParameters().Select(p => (p.Name, Target: p.Parameter.Value))
            .Concat(NamedBuffers().Select(b => (b.Name, Target: b.Buffer))).ToList();
        var problems = new List<string>();
        var known = new HashSet<string>(StringComparer.Ordinal);
        var copies = new List<(Tensor Target, Tensor Source)>();
        foreach (var (name, target) in targets)
        {
            known.Add(name);
            if (!state.TryGetValue(name, out var source))
            {
                if (strict) problems.Add($"missing '{name}' (expected {Shapes.Format(target.ShapeArray)} {target.DType})");
                continue;
            }
            if (source.IsDisposed) { problems.Add($"'{name}': the tensor was disposed"); continue; }
            if (!source.Shape.SequenceEqual(target.Shape))
                problems.Add($"'{name}': shape {Shapes.Format(source.ShapeArray)} does not match the model's {Shapes.Format(target.ShapeArray)}");
            else if (source.DType != target.DType)
                problems.Add($"'{name}': dtype {source.DType} does not match the model's {target.DType}");
            else
                copies.Add((target, source));
        }
        if (strict)
            foreach (var key in state.Keys)
                if (!known.Contains(key)) problems.Add($"unexpected '{key}'");
        if (problems.Count > 0)
            throw new StateDictMismatchException($"LoadStateDict: the state does not fit {GetType().Name}: " + string.Join("; ", problems) + ".");
        using (Autograd.NoGrad())
            foreach (var (target, source) in copies) target.CopyFrom(source);
    }

    /// <summary>Releases the native memory of every parameter and buffer in the tree.</summary>
    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Disposes parameters, buffers and children when <paramref name="disposing"/>.</summary>
    protected virtual void Dispose(bool disposing)
    {
        if (_disposed || !disposing) return;
        _disposed = true;
        foreach (var (_, p) in _parameters) p.Value.Dispose();
        foreach (var (_, b) in _buffers) b.Dispose();
        foreach (var (_, c) in _children) c.Dispose();
    }

    /// <summary>A one-line-per-module summary: names, types and parameter shapes.</summary>
    public override string ToString()
    {
        var sb = new System.Text.StringBuilder();
        foreach (var (name, m) in NamedModules())
        {
            int depth = name.Length == 0 ? 0 : name.Count(c => c == '.') + 1;
            sb.Append(' ', 2 * depth).Append(name.Length == 0 ? m.GetType().Name : $"({name.Split('.')[^1]}) {m.Describe()}").AppendLine();
        }
        return sb.ToString().TrimEnd();
    }

    /// <summary>How this module describes itself in <see cref="ToString"/>, e.g. "Linear(2 → 64)".</summary>
    protected virtual string Describe() => GetType().Name;

    private static string Join(string prefix, string name) => prefix.Length == 0 ? name : prefix + "." + name;
}

/// <summary>Thrown when a state dict does not fit a module: missing, unexpected, or mis-shaped entries.</summary>
public sealed class StateDictMismatchException : Exception
{
    /// <summary>Creates the exception.</summary>
    public StateDictMismatchException() : base("The state dict does not fit the module.") { }

    /// <summary>Creates the exception with a message listing the problems.</summary>
    public StateDictMismatchException(string message) : base(message) { }

    /// <summary>Creates the exception with an inner exception.</summary>
    public StateDictMismatchException(string message, Exception innerException) : base(message, innerException) { }
}

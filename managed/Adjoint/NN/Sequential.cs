namespace Adjoint.NN;

/// <summary>
/// A chain of modules applied in order; children are named "0", "1", …. With a <see cref="CheckpointPolicy"/>
/// other than <see cref="CheckpointPolicy.None"/>, training forward passes run through
/// <see cref="Checkpoint.Sequential(IReadOnlyList{Func{Tensor, Tensor}}, Tensor, CheckpointPolicy, CheckpointOptions?)"/>:
/// each child is one layer of the chain, snapshots and recomputation follow the policy, and the generators of
/// any <see cref="Dropout"/> children are replayed so recomputation sees the same masks. Gradients equal those of
/// the plain chain.
/// </summary>
public sealed class Sequential : Module
{
    private readonly Module[] _layers;
    private readonly Func<Tensor, Tensor>[] _functions;

    /// <summary>Creates the chain without checkpointing.</summary>
    public Sequential(params Module[] layers) : this(CheckpointPolicy.None, layers) { }

    /// <summary>Creates the chain with a checkpoint policy.</summary>
    public Sequential(CheckpointPolicy policy, params Module[] layers)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(layers);
        Policy = policy;
        _layers = (Module[])layers.Clone();
        for (int i = 0; i < _layers.Length; i++)
            RegisterModule(i.ToString(System.Globalization.CultureInfo.InvariantCulture), _layers[i] ?? throw new ArgumentNullException(nameof(layers), $"Sequential: layer {i} is null."));
        // One stable list: the checkpoint planner caches its profile per list.
        _functions = _layers.Select(m => (Func<Tensor, Tensor>)m.Forward).ToArray();
    }

    /// <summary>How training forward passes trade saved memory for recomputation.</summary>
    public CheckpointPolicy Policy { get; set; }

    /// <summary>Number of layers.</summary>
    public int Count => _layers.Length;

    /// <summary>Layer <paramref name="index"/>.</summary>
    public Module this[int index] => _layers[index];

    /// <summary>The layers as functions, in order (what the checkpoint planner sees).</summary>
    public IReadOnlyList<Func<Tensor, Tensor>> Functions => _functions;

    /// <inheritdoc />
    public override Tensor Forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (Policy.Kind == CheckpointPolicyKind.None || !Autograd.IsGradEnabled)
        {
            var x = input;
            foreach (var layer in _layers) x = layer.Forward(x);
            return x;
        }
        var generators = NamedModules().Select(m => m.Module).OfType<Dropout>()
            .Select(d => d.Generator).Where(g => !ReferenceEquals(g, Generator.Default)).Distinct().ToList();
        var options = generators.Count == 0 ? null : new CheckpointOptions { Generators = generators };
        return Checkpoint.Sequential(_functions, input, Policy, options);
    }

    /// <summary>The plan <paramref name="policy"/> (default: <see cref="Policy"/>) follows on this chain for <paramref name="input"/>.</summary>
    public CheckpointPlan Plan(Tensor input, CheckpointPolicy? policy = null) => Checkpoint.Plan(_functions, input, policy ?? Policy);

    /// <inheritdoc />
    protected override string Describe() => Policy.Kind == CheckpointPolicyKind.None ? "Sequential" : $"Sequential(checkpoint: {Policy})";
}

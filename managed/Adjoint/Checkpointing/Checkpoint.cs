using System.Runtime.CompilerServices;

namespace Adjoint;

/// <summary>
/// Gradient checkpointing: trade the memory that reverse mode keeps for backward against recomputation
/// during backward. <see cref="Run(Func{Tensor[], Tensor[]}, Tensor[], CheckpointOptions?)"/> checkpoints one
/// segment; <see cref="Sequential(IReadOnlyList{Func{Tensor, Tensor}}, Tensor, CheckpointPolicy, CheckpointOptions?)"/>
/// a chain of layers under a <see cref="CheckpointPolicy"/>; <see cref="Plan(IReadOnlyList{Func{Tensor, Tensor}}, Tensor, CheckpointPolicy)"/>
/// explains a policy in bytes and steps before it runs. Bytes and recomputed steps are reported by
/// <see cref="MemoryStats"/>.
/// </summary>
/// <example><code>
/// var y = Checkpoint.Run(h => (h.MatMul(w) + b).Tanh(), x);          // one segment
/// var z = Checkpoint.Sequential(layers, x, CheckpointPolicy.SqrtN);   // a chain, O(√L) memory
/// </code></example>
public static class Checkpoint
{
    /// <summary>
    /// Runs <paramref name="segment"/> on <paramref name="inputs"/> without keeping its intermediates: during
    /// backward it is run again from the (version-checked) inputs, with the random generators replayed.
    /// Gradients reach the inputs and every tensor the segment closes over (parameters); it composes with
    /// createGraph, retainGraph, <see cref="Autograd.Grad(Tensor[], Tensor[], Tensor?[], bool?, bool, bool, bool)"/>,
    /// nesting and forward mode. Outside grad mode it simply calls the segment.
    /// </summary>
    /// <param name="segment">A function of its inputs (and of captured tensors); it must perform the same ops when run again.</param>
    /// <param name="inputs">The tensors the segment reads that backward must not lose.</param>
    /// <param name="options">Determinism check, extra generators, a keep rule.</param>
    public static Tensor[] Run(Func<Tensor[], Tensor[]> segment, Tensor[] inputs, CheckpointOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(segment);
        ArgumentNullException.ThrowIfNull(inputs);
        if (!GradMode.IsEnabled) return segment(inputs);
        var frame = new ChainFrame([segment], new ChainSchedule(1, null), null, options);
        return frame.Forward(inputs);
    }

    /// <summary>Single-input, single-output form of <see cref="Run(Func{Tensor[], Tensor[]}, Tensor[], CheckpointOptions?)"/>.</summary>
    public static Tensor Run(Func<Tensor, Tensor> segment, Tensor input, CheckpointOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(segment);
        return Run(x => [segment(x[0])], [input], options)[0];
    }

    /// <summary>
    /// Computes f_L(…f_1(<paramref name="input"/>)) under <paramref name="policy"/>: which layer outputs are kept
    /// as snapshots, which layers keep their saved tensors, and how backward recomputes the rest
    /// (see <see cref="Plan(IReadOnlyList{Func{Tensor, Tensor}}, Tensor, CheckpointPolicy)"/>). Gradients equal
    /// those of the plain chain bit for bit: recomputation repeats the same operations in the same order.
    /// </summary>
    public static Tensor Sequential(IReadOnlyList<Func<Tensor, Tensor>> layers, Tensor input, CheckpointPolicy policy, CheckpointOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(layers);
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(policy);
        int n = layers.Count;
        if (n == 0) return input;
        if (!GradMode.IsEnabled || policy.Kind == CheckpointPolicyKind.None) return Plain(layers, input);
        var tree = Tree(policy, n, () => Profile(layers, input));
        if (tree is null) return Plain(layers, input);
        var units = new Func<Tensor[], Tensor[]>[n];
        for (int i = 0; i < n; i++)
        {
            var layer = layers[i];
            units[i] = x => [layer(x[0])];
        }
        var frame = new ChainFrame(units, new ChainSchedule(n, tree, TakesOver(policy)), policy.Keep, options);
        return frame.Forward([input])[0];
    }

    /// <summary>Params form of <see cref="Sequential(IReadOnlyList{Func{Tensor, Tensor}}, Tensor, CheckpointPolicy, CheckpointOptions?)"/>.</summary>
    public static Tensor Sequential(Tensor input, CheckpointPolicy policy, params Func<Tensor, Tensor>[] layers) => Sequential(layers, input, policy);

    private static Tensor Plain(IReadOnlyList<Func<Tensor, Tensor>> layers, Tensor input)
    {
        var x = input;
        foreach (var layer in layers) x = layer(x);
        return x;
    }

    /// <summary>
    /// The plan <paramref name="policy"/> follows on this chain, with every layer's measured bytes, predicted
    /// peak saved bytes and recomputed steps. Runs one profiling forward pass (nothing is kept; the random
    /// generators are restored), cached per layer list and input shape.
    /// </summary>
    public static CheckpointPlan Plan(IReadOnlyList<Func<Tensor, Tensor>> layers, Tensor input, CheckpointPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        return Plan(Profile(layers, input), policy);
    }

    /// <summary>The plan <paramref name="policy"/> follows on a chain with the given bytes; nothing runs.</summary>
    public static CheckpointPlan Plan(LayerCosts costs, CheckpointPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(costs);
        ArgumentNullException.ThrowIfNull(policy);
        if (costs.OutputBytes.Count != costs.Count + 1)
            throw new ArgumentException($"Checkpoint.Plan: {costs.Count} layers need {costs.Count + 1} output sizes (the input first), got {costs.OutputBytes.Count}.", nameof(costs));
        if (costs.Count == 0 || policy.Kind == CheckpointPolicyKind.None) return new CheckpointPlan(policy, costs, null, null);
        var tree = Tree(policy, costs.Count, () => costs);
        return new CheckpointPlan(policy, costs, tree is null ? null : new ChainSchedule(costs.Count, tree, TakesOver(policy)), policy.Keep);
    }

    /// <summary>Segment policies let a segment's tape take its end snapshot over (Note [Chain schedules]).</summary>
    private static bool TakesOver(CheckpointPolicy policy) =>
        policy.Kind is CheckpointPolicyKind.EveryK or CheckpointPolicyKind.SqrtN or CheckpointPolicyKind.Selective;

    private static readonly ConditionalWeakTable<object, Tuple<string, LayerCosts>> ProfileCache = [];

    // Planning a budget is a dynamic program over the whole chain; a training loop asks the same question every step.
    private static readonly ConditionalWeakTable<LayerCosts, Dictionary<long, PlanNode>> BudgetCache = [];

    /// <summary>
    /// Measures what each layer saves for backward and the bytes of each output by running the chain once with
    /// the graph recorded but nothing kept. The random generator is restored afterwards.
    /// </summary>
    public static LayerCosts Profile(IReadOnlyList<Func<Tensor, Tensor>> layers, Tensor input)
    {
        ArgumentNullException.ThrowIfNull(layers);
        ArgumentNullException.ThrowIfNull(input);
        string key = $"{input.DType}:{Shapes.Format(input.ShapeArray)}:{input.RequiresGrad}:{layers.Count}";
        if (ProfileCache.TryGetValue(layers, out var hit) && hit.Item1 == key) return hit.Item2;
        int n = layers.Count;
        var saved = new long[n];
        var outputs = new long[n + 1];
        var infos = new List<SavedTensorInfo>[n];
        var sources = new SlotSource[n][];
        outputs[0] = Bytes(input);
        var state = Generator.Default.GetState();
        var pending = new List<Tensor>();
        try
        {
            using (Autograd.EnableGrad())
            using (SavedTensorHookStack.Push(t => { pending.Add(t); return Discarded.Instance; }, _ => throw new InvalidOperationException("Checkpoint.Profile: nothing is kept.")))
            {
                var x = input.Detach();
                if (input.RequiresGrad) x.RequiresGrad = true;
                for (int i = 0; i < n; i++)
                {
                    pending.Clear();
                    var layerInput = x;
                    x = layers[i](x);
                    sources[i] = pending.Select(t => SlotSource.Classify(t, [layerInput], [x])).ToArray();
                    infos[i] = pending.Select(t => new SavedTensorInfo(t.GradFn?.Name, t.ShapeArray, t.DType, Bytes(t))).ToList();
                    saved[i] = infos[i].Sum(info => info.Bytes);
                    outputs[i + 1] = Bytes(x);
                }
            }
        }
        finally
        {
            Generator.Default.SetState(state);
        }
        var costs = new LayerCosts(saved, outputs) { SavedTensors = infos, Sources = sources };
        ProfileCache.AddOrUpdate(layers, Tuple.Create(key, costs));
        return costs;
    }

    private static long Bytes(Tensor t) => t.NumElements * t.DType.ElementSize();

    private sealed class Discarded : IPackedSavedTensor
    {
        public static readonly Discarded Instance = new();
        public long Bytes => 0;
        public void Release() { }
    }

    /// <summary>The reversal tree of a policy (Note [Chain schedules]); null means "run it plainly".</summary>
    private static PlanNode? Tree(CheckpointPolicy policy, int n, Func<LayerCosts> costs)
    {
        switch (policy.Kind)
        {
            case CheckpointPolicyKind.None:
                return null;
            case CheckpointPolicyKind.EveryK:
                return ChainSchedule.Segments(0, n, policy.K);
            case CheckpointPolicyKind.SqrtN:
            case CheckpointPolicyKind.Selective:
                return ChainSchedule.Segments(0, n, SqrtSegment(n));
            case CheckpointPolicyKind.Binomial:
                return Revolve.Tree(n, policy.K);
            case CheckpointPolicyKind.MemoryBudget:
                {
                    var c = costs();
                    long plain = c.SavedBytes.Sum();
                    if (plain <= policy.BudgetBytes) return null;
                    var cache = BudgetCache.GetOrCreateValue(c);
                    lock (cache)
                        if (cache.TryGetValue(policy.BudgetBytes, out var planned)) return planned;
                    var planner = new BudgetPlanner(c);
                    long input = c.OutputBytes[0];
                    long minimum = input + planner.MinPeak();
                    if (minimum > policy.BudgetBytes)
                        throw new InvalidOperationException(
                            $"Checkpoint: a memory budget of {policy.BudgetBytes:N0} bytes cannot hold this chain of {n} layers; the least any schedule needs is " +
                            $"{minimum:N0} bytes (the input, {input:N0} bytes, plus the forward-recorded last layer's saved tensors or the snapshots and recomputed tensors around a layer). Plain backward needs {plain:N0}.");
                    var tree = planner.Solve(policy.BudgetBytes - input)!;
                    lock (cache) cache[policy.BudgetBytes] = tree;
                    return tree;
                }
            default:
                throw new ArgumentOutOfRangeException(nameof(policy), policy.Kind, "unknown checkpoint policy");
        }
    }

    /// <summary>round(√L), at least 1: the segment length of <see cref="CheckpointPolicy.SqrtN"/>.</summary>
    public static int SqrtSegment(int layers) => Math.Max(1, (int)Math.Round(Math.Sqrt(layers)));
}

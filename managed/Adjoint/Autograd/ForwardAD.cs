namespace Adjoint;

// Note [Forward levels]
// Each ForwardAD.Level() gets a fresh id that is never reused, and a tensor keeps its tangents keyed by level
// id. When an op runs, its JVP is computed once per active level L that an input carries a tangent for. While
// level L's JVP is computed, only levels opened *outside* L are visible: the tangent expression may itself be
// differentiated by an outer level (forward-over-forward), but never again by L or an inner level. That is
// what keeps nested perturbations apart (no "perturbation confusion"). JVP expressions are ordinary
// differentiable ops, so reverse mode records them too (forward-over-reverse, reverse-over-forward).

/// <summary>
/// Forward-mode automatic differentiation with dual tensors: a tensor may carry a tangent ẋ per nesting level,
/// and every op pushes tangents forward, f(x + ẋε) = f(x) + f′(x)ẋε.
/// </summary>
public static class ForwardAD
{
    private static int _nextLevel;

    [ThreadStatic] private static List<int>? _levels;
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<int, int> BatchSizes = new();
    [ThreadStatic] private static int _visible; // number of levels (outermost first) visible to ops right now

    /// <summary>True when a dual level is open on this thread.</summary>
    internal static bool IsActive => _visible > 0;

    /// <summary>Opens a nesting level; dual tensors made inside carry tangents of this level. Dispose to close.</summary>
    public static IDisposable Level() => OpenLevel(0);

    /// <summary>
    /// Opens a level whose tangents carry a leading batch dimension of size <paramref name="batch"/>: B directions
    /// pushed through in one pass (<see cref="Functional.JvpBatched"/>).
    /// </summary>
    internal static IDisposable BatchedLevel(int batch)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batch);
        return OpenLevel(batch);
    }

    private static GradMode.Restore OpenLevel(int batch)
    {
        var levels = _levels ??= [];
        if (_visible != levels.Count)
            throw new InvalidOperationException("ForwardAD.Level: cannot open a level while a JVP rule is running.");
        int id = Interlocked.Increment(ref _nextLevel);
        if (batch > 0) BatchSizes[id] = batch;
        levels.Add(id);
        _visible = levels.Count;
        return new GradMode.Restore(() =>
        {
            BatchSizes.TryRemove(id, out _);
            int at = levels.LastIndexOf(id);
            if (at >= 0) levels.RemoveRange(at, levels.Count - at);
            _visible = levels.Count;
        });
    }

    /// <summary>The id of the innermost open level.</summary>
    private static int CurrentLevel =>
        _levels is { Count: > 0 } l && _visible > 0 ? l[_visible - 1]
        : throw new InvalidOperationException("ForwardAD: no dual level is open; wrap the code in `using (ForwardAD.Level()) { … }`.");

    /// <summary>
    /// Returns a tensor equal to <paramref name="primal"/> (same storage and autograd history) that carries
    /// <paramref name="tangent"/> at the innermost open level.
    /// </summary>
    public static Tensor MakeDual(Tensor primal, Tensor tangent) => MakeDual(primal, tangent, batched: false);

    internal static Tensor MakeDual(Tensor primal, Tensor tangent, bool batched)
    {
        ArgumentNullException.ThrowIfNull(primal);
        ArgumentNullException.ThrowIfNull(tangent);
        int level = CurrentLevel;
        if (batched ? !tangent.Shape[1..].SequenceEqual(primal.Shape) : !primal.Shape.SequenceEqual(tangent.Shape))
            throw new ArgumentException($"ForwardAD.MakeDual: tangent shape {Shapes.Format(tangent.ShapeArray)} does not match primal shape {Shapes.Format(primal.ShapeArray)}.");
        if (primal.DType != tangent.DType)
            throw new ArgumentException($"ForwardAD.MakeDual: tangent dtype {tangent.DType} does not match primal dtype {primal.DType}.");
        var dual = Alias(primal);
        dual.SetTangent(level, tangent);
        return dual;
    }

    /// <summary>Splits a dual tensor into its primal (without the innermost level's tangent) and that tangent (null if none).</summary>
    public static (Tensor Primal, Tensor? Tangent) Unpack(Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        int level = CurrentLevel;
        var tangent = tensor.TangentAt(level);
        var primal = Alias(tensor);
        primal.SetTangent(level, null);
        return (primal, tangent);
    }

    /// <summary>A differentiable alias (shares storage, keeps graph and tangents).</summary>
    private static Tensor Alias(Tensor t) => Ops.Call(Derivatives.Alias, null, t);

    internal static int BatchOf(int level) => BatchSizes.TryGetValue(level, out int b) ? b : 0;

    /// <summary>True when the tensor carries a tangent at any level that is still open on this thread.</summary>
    internal static bool HasAnyTangent(Tensor t)
    {
        if (_levels is null) return false;
        for (int i = 0; i < _visible; i++)
            if (t.TangentAt(_levels[i]) is not null) return true;
        return false;
    }

    /// <summary>Gives <paramref name="to"/> the tangents <paramref name="from"/> has at every open level.</summary>
    internal static void CopyTangents(Tensor from, Tensor to)
    {
        if (_levels is null) return;
        for (int i = 0; i < _visible; i++)
        {
            var t = from.TangentAt(_levels[i]);
            if (t is not null) to.SetTangent(_levels[i], t);
        }
    }

    private static Tensor? BatchedJvp(OpRow row, JvpContext ctx, Tensor?[] tangents)
    {
        if (row.BatchedJvp is not null) return row.BatchedJvp(ctx, tangents);
        if (row.TangentBroadcasts)
        {
            int rank = ctx.Output.Rank;
            var padded = tangents.Select(t => t is null ? null : Ops.PadBatched(t, rank)).ToArray();
            var r = row.Jvp!(ctx, padded);
            return r is null ? null : Ops.BroadcastLike(r, ctx.Output, ctx.Batch);
        }
        // No batched rule: one JVP per batch entry, then stack.
        var slices = new Tensor[ctx.Batch];
        var plain = new JvpContext(ctx.Inputs, ctx.Outputs, ctx.Attrs);
        for (int b = 0; b < ctx.Batch; b++)
        {
            var tb = tangents.Select(t => t?.Select(0, b)).ToArray();
            slices[b] = row.Jvp!(plain, tb) ?? Tensor.ZerosLike(ctx.Output);
        }
        return Tensor.Stack(slices);
    }

    internal static void Propagate(OpRow row, object? attrs, ReadOnlySpan<Tensor> inputs, Tensor[] outputs)
    {
        var levels = _levels!;
        int visible = _visible;
        // Outermost first: level L's JVP runs with the levels outside L visible, and when it reads the op's output
        // (tanh′ = 1 − y², softmax, exp…) that output must already carry its outer tangents, or the outer levels
        // would see y as a constant in L's tangent (wrong third derivatives, e.g. forward-over-Hvp). An outer
        // level's JVP never sees an inner one, so it does not need the inner tangents attached.
        for (int li = 0; li < visible; li++)
        {
            int level = levels[li];
            Tensor?[]? tangents = null;
            for (int i = 0; i < inputs.Length; i++)
            {
                var t = inputs[i].TangentAt(level);
                if (t is null) continue;
                tangents ??= new Tensor?[inputs.Length];
                tangents[i] = t;
            }
            if (tangents is null) continue;
            if (row.Jvp is null && row.JvpMany is null) throw new NotSupportedException($"{row.Name}: no JVP rule, so it cannot be used in forward mode.");
            int batch = BatchOf(level);
            var ctx = new JvpContext(inputs.ToArray(), outputs, attrs, batch);
            _visible = li;
            try
            {
                if (batch > 0 && row.JvpMany is null)
                {
                    outputs[0].SetTangent(level, BatchedJvp(row, ctx, tangents));
                }
                else if (batch > 0)
                {
                    // Multi-output rows have no batched rule: one JVP per batch entry, stacked per output.
                    var plain = new JvpContext(ctx.Inputs, ctx.Outputs, ctx.Attrs);
                    var perEntry = new Tensor?[batch][];
                    for (int b = 0; b < batch; b++)
                        perEntry[b] = row.JvpMany!(plain, tangents.Select(t => t?.Select(0, b)).ToArray());
                    for (int o = 0; o < outputs.Length; o++)
                        outputs[o].SetTangent(level, Tensor.Stack(perEntry.Select(e => e[o] ?? Tensor.ZerosLike(outputs[o])).ToArray()));
                }
                else if (row.JvpMany is not null)
                {
                    var result = row.JvpMany(ctx, tangents);
                    for (int o = 0; o < outputs.Length; o++) outputs[o].SetTangent(level, result[o]);
                }
                else
                {
                    outputs[0].SetTangent(level, row.Jvp!(ctx, tangents));
                }
            }
            finally
            {
                _visible = visible;
            }
        }
    }

    internal static void PropagateCustom(CustomFunction function, FunctionContext ctx, Tensor[] inputs, Tensor[] outputs)
    {
        var levels = _levels!;
        int visible = _visible;
        for (int li = 0; li < visible; li++)
        {
            int level = levels[li];
            var tangents = inputs.Select(x => x.TangentAt(level)).ToArray();
            if (Array.TrueForAll(tangents, t => t is null)) continue;
            _visible = li;
            try
            {
                var result = function.InvokeJvp(ctx, tangents);
                if (result.Length != outputs.Length)
                    throw new InvalidOperationException($"CustomFunction {function.Name}: Jvp returned {result.Length} tangents for {outputs.Length} outputs.");
                for (int o = 0; o < outputs.Length; o++) outputs[o].SetTangent(level, result[o]);
            }
            finally
            {
                _visible = visible;
            }
        }
    }
}

public sealed partial class Tensor
{
    private List<(int Level, Tensor Tangent)>? _tangents;

    internal Tensor? TangentAt(int level)
    {
        if (_tangents is null) return null;
        foreach (var (l, t) in _tangents)
            if (l == level) return t;
        return null;
    }

    internal void SetTangent(int level, Tensor? tangent)
    {
        _tangents?.RemoveAll(e => e.Level == level);
        if (tangent is null) return;
        int batch = ForwardAD.BatchOf(level);
        if (batch > 0 ? tangent.Rank != Rank + 1 || tangent.ShapeArray[0] != batch || !tangent.Shape[1..].SequenceEqual(Shape) : !tangent.Shape.SequenceEqual(Shape))
            throw new InvalidOperationException($"Forward mode: tangent of shape {Shapes.Format(tangent.ShapeArray)} for a tensor of shape {Shapes.Format(_shape)} (JVP rule bug).");
        (_tangents ??= []).Add((level, tangent));
    }
}

using System.Globalization;
using System.Text;

namespace Adjoint;

/// <summary>
/// Measured bytes of a sequential chain, from one profiling forward pass
/// (<see cref="Checkpoint.Profile"/>) or given by hand.
/// </summary>
/// <param name="SavedBytes">Per layer (index 0 = layer 1): bytes of the tensors its ops save for backward.</param>
/// <param name="OutputBytes">Index 0: the chain's input; index i: layer i's output.</param>
public sealed record LayerCosts(IReadOnlyList<long> SavedBytes, IReadOnlyList<long> OutputBytes)
{
    /// <summary>Per layer, what each saved tensor is (for selective rules); null when the costs were given by hand.</summary>
    public IReadOnlyList<IReadOnlyList<SavedTensorInfo>>? SavedTensors { get; init; }

    /// <summary>Number of layers.</summary>
    public int Count => SavedBytes.Count;

    /// <summary>L identical layers: each saves <paramref name="savedBytes"/>, each output (and the input) takes <paramref name="outputBytes"/>.</summary>
    public static LayerCosts Uniform(int layers, long savedBytes, long outputBytes) =>
        new(Enumerable.Repeat(savedBytes, layers).ToArray(), Enumerable.Repeat(outputBytes, layers + 1).ToArray());
}

/// <summary>What a plan does with one layer.</summary>
/// <param name="Layer">1-based layer index.</param>
/// <param name="SavedInForward">The forward pass keeps this layer's saved tensors (it is not recomputed before its backward).</param>
/// <param name="OutputSnapshot">The forward pass keeps this layer's output as a snapshot to recompute from.</param>
/// <param name="Recomputations">How many times backward runs the layer again.</param>
/// <param name="SavedBytes">Bytes this layer's ops save.</param>
/// <param name="OutputBytes">Bytes of this layer's output.</param>
public readonly record struct LayerPlan(int Layer, bool SavedInForward, bool OutputSnapshot, int Recomputations, long SavedBytes, long OutputBytes);

/// <summary>
/// An explained checkpoint plan for a chain, computed before anything runs: for every layer whether its saved
/// tensors are kept or recomputed, the predicted peak of saved bytes and the predicted recomputed steps. The
/// predictions follow <see cref="MemoryStats"/>' accounting exactly (see <c>docs/CHECKPOINTING.md</c>).
/// </summary>
public sealed class CheckpointPlan
{
    internal CheckpointPlan(CheckpointPolicy policy, LayerCosts costs, ChainSchedule? schedule, Func<SavedTensorInfo, bool>? keep)
    {
        Policy = policy;
        Schedule = schedule;
        int n = costs.Count;
        long plain = 0;
        for (int i = 0; i < n; i++) plain += costs.SavedBytes[i];
        PlainSavedBytes = plain;
        var recomputed = new int[n + 1];
        if (schedule is null)
        {
            PredictedPeakSavedBytes = plain;
        }
        else
        {
            var (peak, steps) = Simulate(schedule, costs, keep, recomputed);
            PredictedPeakSavedBytes = peak;
            PredictedRecomputeSteps = steps;
        }
        var layers = new LayerPlan[n];
        for (int i = 1; i <= n; i++)
            layers[i - 1] = new LayerPlan(i, schedule is null || schedule.KeptInForward[i], schedule is not null && schedule.SnapshotInForward[i],
                                          recomputed[i], costs.SavedBytes[i - 1], costs.OutputBytes[i]);
        Layers = layers;
    }

    internal ChainSchedule? Schedule { get; }

    /// <summary>The policy planned.</summary>
    public CheckpointPolicy Policy { get; }

    /// <summary>One entry per layer.</summary>
    public IReadOnlyList<LayerPlan> Layers { get; }

    /// <summary>Saved bytes of the chain without checkpointing (the sum over layers).</summary>
    public long PlainSavedBytes { get; }

    /// <summary>
    /// The largest number of bytes the chain holds for backward at any moment (the saved input, snapshots,
    /// kept and recomputed saved tensors); add what the rest of the graph saves (e.g. the loss).
    /// </summary>
    public long PredictedPeakSavedBytes { get; }

    /// <summary>Layer evaluations backward performs beyond the forward pass (one backward pass).</summary>
    public long PredictedRecomputeSteps { get; }

    /// <summary>The Revolve-style action list of the schedule (advance, take snapshot, free, record).</summary>
    public IReadOnlyList<string> Actions =>
        Schedule is null ? [] : Schedule.Replay.Select((a, i) => (i < Schedule.Replay.Count - Schedule.Backward.Count ? "forward: " : "backward: ") + Describe(a)).ToArray();

    private static string Describe(ChainAction a) => a.Kind switch
    {
        ChainActionKind.Advance => $"advance {a.From}→{a.To}, snapshot {a.To}",
        ChainActionKind.Tape => $"record layers {a.From + 1}..{a.To}" + (a.Consume ? $" (taking snapshot {a.From} over)" : ""),
        _ => $"free snapshot {a.From}",
    };

    /// <inheritdoc />
    public override string ToString()
    {
        var c = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.AppendLine(c, $"Checkpoint plan: {Policy}, {Layers.Count} layers");
        sb.AppendLine(c, $"  peak saved bytes {PredictedPeakSavedBytes:N0} of {PlainSavedBytes:N0} plain ({100.0 * PredictedPeakSavedBytes / Math.Max(1, PlainSavedBytes):F1} %), recomputed steps {PredictedRecomputeSteps}");
        sb.AppendLine("  layer  kept-in-forward  snapshot  recomputed  saved-bytes");
        foreach (var l in Layers)
            sb.AppendLine(c, $"  {l.Layer,5}  {(l.SavedInForward ? "yes" : "no"),15}  {(l.OutputSnapshot ? "yes" : "no"),8}  {l.Recomputations,10}  {l.SavedBytes,11:N0}");
        return sb.ToString();
    }

    /// <summary>
    /// Replays the schedule the way <see cref="ChainFrame"/> executes it, counting bytes as MemoryStats does:
    /// backward consumes layer L's saved tensors, then L − 1's, …; a layer whose tensors are not held first
    /// runs the schedule up to the record action that covers it.
    /// </summary>
    private static (long Peak, long Steps) Simulate(ChainSchedule s, LayerCosts costs, Func<SavedTensorInfo, bool>? keep, int[] recomputed)
    {
        int n = costs.Count;
        var keptBytes = new long[n + 1];
        for (int i = 1; i <= n; i++)
        {
            if (keep is not null && costs.SavedTensors is { } infos)
                foreach (var info in infos[i - 1])
                    if (keep(info)) keptBytes[i] += info.Bytes;
        }
        var held = new long[n + 1]; // bytes held per layer
        long live = costs.OutputBytes[0], peak = live, steps = 0;
        var shots = new HashSet<int>();
        for (int i = 1; i <= n; i++)
        {
            held[i] = s.KeptInForward[i] ? costs.SavedBytes[i - 1] : keptBytes[i];
            live += held[i];
            if (s.SnapshotInForward[i]) { live += costs.OutputBytes[i]; shots.Add(i); }
            peak = Math.Max(peak, live);
        }
        int cursor = s.Replay.Count - s.Backward.Count;
        var full = new bool[n + 1];
        for (int i = 1; i <= n; i++) full[i] = held[i] == costs.SavedBytes[i - 1];
        for (int u = n; u >= 1; u--)
        {
            while (!full[u] && cursor < s.Replay.Count)
            {
                var a = s.Replay[cursor++];
                switch (a.Kind)
                {
                    case ChainActionKind.Free:
                        if (shots.Remove(a.From)) live -= costs.OutputBytes[a.From];
                        break;
                    case ChainActionKind.Advance:
                        for (int i = a.From + 1; i <= a.To; i++) recomputed[i]++;
                        steps += a.To - a.From;
                        if (shots.Add(a.To)) live += costs.OutputBytes[a.To];
                        break;
                    case ChainActionKind.Tape:
                        if (a.Consume && shots.Remove(a.From)) live -= costs.OutputBytes[a.From];
                        int last = a.To;
                        while (last > a.From && full[last]) last--;
                        for (int i = a.From + 1; i <= last; i++)
                        {
                            recomputed[i]++;
                            live += costs.SavedBytes[i - 1] - held[i];
                            held[i] = costs.SavedBytes[i - 1];
                            full[i] = true;
                        }
                        steps += last - a.From;
                        break;
                }
                peak = Math.Max(peak, live);
            }
            live -= held[u];
            held[u] = 0;
            full[u] = costs.SavedBytes[u - 1] == 0;
        }
        return (peak, steps);
    }
}

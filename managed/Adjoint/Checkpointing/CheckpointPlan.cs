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

    /// <summary>Per layer, what each saved tensor is relative to the layer (Note [What a tape must run]); from profiling only.</summary>
    internal IReadOnlyList<SlotSource[]>? Sources { get; init; }

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
        ChainActionKind.Tape => $"record layers {a.From + 1}..{a.To}" + (a.Consume ? $" (taking snapshot {a.From} over)" : "")
                                 + (a.TakesOutput ? $" (taking snapshot {a.To} over)" : ""),
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

    private sealed class SimSlot
    {
        public long Bytes;
        public SlotKind Kind;
        public bool Held;
        public bool Read;
        public bool Pending => !Held && !Read;
    }

    /// <summary>
    /// Replays the schedule the way <see cref="ChainFrame"/> executes it, counting bytes as MemoryStats does:
    /// backward reads layer L's saved tensors (last saved first), then L − 1's, …; a saved tensor that is not
    /// held makes the schedule run up to the record action that gives it back, which runs only the layers Note
    /// [What a tape must run] requires. Parameters are read where they live. Costs given by hand (no profile)
    /// treat each layer's saved bytes as one tensor only running the layer gives back.
    /// </summary>
    private static (long Peak, long Steps) Simulate(ChainSchedule s, LayerCosts costs, Func<SavedTensorInfo, bool>? keep, int[] recomputed)
    {
        int n = costs.Count;
        var slots = new List<SimSlot>[n + 1];
        long live = costs.OutputBytes[0], peak = live, steps = 0;
        var shots = new HashSet<int>();
        void Add(long bytes) { live += bytes; peak = Math.Max(peak, live); }
        void Free(int position) { if (shots.Remove(position)) live -= costs.OutputBytes[position]; }

        for (int i = 1; i <= n; i++)
        {
            slots[i] = [];
            if (costs.SavedTensors is { } infos && costs.Sources is { } sources)
            {
                for (int k = 0; k < infos[i - 1].Count; k++)
                    slots[i].Add(new SimSlot { Bytes = infos[i - 1][k].Bytes, Kind = sources[i - 1][k].Kind });
            }
            else if (costs.SavedBytes[i - 1] > 0)
            {
                slots[i].Add(new SimSlot { Bytes = costs.SavedBytes[i - 1], Kind = SlotKind.Internal });
            }
            for (int k = 0; k < slots[i].Count; k++)
            {
                bool kept = s.KeptInForward[i] || (keep is not null && costs.SavedTensors is { } inf && keep(inf[i - 1][k]));
                if (kept) { slots[i][k].Held = true; Add(slots[i][k].Bytes); }
            }
            if (s.SnapshotInForward[i]) { shots.Add(i); Add(costs.OutputBytes[i]); }
        }

        bool Available(int p) =>
            p == 0 || shots.Contains(p) || slots[p].Exists(x => x.Held && x.Kind == SlotKind.Output)
            || (p < n && slots[p + 1].Exists(x => x.Held && x.Kind == SlotKind.Input));

        void Tape(ChainAction t)
        {
            int a = t.From, b = t.To;
            var run = TapePlanner.MustRun(a, b,
                u => slots[u].Exists(x => x.Pending && x.Kind == SlotKind.Internal),
                p => slots[p].Exists(x => x.Pending && x.Kind == SlotKind.Output) || (p < b && slots[p + 1].Exists(x => x.Pending && x.Kind == SlotKind.Input)),
                p => p == a || Available(p));
            if (t.TakesOutput && run[b]) Free(b);
            foreach (var (start, end) in TapePlanner.Ranges(run, a, b))
            {
                if (t.Consume && start - 1 == a) Free(a);
                steps += end - start + 1;
                for (int u = start; u <= end; u++)
                {
                    recomputed[u]++;
                    foreach (var x in slots[u])
                        if (x.Pending && x.Kind != SlotKind.External) { x.Held = true; Add(x.Bytes); }
                }
            }
            var fills = new List<SimSlot>();
            for (int u = a + 1; u <= b; u++)
                if (!run[u])
                    fills.AddRange(slots[u].Where(x => x.Pending && x.Kind is SlotKind.Input or SlotKind.Output));
            if (t.TakesOutput) Free(b);
            if (t.Consume) Free(a);
            foreach (var x in fills) { x.Held = true; Add(x.Bytes); }
        }

        int cursor = s.Replay.Count - s.Backward.Count;
        for (int u = n; u >= 1; u--)
        {
            for (int k = slots[u].Count - 1; k >= 0; k--)
            {
                var slot = slots[u][k];
                if (!slot.Held && slot.Kind == SlotKind.External) { slot.Read = true; continue; }
                while (!slot.Held && cursor < s.Replay.Count)
                {
                    var a = s.Replay[cursor++];
                    switch (a.Kind)
                    {
                        case ChainActionKind.Free:
                            Free(a.From);
                            break;
                        case ChainActionKind.Advance:
                            for (int i = a.From + 1; i <= a.To; i++) recomputed[i]++;
                            steps += a.To - a.From;
                            if (shots.Add(a.To)) Add(costs.OutputBytes[a.To]);
                            break;
                        case ChainActionKind.Tape:
                            Tape(a);
                            break;
                    }
                }
                if (slot.Held)
                {
                    slot.Held = false;
                    live -= slot.Bytes;
                    if (slot.Kind == SlotKind.Input && s.ReturnsInput[u]) { Free(u - 1); shots.Add(u - 1); Add(costs.OutputBytes[u - 1]); }
                }
                slot.Read = true;
            }
        }
        return (peak, steps);
    }
}

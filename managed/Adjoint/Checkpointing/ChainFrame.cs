using System.Runtime.InteropServices;

namespace Adjoint;

// Note [Non-reentrant checkpoint]
// A checkpointed chain runs its units normally, so the graph is recorded as usual (edges to every parameter a
// unit closes over included), but inside a saved-tensor hook: each tensor an op saves becomes a placeholder
// (unit, index) that holds nothing, unless the schedule or a keep rule says to keep it. When backward unpacks
// a placeholder whose tensor is not held, the frame runs its schedule's next actions (Note [Chain schedules]):
// it restores a snapshot and re-runs units with the graph recorded under a capture hook, which hands the
// tensors those units save, in the same order, to the placeholders' slots. The recomputed graph itself is
// thrown away. A slot is emptied when it is read (backward reads each saved tensor once per pass), so the
// memory of a recomputed segment is returned as backward walks through it; a later read (retainGraph, a
// second pass) finds the slot empty and recomputes again from x_0.
//
// Recomputation restores the random generators' states of the unit, so dropout and Rand/Randn replay
// exactly, and puts the generators back afterwards. Under createGraph (grad mode on during backward) it starts
// from the original, graph-connected snapshots and records advances too, so the recomputed tensors carry
// history to the inputs and parameters and a second backward differentiates through them.
//
// Nesting: a frame that starts while another frame is recomputing is a throw-away copy of a frame whose
// placeholders are already on the graph; it saves its inputs (through the outer capture, so the outer
// sequence matches the original one) and discards everything else.

// Note [Value-only recomputation]
// A tape runs a unit again either for a saved tensor only the unit's own ops give back (an Internal slot, a
// parameter that is gone) or only for values: its input and output, which some unread Input/Output slot of it or
// of a neighbour needs (Note [What a tape must run]). The second kind needs no graph: it runs under no-grad (no
// nodes, no saved-tensor bookkeeping; in y = tanh(x·W + b) that is the no-grad forward rate) and hands its input
// and output to its unread slots in the order and at the point a recorded run would, so bytes and peaks are those
// of the recorded run. The values are bitwise the recorded ones: Ops.Call runs the same forward kernel whether or
// not it records, as the no-grad advances between snapshots already rely on. Under the determinism check they are
// compared with the forward pass's fingerprints like captured ones. A unit keeps the recorded run when it drew
// from a generator in the forward pass, under createGraph (the recomputed tensors must carry history), and under
// a forward-mode level (its JVP saves are not in the slot sequence). A recorded unit after value-only ones gets
// its input as fresh leaves, as at the start of a run. Each value-only unit still counts as a recomputed step.
// A value-only unit runs inside a TensorScope and its outputs are moved out: every other tensor it creates is dead
// when it returns (no graph refers to it; views keep their storage by reference count), so it is disposed then.
// Served by malloc, those blocks would otherwise wait for a finalizer, and their bytes count towards the storage
// pool's next full collection (Note [Storage pool]; on the benchmark chain 2 of each layer's 3 fresh activations are
// such tensors). A layer that stashes a tensor it made somewhere outside itself finds that one disposed after a
// value-only recomputation; the forward pass's tensors are never touched.

// Note [Checkpoint byte accounting]
// MemoryStats counts what is really held: a frame's inputs (as ordinary saved tensors, so an outer checkpoint
// can drop them too), its snapshots, and its slots while they hold a tensor. Placeholders count 0 bytes. The
// recomputed graph's own saved tensors duplicate the slots and count nothing. After a slot is read its bytes
// are returned at once; the frame keeps an uncounted reference to the last tensor it handed out, because a
// rule may read the same saved tensor twice in a row.

/// <summary>One checkpointed call: a chain of units, a schedule, the placeholders and what they point at.</summary>
internal sealed class ChainFrame
{
    private readonly Func<Tensor[], Tensor[]>[] _units;
    private readonly ChainSchedule _schedule;
    private readonly Func<SavedTensorInfo, bool>? _keep;
    private readonly bool _check;
    private readonly Generator[] _generators;
    // Every byte this frame holds or recomputes belongs to the graph of its forward pass (Note [Per-graph saved bytes]).
    private readonly SavedBytesTracker? _owner = MemoryStats.CurrentTracker;

    private SavedTensor[] _inputs = [];
    private bool[][] _requiresGrad = [];
    private GeneratorState[][] _rng = [];
    // Unit u drew from a generator in the forward pass: its recomputation stays recorded (Note [Value-only recomputation]).
    private bool[] _draws = [];
    private List<Slot>[] _slots = [];
    private readonly Dictionary<int, (Tensor[] Values, int[] Versions, long Bytes)> _snapshots = [];
    private int _cursor;
    private int _alive;
    private bool _released;
    private bool _forwardLevel;
    private Tensor? _recent;

    public ChainFrame(Func<Tensor[], Tensor[]>[] units, ChainSchedule schedule, Func<SavedTensorInfo, bool>? keep, CheckpointOptions? options)
    {
        _units = units;
        _schedule = schedule;
        _keep = keep ?? options?.Keep;
        _check = options?.DeterminismCheck ?? false;
        _generators = [Generator.Default, .. options?.Generators ?? []];
    }

    private sealed class Slot(SavedBytesTracker? owner)
    {
        public Tensor? Value;
        public long Bytes;
        public int Version;
        public bool FromForward;
        public int[] Shape = [];
        public DType DType;
        public ulong Hash;
        public SlotSource Source;
        public WeakReference<Tensor>? External;
        public int ExternalVersion;
        // Read by backward in the current pass (a read slot needs nothing recomputed until the next pass).
        public bool Read;

        public bool IsHeld => Value is not null;

        /// <summary>Neither held nor read in this pass: backward will still ask for it.</summary>
        public bool Pending => Value is null && !Read;

        /// <summary>The parameter this slot stands for, if it is still there (Note [What a tape must run]).</summary>
        public Tensor? Parameter =>
            External is not null && External.TryGetTarget(out var t) && !t.IsDisposed ? t : null;

        public void Hold(Tensor t, bool fromForward)
        {
            Value = t;
            FromForward = fromForward;
            Version = t.Version;
            MemoryStats.AddSaved(Bytes, owner);
        }

        public Tensor? Take()
        {
            var t = Value;
            if (t is null) return null;
            Value = null;
            MemoryStats.RemoveSaved(Bytes, owner);
            return t;
        }
    }

    /// <summary>What backward holds instead of a saved tensor.</summary>
    private sealed class Placeholder(ChainFrame frame, int unit, int index) : IPackedSavedTensor
    {
        public ChainFrame Frame { get; } = frame;
        public int Unit { get; } = unit;
        public int Index { get; } = index;
        public long Bytes => 0;
        public void Release() => Frame.OnRelease(this);
    }

    /// <summary>A tensor saved by a throw-away or recomputed graph: alive through that graph, charged nowhere.</summary>
    private sealed class Held(Tensor tensor) : IPackedSavedTensor
    {
        public Tensor Tensor { get; } = tensor;
        public long Bytes => 0;
        public void Release() { }
    }

    /// <summary>A tensor a forward-mode rule saved inside the segment: kept as an ordinary saved tensor.</summary>
    private sealed class Direct(Tensor tensor)
    {
        public Tensor Tensor { get; } = tensor;
    }

    /// <summary>The pack hook of a recomputation; its presence on the hook stack tells nested frames to discard.</summary>
    private sealed class Capture(ChainFrame frame, bool forwardLevel)
    {
        public int Unit;
        public int Count;
        public bool Fill = true;

        public Held Pack(Tensor t)
        {
            // A JVP rule's saves: the forward kept them directly, so they are not in the slot sequence.
            if (forwardLevel && !ForwardAD.IsActive) return new Held(t);
            if (Fill) frame.Captured(Unit, Count, t);
            Count++;
            return new Held(t);
        }
    }

    private static readonly Func<object, Tensor> UnpackHeld = o => o switch
    {
        Held h => h.Tensor,
        Direct d => d.Tensor,
        _ => throw new InvalidOperationException("Checkpoint: a tensor saved inside a recomputation was discarded (internal error)."),
    };

    private static bool Recomputing => SavedTensorHookStack.Current?.Pack.Target is Capture;

    // ---- forward ---------------------------------------------------------------------------------------

    public Tensor[] Forward(Tensor[] inputs)
    {
        int n = _units.Length;
        // Saved first, outside this frame's hook: an enclosing checkpoint treats them as its own saved tensors.
        _inputs = new SavedTensor[inputs.Length];
        for (int i = 0; i < inputs.Length; i++) _inputs[i] = new SavedTensor(inputs[i]);

        if (Recomputing)
        {
            using (SavedTensorHookStack.Push(t => new Held(t), UnpackHeld))
            {
                var x = inputs;
                for (int u = 1; u <= n; u++) x = _units[u - 1](x);
                return x;
            }
        }

        _forwardLevel = ForwardAD.IsActive;
        _requiresGrad = new bool[n + 1][];
        _rng = new GeneratorState[n + 1][];
        _draws = new bool[n + 1];
        _slots = new List<Slot>[n + 1];
        _requiresGrad[0] = inputs.Select(t => t.RequiresGrad).ToArray();
        var current = inputs;
        int unit = 0;
        var pending = new List<Tensor>();
        using (SavedTensorHookStack.Push(t => PackForward(unit, t, pending), Unpack))
        {
            for (unit = 1; unit <= n; unit++)
            {
                _rng[unit] = _generators.Select(g => g.GetState()).ToArray();
                _slots[unit] = [];
                pending.Clear();
                var input = current;
                current = _units[unit - 1](current);
                _draws[unit] = Drew(_rng[unit]);
                Classify(unit, pending, input, current);
                _requiresGrad[unit] = current.Select(t => t.RequiresGrad).ToArray();
                if (_schedule.SnapshotInForward[unit]) TakeShot(unit, current);
            }
        }
        _cursor = _schedule.Replay.Count - _schedule.Backward.Count;
        if (_alive == 0) ReleaseAll();
        return current;
    }

    private object PackForward(int unit, Tensor t, List<Tensor> pending)
    {
        if (_forwardLevel && !ForwardAD.IsActive) return new Direct(t);
        var slots = _slots[unit];
        var slot = new Slot(_owner) { Shape = t.ShapeArray, DType = t.DType, Bytes = t.NumElements * t.DType.ElementSize() };
        slots.Add(slot);
        pending.Add(t);
        _alive++;
        return new Placeholder(this, unit, slots.Count - 1);
    }

    /// <summary>
    /// After a unit ran: keep what the schedule or the keep rule wants (outputs have their producer op by now),
    /// remember fingerprints of the rest when checking determinism, and let go of the others.
    /// </summary>
    private void Classify(int unit, List<Tensor> pending, Tensor[] input, Tensor[] output)
    {
        var slots = _slots[unit];
        for (int k = 0; k < pending.Count; k++)
        {
            var t = pending[k];
            var slot = slots[k];
            slot.Source = SlotSource.Classify(t, input, output);
            if (slot.Source.Kind == SlotKind.External)
            {
                slot.External = new WeakReference<Tensor>(t);
                slot.ExternalVersion = t.Version;
            }
            bool keep = _schedule.KeptInForward[unit]
                || (_keep is not null && _keep(new SavedTensorInfo(t.GradFn?.Name, t.ShapeArray, t.DType, slot.Bytes)));
            if (keep) slot.Hold(t, fromForward: true);
            else if (_check) slot.Hash = Fingerprint(t);
        }
    }

    /// <summary>Some generator moved since <paramref name="before"/> was taken.</summary>
    private bool Drew(GeneratorState[] before)
    {
        for (int g = 0; g < _generators.Length; g++)
            if (_generators[g].GetState() != before[g]) return true;
        return false;
    }

    private void TakeShot(int position, Tensor[] values)
    {
        long bytes = values.Sum(t => t.NumElements * t.DType.ElementSize());
        if (_snapshots.Remove(position, out var old)) MemoryStats.RemoveSaved(old.Bytes, _owner);
        _snapshots[position] = (values, values.Select(t => t.Version).ToArray(), bytes);
        MemoryStats.AddSaved(bytes, _owner);
    }

    private void FreeShot(int position)
    {
        if (_snapshots.Remove(position, out var old)) MemoryStats.RemoveSaved(old.Bytes, _owner);
    }

    // ---- backward --------------------------------------------------------------------------------------

    private Tensor Unpack(object packed)
    {
        if (packed is Direct d) return d.Tensor;
        if (packed is Held h) return h.Tensor;
        var p = (Placeholder)packed;
        if (_released)
            throw new InvalidOperationException("Checkpoint: a saved tensor was read after the graph released it; pass retainGraph: true to backward twice.");
        var slot = _slots[p.Unit][p.Index];
        if (slot.Value is null && _recent is not null && _recentSlot == slot) return _recent;
        Tensor t;
        if (slot.Value is null && slot.Parameter is { } parameter)
        {
            // A parameter is read where it lives: nothing was held for it, nothing is recomputed for it.
            if (parameter.Version != slot.ExternalVersion)
                throw new InvalidOperationException(
                    $"Checkpoint: a parameter of shape {Shapes.Format(slot.Shape)} saved for backward in unit {p.Unit} was modified by an in-place operation " +
                    $"(saved at version {slot.ExternalVersion}, now at version {parameter.Version}).");
            t = parameter;
        }
        else
        {
            if (slot.Value is null) Ensure(p.Unit, slot);
            t = slot.Value!;
            if (slot.FromForward && t.Version != slot.Version)
                throw new InvalidOperationException(
                    $"Checkpoint: a tensor of shape {Shapes.Format(slot.Shape)} saved for backward in unit {p.Unit} was modified by an in-place operation " +
                    $"(saved at version {slot.Version}, now at version {t.Version}).");
            slot.Take();
            // The tape of the segment before takes x_{u-1} over from here (Note [Chain schedules]).
            if (slot.Source.Kind == SlotKind.Input && _schedule.ReturnsInput[p.Unit] && _requiresGrad[p.Unit - 1].Length == 1)
                TakeShot(p.Unit - 1, [t]);
        }
        slot.Read = true;
        _recent = t;
        _recentSlot = slot;
        return t;
    }

    private Slot? _recentSlot;

    /// <summary>Runs the schedule until <paramref name="slot"/> holds its tensor; starts over from x_0 once if the schedule has run out.</summary>
    private void Ensure(int unit, Slot slot)
    {
        bool restarted = false;
        while (slot.Value is null)
        {
            if (_cursor >= _schedule.Replay.Count)
            {
                if (restarted)
                    throw new InvalidOperationException($"Checkpoint: the schedule never recomputes unit {unit} (internal error).");
                restarted = true;
                // A new backward pass (retainGraph): everything is asked for again.
                foreach (var position in _snapshots.Keys.ToArray()) FreeShot(position);
                foreach (var list in _slots)
                    if (list is not null)
                        foreach (var s in list) s.Read = false;
                slot.Read = false;
                _cursor = 0;
            }
            Execute(_schedule.Replay[_cursor++]);
        }
    }

    private void Execute(ChainAction action)
    {
        switch (action.Kind)
        {
            case ChainActionKind.Free:
                FreeShot(action.From);
                break;
            case ChainActionKind.Advance:
                TakeShot(action.To, Run(action.From, action.To, capture: false, freeFrom: false));
                break;
            case ChainActionKind.Tape:
                Tape(action.From, action.To, action.Consume, action.TakesOutput);
                break;
        }
    }

    /// <summary>Records again what units a+1..b must give back (Note [What a tape must run]) and fills the rest.</summary>
    private void Tape(int a, int b, bool consume, bool takesOutput)
    {
        // Decided before anything runs: filling one unit's slots changes no other unit's.
        var unfillable = new bool[b + 1];
        for (int u = a + 1; u <= b; u++) unfillable[u] = Unfillable(u);
        var run = TapePlanner.MustRun(a, b,
            u => unfillable[u],
            p => _slots[p].Exists(s => s.Pending && s.Source.Kind == SlotKind.Output)
                 || (p < b && _slots[p + 1].Exists(s => s.Pending && s.Source.Kind == SlotKind.Input)),
            p => p == a || Available(p) is not null);
        // Note [Value-only recomputation]: a unit that runs only for its input and output values runs without the graph.
        bool valueOnly = !GradMode.IsEnabled && !_forwardLevel;
        var record = new bool[b + 1];
        for (int u = a + 1; u <= b; u++) record[u] = !valueOnly || unfillable[u] || _draws[u];
        // Unit b runs: the snapshot it would hand over is freed first, as the plain order does.
        if (takesOutput && run[b]) FreeShot(b);
        var ends = new Dictionary<int, Tensor[]>();
        foreach (var (start, end) in TapePlanner.Ranges(run, a, b))
            ends[end] = Run(start - 1, end, capture: true, freeFrom: consume && start - 1 == a, record);

        // The units that did not run get their Input and Output slots from available tensors and the ranges' ends.
        var fills = new List<(Slot Slot, Tensor Value, bool Original)>();
        for (int u = a + 1; u <= b; u++)
        {
            if (run[u]) continue;
            foreach (var slot in _slots[u])
            {
                if (!slot.Pending || slot.Source.Kind is not (SlotKind.Input or SlotKind.Output)) continue;
                int position = slot.Source.Kind == SlotKind.Input ? u - 1 : u;
                if (ends.TryGetValue(position, out var computed)) { fills.Add((slot, computed[slot.Source.Index], false)); continue; }
                var values = Available(position)
                    ?? throw new InvalidOperationException($"Checkpoint: x_{position} is neither held nor recomputed (internal schedule error).");
                fills.Add((slot, values[slot.Source.Index], true));
            }
        }
        // Snapshots handed over are freed before the slots are charged, so the bytes are not counted twice.
        if (takesOutput) FreeShot(b);
        if (consume) FreeShot(a);
        foreach (var (slot, value, original) in fills) slot.Hold(value, fromForward: original);
    }

    /// <summary>Unit u has an unread slot only running it with the graph recorded gives back (Note [What a tape must run]).</summary>
    private bool Unfillable(int u)
    {
        foreach (var s in _slots[u])
            if (s.Pending && (s.Source.Kind == SlotKind.Internal || (s.Source.Kind == SlotKind.External && s.Parameter is null)))
                return true;
        return false;
    }

    /// <summary>x_p without running anything: the chain's input, a snapshot, or held slots that are x_p; else null.</summary>
    private Tensor[]? Available(int p)
    {
        if (p == 0) return _inputs.Select(s => s.Unpack("Checkpoint")).ToArray();
        if (_snapshots.TryGetValue(p, out var shot)) return shot.Values;
        int count = _requiresGrad[p].Length;
        var values = new Tensor[count];
        int found = 0;
        foreach (var s in _slots[p])
            if (s.IsHeld && s.Source.Kind == SlotKind.Output && values[s.Source.Index] is null) { values[s.Source.Index] = s.Value!; found++; }
        if (p < _units.Length)
            foreach (var s in _slots[p + 1])
                if (s.IsHeld && s.Source.Kind == SlotKind.Input && values[s.Source.Index] is null) { values[s.Source.Index] = s.Value!; found++; }
        return found == count ? values : null;
    }

    /// <summary>
    /// Re-runs units from+1..to from x_from (<see cref="Available"/>), with each unit's generator states. With
    /// <paramref name="freeFrom"/> the snapshot at <paramref name="from"/> is dropped once restored (a tape taking it over).
    /// A capturing run records unit u only where <paramref name="record"/>[u] (all units when it is null); the
    /// others run without the graph and hand their input and output values to their slots (Note [Value-only recomputation]).
    /// </summary>
    private Tensor[] Run(int from, int to, bool capture, bool freeFrom, bool[]? record = null)
    {
        bool createGraph = GradMode.IsEnabled;
        var x = Restore(from, createGraph);
        // The recorded units' saved tensors take the snapshot's place (Note [Chain schedules]).
        if (freeFrom) FreeShot(from);
        var saved = _generators.Select(g => g.GetState()).ToArray();
        var sink = new Capture(this, _forwardLevel) { Fill = capture };
        bool leaves = true; // x are graph leaves (or, under createGraph, graph-connected) as a recorded unit needs them
        try
        {
            for (int u = from + 1; u <= to; u++)
            {
                for (int g = 0; g < _generators.Length; g++) _generators[g].SetState(_rng[u][g]);
                if (capture && record is not null && !record[u])
                {
                    var input = x;
                    x = RunValueOnly(u, x);
                    FillValues(u, input, x);
                    leaves = false;
                    continue;
                }
                if (!leaves) x = Leaves(x, u - 1);
                leaves = true;
                using (GradMode.Set(capture || createGraph))
                using (capture || createGraph ? SavedTensorHookStack.Push(sink.Pack, UnpackHeld) : null)
                {
                    sink.Unit = u;
                    sink.Count = 0;
                    x = _units[u - 1](x);
                }
                if (capture && sink.Count != _slots[u].Count)
                    throw new CheckpointMismatchException(
                        $"Checkpoint: recomputing unit {u} saved {sink.Count} tensors for backward, the forward pass saved {_slots[u].Count}. " +
                        "The segment must do the same operations when it runs again (no data-dependent control flow on state that changed).");
            }
        }
        finally
        {
            for (int g = 0; g < _generators.Length; g++) _generators[g].SetState(saved[g]);
        }
        MemoryStats.AddRecomputed(to - from, _owner);
        return x;
    }

    /// <summary>
    /// Unit u under no-grad inside a <see cref="TensorScope"/>: what it makes besides its outputs is dead once it
    /// returns (nothing records it) and is freed at once instead of at the next collection (Note [Value-only recomputation]).
    /// </summary>
    private Tensor[] RunValueOnly(int u, Tensor[] x)
    {
        using var scope = TensorScope.Begin();
        Tensor[] y;
        using (GradMode.Set(false)) y = _units[u - 1](x);
        foreach (var t in y)
            if (ReferenceEquals(t.OwnerScope, scope)) scope.MoveToOuter(t);
        return y;
    }

    /// <summary>
    /// Gives the unread slots of unit <paramref name="unit"/>, run without the graph, their values: each is the
    /// unit's input or output (the tape recorded it only when that holds). Checked like <see cref="Captured"/>.
    /// </summary>
    private void FillValues(int unit, Tensor[] input, Tensor[] output)
    {
        var slots = _slots[unit];
        for (int k = 0; k < slots.Count; k++)
        {
            var slot = slots[k];
            if (!slot.Pending || slot.Parameter is not null) continue;
            var values = slot.Source.Kind switch
            {
                SlotKind.Input => input,
                SlotKind.Output => output,
                _ => throw new InvalidOperationException($"Checkpoint: unit {unit} was recomputed without the graph but has an unread {slot.Source.Kind} saved tensor (internal error)."),
            };
            if (slot.Source.Index >= values.Length)
                throw new CheckpointMismatchException(
                    $"Checkpoint: recomputing unit {unit} gave {values.Length} {(slot.Source.Kind == SlotKind.Input ? "inputs" : "outputs")}; the forward pass saved its {slot.Source.Kind.ToString().ToLowerInvariant()} {slot.Source.Index}.");
            CheckShape(unit, k, slot, values[slot.Source.Index]);
            Check(unit, k, slot, values[slot.Source.Index]);
            slot.Hold(values[slot.Source.Index], fromForward: false);
        }
    }

    private Tensor[] Restore(int position, bool keepGraph)
    {
        Tensor[] values;
        if (position == 0)
        {
            values = _inputs.Select(s => s.Unpack("Checkpoint")).ToArray();
        }
        else if (_snapshots.TryGetValue(position, out var shot))
        {
            for (int i = 0; i < shot.Values.Length; i++)
                if (shot.Values[i].Version != shot.Versions[i])
                    throw new InvalidOperationException(
                        $"Checkpoint: the output of unit {position} (shape {Shapes.Format(shot.Values[i].ShapeArray)}) was modified in place after it was kept " +
                        $"(version {shot.Versions[i]}, now {shot.Values[i].Version}); recomputing from it would give wrong gradients.");
            values = shot.Values;
        }
        else
        {
            values = Available(position) ?? throw new InvalidOperationException($"Checkpoint: x_{position} is not held (internal schedule error).");
        }
        return keepGraph ? values : Leaves(values, position);
    }

    /// <summary>x_position as fresh graph leaves that require grad where the forward pass's values did.</summary>
    private Tensor[] Leaves(Tensor[] values, int position)
    {
        var detached = new Tensor[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            detached[i] = values[i].Detach();
            if (_requiresGrad[position][i]) detached[i].RequiresGrad = true;
        }
        return detached;
    }

    private void Captured(int unit, int index, Tensor t)
    {
        var slots = _slots[unit];
        if (index >= slots.Count)
            throw new CheckpointMismatchException($"Checkpoint: recomputing unit {unit} saved more tensors for backward than the forward pass ({slots.Count}).");
        var slot = slots[index];
        CheckShape(unit, index, slot, t);
        // Held, already read in this pass, or a parameter read where it lives: nothing to keep.
        if (!slot.Pending || slot.Parameter is not null) return;
        Check(unit, index, slot, t);
        slot.Hold(t, fromForward: false);
    }

    private static void CheckShape(int unit, int index, Slot slot, Tensor t)
    {
        if (!slot.Shape.AsSpan().SequenceEqual(t.ShapeArray) || slot.DType != t.DType)
            throw new CheckpointMismatchException(
                $"Checkpoint: recomputing unit {unit}, saved tensor {index} has shape {Shapes.Format(t.ShapeArray)} {t.DType}; the forward pass saved {Shapes.Format(slot.Shape)} {slot.DType}.");
    }

    /// <summary>Under the determinism check: the recomputed value against the forward pass's fingerprint.</summary>
    private void Check(int unit, int index, Slot slot, Tensor t)
    {
        if (_check && !slot.FromForward && slot.Hash != Fingerprint(t))
            throw new CheckpointMismatchException(
                $"Checkpoint: recomputing unit {unit}, saved tensor {index} (shape {Shapes.Format(slot.Shape)}, produced by {t.GradFn?.Name ?? "a leaf"}) " +
                "differs from the forward pass. Is the segment nondeterministic, or does it draw from a generator not listed in CheckpointOptions.Generators?");
    }

    // ---- release ---------------------------------------------------------------------------------------

    private void OnRelease(Placeholder p)
    {
        _slots[p.Unit][p.Index].Take();
        if (--_alive == 0) ReleaseAll();
    }

    private void ReleaseAll()
    {
        if (_released) return;
        _released = true;
        foreach (var s in _inputs) s.Release();
        foreach (var position in _snapshots.Keys.ToArray()) FreeShot(position);
        foreach (var list in _slots)
            if (list is not null)
                foreach (var s in list) s.Take();
        _recent = null;
        _recentSlot = null;
    }

    /// <summary>FNV-1a over the tensor's bytes: equal values give equal fingerprints, bit for bit.</summary>
    private static ulong Fingerprint(Tensor t)
    {
        ulong h = 14695981039346656037UL;
        ReadOnlySpan<byte> bytes = t.DType == DType.Float32
            ? MemoryMarshal.AsBytes(t.ToArray<float>().AsSpan())
            : MemoryMarshal.AsBytes(t.ToArray<double>().AsSpan());
        foreach (byte b in bytes) h = (h ^ b) * 1099511628211UL;
        return h;
    }
}

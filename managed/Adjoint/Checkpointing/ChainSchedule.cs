namespace Adjoint;

// Note [Chain schedules]
// A checkpointed chain x_0 → x_1 → … → x_L (unit i maps x_{i-1} to x_i) is reversed by a tree:
//   Tape(a, b)            run units a+1..b with the graph recorded and their saved tensors kept, then
//                         backward consumes them;
//   Split(a, m, b, R, L)  go from x_a to x_m, keep x_m as a snapshot, reverse (m, b] by R, drop x_m,
//                         then reverse (a, m] by L.
// x_a is always available when (a, b] is reversed (x_0 is the chain's saved input). The root is executed in
// "sweep" mode: its rightmost path is the forward pass itself, so its advances and its last Tape cost
// nothing extra (the tape's saved tensors are the ones the forward recorded). Every other node runs in
// "recompute" mode, where an advance of k units and a tape of k units each cost k recomputed steps.
// With single-unit tapes this is exactly Revolve's model: advances + one taped evaluation per step, and
// recomputed steps = Revolve's total forward steps (the first sweep's L − 1 advances and the L taped steps
// less the L steps the forward pass performs anyway).
//
// A split whose right part is one Tape needs no snapshot of x_M: the tape's own saved tensors hold what
// backward needs (x_M among them when its first op saves its input), so the tape takes x_M over
// ("consumes" it) and the forward pass does not snapshot it at all. This is Revolve's turn without a
// takeshot, and it keeps the same bytes from being counted twice.
//
// Segment policies (EveryK, SqrtN, Selective) also let a left tape take over the snapshot at its end: instead of
// "free x_M, then record (a, M]" the tape runs with x_M still held and hands it to unit M's output slots (or
// frees it before unit M runs, when unit M must run anyway), so a layer whose saved tensors are its input, its
// output and parameters is not run again (Note [What a tape must run]). The peak never exceeds that of the plain
// order. MemoryBudget decides per left tape (TapeNode.TakeOver) and prices both choices exactly (Note [Budget
// planning with the executor's cost model]). Binomial keeps the plain order: its recomputation is Revolve's.
//
// The tree is flattened into actions (Advance, Tape, Free). The forward pass performs the sweep actions
// itself; the backward actions run lazily, in order, whenever a saved tensor that is not held is unpacked.

/// <summary>A node of a chain-reversal tree (see Note [Chain schedules]).</summary>
internal abstract record PlanNode(int A, int B);

/// <summary>
/// Record units A+1..B in one go. <paramref name="TakeOver"/>: as the left part of a split, take the snapshot x_B
/// over instead of freeing it first (what segment policies do for every left tape; MemoryBudget decides per tape).
/// </summary>
internal sealed record TapeNode(int A, int B, bool TakeOver = false) : PlanNode(A, B);

/// <summary>Advance to M, snapshot x_M, reverse (M, B] with <see cref="Right"/>, drop x_M, reverse (A, M] with <see cref="Left"/>.</summary>
internal sealed record SplitNode(int A, int M, int B, PlanNode Right, PlanNode Left) : PlanNode(A, B);

internal enum ChainActionKind { Advance, Tape, Free }

/// <summary>
/// Advance: x_From → x_To without keeping saved tensors, then snapshot x_To. Tape: record From+1..To (and drop
/// snapshot From first when <paramref name="Consume"/>; take snapshot To over when <paramref name="TakesOutput"/>).
/// Free: drop snapshot From.
/// </summary>
internal readonly record struct ChainAction(ChainActionKind Kind, int From, int To, bool Consume = false, bool TakesOutput = false)
{
    public int Steps => Kind == ChainActionKind.Free ? 0 : To - From;
}

/// <summary>A flattened chain schedule: what the forward pass keeps and what backward does, in order.</summary>
internal sealed class ChainSchedule
{
    public ChainSchedule(int units, PlanNode? root, bool takeOver = false)
    {
        Units = units;
        _takeOver = takeOver;
        Root = root;
        KeptInForward = new bool[units + 1];
        SnapshotInForward = new bool[units + 1];
        ReturnsInput = new bool[units + 1];
        var backward = new List<ChainAction>();
        var sweep = new List<ChainAction>();
        if (root is null)
        {
            // Checkpoint.Run: the forward keeps nothing, backward records everything again.
            backward.Add(new ChainAction(ChainActionKind.Tape, 0, units));
        }
        else
        {
            Sweep(root, sweep, backward);
        }
        Backward = backward;
        Replay = [.. sweep, .. backward];
    }

    private readonly bool _takeOver;

    public int Units { get; }

    public PlanNode? Root { get; }

    /// <summary>Units whose saved tensors the forward pass keeps (index 1..L).</summary>
    public bool[] KeptInForward { get; }

    /// <summary>Units (index 1..L) whose input, once backward has read it from their saved tensors, is kept as a snapshot again.</summary>
    public bool[] ReturnsInput { get; }

    /// <summary>Positions whose value the forward pass snapshots (index 1..L).</summary>
    public bool[] SnapshotInForward { get; }

    /// <summary>What backward does after the forward pass.</summary>
    public IReadOnlyList<ChainAction> Backward { get; }

    /// <summary>The whole schedule from x_0 alone (a second backward pass after retainGraph starts here).</summary>
    public IReadOnlyList<ChainAction> Replay { get; }

    /// <summary>Steps of the actions if every tape ran in full (an upper bound; the plan simulates the exact count).</summary>
    public long RecomputeSteps => Backward.Sum(a => (long)a.Steps);

    private void Sweep(PlanNode node, List<ChainAction> sweep, List<ChainAction> backward)
    {
        switch (node)
        {
            case TapeNode t:
                for (int i = t.A + 1; i <= t.B; i++) KeptInForward[i] = true;
                sweep.Add(new ChainAction(ChainActionKind.Tape, t.A, t.B));
                break;
            case SplitNode { Right: TapeNode t } s:
                for (int i = t.A + 1; i <= t.B; i++) KeptInForward[i] = true;
                sweep.Add(new ChainAction(ChainActionKind.Advance, s.A, s.M));
                sweep.Add(new ChainAction(ChainActionKind.Tape, t.A, t.B, Consume: true));
                LeftAfterConsumingTape(s, backward);
                break;
            case SplitNode s:
                SnapshotInForward[s.M] = true;
                sweep.Add(new ChainAction(ChainActionKind.Advance, s.A, s.M));
                Sweep(s.Right, sweep, backward);
                LeftAfterRight(s, backward);
                break;
        }
    }

    /// <summary>Frees x_M and reverses the left part, or lets a left tape take x_M over.</summary>
    private void LeftAfterRight(SplitNode s, List<ChainAction> backward)
    {
        if (s.Left is TapeNode t && (_takeOver || t.TakeOver))
        {
            backward.Add(new ChainAction(ChainActionKind.Tape, t.A, t.B, TakesOutput: true));
            return;
        }
        backward.Add(new ChainAction(ChainActionKind.Free, s.M, s.M));
        Recompute(s.Left, backward);
    }

    /// <summary>
    /// After a tape that took x_M over: with take-over, backward's read of unit M+1's input makes it snapshot M
    /// again (the slot's bytes become the snapshot's), and the left tape takes that over in turn.
    /// </summary>
    private void LeftAfterConsumingTape(SplitNode s, List<ChainAction> backward)
    {
        if (s.Left is TapeNode t && (_takeOver || t.TakeOver))
        {
            ReturnsInput[s.M + 1] = true;
            backward.Add(new ChainAction(ChainActionKind.Tape, t.A, t.B, TakesOutput: true));
            return;
        }
        Recompute(s.Left, backward);
    }

    private void Recompute(PlanNode node, List<ChainAction> backward)
    {
        switch (node)
        {
            case TapeNode t:
                backward.Add(new ChainAction(ChainActionKind.Tape, t.A, t.B));
                break;
            case SplitNode { Right: TapeNode t } s:
                backward.Add(new ChainAction(ChainActionKind.Advance, s.A, s.M));
                backward.Add(new ChainAction(ChainActionKind.Tape, t.A, t.B, Consume: true));
                LeftAfterConsumingTape(s, backward);
                break;
            case SplitNode s:
                backward.Add(new ChainAction(ChainActionKind.Advance, s.A, s.M));
                Recompute(s.Right, backward);
                LeftAfterRight(s, backward);
                break;
        }
    }

    // ---- the trees of each policy ----------------------------------------------------------------------

    /// <summary>Segments of k units; the last one is taped by the forward pass.</summary>
    public static PlanNode Segments(int a, int b, int k) =>
        b - a <= k ? new TapeNode(a, b) : new SplitNode(a, a + k, b, Segments(a + k, b, k), new TapeNode(a, a + k));
}

namespace Adjoint;

// Note [Budget planning with the executor's cost model]
// MemoryBudget searches every reversal tree (Note [Chain schedules]), each left tape with or without taking its
// end snapshot over, for the fewest recomputed layers whose peak fits the budget, and it prices a tree exactly
// as ChainFrame runs it and CheckpointPlan simulates it (Note [What a tape must run]):
//
// * When a recompute-mode tape (a, b] starts, nothing inside (a, b) is available: snapshots only sit at
//   ancestors' split points and every slot of a unit > b has been read. So the units that run are a+1..r, where
//   r is the last unit that must run: one with an Internal slot, or whose output is needed (an Output slot of
//   its own, or an Input slot of the next unit inside the tape) and is not available; x_b is available only
//   when the tape takes the snapshot at b over. The tape costs r − a; any tree on (a, b] costs at least that
//   (x_r or unit r's internals come only from running a+1..r), so a tape that fits is optimal.
// * Bytes: the run units' non-parameter slots are held, the rest of the tape's Input/Output slots are filled
//   from available values; a consumed snapshot (x_a of a right tape) is freed before the run (or before the
//   fills when nothing runs), a taken-over x_b before the run when unit b runs and before the fills otherwise.
//   A forward-recorded (sweep) tape holds every slot, parameters included.
// * Reading slots only lowers the level (a read Input slot that turns back into snapshot x_{u-1} frees as many
//   bytes as it adds), so a tree's peak is the largest level right after one of its actions, and a subtree's
//   excess over the level at its start composes: Split(a, m, b) = max(c_m + right, left), where the right part
//   is a consuming tape or a split, and the left part starts from the level at the split, plus c_m when it is
//   a tape that takes x_m over (x_m is still the advance's snapshot, or, after a consuming right tape, comes
//   back when backward reads unit m+1's Input slot; without such a slot nothing comes back).
// States are (a, b, budget left, sweep or recompute mode); the forward pass is the sweep, whose advances and last
// tape cost nothing. When the least recomputation is zero, the plan is the tree with the fewest bytes among those
// that recompute nothing (their left parts are tapes that run no unit, so a table over (a, b) finds it); other
// ties are broken arbitrarily: breaking them all by bytes would need the DP again at many budgets. A test
// enumerates every tree of small chains and runs CheckpointPlan's simulation on each.

/// <summary>
/// Exact planner for <see cref="CheckpointPolicy.MemoryBudget"/>: among all reversal trees whose peak of saved
/// bytes, under the executor's cost model, fits the budget, one with the fewest recomputed layers (Note [Budget
/// planning with the executor's cost model]). Layers may differ in bytes and in what they save.
/// </summary>
internal sealed class BudgetPlanner
{
    private const long Infinite = long.MaxValue / 4;

    private readonly int _n;
    private readonly long[] _c;          // bytes of x_p, 0..n
    private readonly long[] _allPrefix;  // every slot (what a forward-recorded tape holds)
    private readonly long[] _heldPrefix; // every slot but parameters (what a recomputed unit holds)
    private readonly long[] _fillPrefix; // Input and Output slots (what a unit that does not run gets filled)
    private readonly bool[] _internal, _output, _input;
    private readonly int[] _lastNeeded;  // largest u ≤ p that runs in any tape reaching beyond u, else 0
    private readonly long[,] _minRecSplit, _minRecAny, _minSweepSplit;
    // The least peak of a forward split whose recomputation is zero (every left part a tape that runs nothing).
    private readonly long[,] _zeroSplit;
    private readonly Choice[,] _zeroChoice;
    private readonly Dictionary<(int, int, long, bool), (long Cost, Choice Choice)> _memo = [];

    /// <summary>How a split was planned: the split point, a consuming right tape or a right split, the left part.</summary>
    private readonly record struct Choice(int M, bool RightTape, bool LeftTakesOver);

    /// <summary>Plans over measured (profiled) costs; costs given by hand count each layer as one internal saved tensor.</summary>
    public BudgetPlanner(LayerCosts costs)
    {
        int n = _n = costs.Count;
        _c = costs.OutputBytes.ToArray();
        var all = new long[n + 1];
        var held = new long[n + 1];
        var fill = new long[n + 1];
        _internal = new bool[n + 2];
        _output = new bool[n + 2];
        _input = new bool[n + 2];
        for (int u = 1; u <= n; u++)
        {
            if (costs.SavedTensors is { } infos && costs.Sources is { } sources)
            {
                for (int k = 0; k < infos[u - 1].Count; k++)
                {
                    long bytes = infos[u - 1][k].Bytes;
                    all[u] += bytes;
                    switch (sources[u - 1][k].Kind)
                    {
                        case SlotKind.Internal: held[u] += bytes; _internal[u] = true; break;
                        case SlotKind.Input: held[u] += bytes; fill[u] += bytes; _input[u] = true; break;
                        case SlotKind.Output: held[u] += bytes; fill[u] += bytes; _output[u] = true; break;
                    }
                }
            }
            else if (costs.SavedBytes[u - 1] > 0)
            {
                all[u] = held[u] = costs.SavedBytes[u - 1];
                _internal[u] = true;
            }
        }
        _allPrefix = Prefix(all);
        _heldPrefix = Prefix(held);
        _fillPrefix = Prefix(fill);
        _lastNeeded = new int[n + 1];
        for (int p = 1; p <= n; p++)
            _lastNeeded[p] = _internal[p] || _output[p] || _input[p + 1] ? p : _lastNeeded[p - 1];

        _minRecSplit = new long[n + 1, n + 1];
        _minRecAny = new long[n + 1, n + 1];
        _minSweepSplit = new long[n + 1, n + 1];
        _zeroSplit = new long[n + 1, n + 1];
        _zeroChoice = new Choice[n + 1, n + 1];
        for (int len = 1; len <= n; len++)
            for (int a = 0; a + len <= n; a++)
            {
                int b = a + len;
                long rec = Infinite, sweep = Infinite;
                for (int m = a + 1; m < b; m++)
                {
                    rec = Math.Min(rec, SplitPeak(a, m, b, _c[m] + TapeExcess(m, b, consume: true, takesOutput: false), _c[m] + _minRecSplit[m, b]));
                    sweep = Math.Min(sweep, SplitPeak(a, m, b, Sum(_allPrefix, m, b), _c[m] + _minSweepSplit[m, b]));
                }
                _minRecSplit[a, b] = rec;
                _minSweepSplit[a, b] = sweep;
                long zero = Infinite;
                for (int m = a + 1; m < b; m++)
                {
                    var (peak, takeOver) = ZeroLeft(a, m, ReturnsSnapshot(m));
                    peak = Math.Max(peak, Sum(_allPrefix, m, b));
                    if (peak < zero) { zero = peak; _zeroChoice[a, b] = new Choice(m, true, takeOver); }
                    if (b - m < 2) continue;
                    (peak, takeOver) = ZeroLeft(a, m, true);
                    peak = Math.Max(peak, _c[m] + _zeroSplit[m, b]);
                    if (peak < zero) { zero = peak; _zeroChoice[a, b] = new Choice(m, false, takeOver); }
                }
                _zeroSplit[a, b] = zero;
                _minRecAny[a, b] = Math.Min(rec, TapeExcess(a, b, consume: false, takesOutput: false));
            }
    }

    private static long[] Prefix(long[] values)
    {
        var prefix = new long[values.Length];
        for (int i = 1; i < values.Length; i++) prefix[i] = prefix[i - 1] + values[i];
        return prefix;
    }

    private static long Sum(long[] prefix, int a, int b) => prefix[b] - prefix[a];

    /// <summary>The least peak of a split at m given the least peaks of its two kinds of right part.</summary>
    private long SplitPeak(int a, int m, int b, long rightTape, long rightSplit)
    {
        long viaTape = Math.Max(rightTape, LeftMinPeak(a, m, ReturnsSnapshot(m)));
        long viaSplit = b - m >= 2 ? Math.Max(rightSplit, LeftMinPeak(a, m, true)) : Infinite;
        return Math.Min(viaTape, viaSplit);
    }

    private long LeftMinPeak(int a, int m, bool snapshotHeld) =>
        snapshotHeld ? Math.Min(_minRecAny[a, m], _c[m] + TapeExcess(a, m, consume: false, takesOutput: true)) : _minRecAny[a, m];

    /// <summary>The least peak of a left part (a, m] that recomputes nothing: a tape that runs no unit, taking x_m over or not.</summary>
    private (long Peak, bool TakeOver) ZeroLeft(int a, int m, bool snapshotHeld)
    {
        long plain = TapeCost(a, m, false) == 0 ? TapeExcess(a, m, false, false) : Infinite;
        long over = snapshotHeld && TapeCost(a, m, true) == 0 ? _c[m] + TapeExcess(a, m, false, true) : Infinite;
        return over < plain ? (over, true) : (plain, false);
    }

    /// <summary>After a consuming right tape (m, b], x_m comes back as a snapshot when unit m+1 saved its input.</summary>
    private bool ReturnsSnapshot(int m) => _input[m + 1];

    /// <summary>Last unit a recompute-mode tape (a, b] runs (a when none); x_b is available when it takes the snapshot over.</summary>
    private int LastRun(int a, int b, bool takesOutput)
    {
        if (_internal[b] || (_output[b] && !takesOutput)) return b;
        return Math.Max(a, _lastNeeded[b - 1]);
    }

    /// <summary>Recomputed layers of a recompute-mode tape (a, b].</summary>
    private long TapeCost(int a, int b, bool takesOutput) => LastRun(a, b, takesOutput) - a;

    /// <summary>
    /// The most bytes a recompute-mode tape (a, b] adds above the level before it (which includes x_a when it
    /// consumes it and x_b when it takes it over), in the order ChainFrame.Tape frees and holds.
    /// </summary>
    private long TapeExcess(int a, int b, bool consume, bool takesOutput)
    {
        int r = LastRun(a, b, takesOutput);
        long freedFirst = (takesOutput && r == b ? _c[b] : 0) + (consume && r > a ? _c[a] : 0);
        long freedLater = (takesOutput && r < b ? _c[b] : 0) + (consume && r == a ? _c[a] : 0);
        long afterRun = Sum(_heldPrefix, a, r) - freedFirst;
        long afterFill = afterRun - freedLater + Sum(_fillPrefix, r, b);
        return Math.Max(0, Math.Max(afterRun, afterFill));
    }

    /// <summary>The smallest peak any tree reaches on (0, n], beyond x_0.</summary>
    public long MinPeak() => Math.Min(Sum(_allPrefix, 0, _n), _minSweepSplit[0, _n]);

    /// <summary>The cheapest tree reversing (0, n] within <paramref name="bytes"/> beyond x_0, or null.</summary>
    /// <remarks>
    /// When the least recomputation is zero, the tree returned is the one with the fewest bytes among those that
    /// recompute nothing (a budget larger than needed does not make the plan hold more); otherwise ties in
    /// recomputation are broken arbitrarily.
    /// </remarks>
    public PlanNode? Solve(long bytes)
    {
        if (bytes < MinPeak()) return null;
        if (Any(0, _n, bytes, sweep: true) == 0)
            return _zeroSplit[0, _n] < Sum(_allPrefix, 0, _n) ? BuildZero(0, _n) : new TapeNode(0, _n);
        return Build(0, _n, bytes, sweep: true, allowTape: true);
    }

    private SplitNode BuildZero(int a, int b)
    {
        var choice = _zeroChoice[a, b];
        int m = choice.M;
        return new SplitNode(a, m, b, choice.RightTape ? new TapeNode(m, b) : BuildZero(m, b), new TapeNode(a, m, choice.LeftTakesOver));
    }

    /// <summary>Predicted recomputed layers of the tree <see cref="Solve"/> returns (what the plan's simulation counts).</summary>
    public long Cost(long bytes) => bytes < MinPeak() ? Infinite : Any(0, _n, bytes, sweep: true);

    /// <summary>Fewest recomputed layers to reverse (a, b] within <paramref name="bytes"/> above the level at its start.</summary>
    private long Any(int a, int b, long bytes, bool sweep)
    {
        if (sweep ? Sum(_allPrefix, a, b) <= bytes : TapeExcess(a, b, false, false) <= bytes)
            return sweep ? 0 : TapeCost(a, b, false);
        return Split(a, b, bytes, sweep).Cost;
    }

    /// <summary>Fewest recomputed layers of a tree on (a, b] whose root is a split.</summary>
    private (long Cost, Choice Choice) Split(int a, int b, long bytes, bool sweep)
    {
        if (b - a < 2 || bytes < (sweep ? _minSweepSplit[a, b] : _minRecSplit[a, b])) return (Infinite, default);
        if (_memo.TryGetValue((a, b, bytes, sweep), out var hit)) return hit;
        long best = Infinite;
        Choice arg = default;
        for (int m = a + 1; m < b; m++)
        {
            long advance = sweep ? 0 : m - a;
            if (advance >= best) break;
            // Right part recorded whole (it consumes x_m), or a split beside the snapshot x_m.
            long tapePeak = sweep ? Sum(_allPrefix, m, b) : _c[m] + TapeExcess(m, b, true, false);
            if (tapePeak <= bytes)
                Consider(m, rightTape: true, sweep ? 0 : TapeCost(m, b, false), ReturnsSnapshot(m));
            if (b - m >= 2)
            {
                // A right split can only beat the tape when it lets the left part take x_m over.
                if (tapePeak <= bytes && ReturnsSnapshot(m)) continue;
                long right = Split(m, b, bytes - _c[m], sweep).Cost;
                if (right < Infinite) Consider(m, rightTape: false, right, snapshotHeld: true);
            }

            void Consider(int m, bool rightTape, long right, bool snapshotHeld)
            {
                if (advance + right >= best) return;
                long left = Any(a, m, bytes, sweep: false);
                bool takeOver = false;
                if (snapshotHeld && _c[m] + TapeExcess(a, m, false, true) <= bytes && TapeCost(a, m, true) < left)
                {
                    left = TapeCost(a, m, true);
                    takeOver = true;
                }
                if (left < Infinite && advance + right + left < best)
                {
                    best = advance + right + left;
                    arg = new Choice(m, rightTape, takeOver);
                }
            }
        }
        var result = (best, arg);
        _memo[(a, b, bytes, sweep)] = result;
        return result;
    }

    private PlanNode Build(int a, int b, long bytes, bool sweep, bool allowTape)
    {
        if (allowTape && (sweep ? Sum(_allPrefix, a, b) <= bytes : TapeExcess(a, b, false, false) <= bytes)) return new TapeNode(a, b);
        var (_, choice) = Split(a, b, bytes, sweep);
        int m = choice.M;
        PlanNode right = choice.RightTape ? new TapeNode(m, b) : Build(m, b, bytes - _c[m], sweep, allowTape: false);
        PlanNode left = choice.LeftTakesOver ? new TapeNode(a, m, TakeOver: true) : Build(a, m, bytes, sweep: false, allowTape: true);
        return new SplitNode(a, m, b, right, left);
    }
}

namespace Adjoint;

/// <summary>
/// Exact planner for <see cref="CheckpointPolicy.MemoryBudget"/> over chains whose units differ in bytes:
/// among all reversal trees (see Note [Chain schedules]) whose peak fits the budget, one with the fewest
/// recomputed steps. Dynamic programming over (a, b, bytes left, sweep or recompute mode); a state's answer
/// depends only on the bytes left, which are the budget minus the snapshots held to the left of a.
/// </summary>
internal sealed class BudgetPlanner
{
    private readonly long[] _saved;   // unit i's saved bytes, 1..L
    private readonly long[] _output;  // bytes of x_i, 0..L
    private readonly long[] _prefix;  // prefix sums of _saved
    private readonly long[,] _minPeak;
    private readonly Dictionary<(int, int, long, bool), (long Cost, int Split)> _memo = [];

    public BudgetPlanner(long[] saved, long[] output)
    {
        _saved = saved;
        _output = output;
        int n = saved.Length - 1;
        _prefix = new long[n + 1];
        for (int i = 1; i <= n; i++) _prefix[i] = _prefix[i - 1] + saved[i];
        _minPeak = new long[n + 1, n + 1];
        for (int len = 1; len <= n; len++)
            for (int a = 0; a + len <= n; a++)
            {
                int b = a + len;
                long best = Tape(a, b);
                for (int m = a + 1; m < b; m++)
                {
                    long right = Math.Min(_output[m] + _minPeak[m, b], RightTape(m, b));
                    best = Math.Min(best, Math.Max(right, _minPeak[a, m]));
                }
                _minPeak[a, b] = best;
            }
    }

    private long Tape(int a, int b) => _prefix[b] - _prefix[a];

    /// <summary>Peak of a right part (m, b] taped whole: it takes snapshot x_m over (Note [Chain schedules]).</summary>
    private long RightTape(int m, int b) => Math.Max(_output[m], Tape(m, b));

    /// <summary>The smallest peak any tree reaches on (a, b], beyond x_a.</summary>
    public long MinPeak(int a, int b) => _minPeak[a, b];

    /// <summary>The cheapest tree reversing (0, L] within <paramref name="bytes"/> (beyond x_0), or null.</summary>
    public PlanNode? Solve(long bytes)
    {
        int n = _saved.Length - 1;
        return Best(0, n, bytes, sweep: true).Cost == long.MaxValue ? null : Build(0, n, bytes, sweep: true);
    }

    private PlanNode Build(int a, int b, long bytes, bool sweep)
    {
        int m = Best(a, b, bytes, sweep).Split;
        if (m == 0) return new TapeNode(a, b);
        PlanNode right = RightTape(m, b) <= bytes ? new TapeNode(m, b) : Build(m, b, bytes - _output[m], sweep);
        return new SplitNode(a, m, b, right, Build(a, m, bytes, sweep: false));
    }

    /// <summary>Fewest recomputed steps to reverse (a, b] within <paramref name="bytes"/>; Split 0 means tape it whole.</summary>
    private (long Cost, int Split) Best(int a, int b, long bytes, bool sweep)
    {
        if (bytes < _minPeak[a, b]) return (long.MaxValue, 0);
        // Taping the whole range is optimal when it fits: a sweep tape is free, and every recompute-mode
        // tree tapes each unit at least once, so it costs at least b − a.
        if (Tape(a, b) <= bytes) return (sweep ? 0 : b - a, 0);
        if (_memo.TryGetValue((a, b, bytes, sweep), out var hit)) return hit;
        long best = long.MaxValue;
        int arg = 0;
        for (int m = a + 1; m < b; m++)
        {
            long advance = sweep ? 0 : m - a;
            // Lower bound: the advance plus one taping of every unit of (a, b] beyond the sweep.
            if (!sweep && advance + (b - a) >= best) break;
            if (_output[m] > bytes) continue;
            // A right part taped whole costs the least any right part can; otherwise it needs x_m kept.
            long right = RightTape(m, b) <= bytes ? (sweep ? 0 : b - m) : Best(m, b, bytes - _output[m], sweep).Cost;
            if (right == long.MaxValue) continue;
            var left = Best(a, m, bytes, sweep: false);
            if (left.Cost == long.MaxValue) continue;
            long c = advance + right + left.Cost;
            if (c < best) { best = c; arg = m; }
        }
        var result = (best, arg);
        _memo[(a, b, bytes, sweep)] = result;
        return result;
    }
}

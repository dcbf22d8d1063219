namespace Adjoint;

/// <summary>One instruction of a Revolve schedule.</summary>
public enum RevolveActionKind
{
    /// <summary>Run forward from the current state to state <see cref="RevolveAction.Step"/> without recording.</summary>
    Advance,

    /// <summary>Store the current state (state <see cref="RevolveAction.Step"/>) in a snapshot slot.</summary>
    TakeShot,

    /// <summary>Make snapshot <see cref="RevolveAction.Step"/> the current state again.</summary>
    Restore,

    /// <summary>Record the last step (from state Step − 1 to Step) and start the reverse sweep.</summary>
    FirstTurn,

    /// <summary>Record step <see cref="RevolveAction.Step"/> (from state Step − 1) and reverse it.</summary>
    YouTurn,

    /// <summary>Snapshot <see cref="RevolveAction.Step"/> is no longer needed; its slot is free.</summary>
    Free,
}

/// <summary>A Revolve instruction and the state it refers to.</summary>
/// <param name="Kind">What to do.</param>
/// <param name="Step">The state (0..L) the action refers to.</param>
public readonly record struct RevolveAction(RevolveActionKind Kind, int Step)
{
    /// <inheritdoc />
    public override string ToString() => $"{Kind}({Step})";
}

/// <summary>
/// Binomial checkpointing (A. Griewank, A. Walther: "Algorithm 799: Revolve", ACM TOMS 26(1), 2000). Reversing
/// L steps with s snapshots (one of which holds the initial state) needs at least
/// Expense(L, s) = t·L − β(s + 1, t − 1) forward steps, where β(s, t) = C(s + t, s) and t is the least
/// integer with β(s, t) ≥ L: with t repetitions s snapshots reverse at most β(s, t) steps. The schedules here
/// come from the optimal recursion P(l, s) = min over 0 &lt; m &lt; l of m + P(l − m, s − 1) + P(m, s), which
/// attains that bound.
/// </summary>
public static class Revolve
{
    /// <summary>β(s, t) = C(s + t, s): the most steps s snapshots can reverse with t repetitions (saturates at long.MaxValue).</summary>
    public static long Beta(int snapshots, int repetitions)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(snapshots);
        ArgumentOutOfRangeException.ThrowIfNegative(repetitions);
        // C(s + t, min(s, t)) by the exact running product; each prefix is itself a binomial coefficient.
        int k = Math.Min(snapshots, repetitions), n = snapshots + repetitions;
        Int128 c = 1;
        for (int i = 1; i <= k; i++)
        {
            c = c * (n - k + i) / i;
            if (c > long.MaxValue) return long.MaxValue;
        }
        return (long)c;
    }

    /// <summary>
    /// The minimal number of forward steps (advances, the first sweep included, taped steps not) to reverse
    /// <paramref name="steps"/> steps with <paramref name="snapshots"/> snapshots: t·L − β(s + 1, t − 1).
    /// It is also what <see cref="CheckpointPolicy.Binomial"/> recomputes, since the forward pass performs
    /// the other L evaluations anyway.
    /// </summary>
    public static long Expense(int steps, int snapshots)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(steps, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(snapshots, 1);
        int t = Repetitions(steps, snapshots);
        return t == 0 ? 0 : (long)t * steps - Beta(snapshots + 1, t - 1);
    }

    /// <summary>The least t with β(s, t) ≥ L: how many times the worst step is evaluated beyond its taping.</summary>
    public static int Repetitions(int steps, int snapshots)
    {
        int t = 0;
        while (Beta(snapshots, t) < steps) t++;
        return t;
    }

    /// <summary>The full Revolve schedule for <paramref name="steps"/> steps and <paramref name="snapshots"/> snapshots.</summary>
    public static IReadOnlyList<RevolveAction> Schedule(int steps, int snapshots)
    {
        var tree = Tree(steps, snapshots);
        var actions = new List<RevolveAction> { new(RevolveActionKind.TakeShot, 0) };
        Emit(tree, first: true, actions);
        actions.Add(new RevolveAction(RevolveActionKind.Free, 0));
        return actions;
    }

    private static void Emit(PlanNode node, bool first, List<RevolveAction> actions)
    {
        switch (node)
        {
            case TapeNode t:
                actions.Add(new RevolveAction(first ? RevolveActionKind.FirstTurn : RevolveActionKind.YouTurn, t.B));
                break;
            case SplitNode { Right: TapeNode } s:
                actions.Add(new RevolveAction(RevolveActionKind.Advance, s.M));
                Emit(s.Right, first, actions);
                actions.Add(new RevolveAction(RevolveActionKind.Restore, s.A));
                Emit(s.Left, false, actions);
                break;
            case SplitNode s:
                actions.Add(new RevolveAction(RevolveActionKind.Advance, s.M));
                actions.Add(new RevolveAction(RevolveActionKind.TakeShot, s.M));
                Emit(s.Right, first, actions);
                actions.Add(new RevolveAction(RevolveActionKind.Free, s.M));
                actions.Add(new RevolveAction(RevolveActionKind.Restore, s.A));
                Emit(s.Left, false, actions);
                break;
        }
    }

    /// <summary>The optimal reversal tree of (0, steps] with single-step tapes (see Note [Chain schedules]).</summary>
    internal static PlanNode Tree(int steps, int snapshots)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(steps, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(snapshots, 1);
        int s = Math.Min(snapshots, steps);
        var (_, split) = Table(steps, s);
        return Build(0, steps, s, split);
    }

    private static PlanNode Build(int a, int b, int s, int[,] split)
    {
        int l = b - a;
        if (l == 1) return new TapeNode(a, b);
        int m = split[Math.Min(s, l), l];
        return new SplitNode(a, a + m, b, Build(a + m, b, Math.Min(s - 1, l - m), split), Build(a, a + m, s, split));
    }

    /// <summary>P(l, s) for all l ≤ L, s ≤ S and the argmin split (largest m among the minima).</summary>
    internal static (long[,] Cost, int[,] Split) Table(int steps, int snapshots)
    {
        var cost = new long[snapshots + 1, steps + 1];
        var split = new int[snapshots + 1, steps + 1];
        for (int s = 1; s <= snapshots; s++)
        {
            for (int l = 2; l <= steps; l++)
            {
                if (s == 1)
                {
                    cost[s, l] = (long)l * (l - 1) / 2;
                    split[s, l] = l - 1;
                    continue;
                }
                long best = long.MaxValue;
                int arg = 0;
                for (int m = 1; m < l; m++)
                {
                    int right = Math.Min(s - 1, l - m), left = Math.Min(s, m);
                    long c = m + cost[right, l - m] + cost[left, m];
                    if (c <= best) { best = c; arg = m; }
                }
                cost[s, l] = best;
                split[s, l] = arg;
            }
        }
        return (cost, split);
    }
}

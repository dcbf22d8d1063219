using NUnit.Framework;

namespace Adjoint.Tests.Checkpointing;

/// <summary>Revolve's closed form against brute force, and its schedules against the rules of the game.</summary>
[TestFixture]
public class RevolveTests
{
    /// <summary>
    /// Brute force over all schedules: reverse l steps holding a snapshot of the start with s snapshots in
    /// total; either record the only step, or advance m steps, snapshot, and recurse on both sides.
    /// </summary>
    private static long BruteForce(int l, int s, Dictionary<(int, int), long> memo)
    {
        if (l == 1) return 0;
        if (s == 1) return (long)l * (l - 1) / 2;
        if (memo.TryGetValue((l, s), out var hit)) return hit;
        long best = long.MaxValue;
        for (int m = 1; m < l; m++)
            best = Math.Min(best, m + BruteForce(l - m, s - 1, memo) + BruteForce(m, s, memo));
        return memo[(l, s)] = best;
    }

    [Test]
    public void ExpenseEqualsBruteForce()
    {
        var memo = new Dictionary<(int, int), long>();
        for (int s = 1; s <= 8; s++)
            for (int l = 1; l <= 120; l++)
                Assert.That(Revolve.Expense(l, s), Is.EqualTo(BruteForce(l, s, memo)), $"L = {l}, s = {s}");
    }

    [Test]
    public void BetaIsTheBinomialBound()
    {
        Assert.That(Revolve.Beta(3, 2), Is.EqualTo(10));
        Assert.That(Revolve.Beta(1, 9), Is.EqualTo(10));
        Assert.That(Revolve.Beta(5, 0), Is.EqualTo(1));
        // With t repetitions s snapshots reverse exactly β(s, t) steps: one more needs a repetition more.
        Assert.That(Revolve.Repetitions((int)Revolve.Beta(4, 3), 4), Is.EqualTo(3));
        Assert.That(Revolve.Repetitions((int)Revolve.Beta(4, 3) + 1, 4), Is.EqualTo(4));
        Assert.That(Revolve.Beta(60, 60), Is.EqualTo(long.MaxValue), "saturates");
    }

    [TestCase(1, 1)]
    [TestCase(10, 1)]
    [TestCase(10, 3)]
    [TestCase(55, 4)]
    [TestCase(100, 10)]
    [TestCase(6, 10)]
    public void ScheduleIsValidAndCostsTheExpense(int steps, int snapshots)
    {
        var actions = Revolve.Schedule(steps, snapshots);
        int state = 0, advances = 0, nextTurn = steps;
        var held = new HashSet<int>();
        int maxHeld = 0;
        foreach (var a in actions)
        {
            switch (a.Kind)
            {
                case RevolveActionKind.TakeShot:
                    Assert.That(a.Step, Is.EqualTo(state));
                    held.Add(state);
                    maxHeld = Math.Max(maxHeld, held.Count);
                    break;
                case RevolveActionKind.Restore:
                    Assert.That(held, Does.Contain(a.Step));
                    state = a.Step;
                    break;
                case RevolveActionKind.Advance:
                    Assert.That(a.Step, Is.GreaterThan(state));
                    advances += a.Step - state;
                    state = a.Step;
                    break;
                case RevolveActionKind.FirstTurn:
                case RevolveActionKind.YouTurn:
                    Assert.That(a.Step, Is.EqualTo(nextTurn), "steps are reversed last to first");
                    Assert.That(state, Is.EqualTo(a.Step - 1));
                    Assert.That(a.Kind == RevolveActionKind.FirstTurn, Is.EqualTo(a.Step == steps));
                    nextTurn--;
                    break;
                case RevolveActionKind.Free:
                    Assert.That(held.Remove(a.Step), Is.True);
                    break;
            }
        }
        Assert.That(nextTurn, Is.Zero);
        Assert.That(maxHeld, Is.LessThanOrEqualTo(snapshots));
        Assert.That(advances, Is.EqualTo(Revolve.Expense(steps, snapshots)));
    }
}

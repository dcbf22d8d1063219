using NUnit.Framework;

namespace Adjoint.Tests.Checkpointing;

/// <summary>MemoryBudget against brute force over every reversal schedule of small chains with unequal layers.</summary>
[TestFixture]
public class BudgetPlannerTests
{
    /// <summary>
    /// Every (peak, cost) a schedule can reach on (a, b]: record it whole, or advance to m, keep x_m, reverse
    /// (m, b], drop x_m, reverse (a, m]. In the sweep (the forward pass) advances and the last record are free.
    /// </summary>
    /// A right part recorded whole takes x_m over, so x_m is not counted beside it.
    private static List<(long Peak, long Cost, bool Tape)> All(int a, int b, bool sweep, long[] saved, long[] output)
    {
        long tape = 0;
        for (int i = a + 1; i <= b; i++) tape += saved[i - 1];
        var result = new List<(long, long, bool)> { (tape, sweep ? 0 : b - a, true) };
        for (int m = a + 1; m < b; m++)
            foreach (var r in All(m, b, sweep, saved, output))
                foreach (var l in All(a, m, false, saved, output))
                {
                    long right = r.Tape ? Math.Max(output[m], r.Peak) : output[m] + r.Peak;
                    result.Add((Math.Max(right, l.Peak), (sweep ? 0 : m - a) + r.Cost + l.Cost, false));
                }
        return result;
    }

    [Test]
    public void LeastRecomputationWithinTheBudgetMatchesBruteForce()
    {
        var rng = new Random(5);
        for (int trial = 0; trial < 40; trial++)
        {
            int n = rng.Next(1, 7);
            var saved = Enumerable.Range(0, n).Select(_ => (long)rng.Next(1, 20) * 8).ToArray();
            var output = Enumerable.Range(0, n + 1).Select(_ => (long)rng.Next(1, 6) * 8).ToArray();
            var costs = new LayerCosts(saved, output);
            var all = All(0, n, true, saved, output);
            long plain = saved.Sum();
            long min = output[0] + all.Min(p => p.Peak);
            for (long budget = min - 8; budget <= plain + 8; budget += 8)
            {
                if (budget < min && budget < plain)
                {
                    Assert.Throws<InvalidOperationException>(() => Checkpoint.Plan(costs, CheckpointPolicy.MemoryBudget(budget)));
                    continue;
                }
                var plan = Checkpoint.Plan(costs, CheckpointPolicy.MemoryBudget(budget));
                long best = budget >= plain ? 0 : all.Where(p => output[0] + p.Peak <= budget).Min(p => p.Cost);
                Assert.That(plan.PredictedRecomputeSteps, Is.EqualTo(best), $"n = {n}, budget = {budget}");
                Assert.That(plan.PredictedPeakSavedBytes, Is.LessThanOrEqualTo(budget));
            }
        }
    }

    [Test]
    public void UnequalLayersAreMeasuredAndTheBudgetHolds()
    {
        var g = new Generator(3);
        int[] widths = [4, 16, 4, 16, 8, 4, 16, 8];
        var weights = new List<Tensor>();
        var layers = new List<Func<Tensor, Tensor>>();
        for (int i = 0; i + 1 < widths.Length; i++)
        {
            var w = (Tensor.Randn([widths[i], widths[i + 1]], DType.Float64, g) * 0.3).Detach().SetRequiresGrad();
            weights.Add(w);
            layers.Add(x => x.MatMul(w).Tanh());
        }
        var input = Tensor.Randn([3, widths[0]], DType.Float64, g);
        var costs = Checkpoint.Profile(layers, input);
        Assert.That(costs.SavedBytes[1], Is.EqualTo((3 * 16 + 16 * 4 + 3 * 4) * 8));

        var plainGrads = Train(CheckpointPolicy.None);
        long plain = costs.SavedBytes.Sum();
        foreach (long budget in new[] { plain / 2, plain / 3, plain * 2 / 3 })
        {
            long baseline = MemoryStats.SavedBytes;
            MemoryStats.ResetPeak();
            var grads = Train(CheckpointPolicy.MemoryBudget(budget));
            long loss = 2 * 3 * widths[^1] * 8;
            Assert.That(MemoryStats.PeakSavedBytes - baseline - loss, Is.LessThanOrEqualTo(budget));
            Assert.That(MemoryStats.RecomputedSteps, Is.EqualTo(Checkpoint.Plan(costs, CheckpointPolicy.MemoryBudget(budget)).PredictedRecomputeSteps));
            for (int i = 0; i < grads.Count; i++) Assert.That(grads[i], Is.EqualTo(plainGrads[i]).Within(1e-12));
        }

        List<double[]> Train(CheckpointPolicy policy)
        {
            foreach (var w in weights) w.ZeroGrad();
            var y = Checkpoint.Sequential(layers, input, policy);
            (y * y).Sum().Backward();
            return weights.Select(w => w.Grad!.ToArray<double>()).ToList();
        }
    }
}

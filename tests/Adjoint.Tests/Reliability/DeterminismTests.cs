using Adjoint.Backends;
using Adjoint.Interop;
using NUnit.Framework;

namespace Adjoint.Tests.Reliability;

/// <summary>
/// The same seed gives the same bits on the same ISA path; results of different ISA paths differ by a bounded,
/// documented amount (docs/RELIABILITY.md).
/// </summary>
[TestFixture]
[NonParallelizable] // switches the process-wide ISA
public class DeterminismTests
{
    private static (float[] Losses, float[] Grads, float[] Weights) Train(ulong seed, int steps)
    {
        using var mlp = new Mlp(seed, batch: 64);
        var losses = new float[steps];
        for (int i = 0; i < steps; i++) losses[i] = mlp.Step();
        return (losses, mlp.Gradients(), mlp.Weights());
    }

    [Test]
    public void SameSeedGivesBitwiseIdenticalLossesAndGradients()
    {
        var a = Train(42, 200);
        var b = Train(42, 200);
        Assert.That(b.Losses, Is.EqualTo(a.Losses));
        Assert.That(b.Grads, Is.EqualTo(a.Grads));
        Assert.That(b.Weights, Is.EqualTo(a.Weights));
        var c = Train(43, 200);
        Assert.That(c.Losses, Is.Not.EqualTo(a.Losses), "a different seed gives a different run");
    }

    [Test]
    public void LargeReductionsHaveAFixedOrder()
    {
        // Above the threading thresholds: the split of a sum depends on the thread count, never on timing.
        using var x = Tensor.Randn([512, 1024], generator: new Generator(3));
        float first = 0;
        for (int r = 0; r < 20; r++)
        {
            using var total = x.Sum();
            using var cols = x.Sum(0);
            float value = total.Item<float>() + cols.ToArray<float>()[17];
            if (r == 0) first = value;
            Assert.That(value, Is.EqualTo(first), $"repeat {r}");
        }
    }

    [Test]
    public void IsaPathsAgreeWithinTheDocumentedBound()
    {
        if (!Backend.NativeAvailable) Assert.Ignore("native library not loaded: " + Backend.NativeLoadError?.Message);
        Isa saved = NativeBackend.Isa;
        var runs = new Dictionary<Isa, (float[] Losses, float[] Grads, float[] Weights)>();
        try
        {
            foreach (Isa isa in Interop.IsaTiers.Runnable())
            {
                NativeBackend.SetIsa(isa);
                runs[isa] = Train(11, 100);
                var again = Train(11, 100);
                Assert.That(again.Losses, Is.EqualTo(runs[isa].Losses), $"{isa}: bitwise repeatable");
            }
        }
        finally
        {
            NativeBackend.SetIsa(saved);
        }
        var reference = runs[Isa.Scalar];
        foreach (var (isa, run) in runs)
        {
            double lossDiff = MaxRelative(run.Losses, reference.Losses);
            double weightDiff = MaxAbsolute(run.Weights, reference.Weights);
            TestContext.Out.WriteLine($"{isa} vs Scalar after 100 steps: max relative loss difference {lossDiff:E2}, max absolute weight difference {weightDiff:E2}");
            // Bound in docs/RELIABILITY.md: float32 kernels differ by rounding (FMA, vector order, polynomial exp/tanh);
            // after 100 SGD steps the trajectories stay within 1e-3 relative (loss) and 1e-4 absolute (weights).
            Assert.That(lossDiff, Is.LessThan(1e-3), $"{isa}: losses");
            Assert.That(weightDiff, Is.LessThan(1e-4), $"{isa}: weights");
        }
    }

    private static double MaxRelative(float[] a, float[] b) =>
        a.Zip(b).Max(p => Math.Abs(p.First - p.Second) / Math.Max(Math.Abs(p.Second), 1e-6));

    private static double MaxAbsolute(float[] a, float[] b) => a.Zip(b).Max(p => Math.Abs((double)p.First - p.Second));
}

using NUnit.Framework;

namespace Adjoint.Tests.Checkpointing;

/// <summary>Per-graph saved-byte accounting: <see cref="MemoryStats.Track"/> charges each graph's bytes to the scope that built it.</summary>
[TestFixture]
public class SavedBytesTrackerTests
{
    // L = 3 layers, width 4, batch 2, float64: a layer saves x (2·4), W (4·4) and tanh's output (2·4) = 32
    // elements = 256 bytes; the loss y*y saves y twice = 128 bytes.
    private static TanhChain Small() => new(layers: 3, width: 4, batch: 2, DType.Float64);

    [Test]
    public void APlainChainChargesItsKnownBytesAndReturnsThemAfterBackward()
    {
        var chain = Small();
        Assert.That(chain.LayerSavedBytes, Is.EqualTo(256));
        Assert.That(chain.LossSavedBytes, Is.EqualTo(128));
        long processBefore = MemoryStats.SavedBytes;
        Tensor loss;
        using (var graph = MemoryStats.Track())
        {
            var y = Checkpoint.Sequential(chain.Layers, chain.Input, CheckpointPolicy.None);
            Assert.That(graph.SavedBytes, Is.EqualTo(3 * 256));
            loss = TanhChain.Loss(y);
            Assert.That(graph.SavedBytes, Is.EqualTo(3 * 256 + 128));
            Assert.That(MemoryStats.SavedBytes - processBefore, Is.EqualTo(3 * 256 + 128), "the process-wide counter sees the same bytes");
            loss.Backward();
            Assert.That(graph.SavedBytes, Is.Zero, "backward freed the graph");
            Assert.That(graph.PeakSavedBytes, Is.EqualTo(3 * 256 + 128), "the peak is kept");
            Assert.That(graph.RecomputedSteps, Is.Zero);
        }
    }

    [Test]
    public void BytesFollowTheGraphAfterTheScopeEnds()
    {
        var chain = Small();
        SavedBytesTracker graph;
        Tensor loss;
        using (graph = MemoryStats.Track())
            loss = TanhChain.Loss(Checkpoint.Sequential(chain.Layers, chain.Input, CheckpointPolicy.None));
        Assert.That(graph.SavedBytes, Is.EqualTo(3 * 256 + 128));

        // A graph built after the scope ended is not charged to it.
        var other = TanhChain.Loss(Checkpoint.Sequential(chain.Layers, chain.Input, CheckpointPolicy.None));
        Assert.That(graph.SavedBytes, Is.EqualTo(3 * 256 + 128));

        loss.Backward();
        Assert.That(graph.SavedBytes, Is.Zero);
        Assert.That(graph.PeakSavedBytes, Is.EqualTo(3 * 256 + 128));
        other.Backward();
        Assert.That(graph.SavedBytes, Is.Zero);
    }

    [Test]
    public void EachScopeSeesOnlyItsOwnGraphAndNestedScopesChargeTheirParents()
    {
        var chain = Small();
        using var outer = MemoryStats.Track();
        var first = TanhChain.Loss(Checkpoint.Sequential(chain.Layers, chain.Input, CheckpointPolicy.None));
        Tensor second;
        SavedBytesTracker inner;
        using (inner = MemoryStats.Track())
            second = TanhChain.Loss(Checkpoint.Sequential(chain.Layers.Take(2).ToArray(), chain.Input, CheckpointPolicy.None));
        Assert.That(inner.SavedBytes, Is.EqualTo(2 * 256 + 128));
        Assert.That(outer.SavedBytes, Is.EqualTo(3 * 256 + 128 + 2 * 256 + 128));
        first.Backward();
        Assert.That(inner.SavedBytes, Is.EqualTo(2 * 256 + 128), "freeing the outer graph leaves the inner one alone");
        Assert.That(outer.SavedBytes, Is.EqualTo(2 * 256 + 128));
        second.Backward();
        Assert.That(outer.SavedBytes, Is.Zero);
        Assert.That(outer.PeakSavedBytes, Is.EqualTo(5 * 256 + 2 * 128));
        Assert.That(inner.PeakSavedBytes, Is.EqualTo(2 * 256 + 128));
    }

    [Test]
    public void RetainGraphKeepsTheBytesUntilTheLastBackward()
    {
        var chain = Small();
        using var graph = MemoryStats.Track();
        var loss = TanhChain.Loss(Checkpoint.Sequential(chain.Layers, chain.Input, CheckpointPolicy.None));
        loss.Backward(retainGraph: true);
        Assert.That(graph.SavedBytes, Is.EqualTo(3 * 256 + 128));
        loss.Backward();
        Assert.That(graph.SavedBytes, Is.Zero);
    }

    [Test]
    public void ACheckpointedChainChargesItsForwardScopeEvenWhenBackwardRunsElsewhere()
    {
        var chain = new TanhChain(layers: 100, width: 8, batch: 4, DType.Float64);
        long a = chain.LayerSavedBytes, c = chain.ActivationBytes, loss = chain.LossSavedBytes;
        long expectedSteps = Checkpoint.Plan(chain.Layers, chain.Input, CheckpointPolicy.SqrtN).PredictedRecomputeSteps;
        SavedBytesTracker graph;
        Tensor l;
        using (graph = MemoryStats.Track())
            l = TanhChain.Loss(Checkpoint.Sequential(chain.Layers, chain.Input, CheckpointPolicy.SqrtN));
        // Snapshots x_0, x_10, …, x_80 and the last segment's 10 layers, recorded by the forward pass.
        Assert.That(graph.SavedBytes, Is.EqualTo(9 * c + 10 * a + loss));

        using (var during = MemoryStats.Track())
        {
            // Backward on another thread, inside another scope: the recomputed bytes and steps still belong to the
            // scope of the forward pass.
            Task.Run(() => l.Backward()).Wait();
            Assert.That(during.PeakSavedBytes, Is.Zero);
            Assert.That(during.RecomputedSteps, Is.Zero);
        }
        Assert.That(graph.SavedBytes, Is.Zero);
        Assert.That(graph.PeakSavedBytes, Is.EqualTo(9 * c + 10 * a + loss));
        Assert.That(graph.RecomputedSteps, Is.EqualTo(expectedSteps));
        Assert.That(expectedSteps, Is.GreaterThan(0));
    }

    [Test]
    public void ResetPeakRestartsFromTheLiveBytes()
    {
        var chain = Small();
        using var graph = MemoryStats.Track();
        var first = TanhChain.Loss(Checkpoint.Sequential(chain.Layers, chain.Input, CheckpointPolicy.None));
        first.Backward();
        graph.ResetPeak();
        Assert.That(graph.PeakSavedBytes, Is.Zero);
        var y = Checkpoint.Sequential(chain.Layers.Take(1).ToArray(), chain.Input, CheckpointPolicy.None);
        Assert.That(graph.PeakSavedBytes, Is.EqualTo(256));
        TanhChain.Loss(y).Backward();
        Assert.That(graph.SavedBytes, Is.Zero);
    }

    [Test]
    public void DisposingTwiceOrOutOfOrderKeepsTheScopesConsistent()
    {
        var chain = Small();
        var outer = MemoryStats.Track();
        var inner = MemoryStats.Track();
        outer.Dispose(); // out of order: stays on the chain until the inner scope ends
        var y = Checkpoint.Sequential(chain.Layers.Take(1).ToArray(), chain.Input, CheckpointPolicy.None);
        Assert.That(inner.SavedBytes, Is.EqualTo(256));
        inner.Dispose();
        inner.Dispose();
        var z = Checkpoint.Sequential(chain.Layers.Take(1).ToArray(), chain.Input, CheckpointPolicy.None);
        Assert.That(inner.SavedBytes, Is.EqualTo(256), "nothing is charged after both scopes ended");
        Assert.That(outer.SavedBytes, Is.EqualTo(256));
        TanhChain.Loss(y).Backward();
        TanhChain.Loss(z).Backward();
        Assert.That(inner.SavedBytes, Is.Zero);
        Assert.That(outer.SavedBytes, Is.Zero);
    }
}

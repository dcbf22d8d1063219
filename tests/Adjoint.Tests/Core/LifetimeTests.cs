using System.Runtime.CompilerServices;
using NUnit.Framework;

namespace Adjoint.Tests.Core;

/// <summary>Dispose, scopes, finalizer and the live counters. Counters are process-wide: measure deltas, run alone.</summary>
[NonParallelizable]
public class LifetimeTests(string backend) : CoreTest(backend)
{
    private static (long Count, long Bytes) Snapshot()
    {
        // Let finalizers of tensors other tests leaked run first, so they cannot move the counters mid-test.
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        return (Tensor.LiveCount, Tensor.LiveBytes);
    }

    [Test]
    public void DisposeReleasesCountAndBytes()
    {
        var (count, bytes) = Snapshot();
        var t = Tensor.Zeros([10, 10], DType.Float64);
        Assert.That(Tensor.LiveCount - count, Is.EqualTo(1));
        Assert.That(Tensor.LiveBytes - bytes, Is.EqualTo(800));
        t.Dispose();
        t.Dispose(); // idempotent
        Assert.That(t.IsDisposed, Is.True);
        Assert.That(Tensor.LiveCount, Is.EqualTo(count));
        Assert.That(Tensor.LiveBytes, Is.EqualTo(bytes));
    }

    [Test]
    public void ViewsKeepStorageAliveUntilTheLastOneIsDisposed()
    {
        var (count, bytes) = Snapshot();
        var x = Tensor.Ones([4, 4]);
        var v = x.T;
        Assert.That(Tensor.LiveCount - count, Is.EqualTo(2));
        Assert.That(Tensor.LiveBytes - bytes, Is.EqualTo(64), "views share their storage's bytes");
        x.Dispose();
        Assert.That(Tensor.LiveBytes - bytes, Is.EqualTo(64));
        Assert.That(v.ToArray<float>(), Has.All.EqualTo(1f));
        v.Dispose();
        Assert.That(Tensor.LiveCount, Is.EqualTo(count));
        Assert.That(Tensor.LiveBytes, Is.EqualTo(bytes));
    }

    [Test]
    public void EveryMemberThrowsAfterDispose()
    {
        var t = Tensor.Ones([2, 2]);
        using var other = Tensor.Ones([2, 2]);
        t.Dispose();
        Assert.Multiple(() =>
        {
            Assert.Throws<ObjectDisposedException>(() => _ = t.Shape.Length);
            Assert.Throws<ObjectDisposedException>(() => _ = t.Strides.Length);
            Assert.Throws<ObjectDisposedException>(() => _ = t.DType);
            Assert.Throws<ObjectDisposedException>(() => _ = t.Rank);
            Assert.Throws<ObjectDisposedException>(() => _ = t.NumElements);
            Assert.Throws<ObjectDisposedException>(() => _ = t.Offset);
            Assert.Throws<ObjectDisposedException>(() => _ = t.IsContiguous);
            Assert.Throws<ObjectDisposedException>(() => t.Size(0));
            Assert.Throws<ObjectDisposedException>(() => t.ToArray<float>());
            Assert.Throws<ObjectDisposedException>(() => t.Item<float>());
            Assert.Throws<ObjectDisposedException>(() => _ = t.ToString());
            Assert.Throws<ObjectDisposedException>(() => t.Exp());
            Assert.Throws<ObjectDisposedException>(() => _ = t + other);
            Assert.Throws<ObjectDisposedException>(() => _ = other + t);
            Assert.Throws<ObjectDisposedException>(() => _ = t * 2);
            Assert.Throws<ObjectDisposedException>(() => t.MatMul(other));
            Assert.Throws<ObjectDisposedException>(() => other.MatMul(t));
            Assert.Throws<ObjectDisposedException>(() => t.Sum());
            Assert.Throws<ObjectDisposedException>(() => t.Softmax());
            Assert.Throws<ObjectDisposedException>(() => t.Reshape(4));
            Assert.Throws<ObjectDisposedException>(() => _ = t.T);
            Assert.Throws<ObjectDisposedException>(() => t.Select(0, 0));
            Assert.Throws<ObjectDisposedException>(() => t.Clone());
            Assert.Throws<ObjectDisposedException>(() => t.To(DType.Float64));
            Assert.Throws<ObjectDisposedException>(() => t.FillInPlace(1));
            Assert.Throws<ObjectDisposedException>(() => other.CopyFrom(t));
            Assert.Throws<ObjectDisposedException>(() => Tensor.ZerosLike(t));
        });
    }

    [Test]
    public void ScopeDisposesWhatItCollectedExceptMovedTensors()
    {
        var (count, bytes) = Snapshot();
        Tensor kept, inner;
        Tensor dropped;
        using (var outer = TensorScope.Begin())
        {
            using (var scope = TensorScope.Begin())
            {
                Assert.That(TensorScope.Current, Is.SameAs(scope));
                dropped = Tensor.Ones([3]);
                using var two = Tensor.Full([3], 2);
                var sum = dropped + two;
                inner = scope.MoveToOuter(sum);
                Assert.That(scope.Count, Is.EqualTo(2)); // dropped, two (already disposed but still listed)
            }
            Assert.That(TensorScope.Current, Is.SameAs(outer));
            Assert.That(dropped.IsDisposed, Is.True);
            Assert.That(inner.IsDisposed, Is.False);
            Assert.That(inner.ToArray<float>(), Is.EqualTo(new float[] { 3, 3, 3 }));
            kept = outer.MoveToOuter(inner.Exp());
        }
        Assert.That(TensorScope.Current, Is.Null);
        Assert.That(inner.IsDisposed, Is.True, "moved to the outer scope, disposed with it");
        Assert.That(kept.IsDisposed, Is.False);
        Assert.That(Tensor.LiveCount - count, Is.EqualTo(1));
        kept.Dispose();
        Assert.That(Tensor.LiveCount, Is.EqualTo(count));
        Assert.That(Tensor.LiveBytes, Is.EqualTo(bytes));
    }

    [Test]
    public void ScopeLeavesNoTemporariesBehind()
    {
        var (count, bytes) = Snapshot();
        using (TensorScope.Begin())
        {
            using var a = Tensor.Rand([5, 7]);
            using var at = a.T;
            using var b = at.MatMul(a);
            _ = b.Softmax(0).LogSumExp(1);
            _ = (a * 2 - 1).Max(0);
            _ = a.Sum([0], keepDims: true).Mean();
            a.AddInPlace(at.T, alpha: 0.5);
        }
        Assert.That(Tensor.LiveCount, Is.EqualTo(count));
        Assert.That(Tensor.LiveBytes, Is.EqualTo(bytes));
    }

    [Test]
    public void MoveToOuterRejectsForeignTensors()
    {
        using var loose = Tensor.Ones([1]);
        using var scope = TensorScope.Begin();
        Assert.That(() => scope.MoveToOuter(loose), Throws.InvalidOperationException);
    }

    [Test]
    public void ScopesMustCloseInnermostFirst()
    {
        var outer = TensorScope.Begin();
        var inner = TensorScope.Begin();
        Assert.That(() => outer.Dispose(), Throws.InvalidOperationException);
        inner.Dispose();
        outer.Dispose();
        Assert.That(TensorScope.Current, Is.Null);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static WeakReference Abandon()
    {
        var t = Tensor.Zeros([256], DType.Float64);
        using var v = t.Reshape(16, 16); // a view disposed properly; the base tensor is simply forgotten
        return new WeakReference(t);
    }

    [Test]
    public void FinalizerReleasesForgottenTensors()
    {
        var (count, bytes) = Snapshot();
        var weak = Abandon();
        Assert.That(Tensor.LiveCount - count, Is.EqualTo(1));
        Assert.That(Tensor.LiveBytes - bytes, Is.EqualTo(2048));
        for (int i = 0; i < 5 && weak.IsAlive; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }
        Assert.That(Tensor.LiveCount, Is.EqualTo(count));
        Assert.That(Tensor.LiveBytes, Is.EqualTo(bytes));
    }
}

using NUnit.Framework;

namespace Adjoint.Tests.Core;

/// <summary>The storage pool (Note [Storage pool]): exact live accounting, bounded cache, reuse, opt-out.</summary>
[NonParallelizable] // the pool and the live counters are process-wide
public class StoragePoolTests
{
    private long _limit;

    [SetUp]
    public void Quiesce()
    {
        // Finalizers of tensors other tests dropped would return blocks to the pool mid-test.
        GC.Collect();
        GC.WaitForPendingFinalizers();
        _limit = Tensor.StorageCacheLimit;
    }

    [TearDown]
    public void RestoreLimit() => Tensor.StorageCacheLimit = _limit;

    [Test]
    public void SizeClassesCoverTheRequestAndWasteAtMostAnEighth()
    {
        var rng = new Random(3);
        var sizes = new List<long> { 1, 63, 64, 65, StoragePool.MinPooledBytes - 1, StoragePool.MinPooledBytes, StoragePool.MinPooledBytes + 1, 1 << 20, (1 << 20) + 1, 3L << 30, (1L << 60) - 1, 1L << 60, (1L << 60) + 1, long.MaxValue };
        for (int i = 0; i < 1000; i++) sizes.Add(rng.NextInt64(1, 1L << 34));
        foreach (long b in sizes)
        {
            long c = StoragePool.ClassBytes(b);
            Assert.That(c, Is.GreaterThanOrEqualTo(b), $"class of {b}");
            if (b > 1L << 60) Assert.That(c, Is.EqualTo(b), "no rounding where it could overflow");
            if (b >= StoragePool.MinPooledBytes)
                Assert.That(c - b, Is.LessThanOrEqualTo(b / 8), $"class of {b}");
            Assert.That(StoragePool.ClassBytes(c), Is.EqualTo(c), "a class is its own class");
        }
    }

    [Test]
    public unsafe void FreedStorageIsCachedAndReusedWhileLiveBytesStayExact()
    {
        Tensor.StorageCacheLimit = 64L << 20;
        long live = Tensor.LiveBytes, cached = Tensor.CachedBytes;
        const int n = 70_001; // 280,004 bytes: not a size class of its own
        var a = Tensor.Empty([n]);
        Assert.That(Tensor.LiveBytes - live, Is.EqualTo(4L * n), "live bytes count what was asked for, not the class");
        nint pa = (nint)a.DataPointer;
        a.Dispose();
        Assert.That(Tensor.LiveBytes, Is.EqualTo(live));
        Assert.That(Tensor.CachedBytes - cached, Is.EqualTo(StoragePool.ClassBytes(4L * n)));

        // The same class (a slightly different size) gets the cached block back, and Zeros really zeroes it.
        using (var b = Tensor.Full([n - 3], 7.0))
            Assert.That((nint)b.DataPointer, Is.EqualTo(pa), "the cached block is reused");
        using (var z = Tensor.Zeros([n - 3]))
        {
            Assert.That((nint)z.DataPointer, Is.EqualTo(pa));
            Assert.That(z.ToArray<float>(), Has.All.EqualTo(0f), "reused memory is initialised by the op that asked for it");
            Assert.That(Tensor.CachedBytes, Is.EqualTo(cached));
            Assert.That(Tensor.LiveBytes - live, Is.EqualTo(4L * (n - 3)));
        }
        Assert.That(Tensor.LiveBytes, Is.EqualTo(live));
    }

    [Test]
    public void SmallStoragesAreNotPooled()
    {
        long cached = Tensor.CachedBytes;
        Tensor.Ones([100]).Dispose();
        Assert.That(Tensor.CachedBytes, Is.EqualTo(cached));
    }

    [Test]
    public void TheCacheStaysUnderItsLimitAndCanBeEmptied()
    {
        Tensor.ReleaseCachedMemory();
        Assert.That(Tensor.CachedBytes, Is.Zero);
        Tensor.StorageCacheLimit = 3L << 20; // room for three 1 MiB blocks
        var ts = Enumerable.Range(0, 5).Select(_ => Tensor.Empty([1 << 18])).ToList();
        foreach (var t in ts) t.Dispose();
        Assert.That(Tensor.CachedBytes, Is.EqualTo(3L << 20));

        Tensor.StorageCacheLimit = 1L << 20;
        Assert.That(Tensor.CachedBytes, Is.EqualTo(1L << 20), "lowering the limit frees down to it");
        Tensor.ReleaseCachedMemory();
        Assert.That(Tensor.CachedBytes, Is.Zero);
    }

    [Test]
    public void ALimitOfZeroTurnsPoolingOff()
    {
        Tensor.StorageCacheLimit = 0;
        Assert.That(Tensor.CachedBytes, Is.Zero);
        long live = Tensor.LiveBytes;
        Tensor.Empty([1 << 20]).Dispose();
        Assert.That(Tensor.CachedBytes, Is.Zero);
        Assert.That(Tensor.LiveBytes, Is.EqualTo(live));
        Assert.Throws<ArgumentOutOfRangeException>(() => Tensor.StorageCacheLimit = -1);
    }
}

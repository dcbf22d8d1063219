using NUnit.Framework;

namespace Adjoint.Tests.Reliability;

/// <summary>
/// Independent graphs on several threads give the same bits as one after another; modes are per thread;
/// reading one tensor from many threads is safe. (What is not thread-safe is listed in docs/RELIABILITY.md.)
/// </summary>
[TestFixture]
[NonParallelizable]
public class ThreadingTests
{
    private const int Threads = 4;

    private static (float[] Losses, float[] Grads, float[] Weights) Train(ulong seed, int steps)
    {
        using var mlp = new Mlp(seed, batch: 64);
        var losses = new float[steps];
        for (int i = 0; i < steps; i++) losses[i] = mlp.Step();
        return (losses, mlp.Gradients(), mlp.Weights());
    }

    // A barrier step that gives up after 20 s, so one failing thread cannot hang the others forever.
    private static void Sync(Barrier barrier)
    {
        if (!barrier.SignalAndWait(TimeSpan.FromSeconds(20)))
            throw new TimeoutException("another thread did not reach the barrier (it failed earlier)");
    }

    private static void RunOnThreads(int count, Action<int> body)
    {
        var errors = new Exception?[count];
        using var start = new Barrier(count);
        var threads = Enumerable.Range(0, count).Select(i => new Thread(() =>
        {
            try
            {
                start.SignalAndWait();
                body(i);
            }
            catch (Exception e)
            {
                errors[i] = e;
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        var failures = errors.Where(e => e is not null && e is not TimeoutException).ToList();
        if (failures.Count == 0) failures = errors.Where(e => e is not null).ToList();
        if (failures.Count > 0) throw new AggregateException(failures!);
    }

    [Test]
    public void FourThreadsTrainingIndependentModelsMatchSequentialRunsBitForBit()
    {
        var sequential = Enumerable.Range(0, Threads).Select(i => Train((ulong)(100 + i), 60)).ToArray();
        var parallel = new (float[] Losses, float[] Grads, float[] Weights)[Threads];
        long before = Tensor.LiveCount;
        RunOnThreads(Threads, i => parallel[i] = Train((ulong)(100 + i), 60));
        for (int i = 0; i < Threads; i++)
        {
            Assert.That(parallel[i].Losses, Is.EqualTo(sequential[i].Losses), $"thread {i}: losses");
            Assert.That(parallel[i].Grads, Is.EqualTo(sequential[i].Grads), $"thread {i}: gradients");
            Assert.That(parallel[i].Weights, Is.EqualTo(sequential[i].Weights), $"thread {i}: weights");
        }
        Assert.That(Tensor.LiveCount, Is.EqualTo(before), "every thread's tensors were freed");
    }

    [Test]
    public void LargeGraphsOnFourThreadsMatchSequentialRuns()
    {
        // Big enough that kernels use the native thread pool (and GEMM packs), which the threads then contend for.
        static float[] Run(int seed)
        {
            using var scope = TensorScope.Begin();
            var gen = new Generator((ulong)seed);
            var a = Tensor.Randn([160, 200], generator: gen).SetRequiresGrad();
            var b = Tensor.Randn([200, 180], generator: gen).SetRequiresGrad();
            var loss = (a.MatMul(b).Tanh() * 0.5).Sum();
            loss.Backward();
            return [.. a.Grad!.ToArray<float>(), .. b.Grad!.ToArray<float>(), loss.Item<float>()];
        }
        var sequential = Enumerable.Range(0, Threads).Select(Run).ToArray();
        var parallel = new float[Threads][];
        RunOnThreads(Threads, i => parallel[i] = Run(i));
        for (int i = 0; i < Threads; i++) Assert.That(parallel[i], Is.EqualTo(sequential[i]), $"thread {i}");
    }

    [Test]
    public void GradModeIsPerThread()
    {
        using var turn = new Barrier(2);
        bool otherSawEnabled = false, otherRecorded = false, mineRecorded = true;
        RunOnThreads(2, i =>
        {
            if (i == 0)
            {
                using (Autograd.NoGrad())
                {
                    Sync(turn); // 1: thread 0 is inside NoGrad
                    using var x = Tensor.Ones([3]).SetRequiresGrad();
                    using var y = x * 2;
                    mineRecorded = y.RequiresGrad;
                    Sync(turn); // 2
                }
            }
            else
            {
                Sync(turn); // 1
                otherSawEnabled = Autograd.IsGradEnabled;
                using var x = Tensor.Ones([3]).SetRequiresGrad();
                using var y = x * 2;
                otherRecorded = y.RequiresGrad;
                Sync(turn); // 2
            }
        });
        Assert.That(mineRecorded, Is.False, "NoGrad applies on its own thread");
        Assert.That(otherSawEnabled, Is.True, "another thread's NoGrad does not leak here");
        Assert.That(otherRecorded, Is.True);
    }

    [Test]
    public void ForwardModeLevelsArePerThread()
    {
        using var turn = new Barrier(3);
        var tangents = new float[3][];
        RunOnThreads(3, i =>
        {
            using var scope = TensorScope.Begin();
            var x = Tensor.FromArray(new float[] { 0.1f, 0.5f, -0.7f }, 3);
            if (i == 2)
            {
                Sync(turn); // the other two threads have open levels now
                // The other threads' levels are theirs: here none is open, and ForwardAD says so.
                var e = Assert.Throws<InvalidOperationException>(() => ForwardAD.Unpack(x.Tanh()))!;
                Assert.That(e.Message, Does.Contain("no dual level is open"));
                tangents[i] = [];
                Sync(turn);
                return;
            }
            using (ForwardAD.Level())
            {
                var dual = ForwardAD.MakeDual(x, Tensor.Full([3], i + 1));
                Sync(turn);
                var (_, t) = ForwardAD.Unpack(dual.Tanh());
                tangents[i] = t!.ToArray<float>();
                Sync(turn);
            }
        });
        float[] xs = [0.1f, 0.5f, -0.7f];
        for (int i = 0; i < 2; i++)
            for (int j = 0; j < 3; j++)
            {
                float th = MathF.Tanh(xs[j]);
                Assert.That(tangents[i][j], Is.EqualTo((i + 1) * (1 - th * th)).Within(1e-5f), $"thread {i} element {j}");
            }
        Assert.That(tangents[2], Is.Empty, "a thread without a level sees no level");
    }

    [Test]
    public void ReadingOneTensorFromManyThreadsIsSafe()
    {
        using var shared = Tensor.Randn([128, 96], generator: new Generator(5)).SetRequiresGrad();
        float[] expectedValues = shared.ToArray<float>();
        float expectedSum;
        using (var s = shared.Sum()) expectedSum = s.Item<float>();
        var sums = new float[8];
        var grads = new float[8][];
        RunOnThreads(8, i =>
        {
            for (int r = 0; r < 20; r++)
            {
                using var scope = TensorScope.Begin();
                Assert.That(shared.ToArray<float>(), Is.EqualTo(expectedValues));
                sums[i] = shared.Sum().Item<float>();
                var y = shared.Transpose(0, 1).MatMul(shared).Sum();
                grads[i] = Autograd.Grad(y, shared).ToArray<float>(); // Grad does not write shared.Grad
            }
        });
        for (int i = 0; i < 8; i++)
        {
            Assert.That(sums[i], Is.EqualTo(expectedSum), $"thread {i}");
            Assert.That(grads[i], Is.EqualTo(grads[0]), $"thread {i}");
        }
        Assert.That(shared.Grad, Is.Null);
    }
}

using NUnit.Framework;

namespace Adjoint.Tests.Checkpointing;

/// <summary>Checkpoint.Run composes with every part of the engine.</summary>
[TestFixture]
public class CheckpointRunTests
{
    private Generator _g = null!;
    private Tensor _w = null!, _b = null!;

    [SetUp]
    public void SetUp()
    {
        _g = new Generator(21);
        _w = (Tensor.Randn([5, 5], DType.Float64, _g) * 0.4).Detach().SetRequiresGrad();
        _b = (Tensor.Randn([5], DType.Float64, _g) * 0.1).Detach().SetRequiresGrad();
    }

    [TearDown]
    public void TearDown()
    {
        _w.Dispose();
        _b.Dispose();
    }

    private Tensor Block(Tensor x) => ((x.MatMul(_w) + _b).Tanh().MatMul(_w) + x).Sin();

    private Tensor Input(bool requiresGrad = true)
    {
        var x = Tensor.Randn([3, 5], DType.Float64, _g);
        return requiresGrad ? x.SetRequiresGrad() : x;
    }

    private static void AssertClose(Tensor? a, Tensor? b) =>
        Assert.That(a!.ToArray<double>(), Is.EqualTo(b!.ToArray<double>()).Within(1e-12));

    [Test]
    public void GradientsReachInputsAndClosedOverParameters()
    {
        var x = Input();
        (Block(x) * Block(x)).Sum().Backward();
        var (gx, gw, gb) = (x.Grad!, _w.Grad!, _b.Grad!);
        x.ZeroGrad(); _w.ZeroGrad(); _b.ZeroGrad();
        var y = Checkpoint.Run(Block, x);
        (y * Checkpoint.Run(Block, x)).Sum().Backward();
        AssertClose(x.Grad, gx);
        AssertClose(_w.Grad, gw);
        AssertClose(_b.Grad, gb);
    }

    [Test]
    public void IntermediatesAreNotKeptAndRecomputationIsCounted()
    {
        var x = Input();
        long baseline = MemoryStats.SavedBytes;
        MemoryStats.ResetPeak();
        var y = Checkpoint.Run(Block, x);
        Assert.That(MemoryStats.SavedBytes - baseline, Is.EqualTo(3 * 5 * 8), "only the input is kept");
        y.Sum().Backward();
        Assert.That(MemoryStats.RecomputedSteps, Is.EqualTo(1));
        Assert.That(MemoryStats.SavedBytes, Is.EqualTo(baseline));
    }

    [Test]
    public void DoubleBackwardThroughACheckpoint()
    {
        var x = Input();
        var g1 = Autograd.Grad(Block(x).Pow(2).Sum(), x, createGraph: true);
        var h1 = Autograd.Grad([(g1 * g1).Sum()], [x, _w]);
        var g2 = Autograd.Grad(Checkpoint.Run(Block, x).Pow(2).Sum(), x, createGraph: true);
        AssertClose(g2, g1);
        var h2 = Autograd.Grad([(g2 * g2).Sum()], [x, _w]);
        AssertClose(h2[0], h1[0]);
        AssertClose(h2[1], h1[1]);
    }

    [Test]
    public void RetainGraphBackwardTwice()
    {
        var x = Input();
        var loss = Checkpoint.Run(Block, x).Sum();
        loss.Backward(retainGraph: true);
        var once = _w.Grad!.ToArray<double>();
        loss.Backward();
        Assert.That(_w.Grad!.ToArray<double>(), Is.EqualTo(once.Select(v => 2 * v).ToArray()).Within(1e-12));
        Assert.That(MemoryStats.SavedBytes, Is.GreaterThanOrEqualTo(0));
    }

    [Test]
    public void AutogradGradWithRespectToEachInput()
    {
        var x = Input();
        var z = Input();
        Tensor[] Seg(Tensor[] i) => [Block(i[0]) * i[1], i[1].Exp()];
        var plain = Seg([x, z]);
        var expected = Autograd.Grad([plain[0].Sum() + plain[1].Sum()], [x, z, _b]);
        var outs = Checkpoint.Run(Seg, [x, z]);
        var loss = outs[0].Sum() + outs[1].Sum();
        AssertClose(Autograd.Grad([loss], [z], retainGraph: true)[0], expected[1]);
        AssertClose(Autograd.Grad([loss], [x], retainGraph: true)[0], expected[0]);
        AssertClose(Autograd.Grad([loss], [_b])[0], expected[2]);
    }

    [Test]
    public void InputsThatNeedNoGradient()
    {
        var x = Input(requiresGrad: false);
        var mask = Input(requiresGrad: false);
        Block(x).Mul(mask).Sum().Backward();
        var gw = _w.Grad!;
        _w.ZeroGrad();
        Checkpoint.Run(i => [Block(i[0]) * i[1]], [x, mask])[0].Sum().Backward();
        AssertClose(_w.Grad, gw);
        Assert.That(x.Grad, Is.Null);
    }

    [Test]
    public void NestedCheckpoints()
    {
        var x = Input();
        Block(Block(Block(x))).Sum().Backward();
        var (gx, gw) = (x.Grad!, _w.Grad!);
        x.ZeroGrad(); _w.ZeroGrad(); _b.ZeroGrad();
        MemoryStats.ResetPeak();
        var y = Checkpoint.Run(h => Block(Checkpoint.Run(k => Block(Checkpoint.Run(Block, k)), h)), x);
        y.Sum().Backward();
        AssertClose(x.Grad, gx);
        AssertClose(_w.Grad, gw);
        Assert.That(MemoryStats.RecomputedSteps, Is.GreaterThanOrEqualTo(3));
    }

    [Test]
    public void SequentialInsideACheckpoint()
    {
        var x = Input();
        Func<Tensor, Tensor>[] layers = [Block, Block, Block, Block];
        Block(Block(Block(Block(x)))).Sum().Backward();
        var gw = _w.Grad!;
        _w.ZeroGrad();
        Checkpoint.Run(h => Checkpoint.Sequential(layers, h, CheckpointPolicy.Binomial(2)), x).Sum().Backward();
        AssertClose(_w.Grad, gw);
    }

    [Test]
    public void UnderAForwardModeLevel()
    {
        var x = Input(requiresGrad: false);
        var t = Tensor.Randn([3, 5], DType.Float64, _g);
        Tensor plainTangent, tangent;
        using (ForwardAD.Level())
        {
            plainTangent = ForwardAD.Unpack(Block(ForwardAD.MakeDual(x, t))).Tangent!;
            var y = Checkpoint.Run(Block, ForwardAD.MakeDual(x, t));
            tangent = ForwardAD.Unpack(y).Tangent!;
            y.Sum().Backward();
        }
        AssertClose(tangent, plainTangent);
        var gw = _w.Grad!;
        _w.ZeroGrad();
        Block(x).Sum().Backward();
        AssertClose(gw, _w.Grad);
    }

    [Test]
    public void RandomnessReplaysExactly()
    {
        var x = Input();
        Tensor Noisy(Tensor h) => Block(h) * Tensor.Rand([3, 5], DType.Float64).Gt(0.5) + Tensor.Randn([3, 5], DType.Float64) * h;
        Generator.Default.ManualSeed(3);
        Noisy(x).Pow(2).Sum().Backward();
        var gx = x.Grad!;
        x.ZeroGrad();
        Generator.Default.ManualSeed(3);
        Checkpoint.Run(Noisy, x, new CheckpointOptions { DeterminismCheck = true }).Pow(2).Sum().Backward();
        AssertClose(x.Grad, gx);
    }

    [Test]
    public void DeterminismCheckThrowsOnAMismatch()
    {
        var x = Input();
        var own = new Generator(9); // not listed in Generators, so it is not replayed
        Tensor Noisy(Tensor h) => (h * Tensor.Rand([3, 5], DType.Float64, own)).Exp();
        var y = Checkpoint.Run(Noisy, x, new CheckpointOptions { DeterminismCheck = true });
        var ex = Assert.Throws<CheckpointMismatchException>(() => y.Sum().Backward());
        Assert.That(ex!.Message, Does.Contain("differs from the forward pass"));

        var replayed = Checkpoint.Run(Noisy, x, new CheckpointOptions { DeterminismCheck = true, Generators = [own] });
        Assert.DoesNotThrow(() => replayed.Sum().Backward());
    }

    [Test]
    public void InPlaceChangeOfAnInputIsCaught()
    {
        var x = Input(requiresGrad: false);
        var y = Checkpoint.Run(Block, x);
        x.AddInPlace(Tensor.OnesLike(x), 1.0);
        var ex = Assert.Throws<InvalidOperationException>(() => y.Sum().Backward());
        Assert.That(ex!.Message, Does.Contain("in-place"));
    }

    [Test]
    public void KeepRuleKeepsSelectedTensors()
    {
        var x = Input();
        long baseline = MemoryStats.SavedBytes;
        var y = Checkpoint.Run(Block, x, new CheckpointOptions { Keep = info => info.Producer == "Tanh" });
        // The input, and the Tanh output twice (Tanh saves it, and the second MatMul saves it as its input).
        Assert.That(MemoryStats.SavedBytes - baseline, Is.EqualTo(3 * 15 * 8));
        y.Sum().Backward();
        Assert.That(MemoryStats.SavedBytes, Is.EqualTo(baseline));
    }
}

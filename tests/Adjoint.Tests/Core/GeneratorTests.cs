using NUnit.Framework;

namespace Adjoint.Tests.Core;

/// <summary>Philox4x32-10 known answers, determinism and state replay.</summary>
public class GeneratorTests(string backend) : CoreTest(backend)
{
    // Known-answer vectors of Random123 (kat_vectors, philox4x32 with 10 rounds).
    [TestCase(0u, 0u, 0u, 0u, 0u, 0u, 0x6627e8d5u, 0xe169c58du, 0xbc57ac4cu, 0x9b00dbd8u)]
    [TestCase(0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu, 0x408f276du, 0x41c83b0eu, 0xa20bc7c6u, 0x6d5451fdu)]
    [TestCase(0x243f6a88u, 0x85a308d3u, 0x13198a2eu, 0x03707344u, 0xa4093822u, 0x299f31d0u, 0xd16cfe09u, 0x94fdccebu, 0x5001e420u, 0x24126ea1u)]
    public void PhiloxKnownAnswers(uint c0, uint c1, uint c2, uint c3, uint k0, uint k1, uint e0, uint e1, uint e2, uint e3)
    {
        var (x0, x1, x2, x3) = Generator.Philox(c0, c1, c2, c3, k0, k1);
        Assert.That(new[] { x0, x1, x2, x3 }, Is.EqualTo(new[] { e0, e1, e2, e3 }));
    }

    [Test]
    public void SameSeedSameNumbers([Values] DType dtype)
    {
        using var a = Tensor.Rand([37], dtype, new Generator(42));
        using var b = Tensor.Rand([37], dtype, new Generator(42));
        using var c = Tensor.Rand([37], dtype, new Generator(43));
        Assert.That(Values(a), Is.EqualTo(Values(b)));
        Assert.That(Values(a), Is.Not.EqualTo(Values(c)));
    }

    [Test]
    public void StateReplaysDraws()
    {
        var g = new Generator(7);
        using (Tensor.Randn([5], DType.Float64, g)) { }
        var state = g.GetState();
        Assert.That(state, Is.EqualTo(new GeneratorState(7, 3)));
        using var first = Tensor.Randn([11], DType.Float64, g);
        using var second = Tensor.Rand([3, 3], DType.Float32, g);
        g.SetState(state);
        using var firstAgain = Tensor.Randn([11], DType.Float64, g);
        using var secondAgain = Tensor.Rand([3, 3], DType.Float32, g);
        Assert.That(firstAgain.ToArray<double>(), Is.EqualTo(first.ToArray<double>()));
        Assert.That(secondAgain.ToArray<float>(), Is.EqualTo(second.ToArray<float>()));
        g.ManualSeed(7);
        Assert.That(g.Offset, Is.Zero);
        Assert.That(g.Seed, Is.EqualTo(7));
    }

    [Test]
    public void DrawsDoNotDependOnTheBackend()
    {
        // Random numbers are produced in managed code; backend choice only affects kernels.
        using var a = Tensor.Rand([8], DType.Float64, new Generator(5));
        using (Adjoint.Backends.Backend.Use(Adjoint.Backends.Backend.Managed))
        {
            using var b = Tensor.Rand([8], DType.Float64, new Generator(5));
            Assert.That(b.ToArray<double>(), Is.EqualTo(a.ToArray<double>()));
        }
    }

    [Test]
    public void FloatAndDoubleUniformsDifferOnlyInPrecisionAndLayout()
    {
        // float32 takes one 32-bit word per value, float64 two: a float64 tensor of n uses as many blocks as float32 of 2n.
        var g = new Generator(1);
        using (Tensor.Rand([8], DType.Float32, g)) { }
        Assert.That(g.Offset, Is.EqualTo(2));
        using (Tensor.Rand([8], DType.Float64, g)) { }
        Assert.That(g.Offset, Is.EqualTo(6));
    }

    [Test]
    public void DefaultGeneratorIsThreadSafe()
    {
        var g = new Generator(99);
        var results = new double[8][];
        Parallel.For(0, 8, i =>
        {
            using var t = Tensor.Rand([1000], DType.Float64, g);
            results[i] = t.ToArray<double>();
        });
        Assert.That(g.Offset, Is.EqualTo(8 * 500));
        var all = results.SelectMany(r => r).ToHashSet();
        Assert.That(all, Has.Count.EqualTo(8000), "disjoint blocks: no value drawn twice");
    }
}

using NUnit.Framework;

namespace Adjoint.Tests.Core;

/// <summary>Creation functions, conversions and read-back.</summary>
public class CreationTests(string backend) : CoreTest(backend)
{
    [Test]
    public void FromArrayShapesAndDTypes()
    {
        using var f = Tensor.FromArray(new float[] { 1, 2, 3, 4, 5, 6 }, 2, 3);
        Assert.That(f.DType, Is.EqualTo(DType.Float32));
        Assert.That(f.Shape.ToArray(), Is.EqualTo(new[] { 2, 3 }));
        Assert.That(f.Strides.ToArray(), Is.EqualTo(new long[] { 3, 1 }));
        Assert.That(f.IsContiguous, Is.True);
        using var d = Tensor.FromArray([1.0, 2]);
        Assert.That(d.DType, Is.EqualTo(DType.Float64));
        Assert.That(d.Shape.ToArray(), Is.EqualTo(new[] { 2 }));
        using var empty = Tensor.FromArray(Array.Empty<double>(), 0, 4);
        Assert.That(empty.NumElements, Is.Zero);
        Assert.That(empty.ToArray<double>(), Is.Empty);
    }

    [Test]
    public void FilledTensors([Values] DType dtype)
    {
        using var z = Tensor.Zeros([2, 2], dtype);
        using var o = Tensor.Ones([3], dtype);
        using var f = Tensor.Full([2], 2.5, dtype);
        using var s = Tensor.Scalar(-4, dtype);
        Assert.That(Values(z), Is.EqualTo(new double[] { 0, 0, 0, 0 }));
        Assert.That(Values(o), Is.EqualTo(new double[] { 1, 1, 1 }));
        Assert.That(Values(f), Is.EqualTo(new double[] { 2.5, 2.5 }));
        Assert.That(s.Rank, Is.Zero);
        Assert.That(s.NumElements, Is.EqualTo(1));
        Assert.That(Values(s), Is.EqualTo(new double[] { -4 }));
        using var zl = Tensor.ZerosLike(f);
        using var ol = Tensor.OnesLike(f);
        using var el = Tensor.EmptyLike(f);
        Assert.That(zl.DType, Is.EqualTo(dtype));
        Assert.That(Values(ol), Is.EqualTo(new double[] { 1, 1 }));
        Assert.That(el.Shape.ToArray(), Is.EqualTo(new[] { 2 }));
    }

    [Test]
    public void RangesAndEye()
    {
        using (var a = Tensor.Arange(0, 5)) Assert.That(a.ToArray<float>(), Is.EqualTo(new float[] { 0, 1, 2, 3, 4 }));
        using (var a = Tensor.Arange(1, 2, 0.25, DType.Float64)) Assert.That(a.ToArray<double>(), Is.EqualTo(new[] { 1, 1.25, 1.5, 1.75 }));
        using (var a = Tensor.Arange(3, 0, -1, DType.Float64)) Assert.That(a.ToArray<double>(), Is.EqualTo(new double[] { 3, 2, 1 }));
        using (var a = Tensor.Arange(2, 2)) Assert.That(a.NumElements, Is.Zero);
        using (var l = Tensor.Linspace(0, 1, 5, DType.Float64)) Assert.That(l.ToArray<double>(), Is.EqualTo(new[] { 0, 0.25, 0.5, 0.75, 1 }));
        using (var l = Tensor.Linspace(-1, 1, 1)) Assert.That(l.ToArray<float>(), Is.EqualTo(new float[] { -1 }));
        using (var l = Tensor.Linspace(0.1, 0.7, 7, DType.Float64)) Assert.That(l.ToArray<double>()[^1], Is.EqualTo(0.7));
        using (var e = Tensor.Eye(3, dtype: DType.Float64)) Assert.That(e.ToArray<double>(), Is.EqualTo(new double[] { 1, 0, 0, 0, 1, 0, 0, 0, 1 }));
        using (var e = Tensor.Eye(2, 3)) Assert.That(e.ToArray<float>(), Is.EqualTo(new float[] { 1, 0, 0, 0, 1, 0 }));
    }

    [Test]
    public void ConversionsAndCopies()
    {
        using var d = Tensor.FromArray([0.1, 1e300, -2]);
        using var f = d.To(DType.Float32);
        Assert.That(f.ToArray<float>(), Is.EqualTo(new[] { 0.1f, float.PositiveInfinity, -2f }));
        using var back = f.To(DType.Float64);
        Assert.That(back.ToArray<double>()[0], Is.EqualTo((double)0.1f));
        using var same = d.To(DType.Float64);
        Assert.That(same.SharesStorageWith(d), Is.False, "To always copies");
        using var c = d.Clone();
        c.FillInPlace(0);
        Assert.That(d.ToArray<double>()[2], Is.EqualTo(-2));
        using var s = Tensor.Scalar(7.5, DType.Float64);
        Assert.That(s.Item<double>(), Is.EqualTo(7.5));
        using var one = Tensor.Ones([1, 1, 1]);
        Assert.That(one.Item<float>(), Is.EqualTo(1f));
    }

    [Test]
    public void RandomTensorsHaveTheRightMoments([Values] DType dtype)
    {
        var g = new Generator(123);
        using var u = Tensor.Rand([100_000], dtype, g);
        using var n = Tensor.Randn([100_000], dtype, g);
        var uv = Values(u);
        var nv = Values(n);
        Assert.That(uv.Min(), Is.GreaterThanOrEqualTo(0));
        Assert.That(uv.Max(), Is.LessThan(1));
        Assert.That(uv.Average(), Is.EqualTo(0.5).Within(0.01));
        double mean = nv.Average();
        double variance = nv.Select(v => (v - mean) * (v - mean)).Average();
        Assert.That(mean, Is.EqualTo(0).Within(0.02));
        Assert.That(variance, Is.EqualTo(1).Within(0.03));
    }
}

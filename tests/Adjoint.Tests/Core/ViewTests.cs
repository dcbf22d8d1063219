using NUnit.Framework;

namespace Adjoint.Tests.Core;

/// <summary>Views share storage and the version counter; geometry of each view op.</summary>
public class ViewTests(string backend) : CoreTest(backend)
{
    private static Tensor Grid() => Tensor.Arange(0, 12, 1, DType.Float64).Reshape(3, 4);

    [Test]
    public void ReshapeOfContiguousIsAViewThatSharesWrites()
    {
        using var x = Tensor.Arange(0, 12, 1, DType.Float64);
        using var r = x.Reshape(3, -1);
        Assert.That(r.Shape.ToArray(), Is.EqualTo(new[] { 3, 4 }));
        Assert.That(r.SharesStorageWith(x), Is.True);
        using var row = r.Select(0, 1);
        row.FillInPlace(-1);
        Assert.That(x.ToArray<double>()[4..8], Is.EqualTo(new double[] { -1, -1, -1, -1 }));
    }

    [Test]
    public void ReshapeOfTransposeCopies()
    {
        using var g = Grid();
        using var t = g.T;
        Assert.That(t.IsContiguous, Is.False);
        using var flat = t.Reshape(-1);
        Assert.That(flat.SharesStorageWith(g), Is.False);
        Assert.That(flat.ToArray<double>(), Is.EqualTo(new double[] { 0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11 }));
        Assert.Throws<TensorShapeException>(() => t.View(12).Dispose());
        using var split = t.View(2, 2, 3); // splitting one dim of a transposed view needs no copy
        Assert.That(split.SharesStorageWith(g), Is.True);
    }

    [Test]
    public void TransposePermuteAndT()
    {
        using var x = Tensor.Arange(0, 24, 1, DType.Float64).Reshape(2, 3, 4);
        using var p = x.Permute(2, 0, 1);
        Assert.That(p.Shape.ToArray(), Is.EqualTo(new[] { 4, 2, 3 }));
        Assert.That(p.Strides.ToArray(), Is.EqualTo(new long[] { 1, 12, 4 }));
        using var t = x.Transpose(0, -1);
        Assert.That(t.Shape.ToArray(), Is.EqualTo(new[] { 4, 3, 2 }));
        var v = t.ToArray<double>();
        Assert.That(v[0..4], Is.EqualTo(new double[] { 0, 12, 4, 16 }));
        Assert.That(() => x.T, Throws.InvalidOperationException.With.Message.Contains("[2,3,4]"));
    }

    [Test]
    public void NarrowSelectOffsets()
    {
        using var g = Grid();
        using var n = g.Narrow(1, 1, 2);
        Assert.That(n.Shape.ToArray(), Is.EqualTo(new[] { 3, 2 }));
        Assert.That(n.Offset, Is.EqualTo(1));
        Assert.That(n.IsContiguous, Is.False);
        Assert.That(n.ToArray<double>(), Is.EqualTo(new double[] { 1, 2, 5, 6, 9, 10 }));
        using var s = g.Select(1, -1);
        Assert.That(s.Shape.ToArray(), Is.EqualTo(new[] { 3 }));
        Assert.That(s.ToArray<double>(), Is.EqualTo(new double[] { 3, 7, 11 }));
        using var e = g.Narrow(0, 3, 0);
        Assert.That(e.NumElements, Is.Zero);
        using var el = g.Select(0, 2).Select(0, 3);
        Assert.That(el.Rank, Is.Zero);
        Assert.That(el.Item<double>(), Is.EqualTo(11));
    }

    [Test]
    public void ExpandUsesZeroStrides()
    {
        using var v = Tensor.FromArray([1.0, 2, 3], 3, 1);
        using var e = v.Expand(2, -1, 4);
        Assert.That(e.Shape.ToArray(), Is.EqualTo(new[] { 2, 3, 4 }));
        Assert.That(e.Strides.ToArray(), Is.EqualTo(new long[] { 0, 1, 0 }));
        Assert.That(e.SharesStorageWith(v), Is.True);
        Assert.That(e.ToArray<double>().Take(8), Is.EqualTo(new double[] { 1, 1, 1, 1, 2, 2, 2, 2 }));
        using var b = v.BroadcastTo([3, 3]);
        Assert.That(b.Strides.ToArray(), Is.EqualTo(new long[] { 1, 0 }));
        Assert.That(() => b.FillInPlace(0), Throws.InvalidOperationException.With.Message.Contains("broadcast"));
    }

    [Test]
    public void SqueezeUnsqueezeFlatten()
    {
        using var x = Tensor.Zeros([2, 1, 3]);
        using (var s = x.Squeeze(1)) Assert.That(s.Shape.ToArray(), Is.EqualTo(new[] { 2, 3 }));
        using (var s = x.Squeeze(0)) Assert.That(s.Shape.ToArray(), Is.EqualTo(new[] { 2, 1, 3 }));
        using (var s = x.Squeeze()) Assert.That(s.Shape.ToArray(), Is.EqualTo(new[] { 2, 3 }));
        using (var u = x.Unsqueeze(-1)) Assert.That(u.Shape.ToArray(), Is.EqualTo(new[] { 2, 1, 3, 1 }));
        using (var u = x.Unsqueeze(0))
        {
            Assert.That(u.Shape.ToArray(), Is.EqualTo(new[] { 1, 2, 1, 3 }));
            Assert.That(u.IsContiguous, Is.True);
        }
        using (var f = x.Flatten()) Assert.That(f.Shape.ToArray(), Is.EqualTo(new[] { 6 }));
        using var scalar = Tensor.Scalar(1);
        using (var f = scalar.Flatten()) Assert.That(f.Shape.ToArray(), Is.EqualTo(new[] { 1 }));
    }

    [Test]
    public void ContiguousViewsOrCopies()
    {
        using var g = Grid();
        using (var c = g.Contiguous())
        {
            Assert.That(ReferenceEquals(c, g), Is.False);
            Assert.That(c.SharesStorageWith(g), Is.True);
        }
        using var t = g.T;
        using (var c = t.Contiguous())
        {
            Assert.That(c.SharesStorageWith(g), Is.False);
            Assert.That(c.IsContiguous, Is.True);
            Assert.That(c.ToArray<double>()[..3], Is.EqualTo(new double[] { 0, 4, 8 }));
        }
    }

    [Test]
    public void VersionCounterIsSharedAndBumpedByEveryInPlaceWrite()
    {
        using var x = Tensor.Zeros([2, 3], DType.Float64);
        using var view = x.Narrow(1, 0, 2);
        int v0 = x.Version;
        x.FillInPlace(1);
        Assert.That(view.Version, Is.EqualTo(v0 + 1));
        view.AddInPlace(x.Narrow(1, 1, 2), alpha: 2);
        Assert.That(x.Version, Is.EqualTo(v0 + 2));
        view.MulInPlace(3);
        using var two = Tensor.Full([2], 2, DType.Float64);
        view.MulInPlace(two);
        x.ZeroInPlace();
        using var src = Tensor.Ones([3], DType.Float32);
        x.CopyFrom(src); // broadcast and cast
        Assert.That(x.Version, Is.EqualTo(v0 + 6));
        Assert.That(x.ToArray<double>(), Is.EqualTo(new double[] { 1, 1, 1, 1, 1, 1 }));
        using var y = x + 1; // out-of-place ops leave the version alone
        Assert.That(x.Version, Is.EqualTo(v0 + 6));
    }

    [Test]
    public void InPlaceArithmetic()
    {
        using var x = Tensor.FromArray([1.0, 2, 3, 4], 2, 2);
        using var row = Tensor.FromArray([10.0, 20]);
        x.AddInPlace(row);
        Assert.That(x.ToArray<double>(), Is.EqualTo(new double[] { 11, 22, 13, 24 }));
        x.AddInPlace(row, alpha: -0.5);
        Assert.That(x.ToArray<double>(), Is.EqualTo(new double[] { 6, 12, 8, 14 }));
        x.MulInPlace(0.5);
        Assert.That(x.ToArray<double>(), Is.EqualTo(new double[] { 3, 6, 4, 7 }));
        // Source aliasing the destination (its transpose) reads the values from before the write.
        using var t = x.T;
        x.AddInPlace(t);
        Assert.That(x.ToArray<double>(), Is.EqualTo(new double[] { 6, 10, 10, 14 }));
        using var col = x.Select(1, 0);
        col.CopyFrom(Tensor.Scalar(-1, DType.Float64));
        Assert.That(x.ToArray<double>(), Is.EqualTo(new double[] { -1, 10, -1, 14 }));
    }

    [Test]
    public void NonContiguousReadBack([Values] DType dtype)
    {
        using var g0 = Grid();
        using var g = g0.To(dtype);
        using var v = g.T.Narrow(0, 1, 2);
        double[] expected = [1, 5, 9, 2, 6, 10];
        Assert.That(Values(v), Is.EqualTo(expected));
        Assert.That(v.Size(-1), Is.EqualTo(3));
        Assert.That(v.NumElements, Is.EqualTo(6));
    }
}

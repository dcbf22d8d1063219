using NUnit.Framework;

namespace Adjoint.Tests.Core;

/// <summary>ToString: PyTorch-style values, elision, shape and dtype.</summary>
public class FormatTests(string backend) : CoreTest(backend)
{
    [Test]
    public void Matrix()
    {
        using var x = Tensor.FromArray([1.0f, 2.5f, -3, 4], 2, 2);
        Assert.That(x.ToString(), Is.EqualTo(
            "tensor([[ 1.0000,  2.5000],\n" +
            "        [-3.0000,  4.0000]], shape=[2,2], dtype=Float32)"));
    }

    [Test]
    public void IntegralScalarAndEmpty()
    {
        using var v = Tensor.Arange(0, 3, 1, DType.Float64);
        Assert.That(v.ToString(), Is.EqualTo("tensor([0., 1., 2.], shape=[3], dtype=Float64)"));
        using var s = Tensor.Scalar(0.5);
        Assert.That(s.ToString(), Is.EqualTo("tensor(0.5000, shape=[], dtype=Float32)"));
        using var e = Tensor.Zeros([0, 3]);
        Assert.That(e.ToString(), Is.EqualTo("tensor([], shape=[0,3], dtype=Float32)"));
        using var special = Tensor.FromArray([double.NaN, double.NegativeInfinity, 1]);
        Assert.That(special.ToString(), Is.EqualTo("tensor([ nan, -inf,   1.], shape=[3], dtype=Float64)"));
    }

    [Test]
    public void ThreeDimensionsSeparateBlocksWithABlankLine()
    {
        using var x = Tensor.Arange(0, 8).Reshape(2, 2, 2);
        Assert.That(x.ToString(), Is.EqualTo(
            "tensor([[[0., 1.],\n" +
            "         [2., 3.]],\n\n" +
            "        [[4., 5.],\n" +
            "         [6., 7.]]], shape=[2,2,2], dtype=Float32)"));
    }

    [Test]
    public void LargeTensorsAreElided()
    {
        using var x = Tensor.Arange(0, 2000).Reshape(2, 1000);
        string s = x.ToString();
        Assert.That(s, Is.EqualTo(
            "tensor([[   0.,    1.,    2., ...,  997.,  998.,  999.],\n" +
            "        [1000., 1001., 1002., ..., 1997., 1998., 1999.]], shape=[2,1000], dtype=Float32)"));
    }

    [Test]
    public void ScientificForExtremeMagnitudes()
    {
        using var x = Tensor.FromArray([1e-6, 2.5e9]);
        Assert.That(x.ToString(), Does.Contain("1.0000e-06").And.Contain("2.5000e+09"));
    }

    [Test]
    public void NonContiguousViewsPrintTheirLogicalOrder()
    {
        using var x = Tensor.Arange(0, 4).Reshape(2, 2);
        using var t = x.T;
        Assert.That(t.ToString(), Does.StartWith("tensor([[0., 2.],\n        [1., 3.]]"));
    }
}

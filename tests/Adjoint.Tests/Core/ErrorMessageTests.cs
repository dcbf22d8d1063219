using NUnit.Framework;

namespace Adjoint.Tests.Core;

/// <summary>Each user error throws the documented exception type with a message naming the op and the shapes.</summary>
public class ErrorMessageTests(string backend) : CoreTest(backend)
{
    [Test]
    public void MatMulInnerDimensions()
    {
        using var a = Tensor.Zeros([3, 4]);
        using var b = Tensor.Zeros([5, 2]);
        var e = Assert.Throws<TensorShapeException>(() => a.MatMul(b));
        Assert.That(e!.Message, Does.Contain("MatMul: inner dimensions differ: [3,4] x [5,2]"));
    }

    [Test]
    public void MatMulScalarAndBatch()
    {
        using var s = Tensor.Scalar(1);
        using var v = Tensor.Zeros([3]);
        Assert.That(() => s.MatMul(v), Throws.InstanceOf<TensorShapeException>().With.Message.Contains("MatMul").And.Message.Contains("[] x [3]"));
        using var a = Tensor.Zeros([2, 3, 4]);
        using var b = Tensor.Zeros([3, 4, 5]);
        Assert.That(() => a.MatMul(b), Throws.InstanceOf<TensorShapeException>().With.Message.Contains("MatMul").And.Message.Contains("[2]").And.Message.Contains("[3]"));
    }

    [Test]
    public void BroadcastFailureNamesOpAndShapes()
    {
        using var a = Tensor.Zeros([2, 3]);
        using var b = Tensor.Zeros([4]);
        Assert.That(() => a + b, Throws.InstanceOf<TensorShapeException>().With.Message.Contains("Add: shapes [2,3] and [4] cannot be broadcast"));
        Assert.That(() => a.Maximum(b), Throws.InstanceOf<ArgumentException>().With.Message.Contains("Maximum: shapes [2,3] and [4]"));
        Assert.That(() => a.Div(b), Throws.InstanceOf<ArgumentException>().With.Message.Contains("Div:"));
    }

    [Test]
    public void DTypeMismatch()
    {
        using var a = Tensor.Zeros([2], DType.Float32);
        using var b = Tensor.Zeros([2], DType.Float64);
        Assert.That(() => a * b, Throws.InstanceOf<ArgumentException>().With.Message.Contains("Mul").And.Message.Contains("Float32").And.Message.Contains("Float64"));
        Assert.That(() => a.MatMul(b), Throws.InstanceOf<ArgumentException>().With.Message.Contains("MatMul").And.Message.Contains("Float64"));
        Assert.That(() => a.AddInPlace(b), Throws.InstanceOf<ArgumentException>().With.Message.Contains("AddInPlace").And.Message.Contains("Float64"));
    }

    [Test]
    public void AxisOutOfRange()
    {
        using var x = Tensor.Zeros([2, 3]);
        Assert.That(() => x.Sum(3), Throws.InstanceOf<ArgumentOutOfRangeException>().With.Message.Contains("Sum: axis 3 is out of range for a tensor of rank 2"));
        Assert.That(() => x.Max(-3), Throws.InstanceOf<ArgumentOutOfRangeException>().With.Message.Contains("Max: axis -3"));
        Assert.That(() => x.Softmax(2), Throws.InstanceOf<ArgumentOutOfRangeException>().With.Message.Contains("Softmax: axis 2"));
        Assert.That(() => x.Transpose(0, 2), Throws.InstanceOf<ArgumentOutOfRangeException>().With.Message.Contains("Transpose"));
        Assert.That(() => x.Size(2), Throws.InstanceOf<ArgumentOutOfRangeException>().With.Message.Contains("Size"));
        Assert.That(() => x.Sum([0, -2]), Throws.InstanceOf<ArgumentException>().With.Message.Contains("Sum: axis -2 appears more than once"));
        Assert.That(x.Size(-1), Is.EqualTo(3));
    }

    [Test]
    public void BadSizes()
    {
        Assert.That(() => Tensor.Zeros([2, -1]), Throws.InstanceOf<TensorShapeException>().With.Message.Contains("Zeros: negative dimension -1 in shape [2,-1]"));
        Assert.That(() => Tensor.FromArray(new float[5], 2, 3), Throws.InstanceOf<TensorShapeException>().With.Message.Contains("5").And.Message.Contains("[2,3]"));
        Assert.That(() => Tensor.Arange(0, 1, 0), Throws.InstanceOf<ArgumentException>().With.Message.Contains("Arange"));
        Assert.That(() => Tensor.Arange(0, 1, -1), Throws.InstanceOf<ArgumentException>().With.Message.Contains("Arange"));
        Assert.That(() => Tensor.Linspace(0, 1, -1), Throws.InstanceOf<ArgumentOutOfRangeException>());
        Assert.That(() => Tensor.Eye(-1), Throws.InstanceOf<ArgumentOutOfRangeException>());
    }

    [Test]
    public void ViewErrors()
    {
        using var x = Tensor.Zeros([2, 3]);
        Assert.That(() => x.Reshape(4, -1), Throws.InstanceOf<TensorShapeException>().With.Message.Contains("Reshape").And.Message.Contains("[2,3]").And.Message.Contains("[4,-1]"));
        Assert.That(() => x.Reshape(-1, -1), Throws.InstanceOf<TensorShapeException>().With.Message.Contains("only one dimension can be -1"));
        Assert.That(() => x.Reshape(7), Throws.InstanceOf<TensorShapeException>().With.Message.Contains("[2,3] (6 elements) into [7]"));
        Assert.That(() => x.Expand(4, 3), Throws.InstanceOf<TensorShapeException>().With.Message.Contains("Expand: cannot expand shape [2,3] to [4,3]"));
        Assert.That(() => x.BroadcastTo([3]), Throws.InstanceOf<TensorShapeException>().With.Message.Contains("BroadcastTo"));
        Assert.That(() => x.Permute(0), Throws.InstanceOf<ArgumentException>().With.Message.Contains("Permute"));
        Assert.That(() => x.Permute(0, 0), Throws.InstanceOf<ArgumentException>().With.Message.Contains("Permute: dim 0 repeats"));
        Assert.That(() => x.Narrow(1, 2, 2), Throws.InstanceOf<ArgumentOutOfRangeException>().With.Message.Contains("Narrow").And.Message.Contains("[2,3]"));
        Assert.That(() => x.Select(0, 2), Throws.InstanceOf<ArgumentOutOfRangeException>().With.Message.Contains("Select: index 2").And.Message.Contains("[2,3]"));
    }

    [Test]
    public void InPlaceShapeErrors()
    {
        using var x = Tensor.Zeros([2, 3]);
        using var y = Tensor.Zeros([2, 1]);
        using var z = Tensor.Zeros([4, 3]);
        Assert.That(() => y.AddInPlace(x), Throws.InstanceOf<TensorShapeException>().With.Message.Contains("AddInPlace").And.Message.Contains("[2,3]").And.Message.Contains("[2,1]"));
        Assert.That(() => x.CopyFrom(z), Throws.InstanceOf<TensorShapeException>().With.Message.Contains("CopyFrom"));
        Assert.That(() => x.MulInPlace(z), Throws.InstanceOf<TensorShapeException>().With.Message.Contains("MulInPlace"));
    }

    [Test]
    public void ReadBackErrors()
    {
        using var x = Tensor.Zeros([2, 3]);
        Assert.That(() => x.ToArray<double>(), Throws.InvalidOperationException.With.Message.Contains("Float32").And.Message.Contains("Double"));
        Assert.That(() => x.Item<float>(), Throws.InvalidOperationException.With.Message.Contains("Item").And.Message.Contains("[2,3]"));
        using var empty = Tensor.Zeros([0, 2]);
        Assert.That(() => empty.Max(0), Throws.InstanceOf<TensorShapeException>().With.Message.Contains("Max").And.Message.Contains("[0,2]"));
    }
}

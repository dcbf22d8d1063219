namespace Adjoint;

/// <summary>
/// Thrown when tensor shapes do not fit an operation (broadcasting, matrix products, reshapes). The message
/// names the operation and the shapes, e.g. <c>MatMul: inner dimensions differ: [3,4] x [5,2]</c>.
/// </summary>
public class TensorShapeException : ArgumentException
{
    /// <summary>Creates the exception with a default message.</summary>
    public TensorShapeException() : base("Tensor shapes do not fit the operation.") { }

    /// <summary>Creates the exception with <paramref name="message"/>.</summary>
    public TensorShapeException(string message) : base(message) { }

    /// <summary>Creates the exception with <paramref name="message"/> and the exception that caused it.</summary>
    public TensorShapeException(string message, Exception innerException) : base(message, innerException) { }
}

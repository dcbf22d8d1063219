namespace Adjoint;

/// <summary>Element type of a <see cref="Tensor"/>. Values equal the native <c>adj_dtype</c>.</summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1720:Identifier contains type name",
    Justification = "The element types are named after the IEEE formats they hold, as in every tensor library.")]
public enum DType
{
    /// <summary>IEEE 754 binary32.</summary>
    Float32 = 0,

    /// <summary>IEEE 754 binary64. Gradient checks run in this type.</summary>
    Float64 = 1,
}

/// <summary>Facts about each <see cref="DType"/>.</summary>
public static class DTypeExtensions
{
    /// <summary>Bytes per element: 4 for <see cref="DType.Float32"/>, 8 for <see cref="DType.Float64"/>.</summary>
    public static int ElementSize(this DType dtype) => dtype switch
    {
        DType.Float32 => 4,
        DType.Float64 => 8,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "Unknown dtype."),
    };
}

using Adjoint.Interop;

namespace Adjoint;

public sealed partial class Tensor
{
    /// <summary>Elementwise a + b with broadcasting (<see cref="Add(Tensor)"/>).</summary>
    public static Tensor operator +(Tensor a, Tensor b) => ApplyBinary(BinaryOp.Add, a, b);

    /// <summary>Elementwise a + s.</summary>
    public static Tensor operator +(Tensor a, double s) => ApplyBinary(BinaryOp.Add, a, s);

    /// <summary>Elementwise s + b.</summary>
    public static Tensor operator +(double s, Tensor b) => ApplyBinary(BinaryOp.Add, s, b);

    /// <summary>Elementwise a − b with broadcasting (<see cref="Sub(Tensor)"/>).</summary>
    public static Tensor operator -(Tensor a, Tensor b) => ApplyBinary(BinaryOp.Sub, a, b);

    /// <summary>Elementwise a − s.</summary>
    public static Tensor operator -(Tensor a, double s) => ApplyBinary(BinaryOp.Sub, a, s);

    /// <summary>Elementwise s − b.</summary>
    public static Tensor operator -(double s, Tensor b) => ApplyBinary(BinaryOp.Sub, s, b);

    /// <summary>Elementwise a · b with broadcasting (<see cref="Mul(Tensor)"/>; not the matrix product, see <see cref="MatMul"/>).</summary>
    public static Tensor operator *(Tensor a, Tensor b) => ApplyBinary(BinaryOp.Mul, a, b);

    /// <summary>Elementwise a · s.</summary>
    public static Tensor operator *(Tensor a, double s) => ApplyBinary(BinaryOp.Mul, a, s);

    /// <summary>Elementwise s · b.</summary>
    public static Tensor operator *(double s, Tensor b) => ApplyBinary(BinaryOp.Mul, s, b);

    /// <summary>Elementwise a / b with broadcasting (<see cref="Div(Tensor)"/>).</summary>
    public static Tensor operator /(Tensor a, Tensor b) => ApplyBinary(BinaryOp.Div, a, b);

    /// <summary>Elementwise a / s.</summary>
    public static Tensor operator /(Tensor a, double s) => ApplyBinary(BinaryOp.Div, a, s);

    /// <summary>Elementwise s / b.</summary>
    public static Tensor operator /(double s, Tensor b) => ApplyBinary(BinaryOp.Div, s, b);

    /// <summary>Elementwise −x (<see cref="Neg"/>).</summary>
    public static Tensor operator -(Tensor x)
    {
        CheckOperand(x, nameof(x));
        return x.Neg();
    }
}

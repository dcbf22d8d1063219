namespace Adjoint.Interop;

// Mirrors of the enums in native/include/adjoint/adjoint.h. Values are part of the ABI: never renumber.

/// <summary>Result of every native kernel call (<c>adj_status</c>).</summary>
public enum AdjStatus
{
    Ok = 0,
    InvalidArgument = 1,
    NullPointer = 2,
    Unsupported = 3,
    OutOfMemory = 4,
    Internal = 5,
}

/// <summary>Element type understood by the kernels (<c>adj_dtype</c>).</summary>
public enum AdjDType
{
    F32 = 0,
    F64 = 1,
}

/// <summary>
/// Instruction-set tier of the native kernel table (<c>adj_isa</c>). A library carries <see cref="Scalar"/> plus the
/// tiers of its architecture: <see cref="Avx2"/> and <see cref="Avx512"/> on x64 (AVX-512 includes AVX2),
/// <see cref="Neon"/> on Arm64; selecting another architecture's tier fails with <see cref="AdjStatus.Unsupported"/>.
/// </summary>
public enum Isa
{
    /// <summary>Portable reference kernels, the truth every SIMD tier is tested against.</summary>
    Scalar = 0,

    /// <summary>x64: AVX2 + FMA, 256-bit vectors.</summary>
    Avx2 = 1,

    /// <summary>x64: AVX-512 F + DQ + VL, 512-bit vectors.</summary>
    Avx512 = 2,

    /// <summary>Arm64: ASIMD (NEON), 128-bit vectors; part of the AArch64 base ISA, so always available there.</summary>
    Neon = 3,
}

/// <summary>Elementwise unary kernels (<c>adj_unary_op</c>).</summary>
public enum UnaryOp
{
    Neg = 0,
    Abs = 1,
    Exp = 2,
    Log = 3,
    Sqrt = 4,
    Sin = 5,
    Cos = 6,
    Tanh = 7,
    Sigmoid = 8,
    Relu = 9,
    Softplus = 10,
}

/// <summary>Elementwise binary kernels with broadcasting through strides (<c>adj_binary_op</c>).</summary>
public enum BinaryOp
{
    Add = 0,
    Sub = 1,
    Mul = 2,
    Div = 3,
    Pow = 4,
    Maximum = 5,
    Minimum = 6,
}

/// <summary>Reductions over a set of axes (<c>adj_reduce_op</c>).</summary>
public enum ReduceOp
{
    Sum = 0,
    Max = 1,
    Min = 2,
}

/// <summary>Row operations over the last axis (<c>adj_row_op</c>).</summary>
public enum RowOp
{
    Softmax = 0,
    LogSoftmax = 1,
    LogSumExp = 2,
}

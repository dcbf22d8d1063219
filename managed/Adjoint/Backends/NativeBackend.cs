using Adjoint.Interop;

namespace Adjoint.Backends;

/// <summary>
/// Runs kernels in the native library <c>adjoint_kernels</c> through P/Invoke: one call per kernel, raw
/// pointers, every status checked by <see cref="NativeStatus.Check"/> (a failure throws
/// <see cref="AdjointNativeException"/> with the library's message). Get the instance from
/// <see cref="Backend.Native"/>. ISA and thread settings are process-wide, as they are in the library.
/// </summary>
public sealed unsafe class NativeBackend : IBackend
{
    private NativeBackend()
    {
    }

    /// <inheritdoc/>
    public string Name => "native";

    /// <summary>Loads the native library and checks its ABI version.</summary>
    /// <param name="backend">The backend when loading succeeded, otherwise null.</param>
    /// <param name="error">
    /// Null on success; otherwise the typed reason: <see cref="NativeLibraryNotFoundException"/> (lists every
    /// path tried) or <see cref="NativeAbiMismatchException"/>.
    /// </param>
    public static bool TryCreate(out IBackend? backend, out Exception? error)
    {
        try
        {
            NativeLibraryInfo.EnsureLoaded();
            backend = new NativeBackend();
            error = null;
            return true;
        }
        catch (Exception e) when (e is DllNotFoundException or NativeAbiMismatchException or EntryPointNotFoundException
                                      or BadImageFormatException)
        {
            backend = null;
            error = e;
            return false;
        }
    }

    /// <summary>Path of the loaded library file.</summary>
    public static string LibraryPath => NativeLibraryInfo.LibraryPath;

    /// <summary>The kernel tier in use (after <c>ADJOINT_ISA</c> and <see cref="SetIsa"/>).</summary>
    public static Isa Isa => NativeLibraryInfo.Isa;

    /// <summary>The best tier this CPU and OS support.</summary>
    public static Isa MaxIsa => NativeLibraryInfo.MaxIsa;

    /// <summary>
    /// Forces every kernel to the <paramref name="isa"/> tier, process-wide (tests use this to run each tier on one
    /// machine). Throws <see cref="AdjointNativeException"/> with <see cref="AdjStatus.Unsupported"/> when the CPU
    /// lacks it or it belongs to another architecture (the x64 library has Scalar, Avx2 and Avx512; the Arm64 one
    /// Scalar and Neon).
    /// </summary>
    public static void SetIsa(Isa isa) => NativeLibraryInfo.SetIsa(isa);

    /// <summary>Threads the kernels may use (≥ 1), process-wide.</summary>
    public static int NumThreads
    {
        get => NativeLibraryInfo.NumThreads;
        set => NativeLibraryInfo.NumThreads = value;
    }

    /// <inheritdoc/>
    public void Fill(DType dtype, long n, double value, void* y) =>
        NativeStatus.Check(NativeMethods.adj_fill((AdjDType)dtype, n, value, y), "adj_fill");

    /// <inheritdoc/>
    public void CopyStrided(DType dtype, ReadOnlySpan<long> shape, void* src, ReadOnlySpan<long> srcStrides,
                            void* dst, ReadOnlySpan<long> dstStrides)
    {
        CheckRank(shape, srcStrides, nameof(srcStrides), "adj_copy_strided");
        CheckRank(shape, dstStrides, nameof(dstStrides), "adj_copy_strided");
        fixed (long* pShape = shape, pSrc = srcStrides, pDst = dstStrides)
        {
            NativeStatus.Check(
                NativeMethods.adj_copy_strided((AdjDType)dtype, shape.Length, pShape, src, pSrc, dst, pDst),
                "adj_copy_strided");
        }
    }

    /// <inheritdoc/>
    public void Cast(DType srcDType, void* src, DType dstDType, void* dst, long n) =>
        NativeStatus.Check(NativeMethods.adj_cast((AdjDType)srcDType, src, (AdjDType)dstDType, dst, n), "adj_cast");

    /// <inheritdoc/>
    public void Gemm(DType dtype, bool transA, bool transB, long m, long n, long k,
                     double alpha, void* a, long lda, void* b, long ldb, double beta, void* c, long ldc) =>
        NativeStatus.Check(
            NativeMethods.adj_gemm((AdjDType)dtype, transA ? 1 : 0, transB ? 1 : 0, m, n, k,
                                   alpha, a, lda, b, ldb, beta, c, ldc),
            "adj_gemm");

    /// <inheritdoc/>
    public void Unary(UnaryOp op, DType dtype, long n, void* x, void* y) =>
        NativeStatus.Check(NativeMethods.adj_unary(op, (AdjDType)dtype, n, x, y), "adj_unary");

    /// <inheritdoc/>
    public void UnaryBackward(UnaryOp op, DType dtype, long n, void* x, void* y, void* gy, void* gx) =>
        NativeStatus.Check(NativeMethods.adj_unary_backward(op, (AdjDType)dtype, n, x, y, gy, gx), "adj_unary_backward");

    /// <inheritdoc/>
    public void Binary(BinaryOp op, DType dtype, ReadOnlySpan<long> shape,
                       void* a, ReadOnlySpan<long> aStrides, void* b, ReadOnlySpan<long> bStrides,
                       void* output, ReadOnlySpan<long> outputStrides)
    {
        CheckRank(shape, aStrides, nameof(aStrides), "adj_binary");
        CheckRank(shape, bStrides, nameof(bStrides), "adj_binary");
        CheckRank(shape, outputStrides, nameof(outputStrides), "adj_binary");
        fixed (long* pShape = shape, pA = aStrides, pB = bStrides, pOut = outputStrides)
        {
            NativeStatus.Check(
                NativeMethods.adj_binary(op, (AdjDType)dtype, shape.Length, pShape, a, pA, b, pB, output, pOut),
                "adj_binary");
        }
    }

    /// <inheritdoc/>
    public void Reduce(ReduceOp op, DType dtype, ReadOnlySpan<long> shape, void* x, ReadOnlySpan<long> xStrides,
                       ulong axesMask, void* y, long* index)
    {
        CheckRank(shape, xStrides, nameof(xStrides), "adj_reduce");
        fixed (long* pShape = shape, pX = xStrides)
        {
            NativeStatus.Check(
                NativeMethods.adj_reduce(op, (AdjDType)dtype, shape.Length, pShape, x, pX, axesMask, y, index),
                "adj_reduce");
        }
    }

    /// <inheritdoc/>
    public void RowOp(RowOp op, DType dtype, long rows, long cols, void* x, void* y) =>
        NativeStatus.Check(NativeMethods.adj_row_op(op, (AdjDType)dtype, rows, cols, x, y), "adj_row_op");

    /// <inheritdoc/>
    public void RowOpBackward(RowOp op, DType dtype, long rows, long cols, void* x, void* y, void* gy, void* gx) =>
        NativeStatus.Check(NativeMethods.adj_row_op_backward(op, (AdjDType)dtype, rows, cols, x, y, gy, gx),
                           "adj_row_op_backward");

    /// <inheritdoc/>
    public void SgdUpdate(DType dtype, long n, void* param, void* grad, void* momentumBuffer, double lr, double weightDecay,
                          double momentum, double dampening, bool nesterov, bool firstStep) =>
        NativeStatus.Check(NativeMethods.adj_sgd_update((AdjDType)dtype, n, param, grad, momentumBuffer, lr, weightDecay, momentum,
                                                        dampening, nesterov ? 1 : 0, firstStep ? 1 : 0), "adj_sgd_update");

    /// <inheritdoc/>
    public void AdamUpdate(DType dtype, long n, void* param, void* grad, void* m, void* v, double lr, double beta1, double beta2,
                           double eps, double weightDecay, bool decoupled, long stepNumber) =>
        NativeStatus.Check(NativeMethods.adj_adam_update((AdjDType)dtype, n, param, grad, m, v, lr, beta1, beta2, eps, weightDecay,
                                                         decoupled ? 1 : 0, stepNumber), "adj_adam_update");

    // The C side reads ndim entries from every stride array; a shorter span would make it read past the end.
    private static void CheckRank(ReadOnlySpan<long> shape, ReadOnlySpan<long> strides, string name, string function)
    {
        if (strides.Length != shape.Length)
            throw new ArgumentException(
                $"{function}: {name} has {strides.Length} entries but shape has {shape.Length}.", name);
    }
}

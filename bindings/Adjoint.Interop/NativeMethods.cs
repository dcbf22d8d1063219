using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

// Every signature below is blittable, so the runtime marshaller has nothing to do; disabling it turns any
// accidental non-blittable parameter into a compile error instead of a hidden copy per call.
[assembly: DisableRuntimeMarshalling]

namespace Adjoint.Interop;

/// <summary>
/// One-for-one mirror of <c>native/include/adjoint/adjoint.h</c>. Entry points carry the exact C names; a test
/// compares them with the symbols the built library exports. Call through <see cref="NativeStatus.Check"/> so
/// that a failing status becomes an <see cref="AdjointNativeException"/>.
/// </summary>
/// <remarks>
/// Internal (CA1401): callers outside the bindings go through <c>Adjoint.Backends.NativeBackend</c>; the
/// assemblies that need raw calls (the backend, tests, benchmarks) are friends, listed in the project file.
/// Booleans cross as <see cref="int"/> (0/1) and <c>const char*</c> as <see cref="byte"/>* decoded with
/// <see cref="Marshal.PtrToStringUTF8(nint)"/>: both keep every signature blittable.
/// </remarks>
internal static unsafe partial class NativeMethods
{
    /// <summary>File name of the kernel library without prefix or extension (libadjoint_kernels.so, adjoint_kernels.dll).</summary>
    public const string LibraryName = "adjoint_kernels";

    /// <summary>The <c>ADJ_ABI_VERSION</c> these bindings were written against.</summary>
    public const int AbiVersion = 1;

    static NativeMethods() => NativeLibraryResolver.EnsureRegistered();

    // ---- Library information and control ---------------------------------------------------------

    /// <summary><c>adj_abi_version</c>: the ABI version of the loaded library.</summary>
    [LibraryImport(LibraryName, EntryPoint = "adj_abi_version")]
    public static partial int adj_abi_version();

    /// <summary><c>adj_build_info</c>: static NUL-terminated build description.</summary>
    [LibraryImport(LibraryName, EntryPoint = "adj_build_info")]
    public static partial byte* adj_build_info();

    /// <summary><c>adj_cpu_isa</c>: the tier the kernel table currently uses.</summary>
    [LibraryImport(LibraryName, EntryPoint = "adj_cpu_isa")]
    public static partial Isa adj_cpu_isa();

    /// <summary><c>adj_max_isa</c>: the best tier this CPU and OS support.</summary>
    [LibraryImport(LibraryName, EntryPoint = "adj_max_isa")]
    public static partial Isa adj_max_isa();

    /// <summary><c>adj_set_isa</c>: forces the kernel table to a tier (process-wide).</summary>
    [LibraryImport(LibraryName, EntryPoint = "adj_set_isa")]
    public static partial AdjStatus adj_set_isa(Isa isa);

    /// <summary><c>adj_last_error</c>: thread-local text of the last failure on this thread.</summary>
    [LibraryImport(LibraryName, EntryPoint = "adj_last_error")]
    public static partial byte* adj_last_error();

    /// <summary><c>adj_set_num_threads</c>: number of threads kernels may use (≥ 1).</summary>
    [LibraryImport(LibraryName, EntryPoint = "adj_set_num_threads")]
    public static partial AdjStatus adj_set_num_threads(int n);

    /// <summary><c>adj_get_num_threads</c>.</summary>
    [LibraryImport(LibraryName, EntryPoint = "adj_get_num_threads")]
    public static partial int adj_get_num_threads();

    /// <summary><c>adj_noop</c>: does nothing; measures the cost of one call.</summary>
    [LibraryImport(LibraryName, EntryPoint = "adj_noop")]
    public static partial AdjStatus adj_noop();

    /// <summary><c>adj_allocation_stats</c>: bytes and blocks the library itself holds (per-thread GEMM scratch).</summary>
    [LibraryImport(LibraryName, EntryPoint = "adj_allocation_stats")]
    public static partial AdjStatus adj_allocation_stats(long* liveBytes, long* liveBlocks);

    // ---- Memory movement -------------------------------------------------------------------------

    /// <summary><c>adj_fill</c>: y[i] = value for i in [0, n).</summary>
    [LibraryImport(LibraryName, EntryPoint = "adj_fill")]
    public static partial AdjStatus adj_fill(AdjDType dtype, long n, double value, void* y);

    /// <summary><c>adj_copy_strided</c>: strided copy of every index of shape (ndim ≤ 16).</summary>
    [LibraryImport(LibraryName, EntryPoint = "adj_copy_strided")]
    public static partial AdjStatus adj_copy_strided(AdjDType dtype, int ndim, long* shape,
        void* src, long* srcStrides, void* dst, long* dstStrides);

    /// <summary><c>adj_cast</c>: contiguous conversion between dtypes.</summary>
    [LibraryImport(LibraryName, EntryPoint = "adj_cast")]
    public static partial AdjStatus adj_cast(AdjDType srcDType, void* src, AdjDType dstDType, void* dst, long n);

    // ---- Matrix multiply ------------------------------------------------------------------------

    /// <summary><c>adj_gemm</c>: C = α·op(A)·op(B) + β·C, row-major.</summary>
    [LibraryImport(LibraryName, EntryPoint = "adj_gemm")]
    public static partial AdjStatus adj_gemm(AdjDType dtype, int transA, int transB,
        long m, long n, long k,
        double alpha, void* a, long lda,
        void* b, long ldb,
        double beta, void* c, long ldc);

    // ---- Elementwise ----------------------------------------------------------------------------

    /// <summary><c>adj_unary</c>: y[i] = f(x[i]).</summary>
    [LibraryImport(LibraryName, EntryPoint = "adj_unary")]
    public static partial AdjStatus adj_unary(UnaryOp op, AdjDType dtype, long n, void* x, void* y);

    /// <summary><c>adj_unary_backward</c>: gx[i] = gy[i]·f′(x[i]).</summary>
    [LibraryImport(LibraryName, EntryPoint = "adj_unary_backward")]
    public static partial AdjStatus adj_unary_backward(UnaryOp op, AdjDType dtype, long n,
        void* x, void* y, void* gy, void* gx);

    /// <summary><c>adj_binary</c>: out[idx] = f(a[idx·aStrides], b[idx·bStrides]).</summary>
    [LibraryImport(LibraryName, EntryPoint = "adj_binary")]
    public static partial AdjStatus adj_binary(BinaryOp op, AdjDType dtype, int ndim, long* shape,
        void* a, long* aStrides, void* b, long* bStrides, void* output, long* outputStrides);

    // ---- Reductions -----------------------------------------------------------------------------

    /// <summary><c>adj_reduce</c>: reduces x over the axes set in axesMask.</summary>
    [LibraryImport(LibraryName, EntryPoint = "adj_reduce")]
    public static partial AdjStatus adj_reduce(ReduceOp op, AdjDType dtype, int ndim, long* shape,
        void* x, long* xStrides, ulong axesMask, void* y, long* index);

    /// <summary><c>adj_row_op</c>: softmax / log-softmax / logsumexp over rows.</summary>
    [LibraryImport(LibraryName, EntryPoint = "adj_row_op")]
    public static partial AdjStatus adj_row_op(RowOp op, AdjDType dtype, long rows, long cols, void* x, void* y);

    /// <summary><c>adj_row_op_backward</c>: fused backward of a row operation.</summary>
    [LibraryImport(LibraryName, EntryPoint = "adj_row_op_backward")]
    public static partial AdjStatus adj_row_op_backward(RowOp op, AdjDType dtype, long rows, long cols,
        void* x, void* y, void* gy, void* gx);

    /// <summary><c>adj_sgd_update</c>: fused SGD step (momentum, Nesterov, weight decay) over n contiguous elements.</summary>
    [LibraryImport(LibraryName, EntryPoint = "adj_sgd_update")]
    public static partial AdjStatus adj_sgd_update(AdjDType dtype, long n, void* param, void* grad, void* momentumBuf,
        double lr, double weightDecay, double momentum, double dampening, int nesterov, int firstStep);

    /// <summary><c>adj_adam_update</c>: fused Adam/AdamW step number <paramref name="step"/> over n contiguous elements.</summary>
    [LibraryImport(LibraryName, EntryPoint = "adj_adam_update")]
    public static partial AdjStatus adj_adam_update(AdjDType dtype, long n, void* param, void* grad, void* m, void* v,
        double lr, double beta1, double beta2, double eps, double weightDecay, int decoupled, long step);
}

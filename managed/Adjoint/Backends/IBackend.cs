using Adjoint.Interop;

namespace Adjoint.Backends;

/// <summary>
/// The kernels one backend provides. The interface mirrors native/include/adjoint/adjoint.h function for
/// function, with the same argument meaning (sizes and strides in elements, row-major, zero strides for
/// broadcast), so the native and managed backends are interchangeable and testable against each other.
/// Implementations validate arguments and throw <see cref="ArgumentException"/> (managed) or the typed
/// native exception (native); the tensor layer above has already checked shapes, so these are last-line
/// checks, not user-facing messages.
/// </summary>
public unsafe interface IBackend
{
    /// <summary>"native" or "managed".</summary>
    string Name { get; }

    /// <summary>y[i] = value for i in [0, n).</summary>
    void Fill(DType dtype, long n, double value, void* y);

    /// <summary>dst[idx·dstStrides] = src[idx·srcStrides] for every index of shape. No overlap.</summary>
    void CopyStrided(DType dtype, ReadOnlySpan<long> shape, void* src, ReadOnlySpan<long> srcStrides,
                     void* dst, ReadOnlySpan<long> dstStrides);

    /// <summary>Contiguous dtype conversion of n elements.</summary>
    void Cast(DType srcDType, void* src, DType dstDType, void* dst, long n);

    /// <summary>C = α·op(A)·op(B) + β·C, row-major; β = 0 means C is not read.</summary>
    void Gemm(DType dtype, bool transA, bool transB, long m, long n, long k,
              double alpha, void* a, long lda, void* b, long ldb, double beta, void* c, long ldc);

    /// <summary>y[i] = f(x[i]), contiguous, y may equal x.</summary>
    void Unary(UnaryOp op, DType dtype, long n, void* x, void* y);

    /// <summary>gx[i] = gy[i]·f′(x[i]), reading x or y (the forward output) as the op needs (see adjoint.h).</summary>
    void UnaryBackward(UnaryOp op, DType dtype, long n, void* x, void* y, void* gy, void* gx);

    /// <summary>out[idx] = f(a[idx·aStrides], b[idx·bStrides]) for every index of shape.</summary>
    void Binary(BinaryOp op, DType dtype, ReadOnlySpan<long> shape,
                void* a, ReadOnlySpan<long> aStrides, void* b, ReadOnlySpan<long> bStrides,
                void* output, ReadOnlySpan<long> outputStrides);

    /// <summary>
    /// Reduces x over the axes set in axesMask into contiguous y of the kept-dims shape; for Max/Min,
    /// index (may be null) receives the row-major position of the chosen element within the reduced block.
    /// </summary>
    void Reduce(ReduceOp op, DType dtype, ReadOnlySpan<long> shape, void* x, ReadOnlySpan<long> xStrides,
                ulong axesMask, void* y, long* index);

    /// <summary>Softmax / log-softmax ([rows, cols] → [rows, cols]) or logsumexp ([rows, cols] → [rows]).</summary>
    void RowOp(RowOp op, DType dtype, long rows, long cols, void* x, void* y);

    /// <summary>Fused backward of <see cref="RowOp"/>; x is read only by LogSumExp.</summary>
    void RowOpBackward(RowOp op, DType dtype, long rows, long cols, void* x, void* y, void* gy, void* gx);

    /// <summary>
    /// Fused SGD step over n contiguous elements, in place (adjoint.h, adj_sgd_update): g = grad + λp; with momentum,
    /// buf = g (first step) or μ·buf + (1 − τ)·g and g = g + μ·buf (Nesterov) or buf; p = p − η·g.
    /// momentumBuffer may be null when momentum is 0.
    /// </summary>
    void SgdUpdate(DType dtype, long n, void* param, void* grad, void* momentumBuffer, double lr, double weightDecay,
                   double momentum, double dampening, bool nesterov, bool firstStep);

    /// <summary>
    /// Fused Adam/AdamW step number <paramref name="stepNumber"/> over n contiguous elements, in place (adjoint.h,
    /// adj_adam_update), with bias correction; <paramref name="decoupled"/> selects AdamW's weight decay.
    /// </summary>
    void AdamUpdate(DType dtype, long n, void* param, void* grad, void* m, void* v, double lr, double beta1, double beta2,
                    double eps, double weightDecay, bool decoupled, long stepNumber);
}

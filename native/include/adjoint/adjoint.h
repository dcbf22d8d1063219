/*
 * adjoint.h — the C ABI of the Adjoint kernel library (libadjoint_kernels).
 *
 * This header is the one contract between the native kernels and every binding. The C# mirror lives in
 * bindings/Adjoint.Interop/NativeMethods.cs and a test compares the two symbol sets.
 *
 * Rules (see ../shared/DESIGN.md, "Native kernel library"):
 *   - extern "C", blittable arguments only: pointers, int32/int64 sizes and strides, enums (int32), doubles.
 *   - Every kernel returns adj_status. On failure adj_last_error() returns a thread-local, NUL-terminated
 *     message naming the function and the offending argument. No C++ exception crosses this boundary.
 *   - Sizes and strides are int64 and counted in ELEMENTS, not bytes. Strides may be 0 (broadcast) or
 *     negative. Shapes with a zero extent are valid and do nothing.
 *   - All matrices are row-major. "ld" is the distance in elements between consecutive rows.
 *   - Pointers may be NULL only when the number of elements they address is zero, or where a parameter
 *     says "may be NULL".
 *   - Unless a function says otherwise, outputs may alias inputs exactly (in place) but must not
 *     partially overlap them.
 *   - Functions are thread-safe: no global mutable state but the ISA choice, the thread count and the
 *     thread-local error text.
 */
#ifndef ADJOINT_ADJOINT_H
#define ADJOINT_ADJOINT_H

#include <stdint.h>

#if defined(_WIN32)
#  if defined(ADJOINT_BUILDING)
#    define ADJ_API __declspec(dllexport)
#  else
#    define ADJ_API __declspec(dllimport)
#  endif
#else
#  define ADJ_API __attribute__((visibility("default")))
#endif

/* Enumerations cross the ABI as int32. C++ code gives them that fixed underlying type, which makes every
 * int32 a valid value of the type, so an out-of-range value a caller passes is an argument the library
 * checks and refuses, not undefined behaviour on load. The layout is the same as C's (an int). */
#ifdef __cplusplus
#  define ADJ_ENUM(name) enum name : int32_t
#else
#  define ADJ_ENUM(name) enum name
#endif

#ifdef __cplusplus
extern "C" {
#endif

/** Bumped on every incompatible change of this header. The bindings refuse a library whose version differs. */
#define ADJ_ABI_VERSION 1

/** Result of every kernel call. */
typedef ADJ_ENUM(adj_status) {
    ADJ_OK = 0,
    ADJ_ERR_INVALID_ARGUMENT = 1, /* bad size, stride, enum value, dtype, or partial overlap */
    ADJ_ERR_NULL_POINTER = 2,     /* NULL where elements must be read or written */
    ADJ_ERR_UNSUPPORTED = 3,      /* e.g. an ISA this CPU does not have */
    ADJ_ERR_OUT_OF_MEMORY = 4,
    ADJ_ERR_INTERNAL = 5          /* a bug: a C++ exception or an impossible state, caught at the boundary */
} adj_status;

/** Element type. */
typedef ADJ_ENUM(adj_dtype) {
    ADJ_F32 = 0,
    ADJ_F64 = 1
} adj_dtype;

/** Instruction-set tier of the kernel table. A build holds the scalar tier plus the SIMD tiers of its target
 *  architecture: x86-64 builds AVX2 and AVX-512 (each x86 tier includes the one below it), AArch64 builds NEON.
 *  A tier of another architecture is never available (adj_set_isa: ADJ_ERR_UNSUPPORTED). */
typedef ADJ_ENUM(adj_isa) {
    ADJ_ISA_SCALAR = 0, /* portable reference kernels: the truth the others are tested against */
    ADJ_ISA_AVX2 = 1,   /* x86-64: AVX2 + FMA */
    ADJ_ISA_AVX512 = 2, /* x86-64: AVX-512 F + DQ + VL */
    ADJ_ISA_NEON = 3    /* AArch64: ASIMD (NEON), part of the base ISA */
} adj_isa;

/** Elementwise unary functions y = f(x). */
typedef ADJ_ENUM(adj_unary_op) {
    ADJ_UNARY_NEG = 0,      /* -x                          backward: -gy                */
    ADJ_UNARY_ABS = 1,      /* |x|                         backward: gy*sign(x), 0 at 0 */
    ADJ_UNARY_EXP = 2,      /* e^x                         backward: gy*y               */
    ADJ_UNARY_LOG = 3,      /* ln x                        backward: gy/x               */
    ADJ_UNARY_SQRT = 4,     /* sqrt x                      backward: gy/(2y)            */
    ADJ_UNARY_SIN = 5,      /* sin x                       backward: gy*cos x           */
    ADJ_UNARY_COS = 6,      /* cos x                       backward: -gy*sin x          */
    ADJ_UNARY_TANH = 7,     /* tanh x                      backward: gy*(1-y^2)         */
    ADJ_UNARY_SIGMOID = 8,  /* 1/(1+e^-x)                  backward: gy*y*(1-y)         */
    ADJ_UNARY_RELU = 9,     /* max(x,0)                    backward: gy if x>0 else 0 (relu'(0)=0) */
    ADJ_UNARY_SOFTPLUS = 10 /* ln(1+e^x), stable: max(x,0)+log1p(e^-|x|)   backward: gy*sigmoid(x) */
} adj_unary_op;
#define ADJ_UNARY_OP_COUNT 11

/** Elementwise binary functions z = f(a, b). */
typedef ADJ_ENUM(adj_binary_op) {
    ADJ_BINARY_ADD = 0,
    ADJ_BINARY_SUB = 1,
    ADJ_BINARY_MUL = 2,
    ADJ_BINARY_DIV = 3,
    ADJ_BINARY_POW = 4,     /* a^b as C pow() */
    ADJ_BINARY_MAXIMUM = 5, /* NaN if either is NaN; at a tie returns a */
    ADJ_BINARY_MINIMUM = 6  /* NaN if either is NaN; at a tie returns a */
} adj_binary_op;
#define ADJ_BINARY_OP_COUNT 7

/** Reductions. */
typedef ADJ_ENUM(adj_reduce_op) {
    ADJ_REDUCE_SUM = 0,
    ADJ_REDUCE_MAX = 1, /* NaN propagates; index = first occurrence of the result */
    ADJ_REDUCE_MIN = 2
} adj_reduce_op;
#define ADJ_REDUCE_OP_COUNT 3

/**
 * Row operations over the last (contiguous) axis of a [rows, cols] matrix.
 * (The type is adj_row_op_kind, not adj_row_op: a typedef and the function adj_row_op cannot share a name.)
 */
typedef ADJ_ENUM(adj_row_op_kind) {
    ADJ_ROW_SOFTMAX = 0,     /* y[i,j] = exp(x[i,j]-m_i) / sum_k exp(x[i,k]-m_i)                        */
    ADJ_ROW_LOG_SOFTMAX = 1, /* y[i,j] = x[i,j] - logsumexp_i                                            */
    ADJ_ROW_LOGSUMEXP = 2    /* y[i]   = m_i + log sum_k exp(x[i,k]-m_i), m_i = max_k x[i,k]; y has rows elements */
} adj_row_op_kind;
#define ADJ_ROW_OP_COUNT 3

/* ---------------------------------------------------------------------------------------------------
 * Library information and control
 * ------------------------------------------------------------------------------------------------- */

/** ADJ_ABI_VERSION of the built library. Cannot fail. */
ADJ_API int32_t adj_abi_version(void);

/** Static, NUL-terminated text: version, compiler, build type, ISA tiers compiled in. Cannot fail. */
ADJ_API const char* adj_build_info(void);

/** The tier the kernel table currently uses (after ADJOINT_ISA and adj_set_isa). Cannot fail. */
ADJ_API adj_isa adj_cpu_isa(void);

/** The best tier this CPU and OS support (x86: cpuid + xgetbv; AArch64: NEON), independent of any forcing.
 *  Cannot fail. */
ADJ_API adj_isa adj_max_isa(void);

/**
 * Forces the kernel table to `isa` (process-wide). ADJ_ERR_UNSUPPORTED if the CPU lacks it or the library
 * was not built with it (a tier of another architecture); ADJ_ERR_INVALID_ARGUMENT if it is no adj_isa value.
 * The environment variable ADJOINT_ISA=scalar|avx2|avx512|neon does the same once, at load.
 */
ADJ_API adj_status adj_set_isa(adj_isa isa);

/** Thread-local text of the last failure on this thread ("" if none). Valid until the next call. */
ADJ_API const char* adj_last_error(void);

/** Number of threads kernels may use (>= 1). ADJOINT_NUM_THREADS sets it at load; default: hardware threads. */
ADJ_API adj_status adj_set_num_threads(int32_t n);
ADJ_API int32_t adj_get_num_threads(void);

/** Does nothing and returns ADJ_OK: measures the cost of one call across the boundary. */
ADJ_API adj_status adj_noop(void);

/**
 * Memory the library allocates itself, summed over all threads: the per-thread scratch blocks that GEMM
 * packing keeps between calls (freed when their thread ends). *live_bytes receives the bytes requested from
 * malloc, *live_blocks the number of blocks; either pointer may be NULL. Kernel calls allocate nothing else
 * (the thread pool's own bookkeeping is not counted). Cannot fail.
 */
ADJ_API adj_status adj_allocation_stats(int64_t* live_bytes, int64_t* live_blocks);

/* ---------------------------------------------------------------------------------------------------
 * Memory movement
 * ------------------------------------------------------------------------------------------------- */

/** y[i] = value for i in [0, n). */
ADJ_API adj_status adj_fill(adj_dtype dtype, int64_t n, double value, void* y);

/**
 * Strided copy: dst[index·dst_strides] = src[index·src_strides] for every index of `shape` (ndim <= 16).
 * Used to make a view contiguous. src and dst must not overlap.
 */
ADJ_API adj_status adj_copy_strided(adj_dtype dtype, int32_t ndim, const int64_t* shape,
                                    const void* src, const int64_t* src_strides,
                                    void* dst, const int64_t* dst_strides);

/** Contiguous conversion between dtypes (round to nearest for f64 -> f32). */
ADJ_API adj_status adj_cast(adj_dtype src_dtype, const void* src, adj_dtype dst_dtype, void* dst, int64_t n);

/* ---------------------------------------------------------------------------------------------------
 * Matrix multiply
 * ------------------------------------------------------------------------------------------------- */

/**
 * C = alpha·op(A)·op(B) + beta·C, row-major, op(X) = X or Xᵀ.
 * op(A) is M×K, op(B) is K×N, C is M×N. lda/ldb/ldc are row strides of the stored (untransposed) A, B, C.
 * beta == 0 means C is not read (NaN in C does not propagate). C must not overlap A or B.
 */
ADJ_API adj_status adj_gemm(adj_dtype dtype, int32_t trans_a, int32_t trans_b,
                            int64_t m, int64_t n, int64_t k,
                            double alpha, const void* a, int64_t lda,
                            const void* b, int64_t ldb,
                            double beta, void* c, int64_t ldc);

/* ---------------------------------------------------------------------------------------------------
 * Elementwise
 * ------------------------------------------------------------------------------------------------- */

/** y[i] = f(x[i]) for contiguous x, y of n elements (y may equal x). */
ADJ_API adj_status adj_unary(adj_unary_op op, adj_dtype dtype, int64_t n, const void* x, void* y);

/**
 * Fused backward: gx[i] = gy[i]·f'(x[i]), each op reading whichever of x (the input) or y (the forward
 * output) its formula above needs. x and y may be NULL when the op does not read them:
 *   reads x: abs, log, sin, cos, relu, softplus        reads y: exp, sqrt, tanh, sigmoid        neither: neg
 * gx may equal gy.
 */
ADJ_API adj_status adj_unary_backward(adj_unary_op op, adj_dtype dtype, int64_t n,
                                      const void* x, const void* y, const void* gy, void* gx);

/**
 * out[idx] = f(a[idx·a_strides], b[idx·b_strides]) for every idx of `shape` (ndim <= 16).
 * Broadcasting is expressed by zero strides. out is written through out_strides (normally contiguous).
 * out may equal a or b when their strides are identical to out's.
 */
ADJ_API adj_status adj_binary(adj_binary_op op, adj_dtype dtype, int32_t ndim, const int64_t* shape,
                              const void* a, const int64_t* a_strides,
                              const void* b, const int64_t* b_strides,
                              void* out, const int64_t* out_strides);

/* ---------------------------------------------------------------------------------------------------
 * Reductions
 * ------------------------------------------------------------------------------------------------- */

/**
 * Reduces x (shape, strides; ndim <= 16) over the axes whose bit is set in axes_mask.
 * y is contiguous with the kept-dims shape (every reduced extent replaced by 1).
 * index (may be NULL; only for MAX/MIN) receives, per output element, the row-major position of the
 * chosen element within the reduced sub-block (0 .. product of reduced extents - 1).
 * Reducing an empty extent: SUM gives 0; MAX/MIN return ADJ_ERR_INVALID_ARGUMENT.
 */
ADJ_API adj_status adj_reduce(adj_reduce_op op, adj_dtype dtype, int32_t ndim, const int64_t* shape,
                              const void* x, const int64_t* x_strides, uint64_t axes_mask,
                              void* y, int64_t* index);

/**
 * Row operation over contiguous x [rows, cols]; y is [rows, cols], or [rows] for LOGSUMEXP.
 * Numerically stable (max subtracted). cols == 0: softmax/log-softmax write nothing, logsumexp gives -inf.
 */
ADJ_API adj_status adj_row_op(adj_row_op_kind op, adj_dtype dtype, int64_t rows, int64_t cols,
                              const void* x, void* y);

/**
 * Fused backward of a row operation. `y` is the forward output of the same op; gy has y's shape; gx is
 * [rows, cols]. x is read only by LOGSUMEXP (may be NULL otherwise).
 *   SOFTMAX:     gx = y ⊙ (gy − Σ_j gy·y)
 *   LOG_SOFTMAX: gx = gy − exp(y) · Σ_j gy
 *   LOGSUMEXP:   gx = gy_i · exp(x − y_i)
 */
ADJ_API adj_status adj_row_op_backward(adj_row_op_kind op, adj_dtype dtype, int64_t rows, int64_t cols,
                                       const void* x, const void* y, const void* gy, void* gx);

/* ---- optimizer updates (native/src/optim_api.cpp) -------------------------------------------------------
 * One fused pass over contiguous parameter, gradient and state buffers of n elements, in place. The buffers
 * must not overlap one another. Arithmetic in the buffers' dtype, in this order, matching the managed
 * backend (Adjoint.Optim):
 */

/**
 * SGD with momentum (PyTorch's rule): g = grad + weight_decay·p; when momentum != 0:
 * buf = g if first_step else momentum·buf + (1 − dampening)·g, and g = g + momentum·buf if nesterov else buf;
 * then p = p − lr·g. momentum_buf may be NULL when momentum == 0.
 */
ADJ_API adj_status adj_sgd_update(adj_dtype dtype, int64_t n, void* param, const void* grad, void* momentum_buf,
                                  double lr, double weight_decay, double momentum, double dampening,
                                  int32_t nesterov, int32_t first_step);

/**
 * Adam / AdamW step number `step` (>= 1): with decoupled != 0 (AdamW) p = p·(1 − lr·weight_decay) and g = grad,
 * otherwise g = grad + weight_decay·p; m = β1·m + (1 − β1)·g; v = β2·v + (1 − β2)·g²;
 * p = p − (lr / (1 − β1^step)) · m / (√v · (1 / √(1 − β2^step)) + eps).
 */
ADJ_API adj_status adj_adam_update(adj_dtype dtype, int64_t n, void* param, const void* grad, void* m, void* v,
                                   double lr, double beta1, double beta2, double eps, double weight_decay,
                                   int32_t decoupled, int64_t step);

#ifdef __cplusplus
}
#endif

#endif /* ADJOINT_ADJOINT_H */

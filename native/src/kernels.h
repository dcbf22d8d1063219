// Internal kernel signatures and the per-ISA function table. Kernels receive validated arguments:
// sizes >= 0, pointers non-NULL wherever elements are touched. They never throw and never allocate
// except GEMM packing buffers (std::bad_alloc is caught at the API boundary).
#pragma once
#include <cstdint>

#include "adjoint/adjoint.h"
#include "src/kernel_list.h"

namespace adj {

// Elementwise kernels (unary, unary backward, contiguous binary) that move at least this many bytes per
// call (inputs + output) write their output with non-temporal stores (kernels/simd/common.h, Note
// [Streaming threshold] in kernels/ref/unary.cpp). Tests lower it to cover that path.
extern int64_t g_stream_min_bytes;

template <class T> using fn_gemm = void(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, T alpha,
                                        const T* a, int64_t lda, const T* b, int64_t ldb, T beta, T* c,
                                        int64_t ldc);
template <class T> using fn_unary = void(int64_t n, const T* x, T* y);
template <class T> using fn_unary_bwd = void(int64_t n, const T* x, const T* y, const T* gy, T* gx);
// One innermost row of a (broadcast) binary op: out[i*so] = f(a[i*sa], b[i*sb]).
template <class T> using fn_binary = void(int64_t n, const T* a, int64_t sa, const T* b, int64_t sb, T* out,
                                          int64_t so);
// One strided row of a reduction. SUM adds the row's sum to *acc. MAX/MIN set *acc, *idx to the row's
// result and its first position (first NaN if any); n >= 1 for them.
template <class T> using fn_reduce = void(int64_t n, const T* x, int64_t stride, T* acc, int64_t* idx);
// y[j] = (accumulate ? y[j] : 0) + x[0, j] + x[1, j] + ... + x[rows - 1, j] for j < cols, with x[r, j] at
// x[r * ldx + j], added in that order (so the result is bitwise that of one ADD per row).
template <class T> using fn_colsum = void(int64_t rows, int64_t cols, const T* x, int64_t ldx, T* y,
                                          bool accumulate);
// One range of a fused SGD step (adjoint.h, adj_sgd_update): g = grad + wd*p; with a momentum buffer, buf = g
// (first step) or mu*buf + keep*g, then g = g + mu*buf (Nesterov) or buf; p = p - lr*g. buf is null without
// momentum. Every operation rounds on its own (no fused multiply-add), so every tier gives the same bits.
template <class T> using fn_sgd = void(int64_t n, T* p, const T* g, T* buf, T lr, T wd, T mu, T keep, bool nesterov,
                                       bool first);
// One range of a fused Adam step (adj_adam_update), the bias corrections folded into step_size and
// inv_sqrt_bc2 by the caller: g = grad + wd*p; p = p*decay; m = b1*m + (1-b1)*g; v = b2*v + (1-b2)*g*g;
// p = p - step_size * (m / (sqrt(v)*inv_sqrt_bc2 + eps)). Same rounding rule as fn_sgd.
template <class T> using fn_adam = void(int64_t n, T* p, const T* g, T* m, T* v, T b1, T b2, T eps, T wd, T decay,
                                        T step_size, T inv_sqrt_bc2);
template <class T> using fn_row = void(int64_t rows, int64_t cols, const T* x, T* y);
template <class T> using fn_row_bwd = void(int64_t rows, int64_t cols, const T* x, const T* y, const T* gy,
                                           T* gx);
template <class T> using fn_fill = void(int64_t n, T value, T* y);
// src is T, dst is the other dtype.
template <class T> using fn_cast = void(int64_t n, const T* src, void* dst);

template <class T> struct TypedKernels {
  fn_gemm<T>* gemm;
  fn_unary<T>* unary[ADJ_UNARY_OP_COUNT];
  fn_unary_bwd<T>* unary_bwd[ADJ_UNARY_OP_COUNT];
  fn_binary<T>* binary[ADJ_BINARY_OP_COUNT];
  fn_reduce<T>* reduce[ADJ_REDUCE_OP_COUNT];
  fn_colsum<T>* colsum;
  fn_sgd<T>* sgd;
  fn_adam<T>* adam;
  fn_row<T>* row[ADJ_ROW_OP_COUNT];
  fn_row_bwd<T>* row_bwd[ADJ_ROW_OP_COUNT];
  fn_fill<T>* fill;
  fn_cast<T>* cast;

  const char* gemm_name;
  const char* unary_name[ADJ_UNARY_OP_COUNT];
  const char* unary_bwd_name[ADJ_UNARY_OP_COUNT];
  const char* binary_name[ADJ_BINARY_OP_COUNT];
  const char* reduce_name[ADJ_REDUCE_OP_COUNT];
  const char* colsum_name;
  const char* sgd_name;
  const char* adam_name;
  const char* row_name[ADJ_ROW_OP_COUNT];
  const char* row_bwd_name[ADJ_ROW_OP_COUNT];
  const char* fill_name;
  const char* cast_name;
};

struct KernelTable {
  adj_isa isa;
  const char* isa_name;
  TypedKernels<float> f32;
  TypedKernels<double> f64;
};

// Declarations of every listed kernel (a function type alias declares a function).
#define ADJ_DECLARE(fam) ADJ_DECLARE_##fam
#define ADJ_DECL_unary(dt, OP, name) fn_unary<ADJ_T_##dt> name;
#define ADJ_DECL_unary_bwd(dt, OP, name) fn_unary_bwd<ADJ_T_##dt> name;
#define ADJ_DECL_binary(dt, OP, name) fn_binary<ADJ_T_##dt> name;
#define ADJ_DECL_reduce(dt, OP, name) fn_reduce<ADJ_T_##dt> name;
#define ADJ_DECL_colsum(dt, OP, name) fn_colsum<ADJ_T_##dt> name;
#define ADJ_DECL_sgd(dt, OP, name) fn_sgd<ADJ_T_##dt> name;
#define ADJ_DECL_adam(dt, OP, name) fn_adam<ADJ_T_##dt> name;
#define ADJ_DECL_row(dt, OP, name) fn_row<ADJ_T_##dt> name;
#define ADJ_DECL_row_bwd(dt, OP, name) fn_row_bwd<ADJ_T_##dt> name;
#define ADJ_DECL_fill(dt, OP, name) fn_fill<ADJ_T_##dt> name;
#define ADJ_DECL_cast(dt, OP, name) fn_cast<ADJ_T_##dt> name;
#define ADJ_DECL_gemm(dt, OP, name) fn_gemm<ADJ_T_##dt> name;

#define ADJ_DECLARE_TIER(S)                                              \
  ADJ_FOR_EACH_DTYPE_FAMILY(ADJ_UNARY_KERNELS, ADJ_DECL_unary, S)        \
  ADJ_FOR_EACH_DTYPE_FAMILY(ADJ_UNARY_BWD_KERNELS, ADJ_DECL_unary_bwd, S) \
  ADJ_FOR_EACH_DTYPE_FAMILY(ADJ_BINARY_KERNELS, ADJ_DECL_binary, S)      \
  ADJ_FOR_EACH_DTYPE_FAMILY(ADJ_REDUCE_KERNELS, ADJ_DECL_reduce, S)      \
  ADJ_FOR_EACH_DTYPE_FAMILY(ADJ_COLSUM_KERNELS, ADJ_DECL_colsum, S)      \
  ADJ_FOR_EACH_DTYPE_FAMILY(ADJ_SGD_KERNELS, ADJ_DECL_sgd, S)            \
  ADJ_FOR_EACH_DTYPE_FAMILY(ADJ_ADAM_KERNELS, ADJ_DECL_adam, S)          \
  ADJ_FOR_EACH_DTYPE_FAMILY(ADJ_ROW_KERNELS, ADJ_DECL_row, S)            \
  ADJ_FOR_EACH_DTYPE_FAMILY(ADJ_ROW_BWD_KERNELS, ADJ_DECL_row_bwd, S)    \
  ADJ_FOR_EACH_DTYPE_FAMILY(ADJ_FILL_KERNELS, ADJ_DECL_fill, S)          \
  ADJ_FOR_EACH_DTYPE_FAMILY(ADJ_CAST_KERNELS, ADJ_DECL_cast, S)

ADJ_DECLARE_TIER(__ref)
ADJ_GEMM_KERNELS_ref(ADJ_DECL_gemm)
#if defined(ADJOINT_HAVE_X86_SIMD)
ADJ_DECLARE_TIER(__avx2)
ADJ_DECLARE_TIER(__avx512)
ADJ_GEMM_KERNELS_avx2(ADJ_DECL_gemm)
ADJ_GEMM_KERNELS_avx512(ADJ_DECL_gemm)
#endif
#if defined(ADJOINT_HAVE_NEON)
ADJ_DECLARE_TIER(__neon)
ADJ_GEMM_KERNELS_neon(ADJ_DECL_gemm)
#endif

// The table of one tier, or nullptr when the tier is not compiled in. Independent of CPU support.
const KernelTable* kernel_table(adj_isa isa);
// The table the API uses now (after ADJOINT_ISA and adj_set_isa).
const KernelTable& active_kernels();

template <class T> inline const TypedKernels<T>& typed(const KernelTable& t);
template <> inline const TypedKernels<float>& typed<float>(const KernelTable& t) { return t.f32; }
template <> inline const TypedKernels<double>& typed<double>(const KernelTable& t) { return t.f64; }

}  // namespace adj

// Scalar reference of the elementwise unary kernels: the truth the SIMD tiers are tested against.
#include "kernels/ref/scalar_ops.h"
#include "src/kernels.h"

namespace adj {

// 32 MiB: far beyond L2 (2-4 MiB per core), so the output would be evicted before anyone reads it
// anyway; streaming saves the read-for-ownership of each output line (a backward kernel moves 12 bytes
// per float instead of 16). Smaller outputs stay in cache for the op that consumes them.
int64_t g_stream_min_bytes = int64_t(32) << 20;

#define ADJ_DEF(dt, OP, name)                                                      \
  void name(int64_t n, const ADJ_T_##dt* x, ADJ_T_##dt* y) {                       \
    for (int64_t i = 0; i < n; ++i) y[i] = unary_scalar<ADJ_UNARY_##OP>(x[i]);     \
  }
ADJ_FOR_EACH_DTYPE_FAMILY(ADJ_UNARY_KERNELS, ADJ_DEF, __ref)
#undef ADJ_DEF

// x or y may be NULL when the op does not read it (see adjoint.h): substitute gy so nothing reads NULL.
#define ADJ_DEF(dt, OP, name)                                                                        \
  void name(int64_t n, const ADJ_T_##dt* x, const ADJ_T_##dt* y, const ADJ_T_##dt* gy, ADJ_T_##dt* gx) { \
    const ADJ_T_##dt* xs = x ? x : gy;                                                               \
    const ADJ_T_##dt* ys = y ? y : gy;                                                               \
    for (int64_t i = 0; i < n; ++i) gx[i] = unary_bwd_scalar<ADJ_UNARY_##OP>(xs[i], ys[i], gy[i]);    \
  }
ADJ_FOR_EACH_DTYPE_FAMILY(ADJ_UNARY_BWD_KERNELS, ADJ_DEF, __ref)
#undef ADJ_DEF

}  // namespace adj

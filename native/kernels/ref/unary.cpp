// Scalar reference of the elementwise unary kernels: the truth the SIMD tiers are tested against.
#include "kernels/ref/scalar_ops.h"
#include "src/kernels.h"

namespace adj {

// Note [Streaming threshold]: 3 MiB moved per call (inputs + output; per thread chunk when threaded), i.e.
// more than one core's 2 MiB L2. Below it every array stays in L2 and regular stores win (non-temporal
// stores at 512K elements in + out cost 2x); above it the output is evicted from L2 before anyone reads
// it, and streaming saves the read-for-ownership of each output line (a backward kernel moves 12 bytes
// per float instead of 16): 1.25-1.5x measured from 256K floats (add, tanh') / 512K (relu) up to 4M,
// where the arrays still sit in this CPU's large L3 (docs/PERFORMANCE.md, elementwise round 2).
// The price: a consumer of such an output reads it from memory instead of L3.
int64_t g_stream_min_bytes = int64_t(3) << 20;

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

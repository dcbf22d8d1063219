#include "kernels/ref/scalar_ops.h"
#include "src/kernels.h"

namespace adj {

#define ADJ_DEF(dt, OP, name)                                                                       \
  void name(int64_t n, const ADJ_T_##dt* a, int64_t sa, const ADJ_T_##dt* b, int64_t sb, ADJ_T_##dt* out, \
            int64_t so) {                                                                           \
    for (int64_t i = 0; i < n; ++i) out[i * so] = binary_scalar<ADJ_BINARY_##OP>(a[i * sa], b[i * sb]); \
  }
ADJ_FOR_EACH_DTYPE_FAMILY(ADJ_BINARY_KERNELS, ADJ_DEF, __ref)
#undef ADJ_DEF

}  // namespace adj

// Binary elementwise kernels: one innermost row of the N-d iteration done by src/api.cpp.
// SIMD fast paths for the three shapes broadcasting produces (both contiguous, a contiguous with b a
// scalar, a scalar with b contiguous); any other stride pattern runs the scalar definition.
#pragma once
#include "kernels/ref/scalar_ops.h"
#include "kernels/simd/common.h"

namespace adj {
namespace ADJ_ISA_NS {

template <int OP> constexpr bool kBinaryVector = OP != ADJ_BINARY_POW;  // pow: C pow() per element

template <int OP, class V> ADJ_I V bin(V a, V b) {
  if constexpr (OP == ADJ_BINARY_ADD) return a + b;
  else if constexpr (OP == ADJ_BINARY_SUB) return a - b;
  else if constexpr (OP == ADJ_BINARY_MUL) return a * b;
  else if constexpr (OP == ADJ_BINARY_DIV) return a / b;
  else if constexpr (OP == ADJ_BINARY_MAXIMUM) return select(gt(b, a) | isnan(b), b, a);
  else return select(lt(b, a) | isnan(b), b, a);  // minimum
}

template <int OP, class T>
void binary_row(int64_t n, const T* a, int64_t sa, const T* b, int64_t sb, T* out, int64_t so) {
  using V = vec_t<T>;
  if constexpr (kBinaryVector<OP>) {
    if (so == 1 && (sa == 1 || sa == 0) && (sb == 1 || sb == 0) && !(sa == 0 && sb == 0)) {
      if (sa == 1 && sb == 1) {
        map_out(n, 3, out, [a, b](int64_t i, int64_t c) { return bin<OP>(load_count(a + i, c), load_count(b + i, c)); });
      } else if (sb == 0) {
        const V bv = vset1(T(), *b);
        map_out(n, 2, out, [a, bv](int64_t i, int64_t c) { return bin<OP>(load_count(a + i, c), bv); });
      } else {
        const V av = vset1(T(), *a);
        map_out(n, 2, out, [av, b](int64_t i, int64_t c) { return bin<OP>(av, load_count(b + i, c)); });
      }
      return;
    }
  }
  for (int64_t i = 0; i < n; ++i) out[i * so] = binary_scalar<OP>(a[i * sa], b[i * sb]);
}

}  // namespace ADJ_ISA_NS

#define ADJ_DEF(dt, OP, name)                                                                          \
  void name(int64_t n, const ADJ_T_##dt* a, int64_t sa, const ADJ_T_##dt* b, int64_t sb, ADJ_T_##dt* out, \
            int64_t so) {                                                                              \
    ADJ_ISA_NS::binary_row<ADJ_BINARY_##OP>(n, a, sa, b, sb, out, so);                                \
  }
ADJ_FOR_EACH_DTYPE_FAMILY(ADJ_BINARY_KERNELS, ADJ_DEF, ADJ_ISA_SUFFIX)
#undef ADJ_DEF

}  // namespace adj

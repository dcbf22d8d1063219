// fill and cast: memory-bound, but the wide stores and conversions still help.
#pragma once
#include "kernels/simd/common.h"

namespace adj {
namespace ADJ_ISA_NS {

template <class T> void fill(int64_t n, T value, T* y) {
  using V = vec_t<T>;
  const V v = vset1(T(), value);
  int64_t i = 0;
  for (; i + V::N <= n; i += V::N) store(y + i, v);
  if (i < n) storen(y + i, v, n - i);
}

// One float vector is two double vectors.
inline void widen_all(int64_t n, const float* src, double* dst) {
  int64_t i = 0;
  for (; i + VF::N <= n; i += VF::N) {
    VD lo, hi;
    widen(load(src + i), lo, hi);
    store(dst + i, lo);
    store(dst + i + VD::N, hi);
  }
  for (; i < n; ++i) dst[i] = src[i];
}
inline void narrow_all(int64_t n, const double* src, float* dst) {
  int64_t i = 0;
  for (; i + VF::N <= n; i += VF::N) store(dst + i, narrow(load(src + i), load(src + i + VD::N)));
  for (; i < n; ++i) dst[i] = static_cast<float>(src[i]);
}

}  // namespace ADJ_ISA_NS

#define ADJ_DEF(dt, OP, name) \
  void name(int64_t n, ADJ_T_##dt v, ADJ_T_##dt* y) { ADJ_ISA_NS::fill(n, v, y); }
ADJ_FOR_EACH_DTYPE_FAMILY(ADJ_FILL_KERNELS, ADJ_DEF, ADJ_ISA_SUFFIX)
#undef ADJ_DEF

#define ADJ_CAT_(a, b) a##b
#define ADJ_CAT(a, b) ADJ_CAT_(a, b)
void ADJ_CAT(f32_cast, ADJ_ISA_SUFFIX)(int64_t n, const float* src, void* dst) {
  ADJ_ISA_NS::widen_all(n, src, static_cast<double*>(dst));
}
void ADJ_CAT(f64_cast, ADJ_ISA_SUFFIX)(int64_t n, const double* src, void* dst) {
  ADJ_ISA_NS::narrow_all(n, src, static_cast<float*>(dst));
}

}  // namespace adj

// Reduction rows: contiguous rows are vectorized, strided rows run the scalar definition.
#pragma once
#include "kernels/simd/common.h"

namespace adj {
namespace ADJ_ISA_NS {

template <class T> void row_sum(int64_t n, const T* x, int64_t s, T* acc, int64_t*) {
  using V = vec_t<T>;
  constexpr int N = V::N;
  if (s != 1) {
    T sum = 0;
    for (int64_t i = 0; i < n; ++i) sum += x[i * s];
    *acc += sum;
    return;
  }
  // Four independent accumulators hide the add latency and shorten the rounding-error chains.
  const V z = vset1(T(), 0);
  V a0 = z, a1 = z, a2 = z, a3 = z;
  int64_t i = 0;
  for (; i + 4 * N <= n; i += 4 * N) {
    a0 = a0 + load(x + i);
    a1 = a1 + load(x + i + N);
    a2 = a2 + load(x + i + 2 * N);
    a3 = a3 + load(x + i + 3 * N);
  }
  for (; i + N <= n; i += N) a0 = a0 + load(x + i);
  if (i < n) a1 = a1 + loadn(x + i, n - i);
  *acc += hsum((a0 + a1) + (a2 + a3));
}

// Value pass in SIMD (NaN tracked separately, since x86 max ignores NaN in its first operand), then
// the first position holding the result.
template <bool kMax, class T> void row_arg(int64_t n, const T* x, int64_t s, T* acc, int64_t* idx) {
  using V = vec_t<T>;
  constexpr int N = V::N;
  if (s == 1 && n >= N) {
    const T fill = kMax ? -INFINITY : INFINITY;
    V best = vset1(T(), fill);
    auto nan = isnan(best);
    int64_t i = 0;
    for (; i + N <= n; i += N) {
      const V v = load(x + i);
      nan = nan | isnan(v);
      best = kMax ? max_raw(v, best) : min_raw(v, best);
    }
    if (i < n) {
      const V v = loadn(x + i, n - i, fill);
      nan = nan | isnan(v);
      best = kMax ? max_raw(v, best) : min_raw(v, best);
    }
    alignas(64) T lanes[N];
    store(lanes, best);
    T m = lanes[0];
    for (int l = 1; l < N; ++l) m = kMax ? (lanes[l] > m ? lanes[l] : m) : (lanes[l] < m ? lanes[l] : m);
    const bool has_nan = any(nan);
    int64_t j = 0;
    if (has_nan) {
      while (x[j] == x[j]) ++j;
    } else {
      while (!(x[j] == m)) ++j;
    }
    *acc = x[j];
    *idx = j;
    return;
  }
  T best = x[0];
  int64_t at = 0;
  for (int64_t i = 1; i < n && best == best; ++i) {
    const T v = x[i * s];
    if (v != v || (kMax ? v > best : v < best)) {
      best = v;
      at = i;
    }
  }
  *acc = best;
  *idx = at;
}

}  // namespace ADJ_ISA_NS

#define ADJ_DEF(dt, OP, name)                                                                     \
  void name(int64_t n, const ADJ_T_##dt* x, int64_t s, ADJ_T_##dt* acc, int64_t* idx) {           \
    if (ADJ_REDUCE_##OP == ADJ_REDUCE_SUM) ADJ_ISA_NS::row_sum(n, x, s, acc, idx);                 \
    else ADJ_ISA_NS::row_arg<ADJ_REDUCE_##OP == ADJ_REDUCE_MAX>(n, x, s, acc, idx);                \
  }
ADJ_FOR_EACH_DTYPE_FAMILY(ADJ_REDUCE_KERNELS, ADJ_DEF, ADJ_ISA_SUFFIX)
#undef ADJ_DEF

}  // namespace adj

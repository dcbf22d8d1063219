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

// Column sums, y[j] (+)= x[0, j] + ... + x[rows - 1, j]. Rows are taken four at a time: each column
// vector adds its four terms in a register, so y is read and written once per four rows where one ADD per
// row moved it every row (1.17-1.39x at [64..256, 1024], benchmarks/peers/colsum_ab.py). Eight rows at a
// time measured the same, two 0.94-0.99x; at [4096, 1024] all of them, and one ADD per row, run at the
// core's bandwidth. The terms are still added one row after another, so results are bitwise those of the
// scalar definition.
template <class T> void col_sum(int64_t rows, int64_t cols, const T* x, int64_t ldx, T* y, bool accumulate) {
  using V = vec_t<T>;
  constexpr int N = V::N;
  constexpr int64_t kRows = 4;
  const V z = vset1(T(), 0);
  if (rows == 0) {
    if (!accumulate) map_out(cols, 1, y, [z](int64_t, int64_t) { return z; });
    return;
  }
  for (int64_t r0 = 0; r0 < rows; r0 += kRows) {
    const int64_t rb = rows - r0 < kRows ? rows - r0 : kRows;
    const bool fresh = r0 == 0 && !accumulate;
    const T* xb = x + r0 * ldx;
    int64_t j = 0;
    for (; j + 4 * N <= cols; j += 4 * N) {
      V s0 = z, s1 = z, s2 = z, s3 = z;
      if (!fresh) {
        s0 = load(y + j);
        s1 = load(y + j + N);
        s2 = load(y + j + 2 * N);
        s3 = load(y + j + 3 * N);
      }
      const T* p = xb + j;
      for (int64_t r = 0; r < rb; ++r, p += ldx) {
        s0 = s0 + load(p);
        s1 = s1 + load(p + N);
        s2 = s2 + load(p + 2 * N);
        s3 = s3 + load(p + 3 * N);
      }
      store(y + j, s0);
      store(y + j + N, s1);
      store(y + j + 2 * N, s2);
      store(y + j + 3 * N, s3);
    }
    for (; j < cols; j += N) {
      const int64_t c = cols - j < N ? cols - j : int64_t(N);
      V s = fresh ? z : load_count(y + j, c);
      const T* p = xb + j;
      for (int64_t r = 0; r < rb; ++r, p += ldx) s = s + load_count(p, c);
      store_count(y + j, s, c);
    }
  }
}

}  // namespace ADJ_ISA_NS

#define ADJ_DEF(dt, OP, name)                                                                     \
  void name(int64_t n, const ADJ_T_##dt* x, int64_t s, ADJ_T_##dt* acc, int64_t* idx) {           \
    if (ADJ_REDUCE_##OP == ADJ_REDUCE_SUM) ADJ_ISA_NS::row_sum(n, x, s, acc, idx);                 \
    else ADJ_ISA_NS::row_arg<ADJ_REDUCE_##OP == ADJ_REDUCE_MAX>(n, x, s, acc, idx);                \
  }
ADJ_FOR_EACH_DTYPE_FAMILY(ADJ_REDUCE_KERNELS, ADJ_DEF, ADJ_ISA_SUFFIX)
#undef ADJ_DEF

#define ADJ_DEF(dt, OP, name)                                                                              \
  void name(int64_t rows, int64_t cols, const ADJ_T_##dt* x, int64_t ldx, ADJ_T_##dt* y, bool accumulate) { \
    ADJ_ISA_NS::col_sum(rows, cols, x, ldx, y, accumulate);                                                 \
  }
ADJ_FOR_EACH_DTYPE_FAMILY(ADJ_COLSUM_KERNELS, ADJ_DEF, ADJ_ISA_SUFFIX)
#undef ADJ_DEF

}  // namespace adj

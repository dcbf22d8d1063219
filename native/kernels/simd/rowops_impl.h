// Softmax, log-softmax, logsumexp and their fused backward kernels, vectorized along each row.
// Same definitions as kernels/ref/rowops.cpp: an infinite row max is replaced by 0 before shifting.
#pragma once
#include <cmath>

#include "kernels/simd/common.h"

namespace adj {
namespace ADJ_ISA_NS {

inline float scalar_log(float x) { return static_cast<float>(::log(static_cast<double>(x))); }
inline double scalar_log(double x) { return ::log(x); }

// Row max, NaN if the row holds one; then the shift that keeps exp finite.
template <class T> T row_shift(int64_t n, const T* x) {
  using V = vec_t<T>;
  V m = vset1(T(), T(-INFINITY));
  auto nan = isnan(m);
  int64_t i = 0;
  for (; i + V::N <= n; i += V::N) {
    const V v = load(x + i);
    nan = nan | isnan(v);
    m = max_raw(v, m);
  }
  if (i < n) {
    const V v = loadn(x + i, n - i, -INFINITY);
    nan = nan | isnan(v);
    m = max_raw(v, m);
  }
  if (any(nan)) return NAN;
  alignas(64) T lanes[V::N];
  store(lanes, m);
  T best = lanes[0];
  for (int l = 1; l < V::N; ++l) best = lanes[l] > best ? lanes[l] : best;
  return std::isinf(best) ? T(0) : best;
}

// Sum of exp(x - shift); stores the exponentials into y when y is not NULL.
template <class T> T sum_exp(int64_t n, const T* x, T shift, T* y) {
  using V = vec_t<T>;
  const V sh = vset1(T(), shift);
  V acc0 = vset1(T(), 0), acc1 = acc0;
  int64_t i = 0;
  for (; i + V::N <= n; i += V::N) {
    const V e = vexp_t(load(x + i) - sh);
    if (y) store(y + i, e);
    acc0 = acc0 + e;
  }
  if (i < n) {
    // Masked-off lanes are -inf, whose exponential is exactly 0.
    const V e = vexp_t(loadn(x + i, n - i, -INFINITY) - sh);
    if (y) storen(y + i, e, n - i);
    acc1 = acc1 + e;
  }
  return hsum(acc0 + acc1);
}

template <class T> void scale(int64_t n, T* y, T factor) {
  using V = vec_t<T>;
  const V f = vset1(T(), factor);
  int64_t i = 0;
  for (; i + V::N <= n; i += V::N) store(y + i, load(y + i) * f);
  if (i < n) storen(y + i, loadn(y + i, n - i) * f, n - i);
}

template <class T> void softmax(int64_t rows, int64_t cols, const T* x, T* y) {
  for (int64_t r = 0; r < rows; ++r, x += cols, y += cols) {
    const T m = row_shift(cols, x);
    const T s = sum_exp(cols, x, m, y);
    scale(cols, y, T(1) / s);
  }
}

template <class T> void log_softmax(int64_t rows, int64_t cols, const T* x, T* y) {
  using V = vec_t<T>;
  for (int64_t r = 0; r < rows; ++r, x += cols, y += cols) {
    const T m = row_shift(cols, x);
    const V lse = vset1(T(), m + scalar_log(sum_exp(cols, x, m, static_cast<T*>(nullptr))));
    int64_t i = 0;
    for (; i + V::N <= cols; i += V::N) store(y + i, load(x + i) - lse);
    if (i < cols) storen(y + i, loadn(x + i, cols - i) - lse, cols - i);
  }
}

template <class T> void logsumexp(int64_t rows, int64_t cols, const T* x, T* y) {
  for (int64_t r = 0; r < rows; ++r, x += cols) {
    const T m = row_shift(cols, x);
    y[r] = m + scalar_log(sum_exp(cols, x, m, static_cast<T*>(nullptr)));
  }
}

template <class T> void softmax_bwd(int64_t rows, int64_t cols, const T*, const T* y, const T* gy, T* gx) {
  using V = vec_t<T>;
  for (int64_t r = 0; r < rows; ++r, y += cols, gy += cols, gx += cols) {
    V acc = vset1(T(), 0);
    int64_t i = 0;
    for (; i + V::N <= cols; i += V::N) acc = fma(load(gy + i), load(y + i), acc);
    if (i < cols) acc = fma(loadn(gy + i, cols - i), loadn(y + i, cols - i), acc);
    const V dot = vset1(T(), hsum(acc));
    for (i = 0; i + V::N <= cols; i += V::N) store(gx + i, load(y + i) * (load(gy + i) - dot));
    if (i < cols) storen(gx + i, loadn(y + i, cols - i) * (loadn(gy + i, cols - i) - dot), cols - i);
  }
}

template <class T> void log_softmax_bwd(int64_t rows, int64_t cols, const T*, const T* y, const T* gy, T* gx) {
  using V = vec_t<T>;
  for (int64_t r = 0; r < rows; ++r, y += cols, gy += cols, gx += cols) {
    V acc = vset1(T(), 0);
    int64_t i = 0;
    for (; i + V::N <= cols; i += V::N) acc = acc + load(gy + i);
    if (i < cols) acc = acc + loadn(gy + i, cols - i);
    const V sum = vset1(T(), hsum(acc));
    for (i = 0; i + V::N <= cols; i += V::N) store(gx + i, fnma(vexp_t(load(y + i)), sum, load(gy + i)));
    if (i < cols) {
      const int64_t t = cols - i;
      storen(gx + i, fnma(vexp_t(loadn(y + i, t)), sum, loadn(gy + i, t)), t);
    }
  }
}

template <class T> void logsumexp_bwd(int64_t rows, int64_t cols, const T* x, const T* y, const T* gy, T* gx) {
  using V = vec_t<T>;
  for (int64_t r = 0; r < rows; ++r, x += cols, gx += cols) {
    const V yr = vset1(T(), y[r]), g = vset1(T(), gy[r]);
    int64_t i = 0;
    for (; i + V::N <= cols; i += V::N) store(gx + i, g * vexp_t(load(x + i) - yr));
    if (i < cols) storen(gx + i, g * vexp_t(loadn(x + i, cols - i) - yr), cols - i);
  }
}

}  // namespace ADJ_ISA_NS

#define ADJ_ROW_FN_SOFTMAX softmax
#define ADJ_ROW_FN_LOG_SOFTMAX log_softmax
#define ADJ_ROW_FN_LOGSUMEXP logsumexp
#define ADJ_ROW_FN_SOFTMAX_bwd softmax_bwd
#define ADJ_ROW_FN_LOG_SOFTMAX_bwd log_softmax_bwd
#define ADJ_ROW_FN_LOGSUMEXP_bwd logsumexp_bwd
#define ADJ_DEF(dt, OP, name) \
  void name(int64_t r, int64_t c, const ADJ_T_##dt* x, ADJ_T_##dt* y) { ADJ_ISA_NS::ADJ_ROW_FN_##OP(r, c, x, y); }
ADJ_FOR_EACH_DTYPE_FAMILY(ADJ_ROW_KERNELS, ADJ_DEF, ADJ_ISA_SUFFIX)
#undef ADJ_DEF
#define ADJ_DEF(dt, OP, name)                                                                     \
  void name(int64_t r, int64_t c, const ADJ_T_##dt* x, const ADJ_T_##dt* y, const ADJ_T_##dt* gy,  \
            ADJ_T_##dt* gx) {                                                                     \
    ADJ_ISA_NS::ADJ_ROW_FN_##OP##_bwd(r, c, x, y, gy, gx);                                        \
  }
ADJ_FOR_EACH_DTYPE_FAMILY(ADJ_ROW_BWD_KERNELS, ADJ_DEF, ADJ_ISA_SUFFIX)
#undef ADJ_DEF

}  // namespace adj

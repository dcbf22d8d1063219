// Row operations, scalar reference. The max is subtracted for stability; an infinite max is replaced
// by 0 so that a row of -inf gives logsumexp = -inf (and softmax 0/0 = NaN) instead of inf - inf.
#include <cmath>

#include "kernels/ref/scalar_ops.h"
#include "src/kernels.h"

namespace adj {
namespace {

template <class T> T row_shift(int64_t cols, const T* x) {
  T m = -INFINITY;
  for (int64_t j = 0; j < cols; ++j)
    if (x[j] > m || x[j] != x[j]) m = x[j];
  return std::isinf(m) ? T(0) : m;
}

template <class T> T sum_exp(int64_t cols, const T* x, T m) {
  T s = 0;
  for (int64_t j = 0; j < cols; ++j) s += sx_exp<T>(x[j] - m);
  return s;
}

template <class T> void softmax(int64_t rows, int64_t cols, const T* x, T* y) {
  for (int64_t i = 0; i < rows; ++i, x += cols, y += cols) {
    const T m = row_shift(cols, x);
    T s = 0;
    for (int64_t j = 0; j < cols; ++j) s += (y[j] = sx_exp<T>(x[j] - m));
    const T inv = T(1) / s;
    for (int64_t j = 0; j < cols; ++j) y[j] *= inv;
  }
}

template <class T> void log_softmax(int64_t rows, int64_t cols, const T* x, T* y) {
  for (int64_t i = 0; i < rows; ++i, x += cols, y += cols) {
    const T m = row_shift(cols, x);
    const T lse = m + sx_log<T>(sum_exp(cols, x, m));
    for (int64_t j = 0; j < cols; ++j) y[j] = x[j] - lse;
  }
}

template <class T> void logsumexp(int64_t rows, int64_t cols, const T* x, T* y) {
  for (int64_t i = 0; i < rows; ++i, x += cols) {
    const T m = row_shift(cols, x);
    y[i] = m + sx_log<T>(sum_exp(cols, x, m));
  }
}

template <class T> void softmax_bwd(int64_t rows, int64_t cols, const T*, const T* y, const T* gy, T* gx) {
  for (int64_t i = 0; i < rows; ++i, y += cols, gy += cols, gx += cols) {
    T dot = 0;
    for (int64_t j = 0; j < cols; ++j) dot += gy[j] * y[j];
    for (int64_t j = 0; j < cols; ++j) gx[j] = y[j] * (gy[j] - dot);
  }
}

template <class T> void log_softmax_bwd(int64_t rows, int64_t cols, const T*, const T* y, const T* gy, T* gx) {
  for (int64_t i = 0; i < rows; ++i, y += cols, gy += cols, gx += cols) {
    T sum = 0;
    for (int64_t j = 0; j < cols; ++j) sum += gy[j];
    for (int64_t j = 0; j < cols; ++j) gx[j] = gy[j] - sx_exp<T>(y[j]) * sum;
  }
}

template <class T> void logsumexp_bwd(int64_t rows, int64_t cols, const T* x, const T* y, const T* gy, T* gx) {
  for (int64_t i = 0; i < rows; ++i, x += cols, gx += cols)
    for (int64_t j = 0; j < cols; ++j) gx[j] = gy[i] * sx_exp<T>(x[j] - y[i]);
}

}  // namespace

#define ADJ_DEF(dt, OP, name) \
  void name(int64_t r, int64_t c, const ADJ_T_##dt* x, ADJ_T_##dt* y) { ADJ_ROW_FN_##OP(r, c, x, y); }
#define ADJ_ROW_FN_SOFTMAX softmax
#define ADJ_ROW_FN_LOG_SOFTMAX log_softmax
#define ADJ_ROW_FN_LOGSUMEXP logsumexp
ADJ_FOR_EACH_DTYPE_FAMILY(ADJ_ROW_KERNELS, ADJ_DEF, __ref)
#undef ADJ_DEF

#define ADJ_DEF(dt, OP, name)                                                                         \
  void name(int64_t r, int64_t c, const ADJ_T_##dt* x, const ADJ_T_##dt* y, const ADJ_T_##dt* gy,      \
            ADJ_T_##dt* gx) {                                                                         \
    ADJ_ROW_FN_##OP##_bwd(r, c, x, y, gy, gx);                                                         \
  }
#define ADJ_ROW_FN_SOFTMAX_bwd softmax_bwd
#define ADJ_ROW_FN_LOG_SOFTMAX_bwd log_softmax_bwd
#define ADJ_ROW_FN_LOGSUMEXP_bwd logsumexp_bwd
ADJ_FOR_EACH_DTYPE_FAMILY(ADJ_ROW_BWD_KERNELS, ADJ_DEF, __ref)
#undef ADJ_DEF

}  // namespace adj

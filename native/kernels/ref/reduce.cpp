#include "src/kernels.h"

namespace adj {
namespace {

template <class T> void row_sum(int64_t n, const T* x, int64_t s, T* acc, int64_t*) {
  T sum = 0;
  for (int64_t i = 0; i < n; ++i) sum += x[i * s];
  *acc += sum;
}

// First occurrence of the extreme; the first NaN wins over everything.
template <bool kMax, class T> void row_arg(int64_t n, const T* x, int64_t s, T* acc, int64_t* idx) {
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

template <class T> void col_sum(int64_t rows, int64_t cols, const T* x, int64_t ldx, T* y, bool accumulate) {
  if (!accumulate)
    for (int64_t j = 0; j < cols; ++j) y[j] = 0;
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t j = 0; j < cols; ++j) y[j] += x[r * ldx + j];
}

}  // namespace

#define ADJ_DEF(dt, OP, name)                                                                              \
  void name(int64_t rows, int64_t cols, const ADJ_T_##dt* x, int64_t ldx, ADJ_T_##dt* y, bool accumulate) { \
    col_sum(rows, cols, x, ldx, y, accumulate);                                                             \
  }
ADJ_FOR_EACH_DTYPE_FAMILY(ADJ_COLSUM_KERNELS, ADJ_DEF, __ref)
#undef ADJ_DEF

#define ADJ_DEF(dt, OP, name)                                                                   \
  void name(int64_t n, const ADJ_T_##dt* x, int64_t s, ADJ_T_##dt* acc, int64_t* idx) {         \
    if (ADJ_REDUCE_##OP == ADJ_REDUCE_SUM) row_sum(n, x, s, acc, idx);                           \
    else row_arg<ADJ_REDUCE_##OP == ADJ_REDUCE_MAX>(n, x, s, acc, idx);                          \
  }
ADJ_FOR_EACH_DTYPE_FAMILY(ADJ_REDUCE_KERNELS, ADJ_DEF, __ref)
#undef ADJ_DEF

}  // namespace adj

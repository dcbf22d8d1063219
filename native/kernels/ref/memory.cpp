#include "src/kernels.h"

namespace adj {

void f32_fill__ref(int64_t n, float v, float* y) {
  for (int64_t i = 0; i < n; ++i) y[i] = v;
}
void f64_fill__ref(int64_t n, double v, double* y) {
  for (int64_t i = 0; i < n; ++i) y[i] = v;
}
void f32_cast__ref(int64_t n, const float* src, void* dst) {
  double* d = static_cast<double*>(dst);
  for (int64_t i = 0; i < n; ++i) d[i] = src[i];
}
// The conversion rounds to nearest under the default rounding mode, which the library never changes.
void f64_cast__ref(int64_t n, const double* src, void* dst) {
  float* d = static_cast<float*>(dst);
  for (int64_t i = 0; i < n; ++i) d[i] = static_cast<float>(src[i]);
}

}  // namespace adj

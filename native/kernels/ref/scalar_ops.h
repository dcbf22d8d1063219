// Scalar definitions of every elementwise function: the meaning of each op, in one place.
// Everything here has internal linkage (anonymous namespace) because ISA-flagged files include it too:
// an inline function with external linkage compiled once with -mavx512f and once without could be
// merged by the linker, putting AVX-512 instructions on the scalar path.
#pragma once
#include <cmath>
#include <cstdint>

#include "adjoint/adjoint.h"
#include "kernels/ref/sincos.h"

namespace adj {
namespace {

// float arguments are widened: the f32 truth is the f64 function rounded once.
template <class T> inline T sx_exp(T x) { return static_cast<T>(::exp(static_cast<double>(x))); }
template <class T> inline T sx_log(T x) { return static_cast<T>(::log(static_cast<double>(x))); }
// sin/cos are our own (sincos.h): the C library's differ between platforms (mingw's are wrong for large |x|).
template <class T> inline T sx_sin(T x) { return static_cast<T>(portable_sin(static_cast<double>(x))); }
template <class T> inline T sx_cos(T x) { return static_cast<T>(portable_cos(static_cast<double>(x))); }
template <class T> inline T sx_tanh(T x) { return static_cast<T>(::tanh(static_cast<double>(x))); }
inline double sx_sigmoid_d(double x) {
  // exp of a non-positive argument never overflows; the x<0 branch keeps relative accuracy of tiny results.
  const double e = ::exp(-::fabs(x));
  return x >= 0 ? 1.0 / (1.0 + e) : e / (1.0 + e);
}
template <class T> inline T sx_sigmoid(T x) {
  if (x != x) return x;
  return static_cast<T>(sx_sigmoid_d(static_cast<double>(x)));
}
template <class T> inline T sx_relu(T x) { return x > 0 || x != x ? x : T(0); }
template <class T> inline T sx_softplus(T x) {
  if (x != x) return x;
  const double d = static_cast<double>(x);
  return static_cast<T>((d > 0 ? d : 0.0) + ::log1p(::exp(-::fabs(d))));
}
template <class T> inline T sx_sign(T x) { return x > 0 ? T(1) : x < 0 ? T(-1) : x == 0 ? T(0) : x; }

template <int OP, class T> inline T unary_scalar(T x) {
  switch (OP) {
    case ADJ_UNARY_NEG: return -x;
    case ADJ_UNARY_ABS: return std::fabs(x);
    case ADJ_UNARY_EXP: return sx_exp(x);
    case ADJ_UNARY_LOG: return sx_log(x);
    case ADJ_UNARY_SQRT: return std::sqrt(x);
    case ADJ_UNARY_SIN: return sx_sin(x);
    case ADJ_UNARY_COS: return sx_cos(x);
    case ADJ_UNARY_TANH: return sx_tanh(x);
    case ADJ_UNARY_SIGMOID: return sx_sigmoid(x);
    case ADJ_UNARY_RELU: return sx_relu(x);
    case ADJ_UNARY_SOFTPLUS: return sx_softplus(x);
  }
  return x;
}

// Backward formulas of adjoint.h. Those needing a transcendental of x evaluate in double and round once.
template <int OP, class T> inline T unary_bwd_scalar(T x, T y, T gy) {
  switch (OP) {
    case ADJ_UNARY_NEG: return -gy;
    case ADJ_UNARY_ABS: return gy * sx_sign(x);
    case ADJ_UNARY_EXP: return gy * y;
    case ADJ_UNARY_LOG: return gy / x;
    case ADJ_UNARY_SQRT: return gy / (T(2) * y);
    case ADJ_UNARY_SIN: return static_cast<T>(static_cast<double>(gy) * portable_cos(static_cast<double>(x)));
    case ADJ_UNARY_COS: return static_cast<T>(-static_cast<double>(gy) * portable_sin(static_cast<double>(x)));
    case ADJ_UNARY_TANH: return gy * (T(1) - y * y);
    case ADJ_UNARY_SIGMOID: return gy * y * (T(1) - y);
    case ADJ_UNARY_RELU: return x > 0 ? gy : T(0);
    case ADJ_UNARY_SOFTPLUS:
      if (x != x) return x;
      return static_cast<T>(static_cast<double>(gy) * sx_sigmoid_d(static_cast<double>(x)));
  }
  return gy;
}

inline float sx_pow(float a, float b) { return ::powf(a, b); }
inline double sx_pow(double a, double b) { return ::pow(a, b); }

template <int OP, class T> inline T binary_scalar(T a, T b) {
  switch (OP) {
    case ADJ_BINARY_ADD: return a + b;
    case ADJ_BINARY_SUB: return a - b;
    case ADJ_BINARY_MUL: return a * b;
    case ADJ_BINARY_DIV: return a / b;
    case ADJ_BINARY_POW: return sx_pow(a, b);
    // NaN wins from either side; a tie (including +0 vs -0) keeps a.
    case ADJ_BINARY_MAXIMUM: return (b > a || b != b) ? b : a;
    case ADJ_BINARY_MINIMUM: return (b < a || b != b) ? b : a;
  }
  return a;
}

}  // namespace
}  // namespace adj

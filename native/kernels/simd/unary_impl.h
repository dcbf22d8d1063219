// Elementwise unary kernels (forward and fused backward), one body for every ISA tier.
#pragma once
#include "kernels/simd/common.h"

namespace adj {
namespace ADJ_ISA_NS {

// Ops whose float version is exact in float arithmetic; the others evaluate in double.
template <int OP> constexpr bool kFloatNative =
    OP == ADJ_UNARY_NEG || OP == ADJ_UNARY_ABS || OP == ADJ_UNARY_SQRT || OP == ADJ_UNARY_RELU;

template <int OP, class V> ADJ_I V fwd_native(V x) {
  using T = decltype(hsum(x));
  if constexpr (OP == ADJ_UNARY_NEG) return -x;
  else if constexpr (OP == ADJ_UNARY_ABS) return vabs(x);
  else if constexpr (OP == ADJ_UNARY_SQRT) return vsqrt(x);
  else return select(gt(x, vset1(T(), 0)) | isnan(x), x, vset1(T(), 0));  // relu keeps NaN, maps -0 to +0
}

template <int OP> ADJ_I VD fwd(VD x) {
  if constexpr (kFloatNative<OP>) return fwd_native<OP>(x);
  else if constexpr (OP == ADJ_UNARY_EXP) return vexp(x);
  else if constexpr (OP == ADJ_UNARY_LOG) return vlog(x);
  else if constexpr (OP == ADJ_UNARY_SIN) return vsin(x);
  else if constexpr (OP == ADJ_UNARY_COS) return vcos(x);
  else if constexpr (OP == ADJ_UNARY_TANH) return vtanh(x);
  else if constexpr (OP == ADJ_UNARY_SIGMOID) return vsigmoid(x);
  else return vsoftplus(x);
}
// Float lanes: every transcendental in float arithmetic (math.h).
template <int OP> ADJ_I VF fwd(VF x) {
  if constexpr (kFloatNative<OP>) return fwd_native<OP>(x);
  else if constexpr (OP == ADJ_UNARY_EXP) return vexp(x);
  else if constexpr (OP == ADJ_UNARY_LOG) return vlog(x);
  else if constexpr (OP == ADJ_UNARY_SIN) return vsin(x);
  else if constexpr (OP == ADJ_UNARY_COS) return vcos(x);
  else if constexpr (OP == ADJ_UNARY_TANH) return vtanh(x);
  else if constexpr (OP == ADJ_UNARY_SIGMOID) return vsigmoid(x);
  else return vsoftplus(x);
}

template <int OP> constexpr bool kBwdNeedsF64 =
    OP == ADJ_UNARY_SIN || OP == ADJ_UNARY_COS || OP == ADJ_UNARY_SOFTPLUS;

// Backward formulas of adjoint.h, in the same operation order as the scalar reference.
template <int OP, class V> ADJ_I V bwd_native(V x, V y, V gy) {
  using T = decltype(hsum(x));
  const V zero = vset1(T(), 0), one = vset1(T(), 1);
  if constexpr (OP == ADJ_UNARY_NEG) return -gy;
  else if constexpr (OP == ADJ_UNARY_ABS) {
    V s = select(gt(x, zero), one, zero);
    s = select(lt(x, zero), -one, s);
    return gy * select(isnan(x), x, s);
  } else if constexpr (OP == ADJ_UNARY_EXP) return gy * y;
  else if constexpr (OP == ADJ_UNARY_LOG) return gy / x;
  else if constexpr (OP == ADJ_UNARY_SQRT) return gy / (vset1(T(), 2) * y);
  else if constexpr (OP == ADJ_UNARY_TANH) return gy * (one - y * y);
  else if constexpr (OP == ADJ_UNARY_SIGMOID) return gy * y * (one - y);
  else return select(gt(x, zero), gy, zero);  // relu
}
template <int OP> ADJ_I VD bwd_f64(VD x, VD gy) {
  if constexpr (OP == ADJ_UNARY_SIN) return gy * vcos(x);
  else if constexpr (OP == ADJ_UNARY_COS) return -gy * vsin(x);
  else return gy * vsigmoid(x);
}
template <int OP> ADJ_I VD bwd(VD x, VD y, VD gy) {
  if constexpr (kBwdNeedsF64<OP>) return bwd_f64<OP>(x, gy);
  else return bwd_native<OP>(x, y, gy);
}
template <int OP> ADJ_I VF bwd(VF x, VF y, VF gy) {
  if constexpr (OP == ADJ_UNARY_SOFTPLUS) return select(isnan(x), x, gy * vsigmoid(x));
  else if constexpr (OP == ADJ_UNARY_SIN) return gy * vcos(x);
  else if constexpr (OP == ADJ_UNARY_COS) return -gy * vsin(x);
  else return bwd_native<OP>(x, y, gy);
}

template <int OP, class T> void unary_fwd(int64_t n, const T* x, T* y) {
  map_out(n, 2, y, [x](int64_t i, int64_t c) { return fwd<OP>(load_count(x + i, c)); });
}

// One pass over x, y, gy (fused: no temporaries). x / y are NULL when the op does not read them; gy
// stands in so that no NULL is dereferenced.
template <int OP, class T> void unary_bwd(int64_t n, const T* x, const T* y, const T* gy, T* gx) {
  const T* xs = x ? x : gy;
  const T* ys = y ? y : gy;
  map_out(n, 2 + (x != nullptr) + (y != nullptr), gx, [xs, ys, gy](int64_t i, int64_t c) {
    return bwd<OP>(load_count(xs + i, c), load_count(ys + i, c), load_count(gy + i, c));
  });
}

}  // namespace ADJ_ISA_NS

#define ADJ_DEF(dt, OP, name) \
  void name(int64_t n, const ADJ_T_##dt* x, ADJ_T_##dt* y) { ADJ_ISA_NS::unary_fwd<ADJ_UNARY_##OP>(n, x, y); }
ADJ_FOR_EACH_DTYPE_FAMILY(ADJ_UNARY_KERNELS, ADJ_DEF, ADJ_ISA_SUFFIX)
#undef ADJ_DEF
#define ADJ_DEF(dt, OP, name)                                                                           \
  void name(int64_t n, const ADJ_T_##dt* x, const ADJ_T_##dt* y, const ADJ_T_##dt* gy, ADJ_T_##dt* gx) { \
    ADJ_ISA_NS::unary_bwd<ADJ_UNARY_##OP>(n, x, y, gy, gx);                                             \
  }
ADJ_FOR_EACH_DTYPE_FAMILY(ADJ_UNARY_BWD_KERNELS, ADJ_DEF, ADJ_ISA_SUFFIX)
#undef ADJ_DEF

}  // namespace adj

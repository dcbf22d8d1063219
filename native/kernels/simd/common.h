// Pieces every SIMD kernel file shares. Include after vec_<isa>.h; all definitions land in adj::<isa>.
#pragma once
#include "kernels/simd/math.h"
#include "src/kernels.h"

namespace adj {
namespace ADJ_ISA_NS {

// f(x) over float lanes by widening to double and rounding once.
template <class F> ADJ_I VF via_f64(VF x, F f) {
  VD lo, hi;
  widen(x, lo, hi);
  return narrow(f(lo), f(hi));
}
template <class F> ADJ_I VF via_f64(VF x, VF y, F f) {
  VD xl, xh, yl, yh;
  widen(x, xl, xh);
  widen(y, yl, yh);
  return narrow(f(xl, yl), f(xh, yh));
}

// exp at the data's precision.
ADJ_I VD vexp_t(VD x) { return vexp(x); }
ADJ_I VF vexp_t(VF x) { return vexp(x); }  // float-native, see math.h

}  // namespace ADJ_ISA_NS
}  // namespace adj

// Fused optimizer steps (fn_sgd, fn_adam in src/kernels.h), one vector of parameters at a time, masked tail.
// The operations and their order are those of kernels/ref/optim.cpp, each rounded on its own (these files are
// built with -ffp-contract=off, and sqrt and division are the IEEE ones, not estimates), so every tier gives
// the reference's bits.
#pragma once
#include "kernels/ref/optim_flags.h"
#include "kernels/simd/common.h"

namespace adj {
namespace ADJ_ISA_NS {

// f(i, count) for every vector of [0, n): count == N except in the tail.
template <class T, class F> ADJ_I void each_vector(int64_t n, F f) {
  constexpr int N = vec_t<T>::N;
  int64_t i = 0;
  for (; i + N <= n; i += N) f(i, int64_t(N));
  if (i < n) f(i, n - i);
}

template <bool kWd, bool kBuf, bool kFirst, bool kNesterov, class T>
void sgd_loop(int64_t n, T* p, const T* g, T* buf, T lr, T wd, T mu, T keep) {
  using V = vec_t<T>;
  const V vlr = vset1(T(), lr), vwd = vset1(T(), wd), vmu = vset1(T(), mu), vkeep = vset1(T(), keep);
  each_vector<T>(n, [&](int64_t i, int64_t c) {
    const V pi = load_count(p + i, c);
    V gi = load_count(g + i, c);
    if constexpr (kWd) gi = gi + vwd * pi;
    if constexpr (kBuf) {
      const V bi = kFirst ? gi : vmu * load_count(buf + i, c) + vkeep * gi;
      store_count(buf + i, bi, c);
      gi = kNesterov ? gi + vmu * bi : bi;
    }
    store_count(p + i, pi - vlr * gi, c);
  });
}

template <class T> void sgd(int64_t n, T* p, const T* g, T* buf, T lr, T wd, T mu, T keep, bool nesterov, bool first) {
  with_sgd_flags(wd != T(0), buf != nullptr, first, nesterov, [&](auto w, auto b, auto f, auto nv) {
    sgd_loop<decltype(w)::value, decltype(b)::value, decltype(f)::value, decltype(nv)::value>(n, p, g, buf, lr, wd,
                                                                                               mu, keep);
  });
}

template <bool kWd, bool kDecay, class T>
void adam_loop(int64_t n, T* p, const T* g, T* m, T* v, T b1, T b2, T eps, T wd, T decay, T step_size,
               T inv_sqrt_bc2) {
  using V = vec_t<T>;
  const V vb1 = vset1(T(), b1), vb2 = vset1(T(), b2), vc1 = vset1(T(), T(1) - b1), vc2 = vset1(T(), T(1) - b2);
  const V veps = vset1(T(), eps), vwd = vset1(T(), wd), vdecay = vset1(T(), decay);
  const V vstep = vset1(T(), step_size), vscale = vset1(T(), inv_sqrt_bc2);
  each_vector<T>(n, [&](int64_t i, int64_t c) {
    V pi = load_count(p + i, c), gi = load_count(g + i, c);
    if constexpr (kWd) gi = gi + vwd * pi;
    if constexpr (kDecay) pi = pi * vdecay;
    const V mi = vb1 * load_count(m + i, c) + vc1 * gi;
    const V vi = vb2 * load_count(v + i, c) + vc2 * (gi * gi);
    store_count(m + i, mi, c);
    store_count(v + i, vi, c);
    store_count(p + i, pi - vstep * (mi / (vsqrt(vi) * vscale + veps)), c);
  });
}

template <class T>
void adam(int64_t n, T* p, const T* g, T* m, T* v, T b1, T b2, T eps, T wd, T decay, T step_size, T inv_sqrt_bc2) {
  with_adam_flags(wd != T(0), decay != T(1), [&](auto w, auto d) {
    adam_loop<decltype(w)::value, decltype(d)::value>(n, p, g, m, v, b1, b2, eps, wd, decay, step_size, inv_sqrt_bc2);
  });
}

}  // namespace ADJ_ISA_NS

#define ADJ_DEF(dt, OP, name)                                                                                    \
  void name(int64_t n, ADJ_T_##dt* p, const ADJ_T_##dt* g, ADJ_T_##dt* buf, ADJ_T_##dt lr, ADJ_T_##dt wd,       \
            ADJ_T_##dt mu, ADJ_T_##dt keep, bool nesterov, bool first) {                                          \
    ADJ_ISA_NS::sgd(n, p, g, buf, lr, wd, mu, keep, nesterov, first);                                             \
  }
ADJ_FOR_EACH_DTYPE_FAMILY(ADJ_SGD_KERNELS, ADJ_DEF, ADJ_ISA_SUFFIX)
#undef ADJ_DEF

#define ADJ_DEF(dt, OP, name)                                                                                    \
  void name(int64_t n, ADJ_T_##dt* p, const ADJ_T_##dt* g, ADJ_T_##dt* m, ADJ_T_##dt* v, ADJ_T_##dt b1,          \
            ADJ_T_##dt b2, ADJ_T_##dt eps, ADJ_T_##dt wd, ADJ_T_##dt decay, ADJ_T_##dt step_size,                \
            ADJ_T_##dt inv_sqrt_bc2) {                                                                            \
    ADJ_ISA_NS::adam(n, p, g, m, v, b1, b2, eps, wd, decay, step_size, inv_sqrt_bc2);                              \
  }
ADJ_FOR_EACH_DTYPE_FAMILY(ADJ_ADAM_KERNELS, ADJ_DEF, ADJ_ISA_SUFFIX)
#undef ADJ_DEF

}  // namespace adj

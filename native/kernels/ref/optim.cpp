// Scalar definitions of the fused optimizer steps (fn_sgd, fn_adam in src/kernels.h): the meaning every tier
// reproduces bit for bit. Built with -ffp-contract=off (native/CMakeLists.txt) like the SIMD tiers' files.
#include <cmath>

#include "kernels/ref/optim_flags.h"
#include "src/kernels.h"

namespace adj {
namespace {

template <bool kWd, bool kBuf, bool kFirst, bool kNesterov, class T>
void sgd_loop(int64_t n, T* __restrict p, const T* __restrict g, T* __restrict buf, T lr, T wd, T mu, T keep) {
  for (int64_t i = 0; i < n; ++i) {
    T gi = g[i];
    if (kWd) gi = gi + wd * p[i];
    if (kBuf) {
      const T bi = kFirst ? gi : mu * buf[i] + keep * gi;
      buf[i] = bi;
      gi = kNesterov ? gi + mu * bi : bi;
    }
    p[i] = p[i] - lr * gi;
  }
}

template <class T> void sgd(int64_t n, T* p, const T* g, T* buf, T lr, T wd, T mu, T keep, bool nesterov, bool first) {
  with_sgd_flags(wd != T(0), buf != nullptr, first, nesterov, [&](auto w, auto b, auto f, auto nv) {
    sgd_loop<decltype(w)::value, decltype(b)::value, decltype(f)::value, decltype(nv)::value>(n, p, g, buf, lr, wd,
                                                                                               mu, keep);
  });
}

template <bool kWd, bool kDecay, class T>
void adam_loop(int64_t n, T* __restrict p, const T* __restrict g, T* __restrict m, T* __restrict v, T b1, T b2,
               T eps, T wd, T decay, T step_size, T inv_sqrt_bc2) {
  const T c1 = T(1) - b1, c2 = T(1) - b2;
  for (int64_t i = 0; i < n; ++i) {
    T pi = p[i], gi = g[i];
    if (kWd) gi = gi + wd * pi;
    if (kDecay) pi = pi * decay;
    const T mi = b1 * m[i] + c1 * gi;
    const T vi = b2 * v[i] + c2 * (gi * gi);
    m[i] = mi;
    v[i] = vi;
    p[i] = pi - step_size * (mi / (std::sqrt(vi) * inv_sqrt_bc2 + eps));
  }
}

template <class T>
void adam(int64_t n, T* p, const T* g, T* m, T* v, T b1, T b2, T eps, T wd, T decay, T step_size, T inv_sqrt_bc2) {
  with_adam_flags(wd != T(0), decay != T(1), [&](auto w, auto d) {
    adam_loop<decltype(w)::value, decltype(d)::value>(n, p, g, m, v, b1, b2, eps, wd, decay, step_size, inv_sqrt_bc2);
  });
}

}  // namespace

#define ADJ_DEF(dt, OP, name)                                                                                    \
  void name(int64_t n, ADJ_T_##dt* p, const ADJ_T_##dt* g, ADJ_T_##dt* buf, ADJ_T_##dt lr, ADJ_T_##dt wd,       \
            ADJ_T_##dt mu, ADJ_T_##dt keep, bool nesterov, bool first) {                                          \
    sgd(n, p, g, buf, lr, wd, mu, keep, nesterov, first);                                                         \
  }
ADJ_FOR_EACH_DTYPE_FAMILY(ADJ_SGD_KERNELS, ADJ_DEF, __ref)
#undef ADJ_DEF

#define ADJ_DEF(dt, OP, name)                                                                                    \
  void name(int64_t n, ADJ_T_##dt* p, const ADJ_T_##dt* g, ADJ_T_##dt* m, ADJ_T_##dt* v, ADJ_T_##dt b1,          \
            ADJ_T_##dt b2, ADJ_T_##dt eps, ADJ_T_##dt wd, ADJ_T_##dt decay, ADJ_T_##dt step_size,                \
            ADJ_T_##dt inv_sqrt_bc2) {                                                                            \
    adam(n, p, g, m, v, b1, b2, eps, wd, decay, step_size, inv_sqrt_bc2);                                          \
  }
ADJ_FOR_EACH_DTYPE_FAMILY(ADJ_ADAM_KERNELS, ADJ_DEF, __ref)
#undef ADJ_DEF

}  // namespace adj

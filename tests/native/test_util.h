// Helpers shared by the native tests: the tiers this CPU can run, random data with special values,
// guarded output buffers, and ulp-aware comparison.
#pragma once
#include <gtest/gtest.h>

#include <cfloat>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "adjoint/adjoint.h"
#include "src/kernels.h"

namespace adjt {

// Every compiled tier the CPU supports, scalar first.
inline std::vector<const adj::KernelTable*> runnable_tiers() {
  std::vector<const adj::KernelTable*> out;
  for (int i = ADJ_ISA_SCALAR; i <= adj_max_isa(); ++i)
    if (const adj::KernelTable* t = adj::kernel_table(static_cast<adj_isa>(i))) out.push_back(t);
  return out;
}
inline const adj::KernelTable& ref_tier() { return *adj::kernel_table(ADJ_ISA_SCALAR); }

// Runs body once per runnable tier with the API forced to it; restores the previous choice.
template <class F> void for_each_isa(F&& body) {
  const adj_isa saved = adj_cpu_isa();
  for (const adj::KernelTable* t : runnable_tiers()) {
    ASSERT_EQ(adj_set_isa(t->isa), ADJ_OK);
    SCOPED_TRACE(std::string("isa=") + t->isa_name);
    body(t->isa);
  }
  adj_set_isa(saved);
}

template <class T> struct Specials {
  static std::vector<T> values() {
    const T inf = std::numeric_limits<T>::infinity(), nan = std::numeric_limits<T>::quiet_NaN();
    const T den = std::numeric_limits<T>::denorm_min(), mn = std::numeric_limits<T>::min();
    return {nan, inf, -inf, T(0), -T(0), den, -den, T(3) * den, mn / T(4), -mn / T(3), mn, -mn,
            std::numeric_limits<T>::max(), -std::numeric_limits<T>::max(), T(1), T(-1), T(0.5), T(-2)};
  }
};

// Random values over several scales, with special values sprinkled in.
template <class T> std::vector<T> random_values(std::mt19937_64& rng, int64_t n, double scale = 20.0,
                                                bool specials = true, bool wide = true) {
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  std::uniform_int_distribution<int> pick(0, 15);
  const std::vector<T> sp = Specials<T>::values();
  std::vector<T> v(static_cast<size_t>(n));
  for (auto& x : v) {
    const int p = pick(rng);
    if (specials && p == 0) x = sp[rng() % sp.size()];
    else if (p == 1) x = static_cast<T>(u(rng) * 1e-3);
    else if (p == 2 && wide) x = static_cast<T>(u(rng) * 1e6);
    else x = static_cast<T>(u(rng) * scale);
  }
  return v;
}

// An output buffer with sentinel guard elements on both sides that must survive every kernel call.
template <class T> struct Guarded {
  static constexpr int kGuard = 64;
  std::vector<T> buf;
  int64_t n;
  explicit Guarded(int64_t count) : buf(static_cast<size_t>(count + 2 * kGuard)), n(count) {
    for (auto& x : buf) x = sentinel();
  }
  static T sentinel() { return T(-12345.678); }
  T* data() { return buf.data() + kGuard; }
  bool guards_intact() const {
    for (int i = 0; i < kGuard; ++i)
      if (buf[i] != sentinel() || buf[buf.size() - 1 - i] != sentinel()) return false;
    return true;
  }
};

// True when got matches want within rel (relative, floored at the smallest normal), treating NaN as
// equal to NaN and requiring exact infinities and the sign of zeros.
template <class T> bool close(T got, T want, double rel) {
  if (std::isnan(want)) return std::isnan(got);
  if (std::isinf(want) || std::isinf(got)) return got == want;
  if (want == 0 && got == 0) return std::signbit(want) == std::signbit(got);
  const double floor = static_cast<double>(std::numeric_limits<T>::min());
  const double err = std::fabs(static_cast<double>(got) - static_cast<double>(want));
  return err <= rel * std::max(std::fabs(static_cast<double>(want)), floor);
}

template <class T> std::string show(T x) {
  char b[64];
  std::snprintf(b, sizeof b, "%.17g", static_cast<double>(x));
  return b;
}

}  // namespace adjt

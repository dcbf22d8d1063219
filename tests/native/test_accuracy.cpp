// Accuracy of the vectorized transcendentals, per tier, against a higher-precision reference:
// float32 kernels against double, float64 kernels against long double. Metric: |y - ref| / max(|ref|,
// smallest normal of the kernel's type), i.e. relative everywhere except in the subnormal range where
// it is absolute at that floor. Bounds: 1e-6 (f32) and 1e-14 (f64). The maxima are printed.
#include "test_util.h"

using namespace adjt;

namespace {

struct Domain {
  double lo, hi;
};

long double ref_ld(int op, long double x) {
  switch (op) {
    case ADJ_UNARY_EXP: return expl(x);
    case ADJ_UNARY_LOG: return logl(x);
    case ADJ_UNARY_SIN: return sinl(x);
    case ADJ_UNARY_COS: return cosl(x);
    case ADJ_UNARY_TANH: return tanhl(x);
    case ADJ_UNARY_SIGMOID: return 1.0L / (1.0L + expl(-x));
    case ADJ_UNARY_SOFTPLUS: return (x > 0 ? x : 0.0L) + log1pl(expl(-fabsl(x)));
  }
  return 0;
}

template <class T> std::vector<T> samples(int op, std::mt19937_64& rng, int count) {
  const bool f32 = sizeof(T) == 4;
  Domain d{};
  switch (op) {
    case ADJ_UNARY_EXP: d = f32 ? Domain{-103.9, 88.7} : Domain{-745.1, 709.7}; break;
    case ADJ_UNARY_SIN:
    case ADJ_UNARY_COS: d = {-1e5, 1e5}; break;
    case ADJ_UNARY_TANH: d = {-25, 25}; break;
    default: d = f32 ? Domain{-104, 104} : Domain{-745, 745}; break;
  }
  std::uniform_real_distribution<double> u(d.lo, d.hi), small(-1, 1), e2(-1074, 1023), ef(-149, 127);
  std::vector<T> v(static_cast<size_t>(count));
  for (int i = 0; i < count; ++i) {
    double x;
    if (op == ADJ_UNARY_LOG) x = std::exp2(f32 ? ef(rng) : e2(rng)) * (1 + std::fabs(small(rng)));  // all binades
    else if (i % 4 == 0) x = small(rng) * std::pow(10.0, -8 * std::fabs(small(rng)));             // near 0
    else if (i % 4 == 1 && (op == ADJ_UNARY_SIN || op == ADJ_UNARY_COS))
      x = std::round(u(rng) / 1.5707963267948966) * 1.5707963267948966;                           // near zeros
    else x = u(rng);
    if (op == ADJ_UNARY_LOG && i % 5 == 0) x = 1 + small(rng) * 1e-3;                               // near 1
    v[static_cast<size_t>(i)] = static_cast<T>(x);
  }
  // Beyond the vector range sin/cos fall back to the C library; include some of those too.
  if (op == ADJ_UNARY_SIN || op == ADJ_UNARY_COS)
    for (int i = 0; i < 64; ++i) v[static_cast<size_t>(i)] = static_cast<T>(std::pow(10.0, 5 + i % 30) * (1 + small(rng)));
  return v;
}

template <class T> void measure(int op) {
  std::mt19937_64 rng(2024 + op);
  const int count = 120000;
  const std::vector<T> x = samples<T>(op, rng, count);
  std::vector<long double> ref(x.size());
  for (size_t i = 0; i < x.size(); ++i) ref[i] = ref_ld(op, static_cast<long double>(x[i]));
  const double bound = sizeof(T) == 4 ? 1e-6 : 1e-14;
  const long double floor = std::numeric_limits<T>::min();
  for (const adj::KernelTable* tier : runnable_tiers()) {
    const auto& k = adj::typed<T>(*tier);
    std::vector<T> y(x.size());
    k.unary[op](count, x.data(), y.data());
    double worst = 0;
    size_t at = 0;
    for (size_t i = 0; i < x.size(); ++i) {
      // f32 is judged against the double result of the reference formula, as specified.
      const long double r = sizeof(T) == 4 ? static_cast<long double>(static_cast<double>(ref[i])) : ref[i];
      if (std::isinf(static_cast<T>(r)) || std::isinf(y[i])) {
        EXPECT_EQ(static_cast<T>(r), y[i]) << "x=" << show(x[i]);
        continue;
      }
      const long double err = fabsl(static_cast<long double>(y[i]) - r) / std::max(fabsl(r), floor);
      if (static_cast<double>(err) > worst) {
        worst = static_cast<double>(err);
        at = i;
      }
    }
    std::printf("[ accuracy ] %-22s max rel err %.3e  (at x=%.17g)\n", k.unary_name[op], worst,
                static_cast<double>(x[at]));
    EXPECT_LE(worst, bound) << k.unary_name[op] << " at x=" << show(x[at]);
  }
}

}  // namespace

#define ADJ_ACC(op) \
  TEST(Accuracy, f32_##op) { measure<float>(ADJ_UNARY_##op); } \
  TEST(Accuracy, f64_##op) { measure<double>(ADJ_UNARY_##op); }
ADJ_ACC(EXP)
ADJ_ACC(LOG)
ADJ_ACC(SIN)
ADJ_ACC(COS)
ADJ_ACC(TANH)
ADJ_ACC(SIGMOID)
ADJ_ACC(SOFTPLUS)

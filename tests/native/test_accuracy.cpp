// Accuracy of the vectorized transcendentals, per tier, against a higher-precision reference:
// float32 kernels against double, float64 kernels against long double. Metric: |y - ref| / max(|ref|,
// smallest normal of the kernel's type), i.e. relative everywhere except in the subnormal range where
// it is absolute at that floor. Bounds: 1e-6 (f32) and 1e-14 (f64). The maxima are printed.
//
// SinCos.*: the library's own double sin/cos (kernels/ref/sincos.h), which the scalar tier uses and every
// SIMD tier falls back to beyond |x| = 1e5. Errors in ulps of the exact value, bound 1 ulp, maxima printed:
// hard cases with exact values from mpmath (sincos_cases.inc) on every platform, and glibc's long double
// sinl/cosl over binades from subnormals to 2^1024 where glibc is the C library.
#include <cstdlib>

#include "kernels/ref/sincos.h"
#include "test_util.h"

using namespace adjt;

namespace {

struct Domain {
  double lo, hi;
};

// glibc's sinl/cosl reduce exactly. Elsewhere (mingw: x87 fsin with a 66-bit pi) only |x| <= pi/4 is
// trustworthy, so x is first reduced by the library's Payne-Hanek/Cody-Waite reduction, which
// SinCos.HardCases checks against mpmath on every platform.
long double ref_sincos_ld(bool cosine, long double x) {
#ifdef __GLIBC__
  return cosine ? cosl(x) : sinl(x);
#else
  double hi, lo;
  const int q = adj::portable_reduce_pio2(static_cast<double>(x), &hi, &lo);
  const long double r = static_cast<long double>(hi) + lo;
  const int k = (q + (cosine ? 1 : 0)) & 3;
  const long double v = (k & 1) ? cosl(r) : sinl(r);
  return k >= 2 ? -v : v;
#endif
}

long double ref_ld(int op, long double x) {
  switch (op) {
    case ADJ_UNARY_EXP: return expl(x);
    case ADJ_UNARY_LOG: return logl(x);
    case ADJ_UNARY_SIN: return ref_sincos_ld(false, x);
    case ADJ_UNARY_COS: return ref_sincos_ld(true, x);
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
  // Beyond the vector range sin/cos fall back to portable_sin/portable_cos; include some of those too.
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

// tanh clamps |x| at 9.5 and relies on e / (e + 2) coming out as exactly 1 there, and on NaN passing
// through every step, instead of selecting those results (vtanh in kernels/simd/math.h).
TEST(Accuracy, f32_TANH_saturation_and_specials) {
  const float big[] = {9.02f, 9.25f, 9.4999f, 9.5f, 9.5001f, 10.0f, 20.0f, 88.0f, 1e30f, INFINITY};
  std::vector<float> x, y;
  for (float v : big) {
    x.push_back(v);
    x.push_back(-v);
  }
  x.push_back(NAN);
  x.push_back(-NAN);
  x.push_back(0.0f);
  x.push_back(-0.0f);
  for (const adj::KernelTable* tier : runnable_tiers()) {
    const auto& k = adj::typed<float>(*tier);
    y.assign(x.size(), 0.5f);
    k.unary[ADJ_UNARY_TANH](static_cast<int64_t>(x.size()), x.data(), y.data());
    for (size_t i = 0; i < x.size(); ++i) {
      const float want = std::isnan(x[i]) ? x[i] : static_cast<float>(tanhl(x[i]));
      if (std::isnan(want)) {
        EXPECT_TRUE(std::isnan(y[i])) << k.unary_name[ADJ_UNARY_TANH] << " at x=" << show(x[i]);
      } else {
        EXPECT_EQ(y[i], want) << k.unary_name[ADJ_UNARY_TANH] << " at x=" << show(x[i]);
        EXPECT_EQ(std::signbit(y[i]), std::signbit(want)) << k.unary_name[ADJ_UNARY_TANH] << " at x=" << show(x[i]);
      }
    }
  }
}

// ---- the library's own sin/cos ----------------------------------------------------------------------

namespace {

// |y - exact| in ulps of the exact value (hi + lo, hi the double nearest to it).
double ulps(double y, double hi, double lo) {
  if (std::isnan(hi)) return std::isnan(y) ? 0 : INFINITY;
  if (hi == 0) return y == 0 ? 0 : INFINITY;
  int e;
  std::frexp(hi, &e);
  double ulp = std::ldexp(1.0, std::max(e - 53, -1074));
  if (std::fabs(hi) == std::ldexp(1.0, e - 1) && (lo < 0) != (hi < 0)) ulp /= 2;  // exact value below 2^k
  return std::fabs((y - hi) - lo) / ulp;  // y - hi is exact when they are close (Sterbenz)
}

struct SinCosCase {
  double x, sin_hi, sin_lo, cos_hi, cos_lo;
};
const SinCosCase kHardCases[] = {
#include "sincos_cases.inc"
};

struct Worst {
  double err = 0, at = 0;
  void add(double e, double x) {
    if (e > err) err = e, at = x;
  }
};

}  // namespace

// Doubles closest to multiples of pi/2 in every binade up to 2^1024 (found by continued fractions),
// small multiples of pi/2, the Cody-Waite/Payne-Hanek boundary at 2^30, powers of two and DBL_MAX.
TEST(SinCos, HardCasesWithin1Ulp) {
  Worst s, c;
  for (const SinCosCase& h : kHardCases) {
    s.add(ulps(adj::portable_sin(h.x), h.sin_hi, h.sin_lo), h.x);
    c.add(ulps(adj::portable_cos(h.x), h.cos_hi, h.cos_lo), h.x);
  }
  const int n = static_cast<int>(sizeof kHardCases / sizeof kHardCases[0]);
  std::printf("[ accuracy ] portable_sin  %d hard cases: max error %.3f ulp (at x=%a)\n", n, s.err, s.at);
  std::printf("[ accuracy ] portable_cos  %d hard cases: max error %.3f ulp (at x=%a)\n", n, c.err, c.at);
  EXPECT_LE(s.err, 1.0) << "sin at x=" << show(s.at);
  EXPECT_LE(c.err, 1.0) << "cos at x=" << show(c.at);
}

// Every tier on the same hard cases: within 1 ulp inside the vector range (|x| <= 1e5; the SIMD
// reduction there is a 3-part Cody-Waite with FMA), and bit for bit portable_sin/cos beyond it (their
// fallback).
TEST(SinCos, TiersOnHardCases) {
  std::vector<double> x;
  for (const SinCosCase& h : kHardCases) x.push_back(h.x);
  const int64_t n = static_cast<int64_t>(x.size());
  for (const adj::KernelTable* tier : runnable_tiers()) {
    const auto& k = adj::typed<double>(*tier);
    std::vector<double> ys(x.size()), yc(x.size());
    k.unary[ADJ_UNARY_SIN](n, x.data(), ys.data());
    k.unary[ADJ_UNARY_COS](n, x.data(), yc.data());
    Worst s, c;
    for (size_t i = 0; i < x.size(); ++i) {
      const SinCosCase& h = kHardCases[i];
      if (std::fabs(h.x) <= 1e5) {
        s.add(ulps(ys[i], h.sin_hi, h.sin_lo), h.x);
        c.add(ulps(yc[i], h.cos_hi, h.cos_lo), h.x);
      } else {
        EXPECT_EQ(ys[i], adj::portable_sin(h.x)) << tier->isa_name << " sin x=" << show(h.x);
        EXPECT_EQ(yc[i], adj::portable_cos(h.x)) << tier->isa_name << " cos x=" << show(h.x);
      }
    }
    std::printf("[ accuracy ] %-22s hard cases |x|<=1e5: max error %.3f ulp (at x=%a)\n", k.unary_name[ADJ_UNARY_SIN],
                s.err, s.at);
    std::printf("[ accuracy ] %-22s hard cases |x|<=1e5: max error %.3f ulp (at x=%a)\n", k.unary_name[ADJ_UNARY_COS],
                c.err, c.at);
    EXPECT_LE(s.err, 1.0) << k.unary_name[ADJ_UNARY_SIN] << " at x=" << show(s.at);
    EXPECT_LE(c.err, 1.0) << k.unary_name[ADJ_UNARY_COS] << " at x=" << show(c.at);
  }
}

TEST(SinCos, SpecialValues) {
  const double inf = INFINITY, nan = NAN, den = std::numeric_limits<double>::denorm_min();
  EXPECT_TRUE(std::isnan(adj::portable_sin(nan)));
  EXPECT_TRUE(std::isnan(adj::portable_cos(nan)));
  for (double v : {inf, -inf}) {
    EXPECT_TRUE(std::isnan(adj::portable_sin(v)));
    EXPECT_TRUE(std::isnan(adj::portable_cos(v)));
  }
  EXPECT_EQ(adj::portable_sin(0.0), 0.0);
  EXPECT_FALSE(std::signbit(adj::portable_sin(0.0)));
  EXPECT_TRUE(std::signbit(adj::portable_sin(-0.0)));
  EXPECT_EQ(adj::portable_cos(0.0), 1.0);
  EXPECT_EQ(adj::portable_cos(-0.0), 1.0);
  // Subnormals and tiny normals: sin x = x, cos x = 1 exactly (correctly rounded).
  for (double v : {den, -den, 3 * den, std::numeric_limits<double>::min(), -0x1p-1000, 0x1.fffffp-28}) {
    EXPECT_EQ(adj::portable_sin(v), v) << show(v);
    EXPECT_EQ(adj::portable_cos(v), 1.0) << show(v);
  }
  // Just past the shortcuts (correctly rounded values from mpmath).
  EXPECT_EQ(adj::portable_sin(0x1.fffffp-27), 0x1.fffffp-27);
  EXPECT_EQ(adj::portable_cos(0x1.fffffp-27), 0x1.fffffffffffffp-1);
  // Odd and even symmetry hold exactly (the reduction of -x mirrors that of x).
  std::mt19937_64 rng(5);
  std::uniform_real_distribution<double> e(-30, 1023);
  for (int i = 0; i < 2000; ++i) {
    const double v = std::exp2(e(rng));
    EXPECT_EQ(adj::portable_sin(-v), -adj::portable_sin(v)) << show(v);
    EXPECT_EQ(adj::portable_cos(-v), adj::portable_cos(v)) << show(v);
  }
}

// sincos.cpp uses plain IEEE operations only, so every platform must produce the same bits: a hash of
// sin and cos over 400,000 arguments (all exponents from 2^-40 to 2^1023, both signs) recorded on
// linux-x64; the same value must come out under wine (win-x64) and qemu (linux-arm64).
TEST(SinCos, SameBitsOnEveryPlatform) {
  uint64_t s = 88172645463325252ull, h = 1469598103934665603ull;
  for (int i = 0; i < 200000; ++i) {
    s ^= s << 13;
    s ^= s >> 7;
    s ^= s << 17;
    const uint64_t e = 1023 - 40 + (s >> 52) % 1064;
    const uint64_t bits = (e << 52) | (s & 0xFFFFFFFFFFFFFull) | (static_cast<uint64_t>(i & 1) << 63);
    double x;
    std::memcpy(&x, &bits, sizeof x);
    const double r[2] = {adj::portable_sin(x), adj::portable_cos(x)};
    uint64_t u[2];
    std::memcpy(u, r, sizeof u);
    h = (h ^ u[0]) * 1099511628211ull;
    h = (h ^ u[1]) * 1099511628211ull;
  }
  EXPECT_EQ(h, 0xa444406915567035ull) << std::hex << "hash 0x" << h;
}

// Random doubles, uniform in the exponent, over ranges from subnormals to DBL_MAX, against glibc's long
// double sinl/cosl (exact reduction, 64-bit or 113-bit significands). Also counts how often the result
// differs from glibc's double sin/cos (both are within 1 ulp, so they may round apart).
TEST(SinCos, VersusGlibcOverRanges) {
#ifndef __GLIBC__
  GTEST_SKIP() << "needs glibc's sinl/cosl as the reference (SinCos.HardCasesWithin1Ulp runs everywhere)";
#else
  struct Range {
    double lo, hi;  // log2 |x|
  };
  const Range ranges[] = {{-1074, -1022}, {-1022, -30}, {-30, -5}, {-5, 0},     {0, 3},      {3, 10},
                          {10, 17},       {17, 25},     {25, 30},  {30, 31},    {31, 45},    {45, 60},
                          {60, 120},      {120, 300},   {300, 600}, {600, 900}, {900, 1024}};
  std::mt19937_64 rng(77);
  Worst all_s, all_c;
  for (const Range& r : ranges) {
    std::uniform_real_distribution<double> e(r.lo, r.hi);
    Worst s, c;
    long differ = 0;
    const int count = 20000;
    for (int i = 0; i < count; ++i) {
      double v = std::exp2(e(rng));
      if (!std::isfinite(v)) v = std::numeric_limits<double>::max();
      if (i & 1) v = -v;
      const double ys = adj::portable_sin(v), yc = adj::portable_cos(v);
      const long double rs = sinl(v), rc = cosl(v);
      const double rsh = static_cast<double>(rs), rch = static_cast<double>(rc);
      s.add(ulps(ys, rsh, static_cast<double>(rs - rsh)), v);
      c.add(ulps(yc, rch, static_cast<double>(rc - rch)), v);
      differ += (ys != ::sin(v)) + (yc != ::cos(v));
    }
    std::printf("[ accuracy ] |x| in 2^[%5g,%5g): sin max %.3f ulp (x=%a)  cos max %.3f ulp (x=%a)  "
                "differs from glibc sin/cos in %.2f%%\n",
                r.lo, r.hi, s.err, s.at, c.err, c.at, 100.0 * static_cast<double>(differ) / (2.0 * count));
    all_s.add(s.err, s.at);
    all_c.add(c.err, c.at);
  }
  std::printf("[ accuracy ] portable_sin vs sinl: max error %.3f ulp (at x=%a)\n", all_s.err, all_s.at);
  std::printf("[ accuracy ] portable_cos vs cosl: max error %.3f ulp (at x=%a)\n", all_c.err, all_c.at);
  EXPECT_LE(all_s.err, 1.0) << show(all_s.at);
  EXPECT_LE(all_c.err, 1.0) << show(all_c.at);
#endif
}

// Every float (all 2^32 bit patterns) through every tier's float kernel, against the best tier's float64
// kernel on the same input (itself within ~1e-16 relative, see above). Error in float ulps of the exact
// result; non-finite results must match exactly. SIMD tiers only (the scalar tier is the float64 function
// rounded once). Minutes per op on one core, so it runs only with ADJOINT_EXHAUSTIVE=1 (every float) or
// ADJOINT_EXHAUSTIVE=k (every k-th bit pattern):
//   ADJOINT_EXHAUSTIVE=1 build/native/tests/native/adjoint_native_tests --gtest_filter='AccuracyExhaustive.*'
namespace {

// |y - exact| in float ulps of exact; bit arithmetic instead of frexp/ldexp (this runs 2^33 times).
inline double f32_ulps(float y, double exact) {
  const float fe = static_cast<float>(exact);
  if (exact != exact) return y != y ? 0 : INFINITY;
  if (std::isinf(fe) || std::isinf(y)) return fe == y ? 0 : INFINITY;
  uint64_t b;
  std::memcpy(&b, &exact, sizeof b);
  int e = static_cast<int>((b >> 52) & 0x7FF) - 1023 - 23;  // float ulp exponent at |exact|
  if (e < -149) e = -149;
  const uint64_t ub = static_cast<uint64_t>(e + 1023) << 52;
  double ulp;
  std::memcpy(&ulp, &ub, sizeof ulp);
  return std::fabs(static_cast<double>(y) - exact) / ulp;
}

void exhaustive(int op, double bound_ulps) {
  const char* env = std::getenv("ADJOINT_EXHAUSTIVE");
  const long stride = env ? std::atol(env) : 0;  // 1: every float; k: every k-th bit pattern
  if (stride < 1) GTEST_SKIP() << "set ADJOINT_EXHAUSTIVE=1 to check every float (=k: every k-th bit pattern)";
  std::vector<const adj::KernelTable*> tiers = runnable_tiers();
  const auto& best64 = adj::typed<double>(*tiers.back());
  tiers.erase(tiers.begin());  // the scalar tier is the float64 function rounded once
  constexpr int64_t kChunk = 1 << 20;
  std::vector<float> x(kChunk), y(kChunk);
  std::vector<double> xd(kChunk), ref(kChunk);
  std::vector<Worst> worst(tiers.size());
  const uint64_t count = ((uint64_t(1) << 32) + static_cast<uint64_t>(stride) - 1) / static_cast<uint64_t>(stride);
  for (uint64_t base = 0; base < count; base += kChunk) {
    for (int64_t i = 0; i < kChunk; ++i) {
      const uint32_t bits = static_cast<uint32_t>((base + static_cast<uint64_t>(i)) * static_cast<uint64_t>(stride));
      std::memcpy(&x[static_cast<size_t>(i)], &bits, sizeof bits);
      xd[static_cast<size_t>(i)] = x[static_cast<size_t>(i)];
    }
    best64.unary[op](kChunk, xd.data(), ref.data());
    for (size_t t = 0; t < tiers.size(); ++t) {
      adj::typed<float>(*tiers[t]).unary[op](kChunk, x.data(), y.data());
      for (int64_t i = 0; i < kChunk; ++i)
        worst[t].add(f32_ulps(y[static_cast<size_t>(i)], ref[static_cast<size_t>(i)]), x[static_cast<size_t>(i)]);
    }
  }
  for (size_t t = 0; t < tiers.size(); ++t) {
    const char* name = adj::typed<float>(*tiers[t]).unary_name[op];
    std::printf("[ accuracy ] %-22s every %s float: max error %.3f ulp (at x=%a)\n", name,
                stride == 1 ? "" : (std::to_string(stride) + "th").c_str(), worst[t].err, worst[t].at);
    EXPECT_LE(worst[t].err, bound_ulps) << name << " at x=" << show(worst[t].at);
  }
}

}  // namespace

// Bounds in float ulps: the maxima measured over every 16th float (ADJOINT_EXHAUSTIVE=16, AVX2 and
// AVX-512 alike: exp 0.98, log 0.80, sin 1.46, cos 1.47, tanh 2.42, sigmoid 2.40, softplus 2.68) plus margin
// for the inputs that run skipped.
TEST(AccuracyExhaustive, f32_EXP) { exhaustive(ADJ_UNARY_EXP, 2); }
TEST(AccuracyExhaustive, f32_LOG) { exhaustive(ADJ_UNARY_LOG, 2); }
TEST(AccuracyExhaustive, f32_SIN) { exhaustive(ADJ_UNARY_SIN, 3); }
TEST(AccuracyExhaustive, f32_COS) { exhaustive(ADJ_UNARY_COS, 3); }
TEST(AccuracyExhaustive, f32_TANH) { exhaustive(ADJ_UNARY_TANH, 4); }
TEST(AccuracyExhaustive, f32_SIGMOID) { exhaustive(ADJ_UNARY_SIGMOID, 4); }
TEST(AccuracyExhaustive, f32_SOFTPLUS) { exhaustive(ADJ_UNARY_SOFTPLUS, 4); }

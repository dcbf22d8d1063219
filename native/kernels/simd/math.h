// Vectorized double-precision elementary functions, written once over the ISA's VD wrapper and compiled
// per ISA (include a vec_<isa>.h first; everything lands in adj::<isa>).
//
// Accuracy (measured by tests/native/test_accuracy.cpp, which prints the maxima): relative error
// below 1e-15 against a long-double reference on the domains below. float kernels widen to double,
// evaluate these, and round once, so they are within about 0.5 ulp of the float64 truth.
//
//   exp      all x (overflow to +inf above 709.78, gradual underflow to 0 below -745.13)
//   log      all x (x<0 -> NaN, 0 -> -inf, subnormals exact-scaled)
//   sin/cos  |x| <= 1e5 in vector code (Cody-Waite reduction with a 3-part pi/2 and FMA); larger |x|,
//            Inf and NaN lanes go per element to portable_sin/portable_cos (kernels/ref/sincos.h: exact
//            reduction, within 1 ulp, identical bits on every platform, no C library), which share the
//            reduction constants and Taylor coefficients below.
//   tanh     all x, via expm1 so that small |x| keeps relative accuracy
//   sigmoid  all x, both branches written so tiny results keep relative accuracy
//   softplus all x: max(x,0) + log1p(exp(-|x|)), log1p by the u=1+v, log(u)*v/(u-1) correction
// No flush-to-zero anywhere: subnormal inputs and outputs behave like the C library.
// Coefficients are Taylor coefficients with enough terms that truncation is below 1e-17 on the
// reduced range (minimax would save a term or two; accuracy is the priority here).
#pragma once
#include <cmath>

#include "kernels/ref/sincos.h"

namespace adj {
namespace ADJ_ISA_NS {

ADJ_I VD d(double x) { return vset1(0.0, x); }

// Horner evaluation of c[0] + c[1] z + ... + c[K-1] z^(K-1).
template <int K> ADJ_I VD horner(VD z, const double (&c)[K]) {
  VD p = d(c[K - 1]);
  for (int i = K - 2; i >= 0; --i) p = fma(p, z, d(c[i]));
  return p;
}

constexpr double kLn2Hi = 0x1.62e42fefa39efp-1, kLn2Lo = 0x1.abc9e3b39803fp-56;
constexpr double kLog2e = 0x1.71547652b82fep+0;

// e^r - 1 - r for |r| <= ln2/2, as r^2 * (1/2! + r/3! + ... ) through r^13.
ADJ_I VD expm1_core(VD r) {
  static constexpr double c[] = {1.0 / 2, 1.0 / 6, 1.0 / 24, 1.0 / 120, 1.0 / 720, 1.0 / 5040, 1.0 / 40320,
                                 1.0 / 362880, 1.0 / 3628800, 1.0 / 39916800, 1.0 / 479001600,
                                 1.0 / 6227020800.0};
  return r * r * horner(r, c);
}

// Reduces x = k ln2 + r, |r| <= ln2/2 (x already clamped to a finite range).
ADJ_I VD reduce_ln2(VD x, VD& k) {
  k = round_nearest(x * d(kLog2e));
  VD r = fnma(k, d(kLn2Hi), x);
  return fnma(k, d(kLn2Lo), r);
}

ADJ_I VD vexp(VD x) {
  // Clamping keeps k small enough for ldexp_k; the clamped ends still overflow/underflow correctly.
  // x is the second operand of min/max so a NaN survives (x86 returns the second operand on NaN).
  const VD xc = max_raw(d(-746.0), min_raw(d(710.0), x));
  VD k;
  const VD r = reduce_ln2(xc, k);
  const VD p = d(1.0) + (r + expm1_core(r));
  return ldexp_k(p, k);
}

// e^u - 1 for u in [-inf, 44]: 2^k (expm1(r) + 1) - 1 = 2^k expm1(r) + (2^k - 1), exact for k = 0.
ADJ_I VD vexpm1_upto44(VD u) {
  const VD uc = max_raw(d(-60.0), u);
  VD k;
  const VD r = reduce_ln2(uc, k);
  const VD em1 = r + expm1_core(r);
  const VD two_k = ldexp_k(d(1.0), k);
  return fma(two_k, em1, two_k - d(1.0));
}

ADJ_I VD vlog(VD x) {
  // Subnormals are scaled into the normal range first (frexp12 on AVX2 reads the exponent field).
  const MD tiny = lt(x, d(0x1p-1022));
  const VD xs = select(tiny, x * d(0x1p54), x);
  VD m, e;
  frexp12(xs, m, e);
  e = select(tiny, e - d(54.0), e);
  // m in [sqrt(1/2), sqrt(2)) keeps |s| <= 0.1716 below.
  const MD big = gt(m, d(1.4142135623730951));
  m = select(big, m * d(0.5), m);
  e = select(big, e + d(1.0), e);
  const VD f = m - d(1.0);                     // exact (Sterbenz)
  const VD s = f / (d(2.0) + f);               // log(1+f) = 2 atanh(s)
  const VD z = s * s;
  static constexpr double c[] = {2.0 / 3, 2.0 / 5, 2.0 / 7, 2.0 / 9, 2.0 / 11, 2.0 / 13, 2.0 / 15,
                                 2.0 / 17, 2.0 / 19, 2.0 / 21};
  const VD R = z * horner(z, c);
  const VD hfsq = d(0.5) * f * f;
  // fdlibm's arrangement: log(1+f) = f - (hfsq - s (hfsq + R)); the big term f is exact.
  // ln2 is split so that e * ln2_hi is exact for any exponent.
  const double ln2_hi = 6.93147180369123816490e-01, ln2_lo = 1.90821492927058770002e-10;
  const VD lo = fma(s, hfsq + R, e * d(ln2_lo));
  VD r = fma(e, d(ln2_hi), f - (hfsq - lo));
  r = select(eq(x, d(INFINITY)), x, r);
  r = select(eq(x, d(0.0)), d(-INFINITY), r);
  r = select(lt(x, d(0.0)) | isnan(x), d(NAN), r);
  return r;
}

// log(1 + v) for v >= 0 (or NaN): log(u) * v / (u - 1) cancels the rounding of u = 1 + v.
ADJ_I VD vlog1p_pos(VD v) {
  const VD u = d(1.0) + v;
  const VD um1 = u - d(1.0);
  const VD r = vlog(u) * (v / um1);
  return select(eq(um1, d(0.0)), v, r);
}

// Sets s = sin(r), c = cos(r) for |r| <= pi/4 (plus rounding).
ADJ_I void sincos_core(VD r, VD& s, VD& c) {
  const VD z = r * r;
  s = fma(r * z, horner(z, kSinTaylor), r);
  c = fma(z, horner(z, kCosTaylor), d(1.0));
}

constexpr double kSinCosVectorLimit = 1e5;

// Shared by sin and cos: quadrant q = k + shift (shift 1 turns sin into cos).
template <int Shift, class Fallback> ADJ_I VD sincos_impl(VD x, Fallback scalar) {
  const VD k = round_nearest(x * d(kTwoOverPi));
  // pi/2 = P1 + P2 + P3 to ~160 bits; each FMA step is exact or nearly so for |k| < 2^17.
  VD r = fnma(k, d(kPio2_1), x);
  r = fnma(k, d(kPio2_2), r);
  r = fnma(k, d(kPio2_3), r);
  VD s, c;
  sincos_core(r, s, c);
  // q = (k + Shift) mod 4, computed exactly in double.
  const VD q = (k + d(Shift)) - d(4.0) * vfloor((k + d(Shift)) * d(0.25));
  const MD odd = eq(q - d(2.0) * vfloor(q * d(0.5)), d(1.0));
  VD res = select(odd, c, s);
  res = select(ge(q, d(2.0)), -res, res);
  if (Shift == 0) res = select(lt(vabs(x), d(0x1p-26)), x, res);  // keeps sin(+-0) = +-0 and subnormals exact
  const MD outside = ~le(vabs(x), d(kSinCosVectorLimit));
  if (any(outside)) {
    alignas(64) double xa[VD::N], ra[VD::N];
    store(xa, x);
    store(ra, res);
    for (int i = 0; i < VD::N; ++i)
      if (!(std::fabs(xa[i]) <= kSinCosVectorLimit)) ra[i] = scalar(xa[i]);
    res = load(ra);
  }
  return res;
}

inline double scalar_sin(double x) { return portable_sin(x); }
inline double scalar_cos(double x) { return portable_cos(x); }
ADJ_I VD vsin(VD x) { return sincos_impl<0>(x, scalar_sin); }
ADJ_I VD vcos(VD x) { return sincos_impl<1>(x, scalar_cos); }

ADJ_I VD vtanh(VD x) {
  const VD a = vabs(x);
  const VD e = vexpm1_upto44(d(2.0) * min_raw(d(44.0), a));
  VD t = e / (e + d(2.0));
  t = select(gt(a, d(22.0)), d(1.0), t);  // tanh rounds to 1 from ~19.06 on; also covers +-inf
  return copysign(t, x);                    // NaN: |NaN| propagates through e and t
}

ADJ_I VD vsigmoid(VD x) {
  const VD e = vexp(-vabs(x));
  const VD y1 = d(1.0) / (d(1.0) + e);
  return select(ge(x, d(0.0)), y1, e * y1);
}

ADJ_I VD vsoftplus(VD x) {
  const VD e = vexp(-vabs(x));
  const VD pos = select(gt(x, d(0.0)), x, d(0.0));
  return pos + vlog1p_pos(e);
}

// ---- float lanes evaluated in float --------------------------------------------------------------
// exp, expm1 (inside tanh), sigmoid, log, sin, cos and softplus for float data run in float arithmetic:
// the double path above costs two half-width evaluations per vector. Errors stay within a few float ulps
// (tests/native/test_accuracy.cpp: Accuracy.f32_* bound 1e-6 relative to the double result on samples,
// as specified; AccuracyExhaustive.* over every 16th float measured, in float ulps: exp 0.98, log 0.80,
// sin 1.46, cos 1.47, tanh 2.42, sigmoid 2.40, softplus 2.68).

ADJ_I VF sf(float x) { return vset1(0.0f, x); }
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
template <int K> ADJ_I VF hornerf(VF z, const float (&c)[K]) {
  VF p = sf(c[K - 1]);
  for (int i = K - 2; i >= 0; --i) p = fma(p, z, sf(c[i]));
  return p;
}

// x = k ln2 + r with |r| <= ln2/2 (+ rounding); ln2 split so that k * hi is exact for |k| < 2^9.
ADJ_I VF reduce_ln2f(VF x, VF& k) {
  k = round_nearest(x * sf(1.44269504088896341f));
  const VF r = fnma(k, sf(0.693145751953125f), x);
  return fnma(k, sf(1.42860682030941723e-6f), r);
}
// e^r - 1 - r for |r| <= 0.35 as r^2 (1/2 + r/6 + ... + r^5/5040): truncation below 2e-9 relative.
ADJ_I VF expm1_coref(VF r) {
  static constexpr float c[] = {1.0f / 2, 1.0f / 6, 1.0f / 24, 1.0f / 120, 1.0f / 720, 1.0f / 5040, 1.0f / 40320};
  return r * r * hornerf(r, c);
}

ADJ_I VF vexp(VF x) {
  // Clamped ends still overflow to +inf (k = 128) and underflow to 0; NaN is put back at the end
  // because the integer steps of ldexp_k on AVX2 do not carry it.
  const VF xc = max_raw(sf(-104.0f), min_raw(sf(89.0f), x));
  VF k;
  const VF r = reduce_ln2f(xc, k);
  const VF p = sf(1.0f) + (r + expm1_coref(r));
  return select(isnan(x), x, ldexp_k(p, k));
}

ADJ_I VF vtanh(VF x) {
  // tanh a = e / (e + 2), e = expm1(2a): no cancellation near 0. tanh rounds to 1 above ~9.01; a is
  // clamped at 9.5, where e / (e + 2) comes out as exactly 1 (tested), so larger a and inf need no
  // select. NaN needs none either: min_raw keeps its second operand, and every later step carries it.
  // Each vector is one long dependency chain (about 80 cycles by the instruction latencies before
  // these changes), and the scheduler holds only a few vectors' worth of it: the kernel ran closer to
  // the chain's latency than to the FMA ports' throughput. So the chain is kept short:
  // - k = round(2a / ln2) comes from one FMA with the 1.5 * 2^23 shifter, whose low bits then hold
  //   k + 127, so 2^k is one shift away;
  // - e^r - 1 - r = r^2 P(r), P a degree-4 minimax evaluated by Estrin's scheme (fitted to
  //   (e^r - 1 - r) / r^2 on |r| <= ln2/2 for least relative error: 1.4e-7 relative in P with the
  //   float coefficients, at most 0.2 of that in e^r - 1 once r is added).
  // docs/PERFORMANCE.md, tanh round 3: 1.27-1.30x faster on AVX-512, same 2.42 ulp.
  const VF a = min_raw(sf(9.5f), vabs(x));
  constexpr float kShift = 0x1.8p23f + 127.0f;
  const VF j = fma(a, sf(2.0f * 1.44269504088896341f), sf(kShift));
  const VF k = j - sf(kShift);  // exact: an integer in [0, 28]
  VF r = fnma(k, sf(0.693145751953125f), a + a);
  r = fnma(k, sf(1.42860682030941723e-6f), r);
  const VF r2 = r * r;
  const VF p = fma(r2, fma(r2, sf(0x1.6c69fap-10f), fma(r, sf(0x1.120b62p-7f), sf(0x1.5555bap-5f))),
                   fma(r, sf(0x1.5554dep-3f), sf(0x1p-1f)));
  const VF em1r = fma(r2, p, r);
  const VF two_k = pow2_low_bits(j);
  const VF e = fma(two_k, em1r, two_k - sf(1.0f));  // 2^k (expm1 r + 1) - 1, exact for k = 0
  return copysign(div_pos(e, e + sf(2.0f)), x);
}

ADJ_I VF vsigmoid(VF x) {
  // One division for both signs: 1 / (1 + e) or e / (1 + e), e = exp(-|x|) <= 1.
  const VF e = vexp(-vabs(x));
  return div_pos(select(ge(x, sf(0.0f)), sf(1.0f), e), sf(1.0f) + e);
}

// log x: x = 2^e m, m in [sqrt(1/2), sqrt(2)), log(m) = 2 atanh(s) with s = (m - 1)/(m + 1), |s| <= 0.1716;
// fdlibm's arrangement as in the double version, series through s^9 (truncation below 1e-9 relative).
ADJ_I VF vlog(VF x) {
  const MF tiny = lt(x, sf(0x1p-126f));  // subnormals: scale into the normal range first
  const VF xs = select(tiny, x * sf(0x1p24f), x);
  VF m, e;
  frexp12(xs, m, e);
  e = select(tiny, e - sf(24.0f), e);
  const MF big = gt(m, sf(1.41421356f));
  m = select(big, m * sf(0.5f), m);
  e = select(big, e + sf(1.0f), e);
  const VF f = m - sf(1.0f);  // exact
  const VF s = div_pos(f, sf(2.0f) + f);
  const VF z = s * s;
  static constexpr float c[] = {2.0f / 3, 2.0f / 5, 2.0f / 7, 2.0f / 9};
  const VF R = z * hornerf(z, c);
  const VF hfsq = sf(0.5f) * f * f;
  // ln2 = hi + lo with hi's 15 bits making e * hi exact for every float exponent.
  const VF lo = fma(s, hfsq + R, e * sf(1.42860677e-6f));
  VF r = fma(e, sf(0.693145751953125f), f - (hfsq - lo));
  r = select(eq(x, sf(INFINITY)), x, r);
  r = select(eq(x, sf(0.0f)), sf(-INFINITY), r);
  r = select(lt(x, sf(0.0f)) | isnan(x), sf(NAN), r);
  return r;
}

// log(1 + v) for v >= 0 (or NaN): log(u) v / (u - 1) cancels the rounding of u = 1 + v.
ADJ_I VF vlog1p_pos(VF v) {
  const VF u = sf(1.0f) + v;
  const VF um1 = u - sf(1.0f);
  const MF exact = eq(um1, sf(0.0f));
  const VF r = vlog(u) * div_pos(v, select(exact, sf(1.0f), um1));
  return select(exact, v, r);
}

ADJ_I VF vsoftplus(VF x) {
  const VF e = vexp(-vabs(x));
  const VF pos = select(gt(x, sf(0.0f)), x, sf(0.0f));
  return pos + vlog1p_pos(e);
}

// pi/2 = P1 + P2 + P3 + O(2^-76) in floats.
constexpr float kPio2f_1 = 0x1.921fb6p+0f, kPio2f_2 = -0x1.777a5cp-25f, kPio2f_3 = -0x1.ee59dap-50f;
constexpr float kSinCosFloatLimit = 1e5f;

// sin (Shift 0) or cos (Shift 1) in float for |x| <= 1e5: Cody-Waite with three float parts of pi/2
// (r1 = x - k P1 is exact inside the FMA; k <= 63662 keeps the missing 2^-76 part below 2^-60), Taylor
// through r^9 for sin and r^10 for cos (truncation below 3e-9). Lanes holding a larger |x|, Inf or NaN
// are taken from the double evaluation (exact reduction there); the other lanes keep the float result,
// so a lane's value never depends on its neighbours (how a call is split into vectors, by threads or by
// the aligned head of a streaming store, cannot change any output bit).
template <int Shift> ADJ_I VF sincosf_impl(VF x) {
  const MF outside = ~le(vabs(x), sf(kSinCosFloatLimit));
  const VF k = round_nearest(x * sf(0x1.45f306p-1f));
  VF r = fnma(k, sf(kPio2f_1), x);
  r = fnma(k, sf(kPio2f_2), r);
  r = fnma(k, sf(kPio2f_3), r);
  const VF z = r * r;
  static constexpr float sc[] = {-1.0f / 6, 1.0f / 120, -1.0f / 5040, 1.0f / 362880};
  static constexpr float cc[] = {-1.0f / 2, 1.0f / 24, -1.0f / 720, 1.0f / 40320, -1.0f / 3628800};
  const VF s = fma(r * z, hornerf(z, sc), r);
  const VF c = fma(z, hornerf(z, cc), sf(1.0f));
  // q = (k + Shift) mod 4, exact in float for |k| < 2^22.
  const VF ks = k + sf(static_cast<float>(Shift));
  const VF q = ks - sf(4.0f) * vfloor(ks * sf(0.25f));
  const MF odd = eq(q - sf(2.0f) * vfloor(q * sf(0.5f)), sf(1.0f));
  VF res = select(odd, c, s);
  res = select(ge(q, sf(2.0f)), -res, res);
  if (Shift == 0) res = select(lt(vabs(x), sf(0x1p-12f)), x, res);  // sin(+-0) = +-0, tiny x exact
  if (any(outside)) res = select(outside, via_f64(x, [](VD v) { return Shift == 0 ? vsin(v) : vcos(v); }), res);
  return res;
}
ADJ_I VF vsin(VF x) { return sincosf_impl<0>(x); }
ADJ_I VF vcos(VF x) { return sincosf_impl<1>(x); }

}  // namespace ADJ_ISA_NS
}  // namespace adj

// sin and cos without the C library (see sincos.h for the method and its accuracy).
// Built with -ffp-contract=off and no FMA: plain IEEE additions and multiplications only, so every
// platform and compiler computes the same bits; exact products use Dekker's splitting instead of fma().
#include "kernels/ref/sincos.h"

#include <cstring>

namespace adj {
namespace {

// a * b = p + e exactly (Dekker/Veltkamp, no FMA); |a|, |b| < 2^995.
inline void two_prod(double a, double b, double& p, double& e) {
  const auto split = [](double v, double& h, double& l) {
    const double c = 134217729.0 * v;  // 2^27 + 1
    h = c - (c - v);
    l = v - h;
  };
  double ah, al, bh, bl;
  split(a, ah, al);
  split(b, bh, bl);
  p = a * b;
  e = ((ah * bh - p) + ah * bl + al * bh) + al * bl;
}

// a + b = s + e exactly (Knuth's TwoSum).
inline void two_sum(double a, double b, double& s, double& e) {
  s = a + b;
  const double bb = s - a;
  e = (a - (s - bb)) + (b - bb);
}

inline double pow2(int e) {  // exact 2^e, -1022 <= e <= 1023
  const uint64_t u = static_cast<uint64_t>(e + 1023) << 52;
  double d;
  std::memcpy(&d, &u, sizeof d);
  return d;
}

// Payne-Hanek for finite x >= 2^30 (correct for any x >= 2^-20).
int reduce_large(double x, double& hi, double& lo) {
  constexpr int kWords = 8;  // 256 bits of 2/pi per call
  uint64_t u;
  std::memcpy(&u, &x, sizeof u);
  const int E = static_cast<int>((u >> 52) & 0x7FF) - 1075;  // x = M 2^E, M a 53-bit integer
  const uint64_t M = (u & ((uint64_t(1) << 52) - 1)) | (uint64_t(1) << 52);
  // Bit i of 2/pi (weight 2^-i) adds M 2^(E-i) to x 2/pi, a multiple of 4 when i <= E - 2: those bits
  // cannot change the quadrant, so start at the word holding bit E - 1.
  const int i0 = E - 1 > 1 ? E - 1 : 1;
  const int j0 = (i0 - 1) / 32;
  // A = M * W, W = words j0 .. j0+7 as one 256-bit integer; x 2/pi = A 2^(E - 32 (j0 + 8)) + (tail <
  // M 2^(E - 32 (j0 + 8)), i.e. below 2^-170 after the binary point).
  uint32_t A[kWords + 2] = {};
  const uint64_t m0 = M & 0xFFFFFFFF, m1 = M >> 32;
  for (int t = 0; t < kWords; ++t) {
    const uint64_t w = kTwoOverPiBits[j0 + kWords - 1 - t];
    uint64_t p = w * m0 + A[t];
    A[t] = static_cast<uint32_t>(p);
    p = w * m1 + A[t + 1] + (p >> 32);
    A[t + 1] = static_cast<uint32_t>(p);
    uint64_t carry = p >> 32;
    for (int s = t + 2; carry != 0 && s < kWords + 2; ++s) {
      p = uint64_t(A[s]) + carry;
      A[s] = static_cast<uint32_t>(p);
      carry = p >> 32;
    }
  }
  // 64 bits of A from bit pos >= 0 (bits above A read as 0).
  const auto bits64 = [&A](int pos) {
    const auto limb = [&A](int i) { return i < kWords + 2 ? uint64_t(A[i]) : uint64_t(0); };
    const int w = pos / 32, off = pos % 32;
    const uint64_t v = limb(w) | limb(w + 1) << 32;
    return off ? (v >> off) | limb(w + 2) << (64 - off) : v;
  };
  const int sh = 32 * (j0 + kWords) - E;  // A's bit sh has weight 1 in x 2/pi; 223 <= sh for x >= 2^-20
  int q = static_cast<int>(bits64(sh) & 3);
  uint64_t f2 = bits64(sh - 64), f1 = bits64(sh - 128), f0 = bits64(sh - 192);  // the fraction, 192 bits
  bool neg = false;
  if (f2 >> 63) {  // fraction >= 1/2: k rounds up, r = (fraction - 1) pi/2
    q = (q + 1) & 3;
    neg = true;
    f0 = ~f0 + 1;
    f1 = ~f1 + (f0 == 0);
    f2 = ~f2 + (f0 == 0 && f1 == 0);
  }
  int shift = 0;
  while (f2 == 0 && shift < 128) {
    f2 = f1;
    f1 = f0;
    f0 = 0;
    shift += 64;
  }
  if (f2 == 0) {  // cannot happen for a double (2/pi is irrational and M has 53 bits); kept for safety
    hi = lo = 0;
    return q;
  }
  int lz = 0;
  while (!(f2 >> 63)) {
    f2 = f2 << 1 | f1 >> 63;
    f1 = f1 << 1 | f0 >> 63;
    f0 <<= 1;
    ++lz;
  }
  shift += lz;
  // fraction = (a + b), a = top 53 bits, b = the next 64 (truncated), both exact doubles.
  const double a = static_cast<double>(f2 >> 11) * pow2(-53 - shift);
  const double b = static_cast<double>(((f2 & 0x7FF) << 53) | (f1 >> 11)) * pow2(-117 - shift);
  // r = (a + b)(P1 + P2) to ~2^-100 relative: a P1 split exactly, the small products added to its tail.
  double p, pe;
  two_prod(a, kPio2_1, p, pe);
  const double e = pe + (a * kPio2_2 + b * kPio2_1);
  hi = p + e;
  lo = e - (hi - p);
  if (neg) {
    hi = -hi;
    lo = -lo;
  }
  return q;
}

int reduce(double x, double& hi, double& lo) {
  const double ax = x < 0 ? -x : x;
  if (ax <= 0x1.921fb54442d18p-1) {
    hi = x;
    lo = 0;
    return 0;
  }
  if (ax < kCodyWaiteLimit) {
    // k = an integer within 1/2 + 2^-22 of x 2/pi (adding 1.5 2^52 rounds to an integer); any integer
    // works as long as |r| stays near pi/4, the subtraction below is exact for it.
    const double k = (x * kTwoOverPi + 0x1.8p52) - 0x1.8p52;
    double p1, p1e, p2, p2e;
    two_prod(k, kPio2_1, p1, p1e);
    two_prod(k, kPio2_2, p2, p2e);
    const double s = x - p1;  // exact (Sterbenz: p1 is within a factor 2 of x)
    double a, ae, b, be;
    two_sum(s, -p1e, a, ae);
    two_sum(a, -p2, b, be);
    // The rest is below 2^-75 |k|; its rounding errors stay below 2^-125 for |k| < 2^30.
    const double t = ((ae + be) - p2e) - k * kPio2_3;
    hi = b + t;
    lo = t - (hi - b);
    return static_cast<int>(static_cast<int64_t>(k) & 3);
  }
  if (x < 0) {
    const int q = reduce_large(-x, hi, lo);
    hi = -hi;
    lo = -lo;
    return (4 - q) & 3;
  }
  return reduce_large(x, hi, lo);
}

// sin(hi + lo) for |hi| <= pi/4 (+ rounding), |lo| <= ulp(hi).
double sin_kernel(double hi, double lo) {
  const double z = hi * hi;
  double p = kSinTaylor[kSinTerms - 1];
  for (int i = kSinTerms - 2; i >= 0; --i) p = p * z + kSinTaylor[i];
  // sin(hi + lo) = sin hi + lo cos hi: hi is exact, the correction is below 0.11 hi.
  return hi + ((hi * z) * p + lo * (1.0 - 0.5 * z));
}

// cos(hi + lo), same domain.
double cos_kernel(double hi, double lo) {
  const double z = hi * hi;
  double p = kCosTaylor[kCosTerms - 1];
  for (int i = kCosTerms - 2; i >= 1; --i) p = p * z + kCosTaylor[i];
  // fdlibm's arrangement: w = 1 - z/2 rounded, (1 - w) - z/2 is its rounding error exactly;
  // cos(hi + lo) = cos hi - lo sin hi.
  const double hz = 0.5 * z, w = 1.0 - hz;
  return w + (((1.0 - w) - hz) + ((z * z) * p - hi * lo));
}

}  // namespace

double portable_sin(double x) {
  const double ax = x < 0 ? -x : x;
  if (!(ax < __builtin_inf())) return x - x;  // NaN for +-Inf and NaN
  if (ax < 0x1p-26) return x;                // |sin x - x| < half an ulp; keeps +-0 and subnormals
  double hi, lo;
  switch (reduce(x, hi, lo)) {
    case 0: return sin_kernel(hi, lo);
    case 1: return cos_kernel(hi, lo);
    case 2: return -sin_kernel(hi, lo);
    default: return -cos_kernel(hi, lo);
  }
}

double portable_cos(double x) {
  const double ax = x < 0 ? -x : x;
  if (!(ax < __builtin_inf())) return x - x;
  if (ax < 0x1p-27) return 1.0;  // |cos x - 1| < half an ulp of the double below 1
  double hi, lo;
  switch (reduce(x, hi, lo)) {
    case 0: return cos_kernel(hi, lo);
    case 1: return -sin_kernel(hi, lo);
    case 2: return -cos_kernel(hi, lo);
    default: return sin_kernel(hi, lo);
  }
}

int portable_reduce_pio2(double x, double* hi, double* lo) { return reduce(x, *hi, *lo); }

}  // namespace adj

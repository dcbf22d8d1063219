// Double sin and cos that do not depend on the C library, so every platform computes the same numbers.
// (mingw-w64's libm uses x87 fsin/fcos, whose 66-bit pi makes results near multiples of pi wrong by up to
// 30 % for |x| >~ 1e4 and meaningless for huge |x|; glibc and msvcrt reduce exactly.)
//
//   reduction   x = k pi/2 + r with r carried as a double-double hi + lo, |r| <= pi/4 (+ rounding):
//               |x| <= pi/4      r = x;
//               |x| <  2^30      Cody-Waite with pi/2 = P1 + P2 + P3 (|pi/2 - sum| < 2^-163): k P1 and k P2
//                                are split exactly (Dekker), so |r - (hi + lo)| < 2^30 2^-163 + 2^-125 -- far
//                                below the closest any double comes to a multiple of pi/2 (about 2^-61,
//                                Kahan-McDonald);
//               otherwise        Payne-Hanek: the 53-bit significand times the 256 bits of 2/pi that matter
//                                for its exponent, in integers; bits of 2/pi whose products are multiples of 4
//                                are skipped, the fraction keeps 192 bits.
//   kernels     Taylor series on |r| <= pi/4 (truncation below 1e-19 relative), fdlibm's arrangement: the
//               leading term is exact and the correction terms carry lo, so the result is within 1 ulp.
// Measured by tests/native/test_accuracy.cpp (SinCos.*): max error in ulps against the exact value for hard
// cases on every platform, and against glibc's long double sinl/cosl on many ranges on Linux.
//
// The functions are compiled once, in sincos.cpp (baseline ISA, -ffp-contract=off, no FMA: mingw's fma() is
// not correctly rounded), and called from every tier, so the scalar reference and the SIMD fallback give
// identical bits on every platform. The constants below have internal linkage: ISA-flagged translation
// units include this file through math.h.
#pragma once
#include <cstdint>

namespace adj {
namespace {

// Taylor coefficients shared with the vector kernels (simd/math.h sincos_core):
// sin r = r + r^3 (c[0] + c[1] r^2 + ...), cos r = 1 + r^2 (c[0] + c[1] r^2 + ...).
constexpr double kSinTaylor[] = {-1.0 / 6,          1.0 / 120,           -1.0 / 5040,          1.0 / 362880,
                                 -1.0 / 39916800,   1.0 / 6227020800.0,  -1.0 / 1307674368000.0,
                                 1.0 / 355687428096000.0};
constexpr double kCosTaylor[] = {-1.0 / 2,         1.0 / 24,           -1.0 / 720,            1.0 / 40320,
                                 -1.0 / 3628800,   1.0 / 479001600,    -1.0 / 87178291200.0,
                                 1.0 / 20922789888000.0};
constexpr int kSinTerms = sizeof(kSinTaylor) / sizeof(double);
constexpr int kCosTerms = sizeof(kCosTaylor) / sizeof(double);

constexpr double kTwoOverPi = 0x1.45f306dc9c883p-1;
// pi/2 = kPio2_1 + kPio2_2 + kPio2_3 + O(2^-163).
constexpr double kPio2_1 = 0x1.921fb54442d18p+0, kPio2_2 = 0x1.1a62633145c07p-54,
                 kPio2_3 = -0x1.f1976b7ed8fbcp-110;
constexpr double kCodyWaiteLimit = 0x1p30;

// 1280 bits of 2/pi, most significant first; bit i (1-based) has weight 2^-i. Generated and verified by
// two_over_pi.py (integer arithmetic, two formulas for pi, cross-checked with mpmath):
//   python3 native/kernels/ref/two_over_pi.py --check native/kernels/ref/sincos.h
constexpr uint32_t kTwoOverPiBits[] = {
    0xA2F9836E, 0x4E441529, 0xFC2757D1, 0xF534DDC0, 0xDB629599, 0x3C439041,
    0xFE5163AB, 0xDEBBC561, 0xB7246E3A, 0x424DD2E0, 0x06492EEA, 0x09D1921C,
    0xFE1DEB1C, 0xB129A73E, 0xE88235F5, 0x2EBB4484, 0xE99C7026, 0xB45F7E41,
    0x3991D639, 0x835339F4, 0x9C845F8B, 0xBDF9283B, 0x1FF897FF, 0xDE05980F,
    0xEF2F118B, 0x5A0A6D1F, 0x6D367ECF, 0x27CB09B7, 0x4F463F66, 0x9E5FEA2D,
    0x7527BAC7, 0xEBE5F17B, 0x3D0739F7, 0x8A5292EA, 0x6BFB5FB1, 0x1F8D5D08,
    0x56033046, 0xFC7B6BAB, 0xF0CFBC20, 0x9AF4361D,
};
constexpr int kTwoOverPiWords = sizeof(kTwoOverPiBits) / sizeof(uint32_t);

}  // namespace

// sin x and cos x for every double (NaN for +-Inf and NaN), within 1 ulp.
double portable_sin(double x);
double portable_cos(double x);
// x = k pi/2 + (*hi + *lo) with |*hi + *lo| <= pi/4 (+ rounding), for finite x; returns k mod 4.
int portable_reduce_pio2(double x, double* hi, double* lo);

}  // namespace adj

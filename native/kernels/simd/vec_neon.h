// AArch64 NEON (ASIMD) vector wrappers: the same abstraction as vec_avx2.h / vec_avx512.h over 128-bit
// registers (4 floats, 2 doubles). ASIMD is part of the AArch64 base ISA, so these files need no extra
// compiler flags and the tier needs no run-time detection; everything still lives in adj::neon so the
// tier's inline functions stay distinct from every other tier's.
//
// Where x86 semantics are part of the contract the templates rely on, they are reproduced exactly:
//   - max_raw / min_raw return the SECOND operand when either lane is NaN (and for +-0 pairs), like
//     maxps/minps. NEON's fmax/fmin propagate NaN from either side and order -0 < +0, so they are built
//     from an ordered compare and a bit select instead.
//   - round_nearest rounds half to even (frintn), as _MM_FROUND_TO_NEAREST_INT does.
//   - loadn / storen touch only lanes [0, n): there are no masked loads, so a small loop moves the lanes
//     through a stack buffer (tails only; the bulk of every loop uses full vectors).
//   - stream / stream_fence: NEON has no non-temporal vector store worth using from C (STNP takes two
//     registers and is only a hint); plain stores keep the results identical.
#pragma once
#include <arm_neon.h>
#include <cstdint>

#define ADJ_ISA_NS neon
#define ADJ_ISA_SUFFIX __neon

namespace adj {
namespace neon {

struct VF { float32x4_t v; static constexpr int N = 4; };
struct VD { float64x2_t v; static constexpr int N = 2; };
// Comparison results are lane-wide bit masks, as on AVX2.
struct MF { uint32x4_t m; };
struct MD { uint64x2_t m; };

#define ADJ_I inline __attribute__((always_inline))

ADJ_I VF vset1(float, float x) { return {vdupq_n_f32(x)}; }
ADJ_I VD vset1(double, double x) { return {vdupq_n_f64(x)}; }
ADJ_I VF load(const float* p) { return {vld1q_f32(p)}; }
ADJ_I VD load(const double* p) { return {vld1q_f64(p)}; }
ADJ_I void store(float* p, VF x) { vst1q_f32(p, x.v); }
ADJ_I void store(double* p, VD x) { vst1q_f64(p, x.v); }

// Partial loads/stores read or write only elements [0, n) of p (callers pass 0 <= n < N; a larger n
// moves N, as the x86 masks do): the rest of the vector comes from `fill` (0 by default), and memory
// past p[n - 1] is never touched, so a tail at the end of a mapping cannot fault.
ADJ_I VF loadn(const float* p, int64_t n, float fill) {
  alignas(16) float t[4] = {fill, fill, fill, fill};
  for (int64_t i = 0; i < n && i < 4; ++i) t[i] = p[i];
  return {vld1q_f32(t)};
}
ADJ_I VD loadn(const double* p, int64_t n, double fill) {
  alignas(16) double t[2] = {fill, fill};
  for (int64_t i = 0; i < n && i < 2; ++i) t[i] = p[i];
  return {vld1q_f64(t)};
}
ADJ_I VF loadn(const float* p, int64_t n) { return loadn(p, n, 0.0f); }
ADJ_I VD loadn(const double* p, int64_t n) { return loadn(p, n, 0.0); }
ADJ_I void storen(float* p, VF x, int64_t n) {
  alignas(16) float t[4];
  vst1q_f32(t, x.v);
  for (int64_t i = 0; i < n && i < 4; ++i) p[i] = t[i];
}
ADJ_I void storen(double* p, VD x, int64_t n) {
  alignas(16) double t[2];
  vst1q_f64(t, x.v);
  for (int64_t i = 0; i < n && i < 2; ++i) p[i] = t[i];
}
ADJ_I void stream(float* p, VF x) { vst1q_f32(p, x.v); }
ADJ_I void stream(double* p, VD x) { vst1q_f64(p, x.v); }
ADJ_I void stream_fence() {}

ADJ_I VF operator+(VF a, VF b) { return {vaddq_f32(a.v, b.v)}; }
ADJ_I VF operator-(VF a, VF b) { return {vsubq_f32(a.v, b.v)}; }
ADJ_I VF operator*(VF a, VF b) { return {vmulq_f32(a.v, b.v)}; }
ADJ_I VF operator/(VF a, VF b) { return {vdivq_f32(a.v, b.v)}; }
ADJ_I VF operator-(VF a) { return {vnegq_f32(a.v)}; }  // flips the sign bit only, NaN included
ADJ_I VD operator+(VD a, VD b) { return {vaddq_f64(a.v, b.v)}; }
ADJ_I VD operator-(VD a, VD b) { return {vsubq_f64(a.v, b.v)}; }
ADJ_I VD operator*(VD a, VD b) { return {vmulq_f64(a.v, b.v)}; }
ADJ_I VD operator/(VD a, VD b) { return {vdivq_f64(a.v, b.v)}; }
ADJ_I VD operator-(VD a) { return {vnegq_f64(a.v)}; }

ADJ_I VF fma(VF a, VF b, VF c) { return {vfmaq_f32(c.v, a.v, b.v)}; }   // a*b + c, one rounding
ADJ_I VD fma(VD a, VD b, VD c) { return {vfmaq_f64(c.v, a.v, b.v)}; }
ADJ_I VF fnma(VF a, VF b, VF c) { return {vfmsq_f32(c.v, a.v, b.v)}; }  // c - a*b, one rounding
ADJ_I VD fnma(VD a, VD b, VD c) { return {vfmsq_f64(c.v, a.v, b.v)}; }
// n / d for finite d > 0. fdiv is correctly rounded; the 8-bit frecpe estimate would need two Newton
// steps to reach float accuracy, which costs about what the division does on current cores.
ADJ_I VF div_pos(VF n, VF d) { return {vdivq_f32(n.v, d.v)}; }
ADJ_I VF vsqrt(VF a) { return {vsqrtq_f32(a.v)}; }
ADJ_I VD vsqrt(VD a) { return {vsqrtq_f64(a.v)}; }
ADJ_I VF vabs(VF a) { return {vabsq_f32(a.v)}; }
ADJ_I VD vabs(VD a) { return {vabsq_f64(a.v)}; }
// x86 max/min: a if a > b (a < b), otherwise b, so a NaN in either lane yields the SECOND operand.
ADJ_I VF max_raw(VF a, VF b) { return {vbslq_f32(vcgtq_f32(a.v, b.v), a.v, b.v)}; }
ADJ_I VD max_raw(VD a, VD b) { return {vbslq_f64(vcgtq_f64(a.v, b.v), a.v, b.v)}; }
ADJ_I VF min_raw(VF a, VF b) { return {vbslq_f32(vcltq_f32(a.v, b.v), a.v, b.v)}; }
ADJ_I VD min_raw(VD a, VD b) { return {vbslq_f64(vcltq_f64(a.v, b.v), a.v, b.v)}; }
ADJ_I VD round_nearest(VD a) { return {vrndnq_f64(a.v)}; }  // half to even
ADJ_I VD vfloor(VD a) { return {vrndmq_f64(a.v)}; }
// Every lane = lane l of a (l a compile-time constant after unrolling): GCC folds it into the
// by-element form of the FMA that consumes it.
ADJ_I VF lane_bcast(VF a, int l) { return {vdupq_n_f32(a.v[l])}; }
ADJ_I VD lane_bcast(VD a, int l) { return {vdupq_n_f64(a.v[l])}; }
ADJ_I VF round_nearest(VF a) { return {vrndnq_f32(a.v)}; }
ADJ_I VF vfloor(VF a) { return {vrndmq_f32(a.v)}; }
// |mag| with the sign of sgn.
ADJ_I VF copysign(VF mag, VF sgn) { return {vbslq_f32(vdupq_n_u32(0x80000000u), sgn.v, mag.v)}; }
ADJ_I VD copysign(VD mag, VD sgn) { return {vbslq_f64(vdupq_n_u64(0x8000000000000000ull), sgn.v, mag.v)}; }

// Ordered compares (false when either lane is NaN), as _CMP_*_OQ.
ADJ_I MF lt(VF a, VF b) { return {vcltq_f32(a.v, b.v)}; }
ADJ_I MF le(VF a, VF b) { return {vcleq_f32(a.v, b.v)}; }
ADJ_I MF gt(VF a, VF b) { return {vcgtq_f32(a.v, b.v)}; }
ADJ_I MF ge(VF a, VF b) { return {vcgeq_f32(a.v, b.v)}; }
ADJ_I MF eq(VF a, VF b) { return {vceqq_f32(a.v, b.v)}; }
ADJ_I MF unord(VF a, VF b) { return {vmvnq_u32(vandq_u32(vceqq_f32(a.v, a.v), vceqq_f32(b.v, b.v)))}; }
ADJ_I MD lt(VD a, VD b) { return {vcltq_f64(a.v, b.v)}; }
ADJ_I MD le(VD a, VD b) { return {vcleq_f64(a.v, b.v)}; }
ADJ_I MD gt(VD a, VD b) { return {vcgtq_f64(a.v, b.v)}; }
ADJ_I MD ge(VD a, VD b) { return {vcgeq_f64(a.v, b.v)}; }
ADJ_I MD eq(VD a, VD b) { return {vceqq_f64(a.v, b.v)}; }
ADJ_I MD operator~(MD a) { return {vreinterpretq_u64_u32(vmvnq_u32(vreinterpretq_u32_u64(a.m)))}; }
ADJ_I MD unord(VD a, VD b) { return ~MD{vandq_u64(vceqq_f64(a.v, a.v), vceqq_f64(b.v, b.v))}; }
ADJ_I MF isnan(VF a) { return {vmvnq_u32(vceqq_f32(a.v, a.v))}; }
ADJ_I MD isnan(VD a) { return ~MD{vceqq_f64(a.v, a.v)}; }
ADJ_I MF operator|(MF a, MF b) { return {vorrq_u32(a.m, b.m)}; }
ADJ_I MD operator|(MD a, MD b) { return {vorrq_u64(a.m, b.m)}; }
ADJ_I MF operator&(MF a, MF b) { return {vandq_u32(a.m, b.m)}; }
ADJ_I MD operator&(MD a, MD b) { return {vandq_u64(a.m, b.m)}; }
ADJ_I MF operator~(MF a) { return {vmvnq_u32(a.m)}; }
ADJ_I bool any(MF a) { return vmaxvq_u32(a.m) != 0; }
ADJ_I bool any(MD a) { return vmaxvq_u32(vreinterpretq_u32_u64(a.m)) != 0; }
// m ? a : b
ADJ_I VF select(MF m, VF a, VF b) { return {vbslq_f32(m.m, a.v, b.v)}; }
ADJ_I VD select(MD m, VD a, VD b) { return {vbslq_f64(m.m, a.v, b.v)}; }

// Pairwise: (a0 + a1) + (a2 + a3).
ADJ_I float hsum(VF a) { return vaddvq_f32(a.v); }
ADJ_I double hsum(VD a) { return vaddvq_f64(a.v); }

// f32 <-> f64 halves, for kernels that evaluate float data in double.
ADJ_I void widen(VF x, VD& lo, VD& hi) {
  lo.v = vcvt_f64_f32(vget_low_f32(x.v));
  hi.v = vcvt_high_f64_f32(x.v);
}
ADJ_I VF narrow(VD lo, VD hi) { return {vcvt_high_f32_f64(vcvt_f32_f64(lo.v), hi.v)}; }

// 2^k for integer-valued k in [-1022, 1023], built in the exponent field.
ADJ_I VD pow2i(VD k) {
  const int64x2_t e = vaddq_s64(vcvtq_s64_f64(k.v), vdupq_n_s64(1023));
  return {vreinterpretq_f64_s64(vshlq_n_s64(e, 52))};
}
// x * 2^k for integer-valued k in [-2044, 2046]: two exact power-of-two steps so that neither factor
// leaves the normal range and a subnormal result is rounded only once (as the AVX2 tier does).
ADJ_I VD ldexp_k(VD x, VD k) {
  const VD k1 = vfloor(k * vset1(0.0, 0.5));
  return (x * pow2i(k1)) * pow2i(k - k1);
}
// Float lanes: 2^k for integer-valued k in [-126, 127]; x * 2^k for k in [-252, 254].
ADJ_I VF pow2i(VF k) {
  const int32x4_t e = vaddq_s32(vcvtq_s32_f32(k.v), vdupq_n_s32(127));
  return {vreinterpretq_f32_s32(vshlq_n_s32(e, 23))};
}
ADJ_I VF ldexp_k(VF x, VF k) {
  const VF k1 = vfloor(k * vset1(0.0f, 0.5f));
  return (x * pow2i(k1)) * pow2i(k - k1);
}
// The float 2^(n - 127) when the low 9 bits of j's bit pattern hold n in [1, 254] (j a shifter sum, see vtanh).
ADJ_I VF pow2_low_bits(VF j) { return {vreinterpretq_f32_s32(vshlq_n_s32(vreinterpretq_s32_f32(j.v), 23))}; }
// For finite normal x > 0: x = m * 2^e with m in [1, 2).
ADJ_I void frexp12(VD x, VD& m, VD& e) {
  const uint64x2_t bits = vreinterpretq_u64_f64(x.v);
  m.v = vreinterpretq_f64_u64(vorrq_u64(vandq_u64(bits, vdupq_n_u64(0x000FFFFFFFFFFFFFull)),
                                        vdupq_n_u64(0x3FF0000000000000ull)));
  e.v = vsubq_f64(vcvtq_f64_u64(vshrq_n_u64(bits, 52)), vdupq_n_f64(1023.0));
}
ADJ_I void frexp12(VF x, VF& m, VF& e) {
  const uint32x4_t bits = vreinterpretq_u32_f32(x.v);
  m.v = vreinterpretq_f32_u32(vorrq_u32(vandq_u32(bits, vdupq_n_u32(0x007FFFFFu)), vdupq_n_u32(0x3F800000u)));
  e.v = vsubq_f32(vcvtq_f32_u32(vshrq_n_u32(bits, 23)), vdupq_n_f32(127.0f));
}

template <class T> struct VecOf;
template <> struct VecOf<float> { using type = VF; using mask = MF; };
template <> struct VecOf<double> { using type = VD; using mask = MD; };
template <class T> using vec_t = typename VecOf<T>::type;

}  // namespace neon
}  // namespace adj

// AVX2 + FMA vector wrappers. Included only by files compiled with -mavx2 -mfma. Everything lives in
// adj::avx2 so no inline function here can be merged with a same-named one built for another ISA.
#pragma once
#include <immintrin.h>
#include <cstdint>

#define ADJ_ISA_NS avx2
#define ADJ_ISA_SUFFIX __avx2

namespace adj {
namespace avx2 {

struct VF { __m256 v; static constexpr int N = 8; };
struct VD { __m256d v; static constexpr int N = 4; };
// Comparison results are lane-wide bit masks on AVX2.
struct MF { __m256 m; };
struct MD { __m256d m; };

#define ADJ_I inline __attribute__((always_inline))

ADJ_I VF vset1(float, float x) { return {_mm256_set1_ps(x)}; }
ADJ_I VD vset1(double, double x) { return {_mm256_set1_pd(x)}; }
ADJ_I VF load(const float* p) { return {_mm256_loadu_ps(p)}; }
ADJ_I VD load(const double* p) { return {_mm256_loadu_pd(p)}; }
ADJ_I void store(float* p, VF x) { _mm256_storeu_ps(p, x.v); }
ADJ_I void store(double* p, VD x) { _mm256_storeu_pd(p, x.v); }

ADJ_I __m256i tail_mask32(int64_t n) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(n)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}
ADJ_I __m256i tail_mask64(int64_t n) {
  return _mm256_cmpgt_epi64(_mm256_set1_epi64x(n), _mm256_setr_epi64x(0, 1, 2, 3));
}
// Partial loads/stores touch only lanes [0, n): vmaskmov does not fault on masked-off lanes.
ADJ_I VF loadn(const float* p, int64_t n) { return {_mm256_maskload_ps(p, tail_mask32(n))}; }
ADJ_I VD loadn(const double* p, int64_t n) { return {_mm256_maskload_pd(p, tail_mask64(n))}; }
ADJ_I VF loadn(const float* p, int64_t n, float fill) {
  const __m256i m = tail_mask32(n);
  return {_mm256_blendv_ps(_mm256_set1_ps(fill), _mm256_maskload_ps(p, m), _mm256_castsi256_ps(m))};
}
ADJ_I VD loadn(const double* p, int64_t n, double fill) {
  const __m256i m = tail_mask64(n);
  return {_mm256_blendv_pd(_mm256_set1_pd(fill), _mm256_maskload_pd(p, m), _mm256_castsi256_pd(m))};
}
// Non-temporal stores (p 32-byte aligned); stream_fence orders them before the kernel returns.
ADJ_I void stream(float* p, VF x) { _mm256_stream_ps(p, x.v); }
ADJ_I void stream(double* p, VD x) { _mm256_stream_pd(p, x.v); }
ADJ_I void stream_fence() { _mm_sfence(); }
ADJ_I void storen(float* p, VF x, int64_t n) { _mm256_maskstore_ps(p, tail_mask32(n), x.v); }
ADJ_I void storen(double* p, VD x, int64_t n) { _mm256_maskstore_pd(p, tail_mask64(n), x.v); }

ADJ_I VF operator+(VF a, VF b) { return {_mm256_add_ps(a.v, b.v)}; }
ADJ_I VF operator-(VF a, VF b) { return {_mm256_sub_ps(a.v, b.v)}; }
ADJ_I VF operator*(VF a, VF b) { return {_mm256_mul_ps(a.v, b.v)}; }
ADJ_I VF operator/(VF a, VF b) { return {_mm256_div_ps(a.v, b.v)}; }
ADJ_I VF operator-(VF a) { return {_mm256_xor_ps(a.v, _mm256_set1_ps(-0.0f))}; }
ADJ_I VD operator+(VD a, VD b) { return {_mm256_add_pd(a.v, b.v)}; }
ADJ_I VD operator-(VD a, VD b) { return {_mm256_sub_pd(a.v, b.v)}; }
ADJ_I VD operator*(VD a, VD b) { return {_mm256_mul_pd(a.v, b.v)}; }
ADJ_I VD operator/(VD a, VD b) { return {_mm256_div_pd(a.v, b.v)}; }
ADJ_I VD operator-(VD a) { return {_mm256_xor_pd(a.v, _mm256_set1_pd(-0.0))}; }

ADJ_I VF fma(VF a, VF b, VF c) { return {_mm256_fmadd_ps(a.v, b.v, c.v)}; }
ADJ_I VD fma(VD a, VD b, VD c) { return {_mm256_fmadd_pd(a.v, b.v, c.v)}; }
ADJ_I VF fnma(VF a, VF b, VF c) { return {_mm256_fnmadd_ps(a.v, b.v, c.v)}; }  // c - a*b
ADJ_I VD fnma(VD a, VD b, VD c) { return {_mm256_fnmadd_pd(a.v, b.v, c.v)}; }
// n / d for finite d > 0 (the AVX-512 tier refines a reciprocal; a 12-bit rcpps would cost accuracy).
ADJ_I VF div_pos(VF n, VF d) { return {_mm256_div_ps(n.v, d.v)}; }
ADJ_I VF vsqrt(VF a) { return {_mm256_sqrt_ps(a.v)}; }
ADJ_I VD vsqrt(VD a) { return {_mm256_sqrt_pd(a.v)}; }
ADJ_I VF vabs(VF a) { return {_mm256_andnot_ps(_mm256_set1_ps(-0.0f), a.v)}; }
ADJ_I VD vabs(VD a) { return {_mm256_andnot_pd(_mm256_set1_pd(-0.0), a.v)}; }
// x86 max/min: when either lane is NaN the SECOND operand is returned. Callers rely on that.
ADJ_I VF max_raw(VF a, VF b) { return {_mm256_max_ps(a.v, b.v)}; }
ADJ_I VD max_raw(VD a, VD b) { return {_mm256_max_pd(a.v, b.v)}; }
ADJ_I VF min_raw(VF a, VF b) { return {_mm256_min_ps(a.v, b.v)}; }
ADJ_I VD min_raw(VD a, VD b) { return {_mm256_min_pd(a.v, b.v)}; }
ADJ_I VD round_nearest(VD a) { return {_mm256_round_pd(a.v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)}; }
ADJ_I VD vfloor(VD a) { return {_mm256_round_pd(a.v, _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC)}; }
ADJ_I VF round_nearest(VF a) { return {_mm256_round_ps(a.v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)}; }
ADJ_I VF vfloor(VF a) { return {_mm256_round_ps(a.v, _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC)}; }
// |mag| with the sign of sgn.
ADJ_I VF copysign(VF mag, VF sgn) {
  const __m256 s = _mm256_set1_ps(-0.0f);
  return {_mm256_or_ps(_mm256_andnot_ps(s, mag.v), _mm256_and_ps(s, sgn.v))};
}
ADJ_I VD copysign(VD mag, VD sgn) {
  const __m256d s = _mm256_set1_pd(-0.0);
  return {_mm256_or_pd(_mm256_andnot_pd(s, mag.v), _mm256_and_pd(s, sgn.v))};
}

#define ADJ_CMP(T, M, fn, name, pred) \
  ADJ_I M name(T a, T b) { return {fn(a.v, b.v, pred)}; }
ADJ_CMP(VF, MF, _mm256_cmp_ps, lt, _CMP_LT_OQ)
ADJ_CMP(VF, MF, _mm256_cmp_ps, le, _CMP_LE_OQ)
ADJ_CMP(VF, MF, _mm256_cmp_ps, gt, _CMP_GT_OQ)
ADJ_CMP(VF, MF, _mm256_cmp_ps, ge, _CMP_GE_OQ)
ADJ_CMP(VF, MF, _mm256_cmp_ps, eq, _CMP_EQ_OQ)
ADJ_CMP(VF, MF, _mm256_cmp_ps, unord, _CMP_UNORD_Q)
ADJ_CMP(VD, MD, _mm256_cmp_pd, lt, _CMP_LT_OQ)
ADJ_CMP(VD, MD, _mm256_cmp_pd, le, _CMP_LE_OQ)
ADJ_CMP(VD, MD, _mm256_cmp_pd, gt, _CMP_GT_OQ)
ADJ_CMP(VD, MD, _mm256_cmp_pd, ge, _CMP_GE_OQ)
ADJ_CMP(VD, MD, _mm256_cmp_pd, eq, _CMP_EQ_OQ)
ADJ_CMP(VD, MD, _mm256_cmp_pd, unord, _CMP_UNORD_Q)
#undef ADJ_CMP
ADJ_I MF isnan(VF a) { return unord(a, a); }
ADJ_I MD isnan(VD a) { return unord(a, a); }
ADJ_I MF operator|(MF a, MF b) { return {_mm256_or_ps(a.m, b.m)}; }
ADJ_I MD operator|(MD a, MD b) { return {_mm256_or_pd(a.m, b.m)}; }
ADJ_I MF operator&(MF a, MF b) { return {_mm256_and_ps(a.m, b.m)}; }
ADJ_I MD operator&(MD a, MD b) { return {_mm256_and_pd(a.m, b.m)}; }
ADJ_I MF operator~(MF a) { return {_mm256_xor_ps(a.m, _mm256_castsi256_ps(_mm256_set1_epi32(-1)))}; }
ADJ_I MD operator~(MD a) { return {_mm256_xor_pd(a.m, _mm256_castsi256_pd(_mm256_set1_epi32(-1)))}; }
ADJ_I bool any(MF a) { return _mm256_movemask_ps(a.m) != 0; }
ADJ_I bool any(MD a) { return _mm256_movemask_pd(a.m) != 0; }
// m ? a : b
ADJ_I VF select(MF m, VF a, VF b) { return {_mm256_blendv_ps(b.v, a.v, m.m)}; }
ADJ_I VD select(MD m, VD a, VD b) { return {_mm256_blendv_pd(b.v, a.v, m.m)}; }

ADJ_I float hsum(VF a) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(a.v), _mm256_extractf128_ps(a.v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}
ADJ_I double hsum(VD a) {
  __m128d s = _mm_add_pd(_mm256_castpd256_pd128(a.v), _mm256_extractf128_pd(a.v, 1));
  s = _mm_add_sd(s, _mm_unpackhi_pd(s, s));
  return _mm_cvtsd_f64(s);
}

// f32 <-> f64 halves, for kernels that evaluate float data in double.
ADJ_I void widen(VF x, VD& lo, VD& hi) {
  lo.v = _mm256_cvtps_pd(_mm256_castps256_ps128(x.v));
  hi.v = _mm256_cvtps_pd(_mm256_extractf128_ps(x.v, 1));
}
ADJ_I VF narrow(VD lo, VD hi) { return {_mm256_set_m128(_mm256_cvtpd_ps(hi.v), _mm256_cvtpd_ps(lo.v))}; }

// x * 2^k for integer-valued k in [-2044, 2046]: two exact power-of-two steps so that neither factor
// leaves the normal range and a subnormal result is rounded only once.
ADJ_I VD pow2i(VD k) {
  const __m256d t = _mm256_add_pd(k.v, _mm256_set1_pd(6755399441055744.0));  // 1.5*2^52: k in the low bits
  const __m256i e = _mm256_add_epi64(_mm256_castpd_si256(t), _mm256_set1_epi64x(1023));
  return {_mm256_castsi256_pd(_mm256_slli_epi64(e, 52))};
}
ADJ_I VD ldexp_k(VD x, VD k) {
  const VD k1 = vfloor(k * vset1(0.0, 0.5));
  return (x * pow2i(k1)) * pow2i(k - k1);
}
// Float lanes: x * 2^k for integer-valued k in [-252, 254], same two-step scheme.
ADJ_I VF pow2i(VF k) {
  const __m256i e = _mm256_add_epi32(_mm256_cvtps_epi32(k.v), _mm256_set1_epi32(127));
  return {_mm256_castsi256_ps(_mm256_slli_epi32(e, 23))};
}
ADJ_I VF ldexp_k(VF x, VF k) {
  const VF k1 = vfloor(k * vset1(0.0f, 0.5f));
  return (x * pow2i(k1)) * pow2i(k - k1);
}
// The float 2^(n - 127) when the low 9 bits of j's bit pattern hold n in [1, 254] (j a shifter sum, see vtanh).
ADJ_I VF pow2_low_bits(VF j) { return {_mm256_castsi256_ps(_mm256_slli_epi32(_mm256_castps_si256(j.v), 23))}; }
// For finite x > 0 (normal): x = m * 2^e with m in [1, 2).
ADJ_I void frexp12(VD x, VD& m, VD& e) {
  const __m256i bits = _mm256_castpd_si256(x.v);
  const __m256i mant = _mm256_or_si256(_mm256_and_si256(bits, _mm256_set1_epi64x(0x000FFFFFFFFFFFFFLL)),
                                       _mm256_set1_epi64x(0x3FF0000000000000LL));
  m.v = _mm256_castsi256_pd(mant);
  // biased exponent placed in the mantissa of 2^52, then the bias and 2^52 are subtracted exactly
  const __m256i eb = _mm256_or_si256(_mm256_srli_epi64(bits, 52), _mm256_set1_epi64x(0x4330000000000000LL));
  e.v = _mm256_sub_pd(_mm256_castsi256_pd(eb), _mm256_set1_pd(4503599627370496.0 + 1023.0));
}
// Float lanes, same contract (finite normal x > 0).
ADJ_I void frexp12(VF x, VF& m, VF& e) {
  const __m256i bits = _mm256_castps_si256(x.v);
  m.v = _mm256_castsi256_ps(_mm256_or_si256(_mm256_and_si256(bits, _mm256_set1_epi32(0x007FFFFF)),
                                            _mm256_set1_epi32(0x3F800000)));
  e.v = _mm256_sub_ps(_mm256_cvtepi32_ps(_mm256_srli_epi32(bits, 23)), _mm256_set1_ps(127.0f));
}

template <class T> struct VecOf;
template <> struct VecOf<float> { using type = VF; using mask = MF; };
template <> struct VecOf<double> { using type = VD; using mask = MD; };
template <class T> using vec_t = typename VecOf<T>::type;

}  // namespace avx2
}  // namespace adj

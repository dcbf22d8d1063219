// AVX-512 (F, DQ, VL) vector wrappers. Included only by files compiled with the AVX-512 flags.
// Everything lives in adj::avx512 so nothing here can be ODR-merged onto a lower tier's code path.
#pragma once
#include <immintrin.h>
#include <cstdint>

#define ADJ_ISA_NS avx512
#define ADJ_ISA_SUFFIX __avx512

namespace adj {
namespace avx512 {

struct VF { __m512 v; static constexpr int N = 16; };
struct VD { __m512d v; static constexpr int N = 8; };
struct MF { __mmask16 m; };
struct MD { __mmask8 m; };

#define ADJ_I inline __attribute__((always_inline))

ADJ_I VF vset1(float, float x) { return {_mm512_set1_ps(x)}; }
ADJ_I VD vset1(double, double x) { return {_mm512_set1_pd(x)}; }
ADJ_I VF load(const float* p) { return {_mm512_loadu_ps(p)}; }
ADJ_I VD load(const double* p) { return {_mm512_loadu_pd(p)}; }
ADJ_I void store(float* p, VF x) { _mm512_storeu_ps(p, x.v); }
ADJ_I void store(double* p, VD x) { _mm512_storeu_pd(p, x.v); }

ADJ_I __mmask16 tail16(int64_t n) { return static_cast<__mmask16>((1u << n) - 1u); }
ADJ_I __mmask8 tail8(int64_t n) { return static_cast<__mmask8>((1u << n) - 1u); }
// Masked-off lanes are neither read nor written (no fault), so tails need no scalar loop.
ADJ_I VF loadn(const float* p, int64_t n) { return {_mm512_maskz_loadu_ps(tail16(n), p)}; }
ADJ_I VD loadn(const double* p, int64_t n) { return {_mm512_maskz_loadu_pd(tail8(n), p)}; }
ADJ_I VF loadn(const float* p, int64_t n, float fill) { return {_mm512_mask_loadu_ps(_mm512_set1_ps(fill), tail16(n), p)}; }
ADJ_I VD loadn(const double* p, int64_t n, double fill) { return {_mm512_mask_loadu_pd(_mm512_set1_pd(fill), tail8(n), p)}; }
// Non-temporal stores (p 64-byte aligned); stream_fence orders them before the kernel returns.
ADJ_I void stream(float* p, VF x) { _mm512_stream_ps(p, x.v); }
ADJ_I void stream(double* p, VD x) { _mm512_stream_pd(p, x.v); }
ADJ_I void stream_fence() { _mm_sfence(); }
ADJ_I void storen(float* p, VF x, int64_t n) { _mm512_mask_storeu_ps(p, tail16(n), x.v); }
ADJ_I void storen(double* p, VD x, int64_t n) { _mm512_mask_storeu_pd(p, tail8(n), x.v); }

ADJ_I VF operator+(VF a, VF b) { return {_mm512_add_ps(a.v, b.v)}; }
ADJ_I VF operator-(VF a, VF b) { return {_mm512_sub_ps(a.v, b.v)}; }
ADJ_I VF operator*(VF a, VF b) { return {_mm512_mul_ps(a.v, b.v)}; }
ADJ_I VF operator/(VF a, VF b) { return {_mm512_div_ps(a.v, b.v)}; }
ADJ_I VF operator-(VF a) { return {_mm512_xor_ps(a.v, _mm512_set1_ps(-0.0f))}; }
ADJ_I VD operator+(VD a, VD b) { return {_mm512_add_pd(a.v, b.v)}; }
ADJ_I VD operator-(VD a, VD b) { return {_mm512_sub_pd(a.v, b.v)}; }
ADJ_I VD operator*(VD a, VD b) { return {_mm512_mul_pd(a.v, b.v)}; }
ADJ_I VD operator/(VD a, VD b) { return {_mm512_div_pd(a.v, b.v)}; }
ADJ_I VD operator-(VD a) { return {_mm512_xor_pd(a.v, _mm512_set1_pd(-0.0))}; }

ADJ_I VF fma(VF a, VF b, VF c) { return {_mm512_fmadd_ps(a.v, b.v, c.v)}; }
ADJ_I VD fma(VD a, VD b, VD c) { return {_mm512_fmadd_pd(a.v, b.v, c.v)}; }
ADJ_I VF fnma(VF a, VF b, VF c) { return {_mm512_fnmadd_ps(a.v, b.v, c.v)}; }
ADJ_I VD fnma(VD a, VD b, VD c) { return {_mm512_fnmadd_pd(a.v, b.v, c.v)}; }
// n / d for finite d > 0: a 14-bit reciprocal refined by one Newton step on the quotient, within about
// 1 ulp of the true quotient and several times the throughput of vdivps on 512-bit vectors.
ADJ_I VF div_pos(VF n, VF d) {
  const __m512 r = _mm512_rcp14_ps(d.v);
  const __m512 q = _mm512_mul_ps(n.v, r);
  return {_mm512_fmadd_ps(_mm512_fnmadd_ps(q, d.v, n.v), r, q)};
}
ADJ_I VF vsqrt(VF a) { return {_mm512_sqrt_ps(a.v)}; }
ADJ_I VD vsqrt(VD a) { return {_mm512_sqrt_pd(a.v)}; }
ADJ_I VF vabs(VF a) { return {_mm512_andnot_ps(_mm512_set1_ps(-0.0f), a.v)}; }
ADJ_I VD vabs(VD a) { return {_mm512_andnot_pd(_mm512_set1_pd(-0.0), a.v)}; }
ADJ_I VF max_raw(VF a, VF b) { return {_mm512_max_ps(a.v, b.v)}; }
ADJ_I VD max_raw(VD a, VD b) { return {_mm512_max_pd(a.v, b.v)}; }
ADJ_I VF min_raw(VF a, VF b) { return {_mm512_min_ps(a.v, b.v)}; }
ADJ_I VD min_raw(VD a, VD b) { return {_mm512_min_pd(a.v, b.v)}; }
ADJ_I VD round_nearest(VD a) { return {_mm512_roundscale_pd(a.v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)}; }
ADJ_I VD vfloor(VD a) { return {_mm512_roundscale_pd(a.v, _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC)}; }
ADJ_I VF round_nearest(VF a) { return {_mm512_roundscale_ps(a.v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)}; }
ADJ_I VF vfloor(VF a) { return {_mm512_roundscale_ps(a.v, _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC)}; }
ADJ_I VF copysign(VF mag, VF sgn) {
  const __m512 s = _mm512_set1_ps(-0.0f);
  return {_mm512_or_ps(_mm512_andnot_ps(s, mag.v), _mm512_and_ps(s, sgn.v))};
}
ADJ_I VD copysign(VD mag, VD sgn) {
  const __m512d s = _mm512_set1_pd(-0.0);
  return {_mm512_or_pd(_mm512_andnot_pd(s, mag.v), _mm512_and_pd(s, sgn.v))};
}

#define ADJ_CMP(T, M, fn, name, pred) \
  ADJ_I M name(T a, T b) { return {fn(a.v, b.v, pred)}; }
ADJ_CMP(VF, MF, _mm512_cmp_ps_mask, lt, _CMP_LT_OQ)
ADJ_CMP(VF, MF, _mm512_cmp_ps_mask, le, _CMP_LE_OQ)
ADJ_CMP(VF, MF, _mm512_cmp_ps_mask, gt, _CMP_GT_OQ)
ADJ_CMP(VF, MF, _mm512_cmp_ps_mask, ge, _CMP_GE_OQ)
ADJ_CMP(VF, MF, _mm512_cmp_ps_mask, eq, _CMP_EQ_OQ)
ADJ_CMP(VF, MF, _mm512_cmp_ps_mask, unord, _CMP_UNORD_Q)
ADJ_CMP(VD, MD, _mm512_cmp_pd_mask, lt, _CMP_LT_OQ)
ADJ_CMP(VD, MD, _mm512_cmp_pd_mask, le, _CMP_LE_OQ)
ADJ_CMP(VD, MD, _mm512_cmp_pd_mask, gt, _CMP_GT_OQ)
ADJ_CMP(VD, MD, _mm512_cmp_pd_mask, ge, _CMP_GE_OQ)
ADJ_CMP(VD, MD, _mm512_cmp_pd_mask, eq, _CMP_EQ_OQ)
ADJ_CMP(VD, MD, _mm512_cmp_pd_mask, unord, _CMP_UNORD_Q)
#undef ADJ_CMP
ADJ_I MF isnan(VF a) { return unord(a, a); }
ADJ_I MD isnan(VD a) { return unord(a, a); }
ADJ_I MF operator|(MF a, MF b) { return {static_cast<__mmask16>(a.m | b.m)}; }
ADJ_I MD operator|(MD a, MD b) { return {static_cast<__mmask8>(a.m | b.m)}; }
ADJ_I MF operator&(MF a, MF b) { return {static_cast<__mmask16>(a.m & b.m)}; }
ADJ_I MD operator&(MD a, MD b) { return {static_cast<__mmask8>(a.m & b.m)}; }
ADJ_I MF operator~(MF a) { return {static_cast<__mmask16>(~a.m)}; }
ADJ_I MD operator~(MD a) { return {static_cast<__mmask8>(~a.m)}; }
ADJ_I bool any(MF a) { return a.m != 0; }
ADJ_I bool any(MD a) { return a.m != 0; }
ADJ_I VF select(MF m, VF a, VF b) { return {_mm512_mask_blend_ps(m.m, b.v, a.v)}; }
ADJ_I VD select(MD m, VD a, VD b) { return {_mm512_mask_blend_pd(m.m, b.v, a.v)}; }

ADJ_I float hsum(VF a) { return _mm512_reduce_add_ps(a.v); }
ADJ_I double hsum(VD a) { return _mm512_reduce_add_pd(a.v); }

ADJ_I void widen(VF x, VD& lo, VD& hi) {
  lo.v = _mm512_cvtps_pd(_mm512_castps512_ps256(x.v));
  hi.v = _mm512_cvtps_pd(_mm512_extractf32x8_ps(x.v, 1));
}
ADJ_I VF narrow(VD lo, VD hi) {
  return {_mm512_insertf32x8(_mm512_castps256_ps512(_mm512_cvtpd_ps(lo.v)), _mm512_cvtpd_ps(hi.v), 1)};
}

// scalef computes x * 2^floor(k) with one rounding, overflow and gradual underflow included.
ADJ_I VD ldexp_k(VD x, VD k) { return {_mm512_scalef_pd(x.v, k.v)}; }
ADJ_I VF ldexp_k(VF x, VF k) { return {_mm512_scalef_ps(x.v, k.v)}; }
// The float 2^(n - 127) when the low 9 bits of j's bit pattern hold n in [1, 254] (j a shifter sum, see vtanh).
ADJ_I VF pow2_low_bits(VF j) { return {_mm512_castsi512_ps(_mm512_slli_epi32(_mm512_castps_si512(j.v), 23))}; }
ADJ_I void frexp12(VD x, VD& m, VD& e) {
  m.v = _mm512_getmant_pd(x.v, _MM_MANT_NORM_1_2, _MM_MANT_SIGN_zero);
  e.v = _mm512_getexp_pd(x.v);
}
ADJ_I void frexp12(VF x, VF& m, VF& e) {
  m.v = _mm512_getmant_ps(x.v, _MM_MANT_NORM_1_2, _MM_MANT_SIGN_zero);
  e.v = _mm512_getexp_ps(x.v);
}

template <class T> struct VecOf;
template <> struct VecOf<float> { using type = VF; using mask = MF; };
template <> struct VecOf<double> { using type = VD; using mask = MD; };
template <class T> using vec_t = typename VecOf<T>::type;

}  // namespace avx512
}  // namespace adj

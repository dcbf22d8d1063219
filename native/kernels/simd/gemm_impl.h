// GEMM, BLIS-style: five loops around one MR x NR register-blocked microkernel. Only the tile shape
// and the vector type depend on the ISA; the loops and the packing are the same code for every tier.
//
//   loop 5  jc over n in NC columns        B block (KC x NC, 1 MiB) packed once, shared by all threads, in L2
//   loop 4  pc over k in KC                pack op(B)[pc:, jc:] into NR-wide panels (on first use)
//   loop 3  ic over m in MC rows           each thread packs its own op(A)[ic:, pc:] into MR-tall panels
//   loop 2  ir over the block in MR        one A micro-panel (MR x KC) stays in L1
//   loop 1  jr over the block in NR        microkernel: C[MR x NR] += A panel * B panel, B from L2
//
// Loops 1 and 2 are in the opposite order to BLIS's, because here the broadcast operand is A
// (Note [Loop order]).
//
// Transposes are absorbed by the packing routines, so the microkernel sees one layout. Edge tiles are
// zero-padded in the packs and masked on the store. beta is applied on the first k block only, and
// when beta == 0 C is written without being read.
#pragma once
#include "kernels/simd/common.h"
#include "src/thread_pool.h"

// Tiers with 32 vector registers (AVX-512, AArch64 NEON) take the larger unpacked tiles below.
#if defined(__AVX512F__) || defined(__aarch64__)
#  define ADJ_GEMM_32_REGS 1
#endif
// AArch64 keeps float scalars in the vector registers too: inlined into compute_task, the microkernel's
// accumulators compete with alpha, beta and the caller's values, and GCC 12 kept some of them on the
// stack inside the k loop (f32 8 x 12: 10 stack accesses per 48 FMAs). As a function of its own none
// is spilled, except one in f32 8 x 12 without the next-panel prefetch (one load + store per 48 FMAs;
// GCC's allocator leaves v13-v15 unused there rather than save them). Checked in the disassembly of
// kernels/neon/gemm_f32.cpp.o; no timing exists (qemu only).
#if defined(__aarch64__)
#  define ADJ_GEMM_MICRO_ATTR __attribute__((noinline))
#else
#  define ADJ_GEMM_MICRO_ATTR
#endif

namespace adj {
namespace ADJ_ISA_NS {

#if defined(__AVX512F__)
// r[0..15] = rows of a 16 x 16 float block; on return r[j] holds column j. Four shuffle stages of 16
// one-cycle shuffles: about 0.25 cycles per element, against 1-2 for a scalar gather/scatter copy.
ADJ_I void transpose16(__m512 r[16]) {
  __m512 t[16];
#pragma GCC unroll 16
  for (int i = 0; i < 16; i += 2) {
    t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);
    t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);
  }
#pragma GCC unroll 16
  for (int i = 0; i < 16; i += 4) {
    r[i] = _mm512_castpd_ps(_mm512_unpacklo_pd(_mm512_castps_pd(t[i]), _mm512_castps_pd(t[i + 2])));
    r[i + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(_mm512_castps_pd(t[i]), _mm512_castps_pd(t[i + 2])));
    r[i + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(_mm512_castps_pd(t[i + 1]), _mm512_castps_pd(t[i + 3])));
    r[i + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(_mm512_castps_pd(t[i + 1]), _mm512_castps_pd(t[i + 3])));
  }
  // r[4q + s], 128-bit lane l, now holds column 4l + s of rows 4q..4q+3: a 4 x 4 transpose of lanes is left.
#pragma GCC unroll 16
  for (int q = 0; q < 4; ++q) {
    t[q] = _mm512_shuffle_f32x4(r[q], r[4 + q], 0x88);        // lanes 0,2 of each
    t[4 + q] = _mm512_shuffle_f32x4(r[q], r[4 + q], 0xDD);    // lanes 1,3
    t[8 + q] = _mm512_shuffle_f32x4(r[8 + q], r[12 + q], 0x88);
    t[12 + q] = _mm512_shuffle_f32x4(r[8 + q], r[12 + q], 0xDD);
  }
#pragma GCC unroll 16
  for (int q = 0; q < 4; ++q) {
    r[q] = _mm512_shuffle_f32x4(t[q], t[8 + q], 0x88);
    r[8 + q] = _mm512_shuffle_f32x4(t[q], t[8 + q], 0xDD);
    r[4 + q] = _mm512_shuffle_f32x4(t[4 + q], t[12 + q], 0x88);
    r[12 + q] = _mm512_shuffle_f32x4(t[4 + q], t[12 + q], 0xDD);
  }
}

// 8 x 8 doubles: two stages of in-lane unpacks and 128-bit lane shuffles, then one more lane shuffle.
ADJ_I void transpose_sq(VD r[8]) {
  __m512d t[8], u[8];
#pragma GCC unroll 8
  for (int i = 0; i < 8; i += 2) {
    t[i] = _mm512_unpacklo_pd(r[i].v, r[i + 1].v);      // lanes: rows i, i+1 of columns 0, 2, 4, 6
    t[i + 1] = _mm512_unpackhi_pd(r[i].v, r[i + 1].v);  // columns 1, 3, 5, 7
  }
#pragma GCC unroll 8
  for (int h = 0; h < 8; h += 4) {  // rows h..h+3
    u[h] = _mm512_shuffle_f64x2(t[h], t[h + 2], 0x88);          // columns 0, 4
    u[h + 1] = _mm512_shuffle_f64x2(t[h], t[h + 2], 0xDD);      // columns 2, 6
    u[h + 2] = _mm512_shuffle_f64x2(t[h + 1], t[h + 3], 0x88);  // columns 1, 5
    u[h + 3] = _mm512_shuffle_f64x2(t[h + 1], t[h + 3], 0xDD);  // columns 3, 7
  }
  r[0].v = _mm512_shuffle_f64x2(u[0], u[4], 0x88);
  r[4].v = _mm512_shuffle_f64x2(u[0], u[4], 0xDD);
  r[2].v = _mm512_shuffle_f64x2(u[1], u[5], 0x88);
  r[6].v = _mm512_shuffle_f64x2(u[1], u[5], 0xDD);
  r[1].v = _mm512_shuffle_f64x2(u[2], u[6], 0x88);
  r[5].v = _mm512_shuffle_f64x2(u[2], u[6], 0xDD);
  r[3].v = _mm512_shuffle_f64x2(u[3], u[7], 0x88);
  r[7].v = _mm512_shuffle_f64x2(u[3], u[7], 0xDD);
}
// The four horizontal sums of a[0..3] at once: in-lane unpacks and adds, then two lane shuffles, about
// 13 instructions against 4 x 8 for four separate reductions (dot tiles end with 16 of them).
ADJ_I void hsum4(const VF a[4], float out[4]) {
  const __m512 s01 = _mm512_add_ps(_mm512_unpacklo_ps(a[0].v, a[1].v), _mm512_unpackhi_ps(a[0].v, a[1].v));
  const __m512 s23 = _mm512_add_ps(_mm512_unpacklo_ps(a[2].v, a[3].v), _mm512_unpackhi_ps(a[2].v, a[3].v));
  const __m512d d01 = _mm512_castps_pd(s01), d23 = _mm512_castps_pd(s23);
  // per 128-bit lane: partial sums of a0, a1, a2, a3
  const __m512 s = _mm512_add_ps(_mm512_castpd_ps(_mm512_unpacklo_pd(d01, d23)),
                                 _mm512_castpd_ps(_mm512_unpackhi_pd(d01, d23)));
  const __m512 t = _mm512_add_ps(s, _mm512_shuffle_f32x4(s, s, 0x4E));
  const __m512 u = _mm512_add_ps(t, _mm512_shuffle_f32x4(t, t, 0xB1));
  _mm_storeu_ps(out, _mm512_castps512_ps128(u));
}
ADJ_I void hsum4(const VD a[4], double out[4]) {
  const __m512d x = _mm512_add_pd(_mm512_unpacklo_pd(a[0].v, a[1].v), _mm512_unpackhi_pd(a[0].v, a[1].v));
  const __m512d y = _mm512_add_pd(_mm512_unpacklo_pd(a[2].v, a[3].v), _mm512_unpackhi_pd(a[2].v, a[3].v));
  // lanes: a0/a1 partials (two), a2/a3 partials (two)
  const __m512d t = _mm512_add_pd(_mm512_shuffle_f64x2(x, y, 0x88), _mm512_shuffle_f64x2(x, y, 0xDD));
  const __m512d u = _mm512_add_pd(t, _mm512_shuffle_f64x2(t, t, 0xB1));
  _mm_storeu_pd(out, _mm512_castpd512_pd128(u));
  _mm_storeu_pd(out + 2, _mm512_extractf64x2_pd(u, 2));
}
ADJ_I void transpose_sq(VF r[16]) {
  __m512 x[16];
#pragma GCC unroll 16
  for (int i = 0; i < 16; ++i) x[i] = r[i].v;
  transpose16(x);
#pragma GCC unroll 16
  for (int i = 0; i < 16; ++i) r[i].v = x[i];
}
#elif defined(__aarch64__)
// 4 x 4 floats: trn1/trn2 on 32-bit lanes pair up rows 0-1 and 2-3, trn1/trn2 on 64-bit lanes finish.
ADJ_I void transpose_sq(VF r[4]) {
  const float32x4_t t0 = vtrn1q_f32(r[0].v, r[1].v), t1 = vtrn2q_f32(r[0].v, r[1].v);
  const float32x4_t t2 = vtrn1q_f32(r[2].v, r[3].v), t3 = vtrn2q_f32(r[2].v, r[3].v);
  r[0].v = vreinterpretq_f32_f64(vtrn1q_f64(vreinterpretq_f64_f32(t0), vreinterpretq_f64_f32(t2)));
  r[1].v = vreinterpretq_f32_f64(vtrn1q_f64(vreinterpretq_f64_f32(t1), vreinterpretq_f64_f32(t3)));
  r[2].v = vreinterpretq_f32_f64(vtrn2q_f64(vreinterpretq_f64_f32(t0), vreinterpretq_f64_f32(t2)));
  r[3].v = vreinterpretq_f32_f64(vtrn2q_f64(vreinterpretq_f64_f32(t1), vreinterpretq_f64_f32(t3)));
}
// 2 x 2 doubles.
ADJ_I void transpose_sq(VD r[2]) {
  const float64x2_t t0 = vtrn1q_f64(r[0].v, r[1].v), t1 = vtrn2q_f64(r[0].v, r[1].v);
  r[0].v = t0;
  r[1].v = t1;
}
#else
// 8 x 8 floats: unpacks and shuffles within 128-bit lanes, then a swap of lanes.
ADJ_I void transpose_sq(VF r[8]) {
  __m256 t[8], u[8];
#pragma GCC unroll 8
  for (int i = 0; i < 8; i += 2) {
    t[i] = _mm256_unpacklo_ps(r[i].v, r[i + 1].v);
    t[i + 1] = _mm256_unpackhi_ps(r[i].v, r[i + 1].v);
  }
#pragma GCC unroll 8
  for (int h = 0; h < 8; h += 4) {  // rows h..h+3, columns c and c+4 in the two lanes
    u[h] = _mm256_shuffle_ps(t[h], t[h + 2], 0x44);      // column 0
    u[h + 1] = _mm256_shuffle_ps(t[h], t[h + 2], 0xEE);  // column 1
    u[h + 2] = _mm256_shuffle_ps(t[h + 1], t[h + 3], 0x44);  // column 2
    u[h + 3] = _mm256_shuffle_ps(t[h + 1], t[h + 3], 0xEE);  // column 3
  }
#pragma GCC unroll 4
  for (int c = 0; c < 4; ++c) {
    r[c].v = _mm256_permute2f128_ps(u[c], u[4 + c], 0x20);
    r[c + 4].v = _mm256_permute2f128_ps(u[c], u[4 + c], 0x31);
  }
}
// 4 x 4 doubles.
ADJ_I void transpose_sq(VD r[4]) {
  const __m256d t0 = _mm256_unpacklo_pd(r[0].v, r[1].v), t1 = _mm256_unpackhi_pd(r[0].v, r[1].v);
  const __m256d t2 = _mm256_unpacklo_pd(r[2].v, r[3].v), t3 = _mm256_unpackhi_pd(r[2].v, r[3].v);
  r[0].v = _mm256_permute2f128_pd(t0, t2, 0x20);
  r[1].v = _mm256_permute2f128_pd(t1, t3, 0x20);
  r[2].v = _mm256_permute2f128_pd(t0, t2, 0x31);
  r[3].v = _mm256_permute2f128_pd(t1, t3, 0x31);
}
#endif

// For p < N and i < width (<= N), N the vector width: dst[p * ldd + i] = src[i * lds + p] for rows
// i < rows, 0 for the rows past it (the zero padding of an edge panel). Rows past `rows` are never read.
// A square block through registers: about 0.25-0.5 cycles per element, against 1-2 for a scalar copy.
template <class T> ADJ_I void transpose_rows(const T* src, int64_t lds, int rows, T* dst, int64_t ldd, int width) {
  using V = vec_t<T>;
  V r[V::N];
#pragma GCC unroll 16
  for (int i = 0; i < V::N; ++i) r[i] = i < rows ? load(src + i * lds) : vset1(T(), 0);
  transpose_sq(r);
#pragma GCC unroll 16
  for (int p = 0; p < V::N; ++p) {
    if (width == V::N) store(dst + p * ldd, r[p]);
    else storen(dst + p * ldd, r[p], width);
  }
}

template <class T, int MR, int NV> struct Gemm {
  using V = vec_t<T>;
  static constexpr int NR = NV * V::N;
  // Cache blocking for this CPU kind (48 KiB L1d, 2 MiB L2 per core, large shared L3), Note [Loop order]:
  // one A micro-panel (MR x KC: 12 KiB for f32 12x32, 24 KiB for f64) stays in L1 while the B
  // micro-panels of the block stream past it from L2; the B block (KC x NC, 1 MiB) stays in L2; A is
  // packed MC rows at a time, right before use. Blocks are balanced (k = 784 is 4 blocks of 196, not
  // 3 of 256 and one of 16).
  static constexpr int64_t KC = 256;
  static constexpr int64_t MC = 4 * MR;
  static constexpr int64_t NC = ((int64_t(1) << 20) / (KC * static_cast<int64_t>(sizeof(T)))) / NR * NR;

  // C[mr x nr] = alpha * A panel * B panel + beta * C. Accumulators, indices and the store loops are
  // all compile-time so the R x NV accumulators never leave registers (the edge path included).
  // R < MR computes only the first R rows of the MR-wide A panel: the last row tile of a product whose
  // m is not a multiple of MR (m = 256 on 12 rows leaves 4) would otherwise spend 12 rows of FMAs on
  // 4, about 3 % of such a product.
  template <int R = MR>
  ADJ_GEMM_MICRO_ATTR static void micro(int64_t kc, const T* __restrict ap, const T* __restrict bp, T* c, int64_t ldc, T alpha, T beta,
                    int mr, int nr) {
    {
      // C is touched only after the k loop; start its lines on their way now. The row pointers are
      // hidden from the optimiser afterwards: kept live across the loop they would take the general
      // registers the loop needs and push a B vector out to the stack.
      // Only the tile's own rows: on an edge tile c + i * ldc past row mr can lie beyond the matrix, and
      // with a huge ldc the address computation itself would wrap.
#pragma GCC unroll 16
      for (int i = 0; i < R; ++i) {
        if (i >= mr) break;
        T* cp = c + i * ldc;
        __builtin_prefetch(cp, 1, 3);
        __builtin_prefetch(cp + NR - 1, 1, 3);
      }
      __asm__("" : "+r"(c), "+r"(ldc));
    }
    V acc[R][NV];
#pragma GCC unroll 16
    for (int i = 0; i < R; ++i)
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) acc[i][v] = vset1(T(), 0);
#pragma GCC unroll 2
    for (int64_t p = 0; p < kc; ++p, ap += MR, bp += NR) {
      // The B micro-panel streams from L2 (Note [Loop order]): ask for its rows eight k steps ahead,
      // about 100 cycles, more than an L2 hit takes.
      {
        constexpr int kLines = (NR * static_cast<int>(sizeof(T)) + 63) / 64, kStep = 64 / static_cast<int>(sizeof(T));
#pragma GCC unroll 4
        for (int l = 0; l < kLines; ++l) __builtin_prefetch(bp + 8 * NR + l * kStep, 0, 3);
      }
      V b[NV];
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) b[v] = load(bp + v * V::N);
#if defined(__aarch64__)
      // NEON multiplies by one lane of a register (fmla v.4s, v.4s, v.s[l]): the A values of the k step
      // come in as whole vectors (the panel holds MR >= R of them) and each row uses its lane: 24
      // accumulators + 3 B + 2 A vectors for f32 8 x 12. Broadcast from memory, GCC loads the 8 A values
      // as 8 scalar registers ahead of use and spills accumulators inside the loop.
      V av[(R + V::N - 1) / V::N];
#pragma GCC unroll 4
      for (int g = 0; g * V::N < R; ++g) av[g] = load(ap + g * V::N);
#pragma GCC unroll 16
      for (int i = 0; i < R; ++i) {
        const V a = lane_bcast(av[i / V::N], i % V::N);
#pragma GCC unroll 4
        for (int v = 0; v < NV; ++v) acc[i][v] = fma(a, b[v], acc[i][v]);
      }
#else
#pragma GCC unroll 16
      for (int i = 0; i < R; ++i) {
        const V a = vset1(T(), ap[i]);
#pragma GCC unroll 4
        for (int v = 0; v < NV; ++v) acc[i][v] = fma(a, b[v], acc[i][v]);
      }
#endif
    }
    const V va = vset1(T(), alpha), vb = vset1(T(), beta);
    const bool read_c = beta != T(0);
    if (mr == R && nr == NR) {
#pragma GCC unroll 16
      for (int i = 0; i < R; ++i)
#pragma GCC unroll 4
        for (int v = 0; v < NV; ++v) {
          T* cp = c + i * ldc + v * V::N;
          const V r = acc[i][v] * va;
          store(cp, read_c ? fma(vb, load(cp), r) : r);
        }
      return;
    }
#pragma GCC unroll 16
    for (int i = 0; i < R; ++i) {
      if (i >= mr) break;
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) {
        const int cnt = nr - v * V::N;
        if (cnt <= 0) break;
        T* cp = c + i * ldc + v * V::N;
        const V r = acc[i][v] * va;
        if (cnt >= V::N) store(cp, read_c ? fma(vb, load(cp), r) : r);
        else storen(cp, read_c ? fma(vb, loadn(cp, cnt), r) : r, cnt);
      }
    }
  }

  // op(A)[i0 + i, p0 + p] for i < mc, p < kc into panels [mc/MR][kc][MR], zero rows past mc.
  static void pack_a(bool ta, const T* a, int64_t lda, int64_t i0, int64_t p0, int64_t mc, int64_t kc, T* dst) {
    for (int64_t ip = 0; ip < mc; ip += MR) {
      const int64_t rows = mc - ip < MR ? mc - ip : MR;
      if (!ta) {
        const T* src = a + (i0 + ip) * lda + p0;
        int64_t p = 0;
        // N columns (the vector width) of MR rows at a time, N x N blocks transposed in registers.
        for (; p + V::N <= kc; p += V::N)
          for (int g = 0; g < MR; g += V::N) {
            const int r = static_cast<int>(rows - g < 0 ? 0 : rows - g < V::N ? rows - g : V::N);
            transpose_rows(src + g * lda + p, lda, r, dst + p * MR + g, MR, MR - g < V::N ? MR - g : V::N);
          }
        for (int64_t i = 0; i < MR; ++i) {
          if (i < rows) {
            const T* s = src + i * lda;
            for (int64_t q = p; q < kc; ++q) dst[q * MR + i] = s[q];
          } else {
            for (int64_t q = p; q < kc; ++q) dst[q * MR + i] = T(0);
          }
        }
      } else {
        pack_a_t(a, lda, i0 + ip, p0, mc - ip, kc, dst);
        return;
      }
      dst += MR * kc;
    }
  }

  // pack_a for a transposed A (op(A)[i, p] = a[p * lda + i]): every row p of the stored matrix is read
  // once, front to back, and cut into the MR-wide rows of the panels. Walking one panel down kc rows
  // instead would touch a new page every row (lda apart), which the hardware prefetchers do not follow.
  static void pack_a_t(const T* a, int64_t lda, int64_t i0, int64_t p0, int64_t mc, int64_t kc, T* dst) {
    const int64_t panels = (mc + MR - 1) / MR;
    for (int64_t p = 0; p < kc; ++p) {
      const T* src = a + (p0 + p) * lda + i0;
      T* d = dst + p * MR;
      for (int64_t ip = 0; ip < panels; ++ip, src += MR, d += MR * kc) {
        const int64_t rows = mc - ip * MR;
#pragma GCC unroll 4
        for (int v = 0; v * V::N < MR; ++v) {
          const int64_t lanes = MR - v * V::N < V::N ? MR - v * V::N : V::N;  // of the panel row
          const int64_t have = rows - v * V::N;                             // of them in A
          const V x = have >= lanes ? (lanes == V::N ? load(src + v * V::N) : loadn(src + v * V::N, lanes))
                                    : (have > 0 ? loadn(src + v * V::N, have) : vset1(T(), 0));
          if (lanes == V::N) store(d + v * V::N, x);
          else storen(d + v * V::N, x, lanes);
        }
      }
    }
  }

  // op(B)[p0 + p, j0 + j] into panels [nc/NR][kc][NR], zero columns past nc. Panels [jp0, jp1) only,
  // so threads can share the packing of one block.
  static void pack_b(bool tb, const T* b, int64_t ldb, int64_t p0, int64_t j0, int64_t kc, int64_t nc, int64_t jp0,
                     int64_t jp1, T* dst) {
    for (int64_t jp = jp0 * NR; jp < nc && jp < jp1 * NR; jp += NR) {
      T* panel = dst + (jp / NR) * NR * kc;
      const int64_t cols = nc - jp < NR ? nc - jp : NR;
      if (!tb) {
        for (int64_t p = 0; p < kc; ++p) {
          const T* src = b + (p0 + p) * ldb + j0 + jp;
          T* d = panel + p * NR;
          // Every row is a new page for the panel walk; ask for the rows a few steps ahead.
          if (p + 8 < kc) {
            __builtin_prefetch(src + 8 * ldb, 0, 3);
            __builtin_prefetch(src + 8 * ldb + NR - 1, 0, 3);
          }
          if (cols == NR) {
#pragma GCC unroll 4
            for (int v = 0; v < NV; ++v) store(d + v * V::N, load(src + v * V::N));
          } else {
            for (int v = 0; v < NV; ++v) {
              const int64_t cnt = cols - v * V::N;
              store(d + v * V::N, cnt >= V::N ? load(src + v * V::N) : cnt > 0 ? loadn(src + v * V::N, cnt) : vset1(T(), 0));
            }
          }
        }
      } else {
        const T* src = b + (j0 + jp) * ldb + p0;
        int64_t p = 0;
        // N rows of B (columns of op(B)) at a time, N x N blocks transposed in registers (NR = NV N).
        for (; p + V::N <= kc; p += V::N)
          for (int g = 0; g < NR; g += V::N) {
            const int rows = static_cast<int>(cols - g < 0 ? 0 : cols - g < V::N ? cols - g : V::N);
            transpose_rows(src + g * ldb + p, ldb, rows, panel + p * NR + g, NR, V::N);
          }
        for (int64_t j = 0; j < NR; ++j) {
          if (j < cols) {
            const T* s = src + j * ldb;
            for (int64_t q = p; q < kc; ++q) panel[q * NR + j] = s[q];
          } else {
            for (int64_t q = p; q < kc; ++q) panel[q * NR + j] = T(0);
          }
        }
      }
    }
  }

  // ---- Unpacked paths: products where packing cannot pay for itself (few rows of C, few columns with a
  // transposed B, or tiny). Nothing is copied; each kernel reads A and B where they lie.

#if defined(ADJ_GEMM_32_REGS)
  static constexpr int kRegs = 32;
#else
  static constexpr int kRegs = 16;
#endif
  // Row groups (B not transposed): R rows x DV vectors of C in registers over all of k; every B row
  // segment loaded is used by all R rows, so B is read once per R rows instead of once per row.
  // R x DV accumulators + DV B vectors + 1 broadcast fit the registers: on AVX-512 up to 6 rows x 4
  // vectors or 12 x 2, on AVX2 up to 6 x 2.
  static constexpr int RMAX = kRegs == 32 ? 12 : 6;

  // C[i0 .. i0+R, j0 .. j1) for B not transposed, with op(A)[i0 + i, p] = a0[p * ap + i]: the R values
  // of one k step lie side by side (a transposed A as stored, or a row group packed by rows_range).
  // A plain A is read in place too for up to 6 rows (as = lda: one pointer register per row).
  template <int R, int DV>
  static void rows_kernel(int64_t k, T alpha, const T* a0, int64_t ap, int64_t as, int64_t i0, const T* b,
                          int64_t ldb, int64_t j0, int64_t j1, T beta, T* c, int64_t ldc) {
    constexpr int W = DV * V::N;
    const V va = vset1(T(), alpha), vb = vset1(T(), beta);
    for (int64_t jb = j0; jb < j1; jb += W) {
      const int w = static_cast<int>(j1 - jb < W ? j1 - jb : W);
      V acc[R][DV];
#pragma GCC unroll 16
      for (int i = 0; i < R; ++i)
#pragma GCC unroll 4
        for (int v = 0; v < DV; ++v) acc[i][v] = vset1(T(), 0);
      // Row p is addressed as base + p * stride, never by stepping a pointer past the last row: with a
      // huge valid stride the step after the last row would wrap the address (undefined behaviour; the
      // ABI fuzzer's UBSan build found it).
      if (w == W) {
        for (int64_t p = 0; p < k; ++p) {
          const T* bp = b + jb + p * ldb;
          const T* apk = a0 + p * ap;
          // B rows are ldb apart: a new page per row for long rows, which the hardware prefetchers
          // do not follow; ask for the row eight steps ahead when it exists.
          if (p + 8 < k) {
#pragma GCC unroll 4
            for (int v = 0; v < DV; ++v) __builtin_prefetch(bp + 8 * ldb + v * V::N, 0, 3);
          }
          V bv[DV];
#pragma GCC unroll 4
          for (int v = 0; v < DV; ++v) bv[v] = load(bp + v * V::N);
#pragma GCC unroll 16
          for (int i = 0; i < R; ++i) {
            const V av = vset1(T(), apk[i * as]);
#pragma GCC unroll 4
            for (int v = 0; v < DV; ++v) acc[i][v] = fma(av, bv[v], acc[i][v]);
          }
        }
      } else {
        for (int64_t p = 0; p < k; ++p) {
          const T* bp = b + jb + p * ldb;
          const T* apk = a0 + p * ap;
          V bv[DV];
#pragma GCC unroll 4
          for (int v = 0; v < DV; ++v) {
            const int cnt = w - v * V::N;
            bv[v] = cnt >= V::N ? load(bp + v * V::N) : cnt > 0 ? loadn(bp + v * V::N, cnt) : vset1(T(), 0);
          }
#pragma GCC unroll 16
          for (int i = 0; i < R; ++i) {
            const V av = vset1(T(), apk[i * as]);
#pragma GCC unroll 4
            for (int v = 0; v < DV; ++v) acc[i][v] = fma(av, bv[v], acc[i][v]);
          }
        }
      }
#pragma GCC unroll 16
      for (int i = 0; i < R; ++i)
#pragma GCC unroll 4
        for (int v = 0; v < DV; ++v) {
          const int cnt = w - v * V::N;
          if (cnt <= 0) break;
          T* cp = c + (i0 + i) * ldc + jb + v * V::N;
          const V r = acc[i][v] * va;
          if (cnt >= V::N) store(cp, beta == T(0) ? r : fma(vb, load(cp), r));
          else storen(cp, beta == T(0) ? r : fma(vb, loadn(cp, cnt), r), cnt);
        }
    }
  }

  // Rows [i0, i1) x columns [j0, j1) of C for B not transposed, in groups of at most RMAX rows.
  static void rows_range(bool ta, int64_t k, T alpha, const T* a, int64_t lda, const T* b, int64_t ldb, T beta, T* c,
                         int64_t ldc, int64_t i0, int64_t i1, int64_t j0, int64_t j1) {
    for (int64_t i = i0; i < i1;) {
      const int64_t left = i1 - i;
      // Even groups: 13 rows as 7 + 6, not 12 + 1 (a single row uses 1/R of the B traffic it pays for).
      const int64_t groups = (left + RMAX - 1) / RMAX;
      const int r = static_cast<int>((left + groups - 1) / groups);
      // More than 6 rows of a plain A would take more pointer registers than there are: they are
      // interleaved into a small [k][r] buffer first (r*k copies against r*k*n FMAs), so the r values
      // of a k step lie side by side, as they do in a transposed A.
      const T* a0 = ta ? a + i : a + i * lda;
      int64_t ap = ta ? lda : 1, as = ta ? 1 : lda;
      if (!ta && r > 6) {
        T* buf = static_cast<T*>(thread_scratch(2, static_cast<size_t>(k * r) * sizeof(T)));
        if (buf) {
          for (int64_t q = 0; q < r; ++q) {
            const T* src = a + (i + q) * lda;
            for (int64_t p = 0; p < k; ++p) buf[p * r + q] = src[p];
          }
          a0 = buf;
          ap = r;
          as = 1;
        } else {  // no memory: at most 6 rows at a time, read in place
          const int r6 = r < 6 ? r : 6;
          if (r6 == 6) rows_kernel<6, kRegs == 32 ? 4 : 2>(k, alpha, a0, 1, lda, i, b, ldb, j0, j1, beta, c, ldc);
          else rows_kernel<1, kRegs == 32 ? 4 : 2>(k, alpha, a0, 1, lda, i, b, ldb, j0, j1, beta, c, ldc);
          i += r6 == 6 ? 6 : 1;
          continue;
        }
      }
#define ADJ_ROWS(R, D) rows_kernel<R, D>(k, alpha, a0, ap, as, i, b, ldb, j0, j1, beta, c, ldc); break
      switch (r) {
#if defined(ADJ_GEMM_32_REGS)
        case 1: ADJ_ROWS(1, 4);
        case 2: ADJ_ROWS(2, 4);
        case 3: ADJ_ROWS(3, 4);
        case 4: ADJ_ROWS(4, 4);
        case 5: ADJ_ROWS(5, 4);
        case 6: ADJ_ROWS(6, 4);
        case 7: ADJ_ROWS(7, 2);
        case 8: ADJ_ROWS(8, 2);
        case 9: ADJ_ROWS(9, 2);
        case 10: ADJ_ROWS(10, 2);
        case 11: ADJ_ROWS(11, 2);
        default: ADJ_ROWS(12, 2);
#else
        case 1: ADJ_ROWS(1, 2);
        case 2: ADJ_ROWS(2, 2);
        case 3: ADJ_ROWS(3, 2);
        case 4: ADJ_ROWS(4, 2);
        case 5: ADJ_ROWS(5, 2);
        default: ADJ_ROWS(6, 2);
#endif
      }
#undef ADJ_ROWS
      i += r;
    }
  }

  // Dot tiles (A not transposed, B transposed: both read along k): RA rows of A x RB rows of B, one
  // vector accumulator per C element over k, reduced at the end. Rows past ra / rb repeat the last
  // row (same addresses, results not stored), so edges need no second code path.
  template <int RA, int RB>
  static void dot_kernel(int64_t k, T alpha, const T* a, int64_t lda, int ra, const T* b, int64_t ldb, int rb, T beta,
                         T* c, int64_t ldc) {
    const T* ar[RA];
    const T* br[RB];
#pragma GCC unroll 8
    for (int i = 0; i < RA; ++i) ar[i] = a + (i < ra ? i : ra - 1) * lda;
#pragma GCC unroll 8
    for (int j = 0; j < RB; ++j) br[j] = b + (j < rb ? j : rb - 1) * ldb;
    V acc[RA][RB];
#pragma GCC unroll 8
    for (int i = 0; i < RA; ++i)
#pragma GCC unroll 8
      for (int j = 0; j < RB; ++j) acc[i][j] = vset1(T(), 0);
    int64_t p = 0;
    for (; p + V::N <= k; p += V::N) {
      V bv[RB];
#pragma GCC unroll 8
      for (int j = 0; j < RB; ++j) bv[j] = load(br[j] + p);
#pragma GCC unroll 8
      for (int i = 0; i < RA; ++i) {
        const V av = load(ar[i] + p);
#pragma GCC unroll 8
        for (int j = 0; j < RB; ++j) acc[i][j] = fma(av, bv[j], acc[i][j]);
      }
    }
    if (p < k) {
      const int64_t cnt = k - p;
      V bv[RB];
#pragma GCC unroll 8
      for (int j = 0; j < RB; ++j) bv[j] = loadn(br[j] + p, cnt);
#pragma GCC unroll 8
      for (int i = 0; i < RA; ++i) {
        const V av = loadn(ar[i] + p, cnt);
#pragma GCC unroll 8
        for (int j = 0; j < RB; ++j) acc[i][j] = fma(av, bv[j], acc[i][j]);
      }
    }
#pragma GCC unroll 8
    for (int i = 0; i < RA; ++i) {
      if (i >= ra) break;
      T sums[RB];
#if defined(__AVX512F__)
      if constexpr (RB == 4) {
        hsum4(acc[i], sums);
      } else
#endif
      {
#pragma GCC unroll 8
        for (int j = 0; j < RB; ++j) sums[j] = hsum(acc[i][j]);
      }
#pragma GCC unroll 8
      for (int j = 0; j < RB; ++j) {
        if (j >= rb) break;
        T* cp = c + i * ldc + j;
        *cp = beta == T(0) ? alpha * sums[j] : alpha * sums[j] + beta * *cp;
      }
    }
  }

  // Tile shapes: about 16 accumulators (8 on 16-register AVX2), plus the RB B vectors and one A vector.
  static constexpr int DRB = 4, DRA = kRegs == 32 ? 4 : 2;

  // Rows [i0, i1) x columns [j0, j1) of C = A * B^T (A not transposed, B transposed).
  static void dot_range(int64_t k, T alpha, const T* a, int64_t lda, const T* b, int64_t ldb, T beta, T* c,
                        int64_t ldc, int64_t i0, int64_t i1, int64_t j0, int64_t j1) {
    for (int64_t i = i0; i < i1; i += DRA) {
      const int ra = static_cast<int>(i1 - i < DRA ? i1 - i : DRA);
      int64_t j = j0;
      for (; j + DRB <= j1; j += DRB)
        dot_kernel<DRA, DRB>(k, alpha, a + i * lda, lda, ra, b + j * ldb, ldb, DRB, beta, c + i * ldc + j, ldc);
      // Column tail: narrower tiles with more rows keep the accumulator count (and latency hiding) up.
      if (j < j1) {
        const int rb = static_cast<int>(j1 - j);
        for (int64_t ii = i; ii < i + ra; ii += 2 * DRA) {
          const int ra2 = static_cast<int>(i + ra - ii < 2 * DRA ? i + ra - ii : 2 * DRA);
          if (rb == 1)
            dot_kernel<2 * DRA, 1>(k, alpha, a + ii * lda, lda, ra2, b + j * ldb, ldb, 1, beta, c + ii * ldc + j, ldc);
          else
            dot_kernel<2 * DRA, 2>(k, alpha, a + ii * lda, lda, ra2, b + j * ldb, ldb, rb > 2 ? 2 : rb, beta,
                                   c + ii * ldc + j, ldc);
          if (rb == 3)
            dot_kernel<2 * DRA, 1>(k, alpha, a + ii * lda, lda, ra2, b + (j + 2) * ldb, ldb, 1, beta,
                                   c + ii * ldc + j + 2, ldc);
        }
      }
    }
  }

  // Rows [i0, i1) x columns [j0, j1) of C without packing, any layout.
  static void direct_range(bool ta, bool tb, int64_t k, T alpha, const T* a, int64_t lda, const T* b, int64_t ldb,
                           T beta, T* c, int64_t ldc, int64_t i0, int64_t i1, int64_t j0, int64_t j1) {
    if (!tb) {
      rows_range(ta, k, alpha, a, lda, b, ldb, beta, c, ldc, i0, i1, j0, j1);
    } else if (!ta) {
      dot_range(k, alpha, a, lda, b, ldb, beta, c, ldc, i0, i1, j0, j1);
    } else {  // both transposed: only ever tiny here (run() packs larger ones)
      for (int64_t i = i0; i < i1; ++i)
        for (int64_t j = j0; j < j1; ++j) {
          T sum = 0;
          for (int64_t p = 0; p < k; ++p) sum += a[p * lda + i] * b[j * ldb + p];
          T* cp = c + i * ldc + j;
          *cp = beta == T(0) ? alpha * sum : alpha * sum + beta * *cp;
        }
    }
  }

  static void direct(bool ta, bool tb, int64_t m, int64_t n, int64_t k, T alpha, const T* a, int64_t lda,
                     const T* b, int64_t ldb, T beta, T* c, int64_t ldc) {
    direct_range(ta, tb, k, alpha, a, lda, b, ldb, beta, c, ldc, 0, m, 0, n);
  }

  // One call's arguments, shared by the task contexts of both paths.
  struct Args {
    bool ta, tb;
    int64_t m, n, k, lda, ldb, ldc;
    T alpha, beta;
    const T* a;
    const T* b;
    T* c;
  };

  struct DirectJob : Args {
    int64_t parts;
    bool by_rows;  // split rows (dot tiles) or columns (row groups: every thread needs all of A's rows)
  };

  static void direct_task(void* p, int64_t t) {
    const DirectJob& j = *static_cast<const DirectJob*>(p);
    if (j.by_rows) {
      const int64_t blocks = (j.m + DRA - 1) / DRA;
      const int64_t i0 = blocks * t / j.parts * DRA, i1 = t + 1 == j.parts ? j.m : blocks * (t + 1) / j.parts * DRA;
      if (i1 > i0) direct_range(j.ta, j.tb, j.k, j.alpha, j.a, j.lda, j.b, j.ldb, j.beta, j.c, j.ldc, i0, i1, 0, j.n);
    } else {
      // Column ranges in whole cache lines (64 bytes), so no two threads write the same line of C.
      constexpr int64_t L = 64 / sizeof(T);
      const int64_t lines = (j.n + L - 1) / L;
      const int64_t c0 = lines * t / j.parts * L, c1 = t + 1 == j.parts ? j.n : lines * (t + 1) / j.parts * L;
      if (c1 > c0) direct_range(j.ta, j.tb, j.k, j.alpha, j.a, j.lda, j.b, j.ldb, j.beta, j.c, j.ldc, 0, j.m, c0, c1);
    }
  }

  // One call's arguments plus the current (jc, pc) block, read by every task of that block.
  struct Job : Args {
    T* bpack;            // the shared packed B block
    int* state;          // per B panel of the block: kFree, kPacking, kReady (Note [B packing on first use])
    int64_t jc, nc, pc, kc;
    T beta_k;
    int64_t tm, tn;      // task grid over the block: tm row ranges x tn column ranges
    int64_t mtiles, npanels;
    // tn == 1 and tm > 1: the tasks claim row tiles from this counter instead (Note [Claimed row blocks]);
    // tm == 1 and tn > 1: B panels (Note [Claimed column panels]).
    int64_t* next_tile;
  };

  // Note [B packing on first use]: a B panel is packed by the first thread that needs it, right before
  // its first microkernels, instead of in a separate pass with a barrier before the compute. The copy
  // then finds the panel hot in L1/L2 for those microkernels, the memory traffic of packing overlaps
  // other work, and a block costs one pool round trip instead of two. Threads that share the panels
  // (they split rows) start their first pass at different panels, claim a panel by CAS kFree ->
  // kPacking, and publish it with a release store of kReady. A panel another thread is still packing is
  // put off to the end of the pass, then waited for; that thread is running the copy (no task waits
  // while holding a claim), so the wait is short and cannot deadlock, also when the pool runs the tasks
  // one after another on one thread. GCC atomic builtins, not std::atomic: per-ISA files instantiate no
  // library templates (native/README.md).
  static constexpr int kFree = 0, kPacking = 1, kReady = 2;
  static constexpr int64_t kMaxPanels = (NC + NR - 1) / NR;

  // Makes panel q of the block ready, or returns false when another thread is packing it now.
  static bool acquire_panel(const Job& j, int64_t q, bool wait) {
    int* st = j.state + q;
    if (__atomic_load_n(st, __ATOMIC_ACQUIRE) == kReady) return true;
    int expected = kFree;
    if (__atomic_compare_exchange_n(st, &expected, kPacking, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
      pack_b(j.tb, j.b, j.ldb, j.pc, j.jc, j.kc, j.nc, q, q + 1, j.bpack);
      __atomic_store_n(st, kReady, __ATOMIC_RELEASE);
      return true;
    }
    if (!wait) return __atomic_load_n(st, __ATOMIC_ACQUIRE) == kReady;
    // The packer may share this core with us (Note [Yielding while waiting] in thread_pool.cpp).
    for (int64_t polls = 1; __atomic_load_n(st, __ATOMIC_ACQUIRE) != kReady; ++polls) wait_poll(polls);
    return true;
  }

  // The microkernel on A micro-panel `at` (mr rows, C rows from ci) and B panel q of the block; the row
  // count picks the instantiation that computes no more than a third of MR rows beyond mr.
  static void micro_tile(const Job& j, const T* at, T* ci, int mr, int64_t q) {
    const int64_t jr = q * NR;
    const int nr = static_cast<int>(j.nc - jr < NR ? j.nc - jr : NR);
    const T* bp = j.bpack + q * NR * j.kc;
    if (mr > 2 * MR / 3) micro(j.kc, at, bp, ci + jr, j.ldc, j.alpha, j.beta_k, mr, nr);
    else if (mr > MR / 3) micro<2 * MR / 3>(j.kc, at, bp, ci + jr, j.ldc, j.alpha, j.beta_k, mr, nr);
    else micro<MR / 3>(j.kc, at, bp, ci + jr, j.ldc, j.alpha, j.beta_k, mr, nr);
  }

  // Note [Claimed column panels]: with few row tiles (mtiles < 6 per thread) the tasks split the
  // columns instead: each packs all of A (under 12 row tiles on 2 threads; every task needs every row) and
  // claims B panels from a shared counter, packs them itself and runs every row over them. No packed
  // panel crosses to the other core and each L2 holds only the panels its core claimed, where split
  // rows have every core read every panel, half of them packed by the other core. Claims, not fixed
  // halves, for the reason of Note [Claimed row blocks]; guided the same way: a share of what is left,
  // at least one panel. Same-process A/B on 2 threads against split rows (gemm_ab.py, wall time):
  // 48x1024x1024 1.41-1.44x, 96x1024x1024 1.12-1.18x, 128x1024x784 1.07-1.09x, 128^3 1.08-1.14x,
  // 132x256x256 0.99-1.00x; AVX2 and f64 1.09-1.37x. Up to 12 tiles per thread lost 4-12 % at 192-256
  // rows (docs/PERFORMANCE.md, "sgemm, round 6").
  static void compute_claimed_panels(const Job& j) {
    const int64_t rows = j.mtiles * MR;
    T* apack = nullptr;
    for (bool first = true;; first = false) {
      int64_t q0 = __atomic_load_n(j.next_tile, __ATOMIC_RELAXED), count;
      do {
        if (q0 >= j.npanels) return;
        count = (j.npanels - q0 + 2 * j.tn - 1) / (2 * j.tn);
      } while (!__atomic_compare_exchange_n(j.next_tile, &q0, q0 + count, true, __ATOMIC_RELAXED, __ATOMIC_RELAXED));
      const int64_t q1 = q0 + count;
      if (first) {  // A is packed once a task has columns to run it over
        apack = static_cast<T*>(thread_scratch(0, static_cast<size_t>(rows * j.kc) * sizeof(T)));
        if (apack) pack_a(j.ta, j.a, j.lda, 0, j.pc, j.m, j.kc, apack);
      }
      if (!apack) {  // this thread has no packing memory: its columns of the k block, unpacked
        const int64_t c0 = j.jc + q0 * NR, c1 = j.jc + (q1 * NR < j.nc ? q1 * NR : j.nc);
        direct(j.ta, j.tb, j.m, c1 - c0, j.kc, j.alpha, j.ta ? j.a + j.pc * j.lda : j.a + j.pc, j.lda,
               j.tb ? j.b + c0 * j.ldb + j.pc : j.b + j.pc * j.ldb + c0, j.ldb, j.beta_k, j.c + c0, j.ldc);
        continue;
      }
      for (int64_t ir = 0; ir < j.m; ir += MR) {  // one A micro-panel stays in L1 over the claimed panels
        const int mr = static_cast<int>(j.m - ir < MR ? j.m - ir : MR);
        const T* at = apack + ir * j.kc;
        T* ci = j.c + ir * j.ldc + j.jc;
        for (int64_t q = q0; q < q1; ++q) {
          if (ir == 0) pack_b(j.tb, j.b, j.ldb, j.pc, j.jc, j.kc, j.nc, q, q + 1, j.bpack);  // right before first use
          micro_tile(j, at, ci, mr, q);
        }
      }
    }
  }

  // Note [Loop order]: the microkernel loads NR/N vectors of B and broadcasts MR values of A per k step.
  // BLIS keeps the broadcast operand's micro-panel in L1 and streams the vector operand's from L2; with
  // A broadcast here, that means looping over B micro-panels inside the loop over A micro-panels. The
  // opposite order (B micro-panel in L1, A streaming) held 32 KiB of B plus the streaming A in a
  // 48 KiB L1 and lost to this one at every size: same-process A/B on 1 thread (gemm_ab.py, load 0.9-1.3)
  // 1.01-1.07x at 256^3 to 2048^3, a further 0-5 % with the prefetch of B rows in the microkernel.
  // The B block must then fit L2 (1 MiB); the A block no longer has to, so it is packed in small
  // MC-row pieces that are still in L1/L2 when used.
  //
  // Rows [i0, i1) x B panels [q0, q1) of the block: pack A by MC rows into this thread's scratch and
  // run loops 2 and 1 over the shared B panels.
  static void compute_task(void* p, int64_t t) {
    const Job& j = *static_cast<const Job*>(p);
    if (j.tm == 1 && j.tn > 1) {
      compute_claimed_panels(j);
      return;
    }
    const bool claimed = j.tn == 1 && j.tm > 1;
    const int64_t bi = t / j.tn, bj = t % j.tn;
    const int64_t i0 = claimed ? 0 : (j.mtiles * bi / j.tm) * MR;
    const int64_t i1 = claimed || bi + 1 == j.tm ? j.m : (j.mtiles * (bi + 1) / j.tm) * MR;
    const int64_t q0 = j.npanels * bj / j.tn, q1 = j.npanels * (bj + 1) / j.tn;
    if (i1 <= i0 || q1 <= q0) return;
    const int64_t rows = i1 - i0;
    const int64_t mblocks = (rows + MC - 1) / MC;
    const int64_t mc_even = claimed ? MC : (((rows + mblocks - 1) / mblocks + MR - 1) / MR) * MR;
    // The next block of rows of this task, [ic, ic + mc): its own range in mc_even steps, or the next
    // unclaimed rows.
    int64_t ic = i0, mc = 0;
    const auto next_rows = [&]() {
      if (!claimed) {
        ic += mc;
        mc = i1 - ic < mc_even ? i1 - ic : mc_even;
        return ic;
      }
      // Guided: a share of what is left, at most MC rows, at least one tile, so the last claims are small.
      int64_t first = __atomic_load_n(j.next_tile, __ATOMIC_RELAXED), count;
      do {
        if (first >= j.mtiles) return ic = i1;
        count = (j.mtiles - first + 2 * j.tm - 1) / (2 * j.tm);
        if (count > MC / MR) count = MC / MR;
      } while (!__atomic_compare_exchange_n(j.next_tile, &first, first + count, true, __ATOMIC_RELAXED,
                                            __ATOMIC_RELAXED));
      ic = first * MR;
      mc = (first + count >= j.mtiles ? j.m : (first + count) * MR) - ic;
      return ic;
    };
    T* apack = static_cast<T*>(thread_scratch(0, static_cast<size_t>(mc_even * j.kc) * sizeof(T)));
    if (!apack) {  // this thread has no packing memory: its part of the k block, unpacked
      const int64_t c0 = j.jc + q0 * NR, c1 = j.jc + (q1 * NR < j.nc ? q1 * NR : j.nc);
      while (next_rows() < i1) {
        direct(j.ta, j.tb, mc, c1 - c0, j.kc, j.alpha, j.ta ? j.a + j.pc * j.lda + ic : j.a + ic * j.lda + j.pc, j.lda,
               j.tb ? j.b + c0 * j.ldb + j.pc : j.b + j.pc * j.ldb + c0, j.ldb, j.beta_k, j.c + ic * j.ldc + c0, j.ldc);
      }
      return;
    }
    // The first pass starts at this task's share of the panels (Note [B packing on first use]).
    const int64_t span = q1 - q0, rot = j.tm > 1 ? span * bi / j.tm : 0;
    int64_t later[kMaxPanels];
    for (bool first = true; next_rows() < i1; first = false) {  // loop 3
      pack_a(j.ta, j.a, j.lda, ic, j.pc, mc, j.kc, apack);
      for (int64_t ir = 0; ir < mc; ir += MR) {               // loop 2: one A micro-panel stays in L1
        const int mr = static_cast<int>(mc - ir < MR ? mc - ir : MR);
        const T* at = apack + ir * j.kc;
        T* ci = j.c + (ic + ir) * j.ldc + j.jc;
        const auto tile = [&](int64_t q) { micro_tile(j, at, ci, mr, q); };  // loop 1 body: B streams from L2
        // A task's first A micro-panel meets every B panel of its range first: it packs or waits for them.
        if (first && ir == 0) {
          int64_t nlater = 0;
          for (int64_t s = 0; s < span; ++s) {
            const int64_t q = q0 + (s + rot) % span;
            if (acquire_panel(j, q, false)) tile(q);
            else later[nlater++] = q;
          }
          for (int64_t s = 0; s < nlater; ++s) {
            acquire_panel(j, later[s], true);
            tile(later[s]);
          }
        } else {
          for (int64_t q = q0; q < q1; ++q) tile(q);
        }
      }
    }
  }

  static void run(bool ta, bool tb, int64_t m, int64_t n, int64_t k, T alpha, const T* a, int64_t lda, const T* b,
                  int64_t ldb, T beta, T* c, int64_t ldc) {
    // A second thread is worth waking from about 2 MFLOP each (a 128^3 product, 15-30 us per thread here).
    // Same-process A/B (benchmarks/peers/gemm_ab.py, load 0.9-1.0): with the second core free, 2 threads
    // ran 128^3 1.11-1.44x and 160^3 1.28-1.53x faster in wall time than 1 (at 1.3-1.75x the CPU time);
    // with a busy loop holding one core 0.98-1.01x, beside a build 0.95-1.05x: the caller runs the tasks
    // its helper has not claimed (a pool that spun without yielding lost 1.1-1.4x there: the old 8 MFLOP rule).
    const int64_t by_work = (m * n * k) >> 20;
    // Unpacked: tiny products; few rows with B not transposed (copying B into panels costs more than
    // reading it again once per row group, as long as there are few groups and B stays in L2: f32 on
    // AVX-512 up to 16 rows (the packed path 1.13-1.35x faster from 20 to 48 rows at k = n = 256,
    // 1.15-1.65x from 16 rows once B is over 1 MiB; A/B in process CPU time, same run), on AVX2 up to
    // 4 MR rows while B fits L2 (equal at 32-48 rows, rows 1.05-1.2x faster below) and MR rows beyond
    // (1.46x at 16 x 1024 x 1024)); few rows or few columns with only B transposed (a column of C is
    // then a dot product of two contiguous rows, and a narrow C would waste most of an NR-wide tile).
    const bool tiny = m * n * k <= 24 * 24 * 24;
    const bool b_in_l2 = k * n * static_cast<int64_t>(sizeof(T)) <= (1 << 20);
    const int64_t rows_max = !b_in_l2 ? MR : kRegs == 32 ? MR + MR / 3 : 4 * MR;
    const bool rows_path = !tb && m <= rows_max;
    const bool dot_path = !ta && tb && (m < MR / 2 || n <= NR / 2);
    if (tiny || rows_path || dot_path || (ta && tb && m < MR / 2)) {
      int64_t threads = max_threads();
      if (threads > by_work) threads = by_work < 1 ? 1 : by_work;
      DirectJob dj{{ta, tb, m, n, k, lda, ldb, ldc, alpha, beta, a, b, c}, threads, tb && !ta};
      if (threads <= 1 || (ta && tb)) direct(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
      else parallel_for(threads, static_cast<int>(threads), &direct_task, &dj);
      return;
    }
    const int64_t mtiles = (m + MR - 1) / MR, ntiles = (n + NR - 1) / NR;
    int64_t threads = max_threads();
    if (threads > by_work) threads = by_work < 1 ? 1 : by_work;
    if (threads > mtiles * ntiles) threads = mtiles * ntiles;
    // Task grid: threads split rows (each packs only its own A; B is packed once and shared), and
    // columns when there are fewer than 6 row tiles per thread (Note [Claimed column panels]).
    //
    // Note [Claimed row blocks]: when only rows are split, the tasks do not take fixed halves: each
    // claims the next rows from a shared counter until none are left. The two vCPUs of this VM often
    // run at different speeds (the same microkernel, one copy per core at once: 152-155 against
    // 113-114 GFLOP/s), and with fixed halves the faster one waits. Same-process A/B on 2 threads
    // (gemm_ab.py, load 1.1-2.1): 1024^3 1.09-1.10x, 2048^3 1.02-1.10x, 256x1024x784 1.02-1.08x in wall
    // time; 128^3 and 192^3 1.00-1.04x. A claim is guided: a share of what is left (1 / (2 x tasks)),
    // at most MC rows, at least one tile, so the last claims are small and the threads finish together
    // (against claims of a fixed MC rows: 0.96-1.09x at 128^3-2048^3, most of it 1.00-1.03x).
    int64_t tm = threads, tn = 1;
    while (tm > 1 && mtiles < 6 * tm && (tm % 2) == 0 && ntiles >= 2 * tn) {
      tm /= 2;
      tn *= 2;
    }
    if (tm > mtiles) tm = mtiles;

    const int64_t kblocks = (k + KC - 1) / KC;
    const int64_t kc_even = (k + kblocks - 1) / kblocks;
    const int64_t nblocks = (n + NC - 1) / NC;
    const int64_t nc_even = (((n + nblocks - 1) / nblocks + NR - 1) / NR) * NR;
    int state[kMaxPanels];
    int64_t next_tile = 0;
    Job job{{ta, tb, m, n, k, lda, ldb, ldc, alpha, beta, a, b, c}, nullptr, state, 0, 0, 0, 0, beta, tm, tn, mtiles, 0,
            &next_tile};
    job.bpack = static_cast<T*>(thread_scratch(1, static_cast<size_t>(nc_even * kc_even) * sizeof(T)));
    if (!job.bpack) {  // without memory the unpacked path still gives the right answer
      direct(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
      return;
    }
    const int parts = static_cast<int>(tm * tn);
    for (int64_t jc = 0; jc < n; jc += nc_even) {             // loop 5
      job.jc = jc;
      job.nc = n - jc < nc_even ? n - jc : nc_even;
      job.npanels = (job.nc + NR - 1) / NR;
      for (int64_t pc = 0; pc < k; pc += kc_even) {           // loop 4
        job.pc = pc;
        job.kc = k - pc < kc_even ? k - pc : kc_even;
        job.beta_k = pc == 0 ? beta : T(1);
        for (int64_t q = 0; q < job.npanels; ++q) state[q] = kFree;
        next_tile = 0;
        parallel_for(parts, static_cast<int>(threads), &compute_task, &job);
      }
    }
  }
};

}  // namespace ADJ_ISA_NS
}  // namespace adj

#define ADJ_GEMM_DEF(dt, MR, NV, name)                                                                        \
  namespace adj {                                                                                             \
  void name(bool ta, bool tb, int64_t m, int64_t n, int64_t k, ADJ_T_##dt alpha, const ADJ_T_##dt* a, int64_t lda, \
            const ADJ_T_##dt* b, int64_t ldb, ADJ_T_##dt beta, ADJ_T_##dt* c, int64_t ldc) {                 \
    ADJ_ISA_NS::Gemm<ADJ_T_##dt, MR, NV>::run(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);          \
  }                                                                                                           \
  }

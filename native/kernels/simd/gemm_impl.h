// GEMM, BLIS-style: five loops around one MR x NR register-blocked microkernel. Only the tile shape
// and the vector type depend on the ISA; the loops and the packing are the same code for every tier.
//
//   loop 5  jc over n in NC columns        B block (KC x NC) packed once, shared by all threads
//   loop 4  pc over k in KC                pack op(B)[pc:, jc:] into NR-wide panels (threads split it)
//   loop 3  ic over m in MC rows           each thread packs its own op(A)[ic:, pc:] into MR-tall panels (L2)
//   loop 2  jr over the block in NR        one B micro-panel (KC x NR) stays in L1
//   loop 1  ir over the block in MR        microkernel: C[MR x NR] += A panel * B panel
//
// Transposes are absorbed by the packing routines, so the microkernel sees one layout. Edge tiles are
// zero-padded in the packs and masked on the store. beta is applied on the first k block only, and
// when beta == 0 C is written without being read.
#pragma once
#include "kernels/simd/common.h"
#include "src/thread_pool.h"

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

// For p < 16 and i < width (<= 16): dst[p * ldd + i] = src[i * lds + p] for rows i < rows, 0 for the
// rows past it (the zero padding of an edge panel). Rows past `rows` are never read.
ADJ_I void transpose_rows16(const float* src, int64_t lds, int rows, float* dst, int64_t ldd, int width) {
  __m512 r[16];
#pragma GCC unroll 16
  for (int i = 0; i < 16; ++i) r[i] = i < rows ? _mm512_loadu_ps(src + i * lds) : _mm512_setzero_ps();
  transpose16(r);
  const __mmask16 m = static_cast<__mmask16>((1u << width) - 1u);
#pragma GCC unroll 16
  for (int p = 0; p < 16; ++p) _mm512_mask_storeu_ps(dst + p * ldd, m, r[p]);
}
#endif

template <class T, int MR, int NV> struct Gemm {
  using V = vec_t<T>;
  static constexpr int NR = NV * V::N;
  // Cache blocking for this CPU kind (48 KiB L1d, 2 MiB L2 per core, large shared L3):
  // KC x NR of B (32 KiB for f32 12x32; at most 384 deep) stays in L1 while A panels stream past it;
  // MC x KC of A (480 KiB) sits in L2 next to the B micro-panels; NC x KC of B is the shared block.
  // KC = 256 measured 3-4 % above 192 and 384 at 1024^3 and 2048^3 (CPU-time medians, same run).
  // Blocks are balanced (k = 784 is 4 blocks of 196, not 3 of 256 and one of 16).
  static constexpr int64_t KC_L1 = 32768 / (NR * static_cast<int64_t>(sizeof(T)));
  static constexpr int64_t KC = KC_L1 < 384 ? KC_L1 : 384;
  static constexpr int64_t MC = MR * (sizeof(T) == 4 ? 40 : 20);
  static constexpr int64_t NC = NR * (sizeof(T) == 4 ? 128 : 256);

  // C[mr x nr] = alpha * A panel * B panel + beta * C. Accumulators, indices and the store loops are
  // all compile-time so the MR x NV accumulators never leave registers (the edge path included).
  static void micro(int64_t kc, const T* __restrict ap, const T* __restrict bp, T* c, int64_t ldc, T alpha, T beta,
                    int mr, int nr) {
    {
      // C is touched only after the k loop; start its lines on their way now. The row pointers are
      // hidden from the optimiser afterwards: kept live across the loop they would take the general
      // registers the loop needs and push a B vector out to the stack.
      T* cp = c;
#pragma GCC unroll 16
      for (int i = 0; i < MR; ++i, cp += ldc) {
        __builtin_prefetch(cp, 1, 3);
        __builtin_prefetch(cp + NR - 1, 1, 3);
      }
      __asm__("" : "+r"(c), "+r"(ldc));
    }
    V acc[MR][NV];
#pragma GCC unroll 16
    for (int i = 0; i < MR; ++i)
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) acc[i][v] = vset1(T(), 0);
#pragma GCC unroll 2
    for (int64_t p = 0; p < kc; ++p, ap += MR, bp += NR) {
      __builtin_prefetch(ap + 8 * MR, 0, 3);
      V b[NV];
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) b[v] = load(bp + v * V::N);
#pragma GCC unroll 16
      for (int i = 0; i < MR; ++i) {
        const V a = vset1(T(), ap[i]);
#pragma GCC unroll 4
        for (int v = 0; v < NV; ++v) acc[i][v] = fma(a, b[v], acc[i][v]);
      }
    }
    const V va = vset1(T(), alpha), vb = vset1(T(), beta);
    const bool read_c = beta != T(0);
    if (mr == MR && nr == NR) {
#pragma GCC unroll 16
      for (int i = 0; i < MR; ++i)
#pragma GCC unroll 4
        for (int v = 0; v < NV; ++v) {
          T* cp = c + i * ldc + v * V::N;
          const V r = acc[i][v] * va;
          store(cp, read_c ? fma(vb, load(cp), r) : r);
        }
      return;
    }
#pragma GCC unroll 16
    for (int i = 0; i < MR; ++i) {
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
#if defined(__AVX512F__)
        if constexpr (sizeof(T) == 4 && MR <= 16) {  // 16 columns of MR rows at a time, transposed in registers
          for (; p + 16 <= kc; p += 16)
            transpose_rows16(reinterpret_cast<const float*>(src + p), lda, static_cast<int>(rows),
                             reinterpret_cast<float*>(dst + p * MR), MR, MR);
        }
#endif
        for (int64_t i = 0; i < MR; ++i) {
          if (i < rows) {
            const T* s = src + i * lda;
            for (int64_t q = p; q < kc; ++q) dst[q * MR + i] = s[q];
          } else {
            for (int64_t q = p; q < kc; ++q) dst[q * MR + i] = T(0);
          }
        }
      } else {
        for (int64_t p = 0; p < kc; ++p) {
          const T* src = a + (p0 + p) * lda + i0 + ip;
          T* d = dst + p * MR;
          if (rows == MR) {
            for (int64_t i = 0; i < MR; ++i) d[i] = src[i];
          } else {
            for (int64_t i = 0; i < MR; ++i) d[i] = i < rows ? src[i] : T(0);
          }
        }
      }
      dst += MR * kc;
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
#if defined(__AVX512F__)
        if constexpr (sizeof(T) == 4 && NR % 16 == 0) {  // 16 rows of B (columns of op(B)) at a time
          for (; p + 16 <= kc; p += 16)
            for (int g = 0; g < NR; g += 16) {
              const int rows = static_cast<int>(cols - g < 0 ? 0 : cols - g < 16 ? cols - g : 16);
              transpose_rows16(reinterpret_cast<const float*>(src + g * ldb + p), ldb, rows,
                               reinterpret_cast<float*>(panel + p * NR + g), NR, 16);
            }
        }
#endif
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

  // Tiny products cannot pay for packing: rows of C are built directly, up to 4 vectors of a row at a
  // time accumulated in registers over all of k (B rows), or as dot products (transposed B).
  static void direct(bool ta, bool tb, int64_t m, int64_t n, int64_t k, T alpha, const T* a, int64_t lda,
                     const T* b, int64_t ldb, T beta, T* c, int64_t ldc) {
    constexpr int W = 4 * V::N;
    const V va = vset1(T(), alpha), vb = vset1(T(), beta);
    for (int64_t i = 0; i < m; ++i) {
      T* ci = c + i * ldc;
      if (!tb) {
        for (int64_t j0 = 0; j0 < n; j0 += W) {
          const int w = static_cast<int>(n - j0 < W ? n - j0 : W);
          V acc[4];
#pragma GCC unroll 4
          for (int v = 0; v < 4; ++v) acc[v] = vset1(T(), 0);
          if (w == W) {
            for (int64_t p = 0; p < k; ++p) {
              const V av = vset1(T(), ta ? a[p * lda + i] : a[i * lda + p]);
              const T* bp = b + p * ldb + j0;
#pragma GCC unroll 4
              for (int v = 0; v < 4; ++v) acc[v] = fma(av, load(bp + v * V::N), acc[v]);
            }
          } else {
            for (int64_t p = 0; p < k; ++p) {
              const V av = vset1(T(), ta ? a[p * lda + i] : a[i * lda + p]);
              const T* bp = b + p * ldb + j0;
#pragma GCC unroll 4
              for (int v = 0; v < 4; ++v) {
                const int cnt = w - v * V::N;
                if (cnt >= V::N) acc[v] = fma(av, load(bp + v * V::N), acc[v]);
                else if (cnt > 0) acc[v] = fma(av, loadn(bp + v * V::N, cnt), acc[v]);
              }
            }
          }
#pragma GCC unroll 4
          for (int v = 0; v < 4; ++v) {
            const int cnt = w - v * V::N;
            if (cnt <= 0) break;
            T* cp = ci + j0 + v * V::N;
            const V r = acc[v] * va;
            if (cnt >= V::N) store(cp, beta == T(0) ? r : fma(vb, load(cp), r));
            else storen(cp, beta == T(0) ? r : fma(vb, loadn(cp, cnt), r), cnt);
          }
        }
      } else {
        for (int64_t j = 0; j < n; ++j) {
          const T* bj = b + j * ldb;
          T sum = 0;
          if (!ta) {
            const T* ai = a + i * lda;
            V acc = vset1(T(), 0);
            int64_t p = 0;
            for (; p + V::N <= k; p += V::N) acc = fma(load(ai + p), load(bj + p), acc);
            if (p < k) acc = fma(loadn(ai + p, k - p), loadn(bj + p, k - p), acc);
            sum = hsum(acc);
          } else {
            for (int64_t p = 0; p < k; ++p) sum += a[p * lda + i] * bj[p];
          }
          ci[j] = beta == T(0) ? alpha * sum : alpha * sum + beta * ci[j];
        }
      }
    }
  }

  // One call's arguments plus the current (jc, pc) block, read by every task of that block.
  struct Job {
    bool ta, tb;
    int64_t m, n, k, lda, ldb, ldc;
    T alpha, beta;
    const T* a;
    const T* b;
    T* c;
    T* bpack;            // the shared packed B block
    int64_t jc, nc, pc, kc;
    T beta_k;
    int64_t tm, tn;      // task grid over the block: tm row ranges x tn column ranges
    int64_t mtiles, npanels;
  };

  static void pack_b_task(void* p, int64_t t) {
    const Job& j = *static_cast<const Job*>(p);
    const int64_t parts = j.tm * j.tn;
    pack_b(j.tb, j.b, j.ldb, j.pc, j.jc, j.kc, j.nc, j.npanels * t / parts, j.npanels * (t + 1) / parts, j.bpack);
  }

  // Rows [i0, i1) x B panels [q0, q1) of the block: pack A by MC rows into this thread's scratch and
  // run loops 2 and 1 over the shared B panels.
  static void compute_task(void* p, int64_t t) {
    const Job& j = *static_cast<const Job*>(p);
    const int64_t bi = t / j.tn, bj = t % j.tn;
    const int64_t i0 = (j.mtiles * bi / j.tm) * MR, i1 = bi + 1 == j.tm ? j.m : (j.mtiles * (bi + 1) / j.tm) * MR;
    const int64_t q0 = j.npanels * bj / j.tn, q1 = j.npanels * (bj + 1) / j.tn;
    if (i1 <= i0 || q1 <= q0) return;
    const int64_t rows = i1 - i0;
    const int64_t mblocks = (rows + MC - 1) / MC;
    const int64_t mc_even = (((rows + mblocks - 1) / mblocks + MR - 1) / MR) * MR;
    T* apack = static_cast<T*>(thread_scratch(0, static_cast<size_t>(mc_even * j.kc) * sizeof(T)));
    if (!apack) {  // this thread has no packing memory: its part of the k block, unpacked
      const int64_t c0 = j.jc + q0 * NR, c1 = j.jc + (q1 * NR < j.nc ? q1 * NR : j.nc);
      direct(j.ta, j.tb, rows, c1 - c0, j.kc, j.alpha, j.ta ? j.a + j.pc * j.lda + i0 : j.a + i0 * j.lda + j.pc, j.lda,
             j.tb ? j.b + c0 * j.ldb + j.pc : j.b + j.pc * j.ldb + c0, j.ldb, j.beta_k, j.c + i0 * j.ldc + c0, j.ldc);
      return;
    }
    for (int64_t ic = i0; ic < i1; ic += mc_even) {          // loop 3
      const int64_t mc = i1 - ic < mc_even ? i1 - ic : mc_even;
      pack_a(j.ta, j.a, j.lda, ic, j.pc, mc, j.kc, apack);
      for (int64_t q = q0; q < q1; ++q) {                     // loop 2
        const int64_t jr = q * NR;
        const int nr = static_cast<int>(j.nc - jr < NR ? j.nc - jr : NR);
        const T* bp = j.bpack + q * NR * j.kc;
        T* cj = j.c + j.jc + jr;
        for (int64_t ir = 0; ir < mc; ir += MR) {             // loop 1
          const int mr = static_cast<int>(mc - ir < MR ? mc - ir : MR);
          micro(j.kc, apack + ir * j.kc, bp, cj + (ic + ir) * j.ldc, j.ldc, j.alpha, j.beta_k, mr, nr);
        }
      }
    }
  }

  static void run(bool ta, bool tb, int64_t m, int64_t n, int64_t k, T alpha, const T* a, int64_t lda, const T* b,
                  int64_t ldb, T beta, T* c, int64_t ldc) {
    // Tiny products cannot pay for packing, and a sliver of rows would mostly compute padding.
    if (m * n * k <= 24 * 24 * 24 || m < MR / 2) {
      direct(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
      return;
    }
    const int64_t mtiles = (m + MR - 1) / MR, ntiles = (n + NR - 1) / NR;
    // A thread is worth waking for about 2 MFLOP (10-20 us of work here); below that, one thread.
    int64_t threads = max_threads();
    const int64_t by_work = (m * n * k) / (1 << 20);
    if (threads > by_work) threads = by_work < 1 ? 1 : by_work;
    if (threads > mtiles * ntiles) threads = mtiles * ntiles;
    // Task grid: threads split rows (each packs only its own A; B is packed once and shared), and
    // columns only when there are too few row tiles to go round.
    int64_t tm = threads, tn = 1;
    while (tm > 1 && mtiles < 2 * tm && (tm % 2) == 0 && ntiles >= 2 * tn) {
      tm /= 2;
      tn *= 2;
    }
    if (tm > mtiles) tm = mtiles;

    const int64_t kblocks = (k + KC - 1) / KC;
    const int64_t kc_even = (k + kblocks - 1) / kblocks;
    const int64_t nblocks = (n + NC - 1) / NC;
    const int64_t nc_even = (((n + nblocks - 1) / nblocks + NR - 1) / NR) * NR;
    Job job{ta, tb, m, n, k, lda, ldb, ldc, alpha, beta, a, b, c, nullptr, 0, 0, 0, 0, beta, tm, tn, mtiles, 0};
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
        parallel_for(parts, parts, &pack_b_task, &job);
        parallel_for(parts, parts, &compute_task, &job);
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

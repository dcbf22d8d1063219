// GEMM, BLIS-style: five loops around one MR x NR register-blocked microkernel. Only the tile shape
// and the vector type depend on the ISA; the loops and the packing are the same code for every tier.
//
//   loop 5  jc over n in NC columns        B block (KC x NC) lives in L3
//   loop 4  pc over k in KC                pack op(B)[pc:, jc:] into NR-wide panels
//   loop 3  ic over m in MC rows           pack op(A)[ic:, pc:] into MR-tall panels (L2)
//   loop 2  jr over the block in NR        one B panel (KC x NR) stays in L1
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

template <class T, int MR, int NV> struct Gemm {
  using V = vec_t<T>;
  static constexpr int NR = NV * V::N;
  // KC x NR of B fits L1 (48 KiB here), MC x KC of A fits L2 (2 MiB), NC x KC of B targets L3.
  static constexpr int64_t KC = 256;
  static constexpr int64_t MC = MR * (sizeof(T) == 4 ? 32 : 12);
  static constexpr int64_t NC = NR * (sizeof(T) == 4 ? 128 : 256);

  static void micro(int64_t kc, const T* ap, const T* bp, T* c, int64_t ldc, T alpha, T beta, int mr, int nr) {
    V acc[MR][NV];
#pragma GCC unroll 16
    for (int i = 0; i < MR; ++i)
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) acc[i][v] = vset1(T(), 0);
    for (int64_t p = 0; p < kc; ++p, ap += MR, bp += NR) {
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
    if (mr == MR && nr == NR) {
#pragma GCC unroll 16
      for (int i = 0; i < MR; ++i)
#pragma GCC unroll 4
        for (int v = 0; v < NV; ++v) {
          T* cp = c + i * ldc + v * V::N;
          const V r = acc[i][v] * va;
          store(cp, beta == T(0) ? r : fma(vb, load(cp), r));
        }
      return;
    }
    for (int i = 0; i < mr; ++i)
      for (int v = 0; v < NV; ++v) {
        const int64_t cnt = nr - v * V::N;
        if (cnt <= 0) break;
        T* cp = c + i * ldc + v * V::N;
        const V r = acc[i][v] * va;
        if (cnt >= V::N) store(cp, beta == T(0) ? r : fma(vb, load(cp), r));
        else storen(cp, beta == T(0) ? r : fma(vb, loadn(cp, cnt), r), cnt);
      }
  }

  // op(A)[i0 + i, p0 + p] for i < mc, p < kc into panels [mc/MR][kc][MR], zero rows past mc.
  static void pack_a(bool ta, const T* a, int64_t lda, int64_t i0, int64_t p0, int64_t mc, int64_t kc, T* dst) {
    for (int64_t ip = 0; ip < mc; ip += MR) {
      const int64_t rows = mc - ip < MR ? mc - ip : MR;
      if (!ta) {
        for (int64_t i = 0; i < MR; ++i) {
          if (i < rows) {
            const T* src = a + (i0 + ip + i) * lda + p0;
            for (int64_t p = 0; p < kc; ++p) dst[p * MR + i] = src[p];
          } else {
            for (int64_t p = 0; p < kc; ++p) dst[p * MR + i] = T(0);
          }
        }
      } else {
        for (int64_t p = 0; p < kc; ++p) {
          const T* src = a + (p0 + p) * lda + i0 + ip;
          for (int64_t i = 0; i < MR; ++i) dst[p * MR + i] = i < rows ? src[i] : T(0);
        }
      }
      dst += MR * kc;
    }
  }

  // op(B)[p0 + p, j0 + j] into panels [nc/NR][kc][NR], zero columns past nc.
  static void pack_b(bool tb, const T* b, int64_t ldb, int64_t p0, int64_t j0, int64_t kc, int64_t nc, T* dst) {
    for (int64_t jp = 0; jp < nc; jp += NR) {
      const int64_t cols = nc - jp < NR ? nc - jp : NR;
      if (!tb) {
        for (int64_t p = 0; p < kc; ++p) {
          const T* src = b + (p0 + p) * ldb + j0 + jp;
          T* d = dst + p * NR;
          if (cols == NR) {
            for (int v = 0; v < NV; ++v) store(d + v * V::N, load(src + v * V::N));
          } else {
            for (int64_t j = 0; j < NR; ++j) d[j] = j < cols ? src[j] : T(0);
          }
        }
      } else {
        for (int64_t j = 0; j < NR; ++j) {
          if (j < cols) {
            const T* src = b + (j0 + jp + j) * ldb + p0;
            for (int64_t p = 0; p < kc; ++p) dst[p * NR + j] = src[p];
          } else {
            for (int64_t p = 0; p < kc; ++p) dst[p * NR + j] = T(0);
          }
        }
      }
      dst += NR * kc;
    }
  }

  // Tiny products cannot pay for packing: rows of C are built directly with vector axpys (B rows) or
  // dot products (transposed B).
  static void direct(bool ta, bool tb, int64_t m, int64_t n, int64_t k, T alpha, const T* a, int64_t lda,
                     const T* b, int64_t ldb, T beta, T* c, int64_t ldc) {
    for (int64_t i = 0; i < m; ++i) {
      T* ci = c + i * ldc;
      if (!tb) {
        const V vb = vset1(T(), beta);
        int64_t j = 0;
        for (; j + V::N <= n; j += V::N)
          store(ci + j, beta == T(0) ? vset1(T(), 0) : load(ci + j) * vb);
        if (j < n) storen(ci + j, beta == T(0) ? vset1(T(), 0) : loadn(ci + j, n - j) * vb, n - j);
        for (int64_t p = 0; p < k; ++p) {
          const V av = vset1(T(), alpha * (ta ? a[p * lda + i] : a[i * lda + p]));
          const T* bp = b + p * ldb;
          for (j = 0; j + V::N <= n; j += V::N) store(ci + j, fma(av, load(bp + j), load(ci + j)));
          if (j < n) storen(ci + j, fma(av, loadn(bp + j, n - j), loadn(ci + j, n - j)), n - j);
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

  // The five loops over one block of C (rows [0, m), columns [0, n) of the pointers given), on the
  // calling thread, with that thread's packing buffers.
  static void run_block(bool ta, bool tb, int64_t m, int64_t n, int64_t k, T alpha, const T* a, int64_t lda,
                        const T* b, int64_t ldb, T beta, T* c, int64_t ldc) {
    const int64_t kc_max = k < KC ? k : KC;
    const int64_t mc_max = m < MC ? ((m + MR - 1) / MR) * MR : MC;
    const int64_t nc_max = n < NC ? ((n + NR - 1) / NR) * NR : NC;
    T* apack = static_cast<T*>(thread_scratch(0, static_cast<size_t>(mc_max * kc_max) * sizeof(T)));
    T* bpack = static_cast<T*>(thread_scratch(1, static_cast<size_t>(nc_max * kc_max) * sizeof(T)));
    if (!apack || !bpack) {  // without memory the unpacked path still gives the right answer
      direct(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
      return;
    }
    for (int64_t jc = 0; jc < n; jc += NC) {                  // loop 5
      const int64_t nc = n - jc < NC ? n - jc : NC;
      for (int64_t pc = 0; pc < k; pc += KC) {                // loop 4
        const int64_t kc = k - pc < KC ? k - pc : KC;
        const T beta_k = pc == 0 ? beta : T(1);
        pack_b(tb, b, ldb, pc, jc, kc, nc, bpack);
        for (int64_t ic = 0; ic < m; ic += MC) {              // loop 3
          const int64_t mc = m - ic < MC ? m - ic : MC;
          pack_a(ta, a, lda, ic, pc, mc, kc, apack);
          for (int64_t jr = 0; jr < nc; jr += NR) {           // loop 2
            const int nr = static_cast<int>(nc - jr < NR ? nc - jr : NR);
            const T* bp = bpack + (jr / NR) * NR * kc;
            for (int64_t ir = 0; ir < mc; ir += MR) {         // loop 1
              const int mr = static_cast<int>(mc - ir < MR ? mc - ir : MR);
              micro(kc, apack + (ir / MR) * MR * kc, bp, c + (ic + ir) * ldc + jc + jr, ldc, alpha, beta_k, mr, nr);
            }
          }
        }
      }
    }
  }

  // Threads split C into a tm x tn grid of blocks whose edges fall on MR / NR multiples; each thread
  // runs all five loops on its block with its own packs. Packing is duplicated across the grid (A tn
  // times, B tm times), which costs O(mk + kn) per thread against O(mnk / threads) of arithmetic.
  struct Job {
    bool ta, tb;
    int64_t m, n, k, lda, ldb, ldc, tm, tn, mtiles, ntiles;
    T alpha, beta;
    const T* a;
    const T* b;
    T* c;
  };
  static void run_task(void* p, int64_t t) {
    const Job& j = *static_cast<const Job*>(p);
    const int64_t bi = t / j.tn, bj = t % j.tn;
    const int64_t i0 = (j.mtiles * bi / j.tm) * MR, i1 = bi + 1 == j.tm ? j.m : (j.mtiles * (bi + 1) / j.tm) * MR;
    const int64_t j0 = (j.ntiles * bj / j.tn) * NR, j1 = bj + 1 == j.tn ? j.n : (j.ntiles * (bj + 1) / j.tn) * NR;
    if (i1 <= i0 || j1 <= j0) return;
    const T* a = j.ta ? j.a + i0 : j.a + i0 * j.lda;
    const T* b = j.tb ? j.b + j0 * j.ldb : j.b + j0;
    run_block(j.ta, j.tb, i1 - i0, j1 - j0, j.k, j.alpha, a, j.lda, b, j.ldb, j.beta, j.c + i0 * j.ldc + j0, j.ldc);
  }

  static void run(bool ta, bool tb, int64_t m, int64_t n, int64_t k, T alpha, const T* a, int64_t lda, const T* b,
                  int64_t ldb, T beta, T* c, int64_t ldc) {
    // Tiny products cannot pay for packing, and a sliver of rows would mostly compute padding.
    if (m * n * k <= 24 * 24 * 24 || m < MR / 2) {
      direct(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
      return;
    }
    // A thread is worth waking for about 2 MFLOP (10-20 us of work here); below that, one thread.
    const int64_t mtiles = (m + MR - 1) / MR, ntiles = (n + NR - 1) / NR;
    int64_t threads = max_threads();
    const int64_t by_work = (m * n * k) / (1 << 20);
    if (threads > by_work) threads = by_work < 1 ? 1 : by_work;
    if (threads > mtiles * ntiles) threads = mtiles * ntiles;
    if (threads <= 1) {
      run_block(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
      return;
    }
    // Grid: the factorisation of the thread count whose largest block has the fewest tiles; ties go
    // to splitting columns (each thread then packs a disjoint part of B).
    int64_t best_tm = 1, best_cost = -1;
    for (int64_t tm = 1; tm <= threads; ++tm) {
      if (threads % tm) continue;
      const int64_t tn = threads / tm;
      if (tm > mtiles || tn > ntiles) continue;
      const int64_t cost = ((mtiles + tm - 1) / tm) * ((ntiles + tn - 1) / tn) * 64 + tm;
      if (best_cost < 0 || cost < best_cost) {
        best_cost = cost;
        best_tm = tm;
      }
    }
    if (best_cost < 0) {
      run_block(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
      return;
    }
    Job job{ta, tb, m, n, k, lda, ldb, ldc, best_tm, threads / best_tm, mtiles, ntiles, alpha, beta, a, b, c};
    parallel_for(threads, static_cast<int>(threads), &run_task, &job);
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

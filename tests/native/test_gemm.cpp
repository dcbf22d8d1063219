// GEMM by the BLIS residual test: for a random vector t, ||C t - (beta C0 t + alpha op(A) (op(B) t))||
// must be small relative to the magnitudes involved; no second GEMM is trusted as the reference.
#include "test_util.h"

using namespace adjt;

namespace {

template <class T>
void residual_case(const adj::TypedKernels<T>& k, std::mt19937_64& rng, bool ta, bool tb, int64_t m, int64_t n,
                   int64_t kk, T alpha, T beta, bool nan_c) {
  std::uniform_real_distribution<double> u(-1, 1);
  const int64_t lda = (ta ? m : kk) + 3, ldb = (tb ? kk : n) + 1, ldc = n + 2;
  std::vector<T> a(static_cast<size_t>((ta ? kk : m) * lda)), b(static_cast<size_t>((tb ? n : kk) * ldb));
  for (auto& x : a) x = static_cast<T>(u(rng));
  for (auto& x : b) x = static_cast<T>(u(rng));
  Guarded<T> c(m * ldc);
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < ldc; ++j)
      c.data()[i * ldc + j] = j < n ? (nan_c ? T(NAN) : static_cast<T>(u(rng))) : T(777);  // padding: untouched
  std::vector<T> c0(c.data(), c.data() + m * ldc);
  k.gemm(ta, tb, m, n, kk, alpha, a.data(), lda, b.data(), ldb, beta, c.data(), ldc);
  ASSERT_TRUE(c.guards_intact());
  std::vector<double> t(static_cast<size_t>(n)), bt(static_cast<size_t>(kk), 0.0);
  for (auto& x : t) x = u(rng);
  auto A = [&](int64_t i, int64_t p) { return static_cast<double>(ta ? a[p * lda + i] : a[i * lda + p]); };
  auto B = [&](int64_t p, int64_t j) { return static_cast<double>(tb ? b[j * ldb + p] : b[p * ldb + j]); };
  for (int64_t p = 0; p < kk; ++p)
    for (int64_t j = 0; j < n; ++j) bt[p] += B(p, j) * t[j];
  double worst = 0, scale = 1e-300;
  for (int64_t i = 0; i < m; ++i) {
    double ct = 0, c0t = 0, abt = 0, mag = 0;
    for (int64_t j = 0; j < n; ++j) {
      const T cij = c.data()[i * ldc + j];
      ASSERT_FALSE(std::isnan(cij)) << "NaN leaked from C with beta=" << beta;
      ct += cij * t[j];
      if (beta != T(0)) c0t += c0[static_cast<size_t>(i * ldc + j)] * t[j];
      mag += std::fabs(static_cast<double>(cij));
    }
    for (int64_t p = 0; p < kk; ++p) abt += A(i, p) * bt[p];
    for (int64_t j = n; j < ldc; ++j) ASSERT_EQ(c.data()[i * ldc + j], T(777)) << "wrote past n";
    worst = std::max(worst, std::fabs(ct - (beta * c0t + alpha * abt)));
    scale = std::max(scale, mag + std::fabs(alpha) * kk * n);
  }
  const double eps = std::numeric_limits<T>::epsilon();
  EXPECT_LE(worst / scale, 8 * eps * std::sqrt(static_cast<double>(kk + 1)))
      << "ta=" << ta << " tb=" << tb << " m=" << m << " n=" << n << " k=" << kk << " alpha=" << alpha << " beta=" << beta;
}

template <class T> void gemm_suite() {
  std::mt19937_64 rng(42);
  const int64_t sizes[] = {1, 2, 3, 5, 7, 13, 17, 31, 37, 64, 97, 131, 263};
  for (const adj::KernelTable* tier : runnable_tiers()) {
    const auto& k = adj::typed<T>(*tier);
    SCOPED_TRACE(k.gemm_name);
    std::uniform_int_distribution<int> pick(0, 12);
    for (int trial = 0; trial < 60; ++trial) {
      const int64_t m = sizes[pick(rng)], n = sizes[pick(rng)], kk = sizes[pick(rng)];
      for (int ta = 0; ta < 2; ++ta)
        for (int tb = 0; tb < 2; ++tb) {
          const T alphas[] = {T(1), T(-0.5), T(2.25)};
          const T betas[] = {T(0), T(1), T(-1.5)};
          residual_case<T>(k, rng, ta, tb, m, n, kk, alphas[trial % 3], betas[(trial / 3) % 3], false);
        }
      residual_case<T>(k, rng, trial & 1, trial & 2, m, n, kk, T(1), T(0), true);  // beta=0 never reads C
    }
    // Beyond one cache block in every dimension (the scalar reference has no blocks to cross).
    if (tier->isa != ADJ_ISA_SCALAR) {
      residual_case<T>(k, rng, false, false, 300, 4200, 600, T(1), T(0.5), false);
      residual_case<T>(k, rng, true, true, 250, 70, 530, T(-1), T(0), true);
    }
  }
}

// body(kernels) once per runnable tier on 1, 2 and 3 threads; the caller's thread count is restored.
// The scalar reference runs on 1 only: it is one loop on the calling thread and never uses the pool, so
// more threads would repeat the same work (under ASan and qemu these suites are the slowest tests).
template <class T, class Body> void each_tier_and_thread_count(Body body) {
  const int32_t saved = adj_get_num_threads();
  for (int threads : {1, 2, 3}) {
    adj_set_num_threads(threads);
    for (const adj::KernelTable* tier : runnable_tiers()) {
      if (threads > 1 && tier->isa == ADJ_ISA_SCALAR) continue;
      const auto& k = adj::typed<T>(*tier);
      SCOPED_TRACE(std::string(k.gemm_name) + " threads=" + std::to_string(threads));
      body(k);
    }
  }
  adj_set_num_threads(saved);
}

// Shapes on and around the tile and block edges of every tier (MR 6/12, NR 8/16/32, the 16-wide
// transposing packs, KC 256/384, the balanced k split), on 1, 2 and 3 threads, all transposes.
template <class T> void gemm_edges() {
  std::mt19937_64 rng(7);
  const int64_t sizes[] = {5, 6, 7, 11, 12, 13, 15, 16, 17, 23, 24, 25, 31, 32, 33, 47, 48, 49, 255, 256, 257, 385};
  std::uniform_int_distribution<int> pick(0, static_cast<int>(std::size(sizes)) - 1);
  each_tier_and_thread_count<T>([&](const auto& k) {
    for (int trial = 0; trial < 24; ++trial) {
      const int64_t m = sizes[pick(rng)], n = sizes[pick(rng)], kk = sizes[pick(rng)];
      const T beta = trial % 4 == 3 ? T(0.5) : T(0);
      residual_case<T>(k, rng, trial & 1, (trial >> 1) & 1, m, n, kk, trial % 3 ? T(1) : T(-0.75), beta,
                       beta == T(0) && trial % 5 == 0);  // NaN in C must not leak when beta = 0
    }
    // Several column blocks (NC is 1 MiB of packed B), with a 1-row last tile, a 20-column last panel and
    // two k blocks.
    residual_case<T>(k, rng, false, false, 61, 2100, 300, T(1), T(0), false);
    residual_case<T>(k, rng, true, true, 61, 2100, 300, T(-1), T(0.5), false);
    // Many row blocks claimed by the threads (Note [Claimed row blocks]): 26 row tiles, the last one
    // short, three k blocks, beta applied once.
    residual_case<T>(k, rng, false, true, 301, 520, 520, T(1), T(0.5), false);
    // Few row tiles: the threads claim B panels instead (Note [Claimed column panels]): 5 row tiles (10
    // on AVX2), the last one short, 33 panels ending in a 20-column one over two column blocks, two k
    // blocks, A transposed.
    residual_case<T>(k, rng, true, false, 55, 1044, 300, T(0.75), T(0.5), false);
  });
}

// The unpacked paths: row groups (B not transposed, up to 16 rows on AVX-512 and 4 MR on AVX2 while B
// fits L2, MR rows beyond: every group size 1-12 and the even split of 13-48 rows where the tier takes
// them, the packed path with short last tiles where it does not, column counts around the 2- and 4-vector
// strips, A plain and transposed) and dot tiles (A plain, B transposed: narrow n, every column tail 1-3
// of the 4-wide tiles, k around the vector width), on 1, 2 and 3 threads (rows split by row blocks, row groups by column ranges).
template <class T> void gemm_unpacked_paths() {
  std::mt19937_64 rng(11);
  each_tier_and_thread_count<T>([&](const auto& k) {
    for (int64_t m = 1; m <= 49; ++m) {
      const int64_t ns[] = {1, 15, 33, 64, 65, 130, 1030};
      const int64_t ks[] = {1, 7, 300};
      const int64_t n = ns[m % 7], kk = ks[(m / 7) % 3];
      const T beta = m % 3 == 0 ? T(-0.5) : T(0);
      residual_case<T>(k, rng, (m & 1) != 0, false, m, n, kk, T(1.5), beta, beta == T(0) && m % 4 == 1);
    }
    for (int64_t n = 1; n <= 17; ++n) {
      const int64_t ms[] = {1, 3, 4, 5, 8, 9, 17, 100};
      const int64_t ks[] = {1, 15, 16, 17, 31, 33, 1000};
      const int64_t m = ms[n % 8], kk = ks[n % 7];
      const T beta = n % 2 ? T(0.25) : T(0);
      residual_case<T>(k, rng, false, true, m, n, kk, T(-1), beta, beta == T(0) && n % 4 == 0);
      residual_case<T>(k, rng, false, true, 300, n, 70, T(1), T(0), false);
    }
    residual_case<T>(k, rng, false, true, 3, 700, 257, T(1), T(1), false);   // few rows, dot tiles
    // Large enough (>= 8 MFLOP per thread) that the pool splits them: dot tiles by rows, row groups by
    // column ranges (whole cache lines), plain and transposed A.
    residual_case<T>(k, rng, false, true, 501, 13, 1500, T(1), T(-1), false);
    residual_case<T>(k, rng, false, false, 12, 2001, 700, T(0.5), T(0), true);  // B over 1 MiB: rows up to MR
    residual_case<T>(k, rng, true, false, 7, 3003, 600, T(1), T(2), false);
    residual_case<T>(k, rng, true, true, 4, 50, 60, T(2), T(0), true);       // both transposed, few rows
  });
}

}  // namespace

TEST(Gemm, f32_unpacked_paths_all_tiers_and_threads) { gemm_unpacked_paths<float>(); }
TEST(Gemm, f64_unpacked_paths_all_tiers_and_threads) { gemm_unpacked_paths<double>(); }

TEST(Gemm, f32_edges_all_tiers_and_threads) { gemm_edges<float>(); }
TEST(Gemm, f64_edges_all_tiers_and_threads) { gemm_edges<double>(); }

TEST(Gemm, f32_residual_all_tiers) { gemm_suite<float>(); }
TEST(Gemm, f64_residual_all_tiers) { gemm_suite<double>(); }

TEST(Gemm, ApiAlphaZeroAndKZeroScaleC) {
  for_each_isa([](adj_isa) {
    double a[4] = {1, 2, 3, 4}, b[4] = {1, 1, 1, 1}, c[4] = {NAN, 1, 2, 3};
    ASSERT_EQ(adj_gemm(ADJ_F64, 0, 0, 2, 2, 2, 0.0, a, 2, b, 2, 0.0, c, 2), ADJ_OK);
    for (double v : c) EXPECT_EQ(v, 0.0);
    double d[4] = {1, 2, 3, 4};
    ASSERT_EQ(adj_gemm(ADJ_F64, 0, 0, 2, 2, 0, 1.0, nullptr, 1, nullptr, 2, 2.0, d, 2), ADJ_OK);
    EXPECT_EQ(d[3], 8.0);
    float fa[6] = {1, 2, 3, 4, 5, 6}, fb[6] = {1, 0, 0, 1, 1, 1}, fc[4];
    ASSERT_EQ(adj_gemm(ADJ_F32, 0, 0, 2, 2, 3, 1.0, fa, 3, fb, 2, 0.0, fc, 2), ADJ_OK);
    EXPECT_EQ(fc[0], 4.0f);
    EXPECT_EQ(fc[1], 5.0f);
    EXPECT_EQ(fc[2], 10.0f);
    EXPECT_EQ(fc[3], 11.0f);
  });
}

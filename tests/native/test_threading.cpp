// The threaded paths of the API (thread pool, GEMM grid, split elementwise / reduction / row-op
// calls) against the same calls on one thread. Sizes are above the threading thresholds of
// src/api.cpp (Note [Threading thresholds]) and the GEMM work threshold. Elementwise results must be
// bit-identical (each element is computed by the same kernel whichever thread runs it); reductions
// that split a sum may differ by rounding only; MAX/MIN and their indices must be identical.
#include <thread>

#include "test_util.h"

using namespace adjt;

namespace {

struct Threads {
  int32_t saved = adj_get_num_threads();
  explicit Threads(int n) { adj_set_num_threads(n); }
  ~Threads() { adj_set_num_threads(saved); }
};

constexpr int kCounts[] = {2, 3, 4, 7};

template <class T> adj_dtype dt() { return sizeof(T) == 4 ? ADJ_F32 : ADJ_F64; }

template <class T> void unary_matches_one_thread() {
  std::mt19937_64 rng(11);
  const int64_t n = 600001;  // > 4 x the streaming grain (Note [Threading thresholds]): up to 4 threads
  std::vector<T> x = random_values<T>(rng, n, 5.0), gy = random_values<T>(rng, n, 2.0, false);
  for (int op = 0; op < ADJ_UNARY_OP_COUNT; ++op) {
    std::vector<T> y1(n), g1(n);
    {
      Threads one(1);
      ASSERT_EQ(adj_unary(static_cast<adj_unary_op>(op), dt<T>(), n, x.data(), y1.data()), ADJ_OK);
      ASSERT_EQ(adj_unary_backward(static_cast<adj_unary_op>(op), dt<T>(), n, x.data(), y1.data(), gy.data(), g1.data()), ADJ_OK);
    }
    for (int t : kCounts) {
      Threads many(t);
      std::vector<T> y(n), g(n);
      ASSERT_EQ(adj_unary(static_cast<adj_unary_op>(op), dt<T>(), n, x.data(), y.data()), ADJ_OK);
      ASSERT_EQ(adj_unary_backward(static_cast<adj_unary_op>(op), dt<T>(), n, x.data(), y1.data(), gy.data(), g.data()), ADJ_OK);
      ASSERT_EQ(std::memcmp(y.data(), y1.data(), n * sizeof(T)), 0) << "op=" << op << " threads=" << t;
      ASSERT_EQ(std::memcmp(g.data(), g1.data(), n * sizeof(T)), 0) << "bwd op=" << op << " threads=" << t;
    }
  }
}
TEST(Threading, f32_unary_matches_one_thread) { unary_matches_one_thread<float>(); }
TEST(Threading, f64_unary_matches_one_thread) { unary_matches_one_thread<double>(); }

template <class T> void binary_matches_one_thread() {
  std::mt19937_64 rng(12);
  // [1200, 513] + [1, 513] (row broadcast) and a flat 615600-element add: up to 4 threads.
  const int64_t shape[] = {1200, 513};
  std::vector<T> a = random_values<T>(rng, 1200 * 513, 5.0), b = random_values<T>(rng, 513, 5.0);
  const int64_t as[] = {513, 1}, bs[] = {0, 1}, os[] = {513, 1};
  for (int op = 0; op < ADJ_BINARY_OP_COUNT; ++op) {
    std::vector<T> want(a.size()), got(a.size());
    {
      Threads one(1);
      ASSERT_EQ(adj_binary(static_cast<adj_binary_op>(op), dt<T>(), 2, shape, a.data(), as, b.data(), bs, want.data(), os), ADJ_OK);
    }
    for (int t : kCounts) {
      Threads many(t);
      ASSERT_EQ(adj_binary(static_cast<adj_binary_op>(op), dt<T>(), 2, shape, a.data(), as, b.data(), bs, got.data(), os), ADJ_OK);
      ASSERT_EQ(std::memcmp(got.data(), want.data(), got.size() * sizeof(T)), 0) << "op=" << op << " threads=" << t;
      const int64_t flat[] = {1200 * 513}, one_st[] = {1};
      std::vector<T> f1(a.size()), f2(a.size());
      ASSERT_EQ(adj_binary(static_cast<adj_binary_op>(op), dt<T>(), 1, flat, a.data(), one_st, want.data(), one_st, f2.data(), one_st), ADJ_OK);
      Threads single(1);
      ASSERT_EQ(adj_binary(static_cast<adj_binary_op>(op), dt<T>(), 1, flat, a.data(), one_st, want.data(), one_st, f1.data(), one_st), ADJ_OK);
      ASSERT_EQ(std::memcmp(f1.data(), f2.data(), f1.size() * sizeof(T)), 0) << "flat op=" << op << " threads=" << t;
    }
  }
}
TEST(Threading, f32_binary_matches_one_thread) { binary_matches_one_thread<float>(); }
TEST(Threading, f64_binary_matches_one_thread) { binary_matches_one_thread<double>(); }

template <class T> void reduce_matches_one_thread() {
  std::mt19937_64 rng(13);
  const int64_t r = 1400, c = 450;
  const int64_t shape[] = {r, c}, st[] = {c, 1}, tst[] = {1, r};  // row-major and a transposed view
  std::vector<T> x = random_values<T>(rng, r * c, 10.0, false);
  x[static_cast<size_t>(123 * c + 7)] = T(1e3);  // a clear max with a tie below
  x[static_cast<size_t>(500 * c + 7)] = T(1e3);
  for (const int64_t* strides : {st, tst}) {
    for (uint64_t mask : {1ull, 2ull, 3ull}) {
      for (int op = 0; op < ADJ_REDUCE_OP_COUNT; ++op) {
        const int64_t outn = mask == 3 ? 1 : (mask == 1 ? c : r);
        std::vector<T> want(outn), got(outn);
        std::vector<int64_t> wi(outn), gi(outn);
        {
          Threads one(1);
          ASSERT_EQ(adj_reduce(static_cast<adj_reduce_op>(op), dt<T>(), 2, shape, x.data(), strides, mask, want.data(), wi.data()), ADJ_OK);
        }
        // the definition, in double
        for (int64_t o = 0; o < outn; ++o) {
          if (op != ADJ_REDUCE_SUM) continue;
          double s = 0, mag = 0;
          for (int64_t i = 0; i < r; ++i)
            for (int64_t j = 0; j < c; ++j) {
              const bool in = mask == 3 || (mask == 1 ? j == o : i == o);
              if (!in) continue;
              const double v = x[static_cast<size_t>(strides == st ? i * c + j : j * r + i)];
              s += v;
              mag += std::fabs(v);
            }
          ASSERT_NEAR(want[o], s, 4 * r * c * std::numeric_limits<T>::epsilon() * mag / std::max<int64_t>(outn, 1) + 1e-30);
        }
        for (int t : kCounts) {
          Threads many(t);
          ASSERT_EQ(adj_reduce(static_cast<adj_reduce_op>(op), dt<T>(), 2, shape, x.data(), strides, mask, got.data(), gi.data()), ADJ_OK);
          for (int64_t o = 0; o < outn; ++o) {
            if (op == ADJ_REDUCE_SUM) {
              ASSERT_NEAR(got[o], want[o], 1e-4 * (1 + std::fabs(want[o])) * (sizeof(T) == 4 ? 10 : 1e-8));
            } else {
              ASSERT_EQ(got[o], want[o]) << "op=" << op << " mask=" << mask << " o=" << o << " threads=" << t;
              ASSERT_EQ(gi[o], wi[o]) << "op=" << op << " mask=" << mask << " o=" << o << " threads=" << t;
            }
          }
        }
      }
    }
  }
}
TEST(Threading, f32_reduce_matches_one_thread) { reduce_matches_one_thread<float>(); }
TEST(Threading, f64_reduce_matches_one_thread) { reduce_matches_one_thread<double>(); }

template <class T> void rows_match_one_thread() {
  std::mt19937_64 rng(14);
  const int64_t rows = 1200, cols = 257;  // > 4 x the compute grain
  std::vector<T> x = random_values<T>(rng, rows * cols, 6.0, false, false), gy = random_values<T>(rng, rows * cols, 2.0, false, false);
  for (int op = 0; op < ADJ_ROW_OP_COUNT; ++op) {
    const int64_t yn = op == ADJ_ROW_LOGSUMEXP ? rows : rows * cols;
    std::vector<T> y1(yn), g1(rows * cols);
    {
      Threads one(1);
      ASSERT_EQ(adj_row_op(static_cast<adj_row_op_kind>(op), dt<T>(), rows, cols, x.data(), y1.data()), ADJ_OK);
      ASSERT_EQ(adj_row_op_backward(static_cast<adj_row_op_kind>(op), dt<T>(), rows, cols, x.data(), y1.data(), gy.data(), g1.data()), ADJ_OK);
    }
    for (int t : kCounts) {
      Threads many(t);
      std::vector<T> y(yn), g(rows * cols);
      ASSERT_EQ(adj_row_op(static_cast<adj_row_op_kind>(op), dt<T>(), rows, cols, x.data(), y.data()), ADJ_OK);
      ASSERT_EQ(adj_row_op_backward(static_cast<adj_row_op_kind>(op), dt<T>(), rows, cols, x.data(), y1.data(), gy.data(), g.data()), ADJ_OK);
      ASSERT_EQ(std::memcmp(y.data(), y1.data(), yn * sizeof(T)), 0) << "op=" << op << " threads=" << t;
      ASSERT_EQ(std::memcmp(g.data(), g1.data(), g.size() * sizeof(T)), 0) << "bwd op=" << op << " threads=" << t;
    }
  }
}
TEST(Threading, f32_rows_match_one_thread) { rows_match_one_thread<float>(); }
TEST(Threading, f64_rows_match_one_thread) { rows_match_one_thread<double>(); }

// GEMM: every grid the partitioner can choose (threads 2..7 over tall, wide and square C), all
// transposes, against one thread. Blocks are independent, so results are bit-identical.
template <class T> void gemm_matches_one_thread() {
  std::mt19937_64 rng(15);
  const int64_t shapes[][3] = {{301, 157, 203}, {97, 611, 150}, {517, 45, 260}, {260, 260, 99}};
  for (auto& s : shapes) {
    const int64_t m = s[0], n = s[1], k = s[2];
    for (int ta = 0; ta < 2; ++ta)
      for (int tb = 0; tb < 2; ++tb) {
        std::vector<T> a = random_values<T>(rng, m * k, 1.0, false), b = random_values<T>(rng, k * n, 1.0, false);
        std::vector<T> c0 = random_values<T>(rng, m * n, 1.0, false);
        std::vector<T> want = c0;
        const int64_t lda = ta ? m : k, ldb = tb ? k : n;
        {
          Threads one(1);
          ASSERT_EQ(adj_gemm(dt<T>(), ta, tb, m, n, k, 0.5, a.data(), lda, b.data(), ldb, 0.25, want.data(), n), ADJ_OK);
        }
        for (int t : kCounts) {
          Threads many(t);
          std::vector<T> got = c0;
          ASSERT_EQ(adj_gemm(dt<T>(), ta, tb, m, n, k, 0.5, a.data(), lda, b.data(), ldb, 0.25, got.data(), n), ADJ_OK);
          ASSERT_EQ(std::memcmp(got.data(), want.data(), got.size() * sizeof(T)), 0)
              << "m=" << m << " n=" << n << " k=" << k << " ta=" << ta << " tb=" << tb << " threads=" << t;
        }
      }
  }
}
// The scalar reference GEMM never uses the pool: only the SIMD tiers have anything to compare.
TEST(Threading, f32_gemm_matches_one_thread) {
  for_each_isa([](adj_isa isa) { if (isa != ADJ_ISA_SCALAR) gemm_matches_one_thread<float>(); });
}
TEST(Threading, f64_gemm_matches_one_thread) {
  for_each_isa([](adj_isa isa) { if (isa != ADJ_ISA_SCALAR) gemm_matches_one_thread<double>(); });
}

// Calls from several application threads at once: one wins the pool, the others run inline.
TEST(Threading, concurrent_callers) {
  Threads two(2);
  const int64_t n = 1 << 18;
  std::vector<float> x(n, 0.5f), want(n);
  ASSERT_EQ(adj_unary(ADJ_UNARY_TANH, ADJ_F32, n, x.data(), want.data()), ADJ_OK);
  std::vector<std::vector<float>> out(4, std::vector<float>(n));
  std::vector<std::thread> callers;
  for (int c = 0; c < 4; ++c)
    callers.emplace_back([&, c] {
      for (int rep = 0; rep < 20; ++rep) adj_unary(ADJ_UNARY_TANH, ADJ_F32, n, x.data(), out[c].data());
    });
  for (auto& t : callers) t.join();
  for (auto& o : out) ASSERT_EQ(std::memcmp(o.data(), want.data(), n * sizeof(float)), 0);
}

}  // namespace

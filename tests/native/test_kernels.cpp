// Every SIMD kernel against the scalar reference, per tier this CPU has: lengths 0 .. 4*tile+1, in
// place, guard elements around outputs, special values (NaN, +-Inf, +-0, subnormals).
#include "test_util.h"

using namespace adjt;

namespace {

constexpr int64_t kMaxLen = 4 * 64 + 1;  // 4 x the widest unrolled tile (64 floats) + 1

// Tolerance of a tier against the reference: the reference is the C library, the tiers use their own
// polynomials, so transcendental results may differ by a few units in the last place.
template <class T> double tol() { return sizeof(T) == 4 ? 2.5e-7 : 4e-15; }

template <class T> void check_unary(int op) {
  const auto& ref = adj::typed<T>(ref_tier());
  std::mt19937_64 rng(1234 + op);
  for (const adj::KernelTable* tier : runnable_tiers()) {
    const auto& k = adj::typed<T>(*tier);
    SCOPED_TRACE(k.unary_name[op]);
    for (int64_t n = 0; n <= kMaxLen; ++n) {
      std::vector<T> x = random_values<T>(rng, n);
      std::vector<T> want(static_cast<size_t>(n));
      ref.unary[op](n, x.data(), want.data());
      Guarded<T> y(n);
      k.unary[op](n, x.data(), y.data());
      ASSERT_TRUE(y.guards_intact()) << "n=" << n;
      for (int64_t i = 0; i < n; ++i)
        ASSERT_TRUE(close(y.data()[i], want[i], tol<T>()))
            << "n=" << n << " i=" << i << " x=" << show(x[i]) << " got=" << show(y.data()[i]) << " want=" << show(want[i]);
      // in place
      std::vector<T> inplace = x;
      k.unary[op](n, inplace.data(), inplace.data());
      for (int64_t i = 0; i < n; ++i) ASSERT_TRUE(close(inplace[i], want[i], tol<T>())) << "in place, i=" << i;

      // backward: y is the reference forward output; x / y are passed as NULL when not read
      std::vector<T> gy = random_values<T>(rng, n, 3.0, false);
      std::vector<T> gwant(static_cast<size_t>(n));
      ref.unary_bwd[op](n, x.data(), want.data(), gy.data(), gwant.data());
      Guarded<T> gx(n);
      const bool rx = op == ADJ_UNARY_ABS || op == ADJ_UNARY_LOG || op == ADJ_UNARY_SIN || op == ADJ_UNARY_COS ||
                      op == ADJ_UNARY_RELU || op == ADJ_UNARY_SOFTPLUS;
      const bool ry = op == ADJ_UNARY_EXP || op == ADJ_UNARY_SQRT || op == ADJ_UNARY_TANH || op == ADJ_UNARY_SIGMOID;
      k.unary_bwd[op](n, rx ? x.data() : nullptr, ry ? want.data() : nullptr, gy.data(), gx.data());
      ASSERT_TRUE(gx.guards_intact()) << "bwd n=" << n;
      auto bclose = [&](T got, T want, T g) {
        return close(got, want, tol<T>()) ||
               std::fabs(static_cast<double>(got) - want) <= 4 * std::numeric_limits<T>::epsilon() * std::fabs(g);
      };
      for (int64_t i = 0; i < n; ++i)
        ASSERT_TRUE(bclose(gx.data()[i], gwant[i], gy[i]))
            << k.unary_bwd_name[op] << " n=" << n << " i=" << i << " x=" << show(x[i]) << " gy=" << show(gy[i])
            << " got=" << show(gx.data()[i]) << " want=" << show(gwant[i]);
      // gx == gy in place
      std::vector<T> g2 = gy;
      k.unary_bwd[op](n, rx ? x.data() : nullptr, ry ? want.data() : nullptr, g2.data(), g2.data());
      for (int64_t i = 0; i < n; ++i) ASSERT_TRUE(bclose(g2[i], gwant[i], gy[i])) << "bwd in place, i=" << i;
    }
    // every special value against every other position in a vector
    std::vector<T> sp = Specials<T>::values();
    std::vector<T> want(sp.size()), got(sp.size());
    ref.unary[op](static_cast<int64_t>(sp.size()), sp.data(), want.data());
    k.unary[op](static_cast<int64_t>(sp.size()), sp.data(), got.data());
    for (size_t i = 0; i < sp.size(); ++i)
      EXPECT_TRUE(close(got[i], want[i], tol<T>())) << "special x=" << show(sp[i]) << " got=" << show(got[i])
                                                     << " want=" << show(want[i]);
  }
}

template <class T> void check_binary(int op) {
  const auto& ref = adj::typed<T>(ref_tier());
  std::mt19937_64 rng(99 + op);
  for (const adj::KernelTable* tier : runnable_tiers()) {
    const auto& k = adj::typed<T>(*tier);
    SCOPED_TRACE(k.binary_name[op]);
    // (sa, sb, so): contiguous, broadcast b, broadcast a, generic strided
    const int64_t patterns[][3] = {{1, 1, 1}, {1, 0, 1}, {0, 1, 1}, {2, 3, 1}, {1, 1, 2}, {0, 0, 1}};
    for (auto& pat : patterns) {
      for (int64_t n = 0; n <= kMaxLen; n += (n < 70 ? 1 : 17)) {
        std::vector<T> a = random_values<T>(rng, n * 3 + 1, 5.0), b = random_values<T>(rng, n * 3 + 1, 5.0);
        if (op == ADJ_BINARY_MAXIMUM || op == ADJ_BINARY_MINIMUM)
          for (int64_t i = 0; i < n; i += 5) b[static_cast<size_t>(i * pat[1])] = a[static_cast<size_t>(i * pat[0])];  // ties
        Guarded<T> want(n * pat[2] + 1), got(n * pat[2] + 1);
        ref.binary[op](n, a.data(), pat[0], b.data(), pat[1], want.data(), pat[2]);
        k.binary[op](n, a.data(), pat[0], b.data(), pat[1], got.data(), pat[2]);
        ASSERT_TRUE(got.guards_intact());
        for (int64_t i = 0; i < n * pat[2] + 1; ++i)
          ASSERT_TRUE(close(got.data()[i], want.data()[i], 0.0) ||
                      (std::isnan(got.data()[i]) && std::isnan(want.data()[i])))
              << "n=" << n << " i=" << i << " got=" << show(got.data()[i]) << " want=" << show(want.data()[i]);
        if (pat[0] == 1 && pat[1] == 1 && pat[2] == 1) {
          std::vector<T> inplace(a.begin(), a.begin() + n);
          k.binary[op](n, inplace.data(), 1, b.data(), 1, inplace.data(), 1);
          for (int64_t i = 0; i < n; ++i) ASSERT_TRUE(close(inplace[i], want.data()[i], 0.0)) << "in place";
        }
      }
    }
  }
}

template <class T> void check_reduce(int op) {
  const auto& ref = adj::typed<T>(ref_tier());
  std::mt19937_64 rng(7 + op);
  for (const adj::KernelTable* tier : runnable_tiers()) {
    const auto& k = adj::typed<T>(*tier);
    SCOPED_TRACE(k.reduce_name[op]);
    for (int64_t stride : {1, 3}) {
      for (int64_t n = 1; n <= kMaxLen; ++n) {
        for (int variant = 0; variant < 3; ++variant) {
          std::vector<T> x = random_values<T>(rng, n * stride, 10.0, variant == 2);
          if (variant == 1) x[static_cast<size_t>((n / 2) * stride)] = x[0];  // a tie with the first element
          T wv = 0, gv = 0;
          int64_t wi = -1, gi = -1;
          ref.reduce[op](n, x.data(), stride, &wv, &wi);
          k.reduce[op](n, x.data(), stride, &gv, &gi);
          if (op == ADJ_REDUCE_SUM) {
            double mag = 0;
            for (int64_t i = 0; i < n; ++i) mag += std::fabs(static_cast<double>(x[static_cast<size_t>(i * stride)]));
            bool has_nan = false, huge = false;
            for (int64_t i = 0; i < n; ++i) {
              const T v = x[static_cast<size_t>(i * stride)];
              has_nan |= std::isnan(v);
              huge |= std::fabs(v) >= std::numeric_limits<T>::max() / 4;  // includes inf: order decides overflow
            }
            if (has_nan) ASSERT_TRUE(std::isnan(gv)) << "n=" << n;
            else if (!huge) ASSERT_LE(std::fabs(static_cast<double>(gv) - wv), 4 * n * std::numeric_limits<T>::epsilon() * mag)
                << "n=" << n;
          } else {
            ASSERT_EQ(gi, wi) << "n=" << n << " stride=" << stride;
            ASSERT_TRUE(close(gv, wv, 0.0)) << "n=" << n;
          }
        }
      }
    }
  }
}

template <class T> void check_rows(int op) {
  const auto& ref = adj::typed<T>(ref_tier());
  std::mt19937_64 rng(31 + op);
  const double t = sizeof(T) == 4 ? 2e-5 : 1e-12;
  for (const adj::KernelTable* tier : runnable_tiers()) {
    const auto& k = adj::typed<T>(*tier);
    SCOPED_TRACE(k.row_name[op]);
    for (int64_t cols = 0; cols <= kMaxLen; cols += (cols < 70 ? 1 : 13)) {
      const int64_t rows = 3;
      std::vector<T> x = random_values<T>(rng, rows * cols, 8.0, false, false);
      if (cols > 2) {
        x[1] = -INFINITY;                                   // row 0 holds a -inf
        for (int64_t j = 0; j < cols; ++j) x[static_cast<size_t>(2 * cols + j)] = -INFINITY;  // row 2: all -inf
      }
      const int64_t ycount = op == ADJ_ROW_LOGSUMEXP ? rows : rows * cols;
      std::vector<T> want(static_cast<size_t>(ycount));
      Guarded<T> got(ycount);
      ref.row[op](rows, cols, x.data(), want.data());
      k.row[op](rows, cols, x.data(), got.data());
      ASSERT_TRUE(got.guards_intact());
      for (int64_t i = 0; i < ycount; ++i)
        ASSERT_TRUE(close(got.data()[i], want[i], t) || std::fabs(got.data()[i] - want[i]) < t)
            << "cols=" << cols << " i=" << i << " got=" << show(got.data()[i]) << " want=" << show(want[i]);
      // backward (finite rows only)
      std::vector<T> xf = random_values<T>(rng, rows * cols, 4.0, false, false);
      std::vector<T> yf(static_cast<size_t>(ycount));
      ref.row[op](rows, cols, xf.data(), yf.data());
      std::vector<T> gy = random_values<T>(rng, ycount, 2.0, false, false);
      std::vector<T> gwant(static_cast<size_t>(rows * cols));
      Guarded<T> ggot(rows * cols);
      ref.row_bwd[op](rows, cols, xf.data(), yf.data(), gy.data(), gwant.data());
      k.row_bwd[op](rows, cols, op == ADJ_ROW_LOGSUMEXP ? xf.data() : nullptr, yf.data(), gy.data(), ggot.data());
      ASSERT_TRUE(ggot.guards_intact());
      for (int64_t i = 0; i < rows * cols; ++i)
        ASSERT_NEAR(ggot.data()[i], gwant[i], t * (1 + std::fabs(gwant[i]))) << "bwd cols=" << cols << " i=" << i;
    }
  }
}

}  // namespace

#define ADJ_TEST_UNARY(dt, OP, name) \
  TEST(KernelsUnary, name) { check_unary<ADJ_T_##dt>(ADJ_UNARY_##OP); }
ADJ_FOR_EACH_DTYPE_FAMILY(ADJ_UNARY_KERNELS, ADJ_TEST_UNARY, __vs_ref)

#define ADJ_TEST_BINARY(dt, OP, name) \
  TEST(KernelsBinary, name) { check_binary<ADJ_T_##dt>(ADJ_BINARY_##OP); }
ADJ_FOR_EACH_DTYPE_FAMILY(ADJ_BINARY_KERNELS, ADJ_TEST_BINARY, __vs_ref)

#define ADJ_TEST_REDUCE(dt, OP, name) \
  TEST(KernelsReduce, name) { check_reduce<ADJ_T_##dt>(ADJ_REDUCE_##OP); }
ADJ_FOR_EACH_DTYPE_FAMILY(ADJ_REDUCE_KERNELS, ADJ_TEST_REDUCE, __vs_ref)

#define ADJ_TEST_ROW(dt, OP, name) \
  TEST(KernelsRow, name) { check_rows<ADJ_T_##dt>(ADJ_ROW_##OP); }
ADJ_FOR_EACH_DTYPE_FAMILY(ADJ_ROW_KERNELS, ADJ_TEST_ROW, __vs_ref)

// Column sums add row after row in both tiers, so they must agree bit for bit (any NaN for NaN), over
// row counts around the eight-row blocks, padded and broadcast (ldx = 0) rows, and y fresh or accumulated.
template <class T> void check_colsum() {
  const auto& ref = adj::typed<T>(ref_tier());
  std::mt19937_64 rng(77);
  for (const adj::KernelTable* tier : runnable_tiers()) {
    const auto& k = adj::typed<T>(*tier);
    SCOPED_TRACE(k.colsum_name);
    for (int64_t rows : {0, 1, 3, 8, 9, 17}) {
      for (int64_t cols = 0; cols <= kMaxLen; ++cols) {
        for (int64_t ldx : {cols, cols + 3, int64_t(0)}) {
          const std::vector<T> x = random_values<T>(rng, rows * (ldx > cols ? ldx : cols) + cols, 10.0, cols % 3 == 0);
          const std::vector<T> y0 = random_values<T>(rng, cols, 10.0, false);
          for (bool accumulate : {false, true}) {
            std::vector<T> want = y0;
            ref.colsum(rows, cols, x.data(), ldx, want.data(), accumulate);
            Guarded<T> y(cols);
            std::copy(y0.begin(), y0.end(), y.data());
            k.colsum(rows, cols, x.data(), ldx, y.data(), accumulate);
            ASSERT_TRUE(y.guards_intact()) << "rows=" << rows << " cols=" << cols;
            for (int64_t j = 0; j < cols; ++j) {
              const T got = y.data()[j], w = want[static_cast<size_t>(j)];
              ASSERT_TRUE(std::memcmp(&got, &w, sizeof(T)) == 0 || (std::isnan(got) && std::isnan(w)))
                  << "rows=" << rows << " cols=" << cols << " ldx=" << ldx << " accumulate=" << accumulate << " j=" << j
                  << " got=" << show(got) << " want=" << show(w);
            }
          }
        }
      }
    }
  }
}
TEST(KernelsReduce, f32_colsum__vs_ref) { check_colsum<float>(); }
TEST(KernelsReduce, f64_colsum__vs_ref) { check_colsum<double>(); }

// The optimizer steps round every operation on its own on every tier: bit for bit the reference (any NaN for
// NaN), for every combination of options, lengths 0 .. 4 x 64 + 1, parameters and state alike.
template <class T> bool same_bits(const std::vector<T>& a, const T* b) {
  for (size_t i = 0; i < a.size(); ++i)
    if (std::memcmp(&a[i], &b[i], sizeof(T)) != 0 && !(std::isnan(a[i]) && std::isnan(b[i]))) return false;
  return true;
}

template <class T> void check_optim() {
  const auto& ref = adj::typed<T>(ref_tier());
  std::mt19937_64 rng(91);
  for (const adj::KernelTable* tier : runnable_tiers()) {
    const auto& k = adj::typed<T>(*tier);
    SCOPED_TRACE(std::string(k.sgd_name) + " / " + k.adam_name);
    for (int64_t n = 0; n <= kMaxLen; ++n) {
      const std::vector<T> p0 = random_values<T>(rng, n, 2.0, n % 5 == 0), g = random_values<T>(rng, n, 0.1, false);
      std::vector<T> s0 = random_values<T>(rng, n, 0.5, false);
      for (int options = 0; options < 16; ++options) {
        const bool wd = options & 1, buf = options & 2, first = options & 4, nesterov = options & 8;
        std::vector<T> wp = p0, wb = s0;
        Guarded<T> gp(n), gb(n);
        std::copy(p0.begin(), p0.end(), gp.data());
        std::copy(s0.begin(), s0.end(), gb.data());
        ref.sgd(n, wp.data(), g.data(), buf ? wb.data() : nullptr, T(0.01), wd ? T(1e-3) : T(0), T(0.9), T(0.75),
                nesterov, first);
        k.sgd(n, gp.data(), g.data(), buf ? gb.data() : nullptr, T(0.01), wd ? T(1e-3) : T(0), T(0.9), T(0.75),
              nesterov, first);
        ASSERT_TRUE(gp.guards_intact() && gb.guards_intact()) << "sgd n=" << n << " options=" << options;
        ASSERT_TRUE(same_bits(wp, gp.data()) && same_bits(wb, gb.data())) << "sgd n=" << n << " options=" << options;
      }
      std::vector<T> v0 = random_values<T>(rng, n, 0.5, false);
      for (auto& x : v0) x = std::fabs(x);
      for (int options = 0; options < 4; ++options) {
        const T wd = options & 1 ? T(1e-2) : T(0), decay = options & 2 ? T(0.999) : T(1);
        std::vector<T> wp = p0, wm = s0, wv = v0;
        Guarded<T> gp(n), gm(n), gv(n);
        std::copy(p0.begin(), p0.end(), gp.data());
        std::copy(s0.begin(), s0.end(), gm.data());
        std::copy(v0.begin(), v0.end(), gv.data());
        ref.adam(n, wp.data(), g.data(), wm.data(), wv.data(), T(0.9), T(0.999), T(1e-8), wd, decay, T(2e-3), T(1.5));
        k.adam(n, gp.data(), g.data(), gm.data(), gv.data(), T(0.9), T(0.999), T(1e-8), wd, decay, T(2e-3), T(1.5));
        ASSERT_TRUE(gp.guards_intact() && gm.guards_intact() && gv.guards_intact()) << "adam n=" << n;
        ASSERT_TRUE(same_bits(wp, gp.data()) && same_bits(wm, gm.data()) && same_bits(wv, gv.data()))
            << "adam n=" << n << " options=" << options;
      }
    }
  }
}
TEST(KernelsOptim, f32_sgd_adam__vs_ref) { check_optim<float>(); }
TEST(KernelsOptim, f64_sgd_adam__vs_ref) { check_optim<double>(); }

template <class T> void check_fill_cast() {
  std::mt19937_64 rng(5);
  for (const adj::KernelTable* tier : runnable_tiers()) {
    const auto& k = adj::typed<T>(*tier);
    SCOPED_TRACE(k.fill_name);
    for (int64_t n = 0; n <= kMaxLen; ++n) {
      Guarded<T> y(n);
      k.fill(n, T(2.5), y.data());
      ASSERT_TRUE(y.guards_intact());
      for (int64_t i = 0; i < n; ++i) ASSERT_EQ(y.data()[i], T(2.5));
      std::vector<T> x = random_values<T>(rng, n, 1e3);
      using U = std::conditional_t<std::is_same_v<T, float>, double, float>;
      Guarded<U> out(n);
      k.cast(n, x.data(), out.data());
      ASSERT_TRUE(out.guards_intact());
      for (int64_t i = 0; i < n; ++i) {
        const U want = static_cast<U>(x[static_cast<size_t>(i)]);
        ASSERT_TRUE(std::memcmp(&want, &out.data()[i], sizeof(U)) == 0 || (std::isnan(want) && std::isnan(out.data()[i])))
            << k.cast_name << " i=" << i;
      }
    }
  }
}
TEST(KernelsMemory, f32_fill_and_cast) { check_fill_cast<float>(); }
TEST(KernelsMemory, f64_fill_and_cast) { check_fill_cast<double>(); }

// Non-temporal stores (calls moving at least adj::g_stream_min_bytes): lowered to 0 here so every output
// takes the streaming path, at every alignment of the output within a vector, with guards around it.
template <class T> void check_streaming() {
  const int64_t saved = adj::g_stream_min_bytes;
  adj::g_stream_min_bytes = 0;
  const auto& ref = adj::typed<T>(ref_tier());
  std::mt19937_64 rng(4242);
  for (const adj::KernelTable* tier : runnable_tiers()) {
    const auto& k = adj::typed<T>(*tier);
    for (int64_t n : {0, 1, 5, 16, 17, 33, 100, 257}) {
      for (int64_t off = 0; off < 16; ++off) {
        // one spare element: a broadcast operand is read even for n = 0
        std::vector<T> x = random_values<T>(rng, n + 1), b = random_values<T>(rng, n + 1), gy = random_values<T>(rng, n + 1, 3.0, false);
        std::vector<T> want(static_cast<size_t>(n)), gwant(static_cast<size_t>(n));
        Guarded<T> out(n + off);
        T* o = out.data() + off;
        for (int op : {ADJ_UNARY_TANH, ADJ_UNARY_EXP, ADJ_UNARY_RELU, ADJ_UNARY_SIN}) {
          ref.unary[op](n, x.data(), want.data());
          k.unary[op](n, x.data(), o);
          for (int64_t i = 0; i < n; ++i)
            ASSERT_TRUE(close(o[i], want[static_cast<size_t>(i)], tol<T>())) << k.unary_name[op] << " n=" << n << " off=" << off;
          ref.unary_bwd[op](n, x.data(), want.data(), gy.data(), gwant.data());
          k.unary_bwd[op](n, x.data(), want.data(), gy.data(), o);
          for (int64_t i = 0; i < n; ++i)
            ASSERT_TRUE(close(o[i], gwant[static_cast<size_t>(i)], tol<T>()) ||
                        std::fabs(static_cast<double>(o[i]) - gwant[static_cast<size_t>(i)]) <=
                            4 * std::numeric_limits<T>::epsilon() * std::fabs(static_cast<double>(gy[static_cast<size_t>(i)])))
                << k.unary_bwd_name[op] << " n=" << n << " off=" << off;
        }
        for (int64_t sa : {1, 0}) {
          for (int64_t sb : {1, 0}) {
            if (sa == 0 && sb == 0) continue;
            ref.binary[ADJ_BINARY_MUL](n, x.data(), sa, b.data(), sb, want.data(), 1);
            k.binary[ADJ_BINARY_MUL](n, x.data(), sa, b.data(), sb, o, 1);
            for (int64_t i = 0; i < n; ++i)
              ASSERT_TRUE(close(o[i], want[static_cast<size_t>(i)], 0.0)) << "mul n=" << n << " off=" << off;
          }
        }
        ASSERT_TRUE(out.guards_intact()) << tier->isa_name << " n=" << n << " off=" << off;
        for (int64_t i = 0; i < off; ++i) ASSERT_EQ(out.data()[i], Guarded<T>::sentinel()) << "head written, off=" << off;
      }
    }
  }
  adj::g_stream_min_bytes = saved;
}
TEST(KernelsStreaming, f32_nontemporal_outputs) { check_streaming<float>(); }
TEST(KernelsStreaming, f64_nontemporal_outputs) { check_streaming<double>(); }

// Every output element depends on its own input only: sin/cos take lanes beyond |x| = 1e5 from a double
// evaluation, and that must not change the float result of the other lanes of the same vector (a call split
// differently into vectors, by threads or by a streaming store's aligned head, must give identical bits).
template <class T> void check_lane_independence() {
  std::mt19937_64 rng(77);
  for (const adj::KernelTable* tier : runnable_tiers()) {
    const auto& k = adj::typed<T>(*tier);
    std::vector<T> x = random_values<T>(rng, 64, 20.0, false, false), gy = random_values<T>(rng, 64, 2.0, false, false);
    for (int op : {ADJ_UNARY_SIN, ADJ_UNARY_COS}) {
      std::vector<T> alone(64), galone(64);
      for (int64_t i = 0; i < 64; ++i) {  // each element on its own: a one-lane call
        k.unary[op](1, &x[static_cast<size_t>(i)], &alone[static_cast<size_t>(i)]);
        k.unary_bwd[op](1, &x[static_cast<size_t>(i)], nullptr, &gy[static_cast<size_t>(i)], &galone[static_cast<size_t>(i)]);
      }
      for (int64_t big : {0, 5, 17, 63}) {
        std::vector<T> xb = x, y(64), g(64);
        xb[static_cast<size_t>(big)] = T(3e6);
        k.unary[op](64, xb.data(), y.data());
        k.unary_bwd[op](64, xb.data(), nullptr, gy.data(), g.data());
        for (int64_t i = 0; i < 64; ++i) {
          if (i == big) continue;
          ASSERT_EQ(std::memcmp(&y[static_cast<size_t>(i)], &alone[static_cast<size_t>(i)], sizeof(T)), 0)
              << k.unary_name[op] << " lane " << i << " changed by |x| = 3e6 in lane " << big;
          ASSERT_EQ(std::memcmp(&g[static_cast<size_t>(i)], &galone[static_cast<size_t>(i)], sizeof(T)), 0)
              << k.unary_bwd_name[op] << " lane " << i << " changed by |x| = 3e6 in lane " << big;
        }
      }
    }
  }
}
TEST(KernelsUnary, f32_lanes_independent) { check_lane_independence<float>(); }
TEST(KernelsUnary, f64_lanes_independent) { check_lane_independence<double>(); }

TEST(KernelList, EveryTierHasEveryKernel) {
  for (const adj::KernelTable* t : runnable_tiers()) {
    for (int op = 0; op < ADJ_UNARY_OP_COUNT; ++op) {
      EXPECT_NE(t->f32.unary[op], nullptr);
      EXPECT_NE(t->f64.unary_bwd[op], nullptr);
      EXPECT_NE(std::string(t->f32.unary_name[op]).find(std::string("__") + (t->isa == ADJ_ISA_SCALAR ? "ref" : t->isa_name)),
                std::string::npos);
    }
    EXPECT_NE(t->f32.colsum, nullptr);
    EXPECT_NE(t->f64.colsum, nullptr);
    EXPECT_NE(t->f32.sgd, nullptr);
    EXPECT_NE(t->f64.adam, nullptr);
    EXPECT_NE(t->f32.gemm, nullptr);
    EXPECT_NE(t->f64.gemm, nullptr);
    std::printf("[ tier %-6s ] gemm kernels: %s, %s\n", t->isa_name, t->f32.gemm_name, t->f64.gemm_name);
  }
}

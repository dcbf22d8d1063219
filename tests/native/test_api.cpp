// The C ABI end to end: broadcasting and strided views vs naive loops, reductions over every axes
// subset, row ops vs double formulas, memory movement, validation errors, thread-local errors, ISA forcing.
#include <thread>

#include "kernels/ref/scalar_ops.h"
#include "test_util.h"

using namespace adjt;

TEST(Api, InfoAndNoop) {
  EXPECT_EQ(adj_noop(), ADJ_OK);
  EXPECT_EQ(adj_abi_version(), ADJ_ABI_VERSION);
  EXPECT_NE(std::string(adj_build_info()).find("adjoint_kernels"), std::string::npos);
  EXPECT_LE(adj_cpu_isa(), adj_max_isa());
  EXPECT_GE(adj_get_num_threads(), 1);
  std::printf("[ info ] %s | max isa %d, active %d\n", adj_build_info(), adj_max_isa(), adj_cpu_isa());
}

TEST(Api, IsaForcing) {
  const adj_isa saved = adj_cpu_isa();
  EXPECT_EQ(adj_set_isa(ADJ_ISA_SCALAR), ADJ_OK);
  EXPECT_EQ(adj_cpu_isa(), ADJ_ISA_SCALAR);
  if (adj_max_isa() == ADJ_ISA_AVX2) {
    EXPECT_EQ(adj_set_isa(ADJ_ISA_AVX512), ADJ_ERR_UNSUPPORTED);
    EXPECT_NE(std::string(adj_last_error()).find("this CPU lacks it"), std::string::npos) << adj_last_error();
  }
  // The other architecture's tiers are not in this build: refused, and the table stays where it was.
#if defined(ADJOINT_HAVE_NEON)
  const adj_isa foreign[] = {ADJ_ISA_AVX2, ADJ_ISA_AVX512};
#else
  const adj_isa foreign[] = {ADJ_ISA_NEON};
#endif
  for (adj_isa isa : foreign) {
    EXPECT_EQ(adj_set_isa(isa), ADJ_ERR_UNSUPPORTED) << isa;
    const std::string err = adj_last_error();
    EXPECT_NE(err.find("adj_set_isa"), std::string::npos) << err;
    EXPECT_NE(err.find("not built for this architecture"), std::string::npos) << err;
    EXPECT_EQ(adj_cpu_isa(), ADJ_ISA_SCALAR);
  }
  EXPECT_EQ(adj_set_isa(static_cast<adj_isa>(4)), ADJ_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(adj_set_isa(static_cast<adj_isa>(-1)), ADJ_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(adj_set_isa(adj_max_isa()), ADJ_OK);
  EXPECT_EQ(adj_set_isa(saved), ADJ_OK);
  if (const char* env = std::getenv("ADJOINT_ISA")) {
    const std::string e = env;
    const adj::KernelTable* t = nullptr;
    for (const adj::KernelTable* r : runnable_tiers())
      if (e == r->isa_name) t = r;
    if (t) EXPECT_EQ(saved, t->isa) << "ADJOINT_ISA=" << e << " was not honoured at load";
  }
}

// Which tiers a build carries follows its target: AVX2 + AVX-512 on x86-64, NEON on AArch64 (always
// runnable there: ASIMD is part of the base ISA), and build_info names them.
TEST(Api, TiersOfThisArchitecture) {
  const std::string info = adj_build_info();
#if defined(ADJOINT_HAVE_NEON)
  EXPECT_EQ(adj_max_isa(), ADJ_ISA_NEON);
  ASSERT_NE(adj::kernel_table(ADJ_ISA_NEON), nullptr);
  EXPECT_EQ(adj::kernel_table(ADJ_ISA_AVX2), nullptr);
  EXPECT_EQ(adj::kernel_table(ADJ_ISA_AVX512), nullptr);
  EXPECT_NE(info.find("tiers=scalar,neon"), std::string::npos) << info;
  EXPECT_EQ(runnable_tiers().size(), 2u);
#elif defined(ADJOINT_HAVE_X86_SIMD)
  EXPECT_LE(adj_max_isa(), ADJ_ISA_AVX512);
  EXPECT_NE(adj::kernel_table(ADJ_ISA_AVX2), nullptr);
  EXPECT_NE(adj::kernel_table(ADJ_ISA_AVX512), nullptr);
  EXPECT_NE(info.find("tiers=scalar,avx2,avx512"), std::string::npos) << info;
#endif
  EXPECT_EQ(adj::kernel_table(static_cast<adj_isa>(4)), nullptr);
  std::string names;
  for (const adj::KernelTable* t : runnable_tiers()) names += std::string(names.empty() ? "" : ",") + t->isa_name;
  std::printf("[ tiers ] runnable here: %s\n", names.c_str());
}

TEST(Api, ThreadCount) {
  const int32_t saved = adj_get_num_threads();
  EXPECT_EQ(adj_set_num_threads(0), ADJ_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(adj_set_num_threads(3), ADJ_OK);
  EXPECT_EQ(adj_get_num_threads(), 3);
  adj_set_num_threads(saved);
}

TEST(Api, LastErrorIsThreadLocal) {
  EXPECT_EQ(adj_unary(ADJ_UNARY_EXP, ADJ_F32, -1, nullptr, nullptr), ADJ_ERR_INVALID_ARGUMENT);
  const std::string mine = adj_last_error();
  EXPECT_NE(mine.find("n=-1"), std::string::npos) << mine;
  std::string other;
  std::thread([&] {
    other = adj_last_error();
    adj_fill(static_cast<adj_dtype>(9), 1, 0, nullptr);
  }).join();
  EXPECT_EQ(other, "");
  EXPECT_EQ(std::string(adj_last_error()), mine);
}

TEST(Api, ValidationErrors) {
  float x[8] = {0}, y[8] = {0};
  int64_t shape[2] = {2, 2}, st[2] = {2, 1}, neg[2] = {2, -1};
  struct Case {
    adj_status got, want;
    const char* needle;
  };
  const Case cases[] = {
      {adj_gemm(ADJ_F32, 0, 0, 2, 2, 3, 1, x, 2, y, 2, 0, y, 2), ADJ_ERR_INVALID_ARGUMENT, "lda=2 is smaller than k=3 for a non-transposed A"},
      {adj_gemm(ADJ_F32, 0, 1, 2, 2, 2, 1, x, 2, y, 1, 0, y, 2), ADJ_ERR_INVALID_ARGUMENT, "ldb=1"},
      {adj_gemm(ADJ_F32, 2, 0, 1, 1, 1, 1, x, 1, y, 1, 0, y, 1), ADJ_ERR_INVALID_ARGUMENT, "trans_a=2"},
      {adj_gemm(ADJ_F32, 0, 0, -1, 1, 1, 1, x, 1, y, 1, 0, y, 1), ADJ_ERR_INVALID_ARGUMENT, "m=-1"},
      {adj_gemm(ADJ_F32, 0, 0, 1, 1, 1, 1, nullptr, 1, y, 1, 0, x, 1), ADJ_ERR_NULL_POINTER, "a is NULL"},
      {adj_gemm(ADJ_F32, 0, 0, 2, 2, 2, 1, x, 2, y, 2, 0, x, 2), ADJ_ERR_INVALID_ARGUMENT, "overlaps"},
      {adj_gemm(static_cast<adj_dtype>(5), 0, 0, 1, 1, 1, 1, x, 1, y, 1, 0, y, 1), ADJ_ERR_INVALID_ARGUMENT, "dtype=5"},
      {adj_unary(static_cast<adj_unary_op>(99), ADJ_F32, 1, x, y), ADJ_ERR_INVALID_ARGUMENT, "op=99"},
      {adj_unary(ADJ_UNARY_EXP, ADJ_F32, 4, x, x + 1), ADJ_ERR_INVALID_ARGUMENT, "partially overlaps"},
      {adj_unary(ADJ_UNARY_EXP, ADJ_F32, 1, nullptr, y), ADJ_ERR_NULL_POINTER, "x is NULL"},
      {adj_unary_backward(ADJ_UNARY_LOG, ADJ_F32, 2, nullptr, nullptr, x, y), ADJ_ERR_NULL_POINTER, "x is NULL"},
      {adj_unary_backward(ADJ_UNARY_TANH, ADJ_F32, 2, nullptr, nullptr, x, y), ADJ_ERR_NULL_POINTER, "y is NULL"},
      {adj_binary(ADJ_BINARY_ADD, ADJ_F32, 17, shape, x, st, y, st, y, st), ADJ_ERR_INVALID_ARGUMENT, "ndim=17"},
      {adj_binary(ADJ_BINARY_ADD, ADJ_F32, -1, shape, x, st, y, st, y, st), ADJ_ERR_INVALID_ARGUMENT, "ndim=-1"},
      {adj_binary(ADJ_BINARY_ADD, ADJ_F32, 2, shape, x, nullptr, y, st, y, st), ADJ_ERR_NULL_POINTER, "a_strides"},
      {adj_binary(ADJ_BINARY_ADD, ADJ_F32, 2, shape, x, st, y, st, x + 1, st), ADJ_ERR_INVALID_ARGUMENT, "overlaps"},
      {adj_binary(static_cast<adj_binary_op>(7), ADJ_F32, 2, shape, x, st, y, st, y, st), ADJ_ERR_INVALID_ARGUMENT, "op=7"},
      {adj_reduce(ADJ_REDUCE_SUM, ADJ_F32, 2, shape, x, st, 4, y, nullptr), ADJ_ERR_INVALID_ARGUMENT, "axes_mask"},
      {adj_reduce(ADJ_REDUCE_MAX, ADJ_F32, 2, neg, x, st, 1, y, nullptr), ADJ_ERR_INVALID_ARGUMENT, "shape[1]=-1"},
      {adj_row_op(ADJ_ROW_SOFTMAX, ADJ_F32, -2, 2, x, y), ADJ_ERR_INVALID_ARGUMENT, "rows=-2"},
      {adj_row_op(static_cast<adj_row_op_kind>(3), ADJ_F32, 1, 1, x, y), ADJ_ERR_INVALID_ARGUMENT, "op=3"},
      {adj_row_op_backward(ADJ_ROW_LOGSUMEXP, ADJ_F32, 1, 2, nullptr, y, y, x), ADJ_ERR_NULL_POINTER, "x is NULL"},
      {adj_fill(ADJ_F64, 3, 1.0, nullptr), ADJ_ERR_NULL_POINTER, "adj_fill: y is NULL"},
      {adj_cast(ADJ_F32, x, ADJ_F64, x, 2), ADJ_ERR_INVALID_ARGUMENT, "overlaps"},
      {adj_copy_strided(ADJ_F32, 2, shape, x, st, x, st), ADJ_ERR_INVALID_ARGUMENT, "overlaps"},
  };
  int i = 0;
  for (const Case& c : cases) {
    EXPECT_EQ(c.got, c.want) << "case " << i;
    ++i;
  }
  // Messages are recorded per failure; re-run each to read its own text.
  EXPECT_EQ(adj_gemm(ADJ_F32, 0, 0, 2, 2, 3, 1, x, 2, y, 2, 0, y, 2), ADJ_ERR_INVALID_ARGUMENT);
  EXPECT_STREQ(adj_last_error(), "adj_gemm: lda=2 is smaller than k=3 for a non-transposed A");
  EXPECT_EQ(adj_reduce(ADJ_REDUCE_MAX, ADJ_F32, 2, shape, x, st, 1, y, nullptr), ADJ_OK);
  int64_t empty[2] = {0, 3};
  EXPECT_EQ(adj_reduce(ADJ_REDUCE_MAX, ADJ_F32, 2, empty, x, st, 1, y, nullptr), ADJ_ERR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(adj_last_error()).find("adj_reduce"), std::string::npos);
  float s[3] = {5, 5, 5};
  EXPECT_EQ(adj_reduce(ADJ_REDUCE_SUM, ADJ_F32, 2, empty, nullptr, st, 1, s, nullptr), ADJ_OK);
  EXPECT_EQ(s[0], 0.0f);
  for (const Case& c : cases) (void)c;
}

namespace {

std::vector<int64_t> contiguous_strides(const std::vector<int64_t>& shape) {
  std::vector<int64_t> s(shape.size(), 1);
  for (int d = static_cast<int>(shape.size()) - 2; d >= 0; --d) s[d] = s[d + 1] * shape[d + 1];
  return s;
}

template <class T> void binary_broadcast() {
  std::mt19937_64 rng(3);
  for_each_isa([&](adj_isa) {
    for (int op = 0; op < ADJ_BINARY_OP_COUNT; ++op) {
      const std::vector<int64_t> shape = {3, 4, 37};
      // a: full but transposed-strided view of a [37,4,3] buffer; b: broadcast over the middle axis.
      std::vector<T> abuf = random_values<T>(rng, 3 * 4 * 37, 3.0), bbuf = random_values<T>(rng, 3 * 37, 3.0);
      const int64_t as[3] = {1, 3, 12}, bs[3] = {37, 0, 1};
      std::vector<T> out(3 * 4 * 37);
      const std::vector<int64_t> os = contiguous_strides(shape);
      ASSERT_EQ(adj_binary(static_cast<adj_binary_op>(op), sizeof(T) == 4 ? ADJ_F32 : ADJ_F64, 3, shape.data(),
                           abuf.data(), as, bbuf.data(), bs, out.data(), os.data()),
                ADJ_OK);
      for (int64_t i = 0; i < 3; ++i)
        for (int64_t j = 0; j < 4; ++j)
          for (int64_t k = 0; k < 37; ++k) {
            T want;
            const T a = abuf[i * as[0] + j * as[1] + k * as[2]], b = bbuf[i * bs[0] + k * bs[2]];
            switch (op) {
              case 0: want = adj::binary_scalar<0>(a, b); break;
              case 1: want = adj::binary_scalar<1>(a, b); break;
              case 2: want = adj::binary_scalar<2>(a, b); break;
              case 3: want = adj::binary_scalar<3>(a, b); break;
              case 4: want = adj::binary_scalar<4>(a, b); break;
              case 5: want = adj::binary_scalar<5>(a, b); break;
              default: want = adj::binary_scalar<6>(a, b); break;
            }
            ASSERT_TRUE(close(out[(i * 4 + j) * 37 + k], want, 0.0)) << "op=" << op;
          }
    }
    // scalar broadcast (ndim 0) and an in-place op
    T a = 2, b = 3, o = 0;
    ASSERT_EQ(adj_binary(ADJ_BINARY_MUL, sizeof(T) == 4 ? ADJ_F32 : ADJ_F64, 0, nullptr, &a, nullptr, &b, nullptr, &o, nullptr), ADJ_OK);
    EXPECT_EQ(o, T(6));
  });
}

template <class T> void reduce_all_subsets() {
  std::mt19937_64 rng(11);
  const adj_dtype dt = sizeof(T) == 4 ? ADJ_F32 : ADJ_F64;
  for_each_isa([&](adj_isa) {
    for (int nd : {3, 4}) {
      std::vector<int64_t> shape = nd == 3 ? std::vector<int64_t>{3, 5, 19} : std::vector<int64_t>{2, 3, 4, 21};
      int64_t total = 1;
      for (auto s : shape) total *= s;
      // strided input: every other element of a buffer twice as large, last axis reversed
      std::vector<T> buf = random_values<T>(rng, 2 * total, 10.0, false, false);
      for (int64_t i = 0; i < 2 * total; i += 7) buf[i] = buf[(i + 2) % (2 * total)];  // ties
      std::vector<int64_t> st = contiguous_strides(shape);
      for (auto& s : st) s *= 2;
      st[nd - 1] = -2;
      const T* x = buf.data() + 2 * (shape[nd - 1] - 1);
      for (uint64_t mask = 0; mask < (1u << nd); ++mask) {
        for (int op = 0; op < 3; ++op) {
          int64_t out_count = 1, red = 1;
          for (int d = 0; d < nd; ++d) ((mask >> d) & 1 ? red : out_count) *= shape[d];
          std::vector<T> y(out_count);
          std::vector<int64_t> idx(out_count, -1);
          ASSERT_EQ(adj_reduce(static_cast<adj_reduce_op>(op), dt, nd, shape.data(), x, st.data(), mask, y.data(), idx.data()), ADJ_OK);
          // naive: walk every element in row-major order
          std::vector<double> acc(out_count, op == 0 ? 0.0 : NAN);
          std::vector<int64_t> at(out_count, -1);
          std::vector<int64_t> id(nd, 0);
          for (int64_t e = 0; e < total; ++e) {
            int64_t off = 0, o = 0, r = 0;
            for (int d = 0; d < nd; ++d) {
              off += id[d] * st[d];
              if ((mask >> d) & 1) r = r * shape[d] + id[d];
              else o = o * shape[d] + id[d];
            }
            const double v = x[off];
            if (op == 0) acc[o] += v;
            else if (at[o] < 0 || (op == 1 ? v > acc[o] : v < acc[o])) {
              acc[o] = v;
              at[o] = r;
            }
            for (int d = nd - 1; d >= 0; --d) {
              if (++id[d] < shape[d]) break;
              id[d] = 0;
            }
          }
          for (int64_t o = 0; o < out_count; ++o) {
            if (op == 0) ASSERT_NEAR(y[o], acc[o], 1e-4 * red) << "mask=" << mask;
            else {
              ASSERT_EQ(static_cast<double>(y[o]), static_cast<double>(static_cast<T>(acc[o]))) << "mask=" << mask << " op=" << op;
              ASSERT_EQ(idx[o], at[o]) << "mask=" << mask << " op=" << op << " o=" << o;
            }
          }
        }
      }
    }
    // NaN propagates with the index of the first NaN
    T v[6] = {1, NAN, 5, NAN, 9, 0};
    int64_t shape[1] = {6}, st[1] = {1}, index = -1;
    T out = 0;
    ASSERT_EQ(adj_reduce(ADJ_REDUCE_MAX, dt, 1, shape, v, st, 1, &out, &index), ADJ_OK);
    EXPECT_TRUE(std::isnan(out));
    EXPECT_EQ(index, 1);
  });
}

template <class T> void row_ops_vs_formulas() {
  std::mt19937_64 rng(17);
  const adj_dtype dt = sizeof(T) == 4 ? ADJ_F32 : ADJ_F64;
  const double tol = sizeof(T) == 4 ? 3e-6 : 1e-13;
  for_each_isa([&](adj_isa) {
    const int64_t rows = 4, cols = 29;
    std::vector<T> x = random_values<T>(rng, rows * cols, 6.0, false, false), gy = random_values<T>(rng, rows * cols, 2.0, false, false);
    for (int op = 0; op < 3; ++op) {
      const int64_t yc = op == 2 ? rows : rows * cols;
      std::vector<T> y(yc), gx(rows * cols);
      ASSERT_EQ(adj_row_op(static_cast<adj_row_op_kind>(op), dt, rows, cols, x.data(), y.data()), ADJ_OK);
      ASSERT_EQ(adj_row_op_backward(static_cast<adj_row_op_kind>(op), dt, rows, cols, x.data(), y.data(), gy.data(), gx.data()), ADJ_OK);
      for (int64_t i = 0; i < rows; ++i) {
        double m = -INFINITY, s = 0;
        for (int64_t j = 0; j < cols; ++j) m = std::max(m, (double)x[i * cols + j]);
        for (int64_t j = 0; j < cols; ++j) s += std::exp((double)x[i * cols + j] - m);
        const double lse = m + std::log(s);
        double dot = 0, gsum = 0;
        for (int64_t j = 0; j < cols; ++j) {
          const double p = std::exp((double)x[i * cols + j] - lse);
          dot += (double)gy[i * cols + j] * p;
          gsum += gy[i * cols + j];
        }
        if (op == 2) ASSERT_NEAR(y[i], lse, tol * (1 + std::fabs(lse)));
        for (int64_t j = 0; j < cols; ++j) {
          const double xv = x[i * cols + j], p = std::exp(xv - lse), g = gy[i * cols + j];
          if (op == 0) {
            ASSERT_NEAR(y[i * cols + j], p, tol);
            ASSERT_NEAR(gx[i * cols + j], p * (g - dot), tol * 10);
          } else if (op == 1) {
            ASSERT_NEAR(y[i * cols + j], xv - lse, tol * (1 + std::fabs(xv - lse)));
            ASSERT_NEAR(gx[i * cols + j], g - p * gsum, tol * 10 * (1 + std::fabs(gsum)));
          } else {
            ASSERT_NEAR(gx[i * cols + j], gy[i] * p, tol * 10);
          }
        }
      }
      // in place forward
      if (op != 2) {
        std::vector<T> z = x;
        ASSERT_EQ(adj_row_op(static_cast<adj_row_op_kind>(op), dt, rows, cols, z.data(), z.data()), ADJ_OK);
        for (int64_t i = 0; i < rows * cols; ++i) ASSERT_EQ(z[i], y[i]);
      }
    }
    T lse = 0;
    ASSERT_EQ(adj_row_op(ADJ_ROW_LOGSUMEXP, dt, 1, 0, nullptr, &lse), ADJ_OK);
    EXPECT_TRUE(std::isinf(lse) && lse < 0);
  });
}

}  // namespace

TEST(ApiBinary, f32_broadcast_and_strides) { binary_broadcast<float>(); }
TEST(ApiBinary, f64_broadcast_and_strides) { binary_broadcast<double>(); }
TEST(ApiReduce, f32_every_axes_subset) { reduce_all_subsets<float>(); }
TEST(ApiReduce, f64_every_axes_subset) { reduce_all_subsets<double>(); }
TEST(ApiRowOps, f32_vs_double_formulas) { row_ops_vs_formulas<float>(); }
TEST(ApiRowOps, f64_vs_double_formulas) { row_ops_vs_formulas<double>(); }

TEST(ApiMemory, CopyStridedCastFill) {
  for_each_isa([](adj_isa) {
    // transpose a 3x5 matrix through strides, then make it contiguous
    double src[15], dst[15];
    for (int i = 0; i < 15; ++i) src[i] = i;
    const int64_t shape[2] = {5, 3}, ss[2] = {1, 5}, ds[2] = {3, 1};
    ASSERT_EQ(adj_copy_strided(ADJ_F64, 2, shape, src, ss, dst, ds), ADJ_OK);
    for (int r = 0; r < 5; ++r)
      for (int c = 0; c < 3; ++c) EXPECT_EQ(dst[r * 3 + c], src[c * 5 + r]);
    float f[5] = {1.5f, -0.0f, INFINITY, NAN, 1e-45f};
    double d[5];
    float back[5];
    ASSERT_EQ(adj_cast(ADJ_F32, f, ADJ_F64, d, 5), ADJ_OK);
    ASSERT_EQ(adj_cast(ADJ_F64, d, ADJ_F32, back, 5), ADJ_OK);
    EXPECT_EQ(d[0], 1.5);
    EXPECT_TRUE(std::signbit(d[1]));
    EXPECT_TRUE(std::isnan(back[3]));
    EXPECT_EQ(back[4], 1e-45f);
    double r = 0.1;
    float rf;
    ASSERT_EQ(adj_cast(ADJ_F64, &r, ADJ_F32, &rf, 1), ADJ_OK);
    EXPECT_EQ(rf, 0.1f);
    float fill[37];
    ASSERT_EQ(adj_fill(ADJ_F32, 37, -2.0, fill), ADJ_OK);
    for (float v : fill) EXPECT_EQ(v, -2.0f);
  });
}

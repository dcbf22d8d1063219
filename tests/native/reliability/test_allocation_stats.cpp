// adj_allocation_stats: the scratch the library keeps per thread is counted when allocated, stays stable
// across repeated calls of the same size, and is returned when the thread that owns it ends.
#include <adjoint/adjoint.h>
#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace {

struct Stats {
  int64_t bytes = -1, blocks = -1;
};
Stats stats() {
  Stats s;
  EXPECT_EQ(adj_allocation_stats(&s.bytes, &s.blocks), ADJ_OK);
  return s;
}

// A GEMM large enough to pack its operands (the library skips packing below 24^3).
void packed_gemm(int64_t n) {
  std::vector<double> a(n * n, 0.5), b(n * n, 0.25), c(n * n, 0.0);
  ASSERT_EQ(adj_gemm(ADJ_F64, 0, 0, n, n, n, 1.0, a.data(), n, b.data(), n, 0.0, c.data(), n), ADJ_OK)
      << adj_last_error();
  EXPECT_DOUBLE_EQ(c[0], 0.125 * static_cast<double>(n));
}

}  // namespace

TEST(AllocationStats, NullPointersAreAllowed) {
  EXPECT_EQ(adj_allocation_stats(nullptr, nullptr), ADJ_OK);
  int64_t bytes = -1;
  EXPECT_EQ(adj_allocation_stats(&bytes, nullptr), ADJ_OK);
  EXPECT_GE(bytes, 0);
}

TEST(AllocationStats, ScratchIsCountedReusedAndFreedWithItsThread) {
  const int32_t saved = adj_get_num_threads();
  ASSERT_EQ(adj_set_num_threads(1), ADJ_OK);  // all packing on the worker thread below
  const Stats before = stats();
  Stats during, again;
  std::thread worker([&] {
    packed_gemm(96);
    during = stats();
    packed_gemm(96);
    again = stats();
  });
  worker.join();
  const Stats after = stats();
  ASSERT_EQ(adj_set_num_threads(saved), ADJ_OK);

  if (adj_cpu_isa() == ADJ_ISA_SCALAR) {
    // The scalar reference GEMM multiplies in place and packs nothing: no scratch at all.
    EXPECT_EQ(during.bytes, before.bytes) << "the scalar reference GEMM allocates no scratch";
    EXPECT_EQ(during.blocks, before.blocks);
  } else {
    EXPECT_GT(during.bytes, before.bytes) << "a packed GEMM allocates scratch";
    EXPECT_GT(during.blocks, before.blocks);
  }
  EXPECT_EQ(again.bytes, during.bytes) << "the same size again reuses the thread's scratch";
  EXPECT_EQ(again.blocks, during.blocks);
  EXPECT_EQ(after.bytes, before.bytes) << "the scratch is freed when its thread ends";
  EXPECT_EQ(after.blocks, before.blocks);
}

TEST(AllocationStats, ElementwiseCallsAllocateNothing) {
  const Stats before = stats();
  std::vector<float> x(100000, 1.5f), y(100000);
  for (int i = 0; i < 20; ++i) ASSERT_EQ(adj_unary(ADJ_UNARY_TANH, ADJ_F32, 100000, x.data(), y.data()), ADJ_OK);
  ASSERT_EQ(adj_binary(ADJ_BINARY_ADD, ADJ_F32, 1, std::vector<int64_t>{100000}.data(), x.data(),
                       std::vector<int64_t>{1}.data(), y.data(), std::vector<int64_t>{1}.data(), y.data(),
                       std::vector<int64_t>{1}.data()),
            ADJ_OK);
  const Stats after = stats();
  EXPECT_EQ(after.bytes, before.bytes);
  EXPECT_EQ(after.blocks, before.blocks);
}

/* One square float32 GEMM (C = A·B, n x n) called back to back from C, with no Python between the calls: the
 * library's own rate at a thread count, for scaling checks (torch_peer.py's per-call ctypes cost is about 2 us).
 *
 *     gcc -O2 benchmarks/peers/gemm_rate.c -o /tmp/gemm_rate -Lartifacts/native/linux-x64 -ladjoint_kernels \
 *         -Wl,-rpath,$PWD/artifacts/native/linux-x64
 *     ADJOINT_NUM_THREADS=1 /tmp/gemm_rate 512 300; ADJOINT_NUM_THREADS=2 /tmp/gemm_rate 512 300
 *
 * Prints five batches of `reps` calls: microseconds per call and GFLOP/s. Used for the 2-thread scaling figure
 * in docs/PERFORMANCE.md ("sgemm, round 6"). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

int adj_gemm(int dtype, int trans_a, int trans_b, int64_t m, int64_t n, int64_t k, double alpha, const void* a,
             int64_t lda, const void* b, int64_t ldb, double beta, void* c, int64_t ldc);

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + 1e-9 * t.tv_nsec;
}

int main(int argc, char** argv) {
  const int n = argc > 1 ? atoi(argv[1]) : 512, reps = argc > 2 ? atoi(argv[2]) : 300;
  if (n <= 0 || reps <= 0) {
    fprintf(stderr, "usage: %s [n] [reps]\n", argv[0]);
    return 2;
  }
  const size_t bytes = ((size_t)n * n * sizeof(float) + 63) / 64 * 64;
  float *a = aligned_alloc(64, bytes), *b = aligned_alloc(64, bytes), *c = aligned_alloc(64, bytes);
  if (!a || !b || !c) return 1;
  for (long i = 0; i < (long)n * n; ++i) a[i] = (float)(i % 7) * 0.1f, b[i] = (float)(i % 5) * 0.2f, c[i] = 0;
  for (int r = 0; r < 5; ++r) {
    const double t0 = now();
    for (int i = 0; i < reps; ++i)
      if (adj_gemm(0, 0, 0, n, n, n, 1.0, a, n, b, n, 0.0, c, n) != 0) return 1;
    const double per = (now() - t0) / reps;
    printf("%d^3: %.2f us, %.1f GFLOP/s\n", n, per * 1e6, 2.0 * n * n * n / per / 1e9);
  }
  return 0;
}

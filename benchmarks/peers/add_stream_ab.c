/* Two builds of libadjoint_kernels on a 4M-float add (streaming stores), with a plain one-vector streaming loop
 * and a regular-store loop as yardsticks, in one process.
 *
 *     gcc -O2 -mavx512f benchmarks/peers/add_stream_ab.c -o /tmp/add_stream_ab -ldl
 *     ADJOINT_NUM_THREADS=1 /tmp/add_stream_ab /tmp/before.so /tmp/after.so
 *
 * Each of 4 rounds runs 10 calls of: the one-vector loop, the first library's adj_binary add, the second's, then
 * the regular-store loop (which leaves the output dirty in cache, so the first timed column of the next round is
 * the yardstick, not a library). Printed per round: microseconds per call. Used for the grouped streaming stores
 * in docs/PERFORMANCE.md ("What the kernels do"); the ratio quoted there is first / second over rounds. */
#include <dlfcn.h>
#include <immintrin.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

typedef int (*binary_fn)(int, int, int, const int64_t*, const void*, const int64_t*, const void*, const int64_t*,
                         void*, const int64_t*);

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + 1e-9 * t.tv_nsec;
}
static void stream_one(const float* a, const float* b, float* o, long n) {
  for (long i = 0; i < n; i += 16) _mm512_stream_ps(o + i, _mm512_add_ps(_mm512_load_ps(a + i), _mm512_load_ps(b + i)));
  _mm_sfence();
}
static void store_one(const float* a, const float* b, float* o, long n) {
  for (long i = 0; i < n; i += 16) _mm512_store_ps(o + i, _mm512_add_ps(_mm512_load_ps(a + i), _mm512_load_ps(b + i)));
}

int main(int argc, char** argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s FIRST.so SECOND.so\n", argv[0]);
    return 2;
  }
  binary_fn f[2];
  for (int l = 0; l < 2; ++l) {
    void* h = dlopen(argv[1 + l], RTLD_NOW | RTLD_LOCAL);
    if (!h || !(f[l] = (binary_fn)dlsym(h, "adj_binary"))) {
      fprintf(stderr, "cannot load adj_binary from %s\n", argv[1 + l]);
      return 1;
    }
  }
  const long n = 4L << 20;
  float *a = aligned_alloc(64, n * 4), *b = aligned_alloc(64, n * 4), *o = aligned_alloc(64, n * 4);
  for (long i = 0; i < n; ++i) a[i] = i * 0.5f, b[i] = 1, o[i] = 0;
  const int64_t shape[1] = {n}, st[1] = {1};
  for (int r = 0; r < 4; ++r) {
    double t[4] = {0};
    for (int k = 0; k < 10; ++k) { double s = now(); stream_one(a, b, o, n); t[0] += now() - s; }
    for (int k = 0; k < 10; ++k) { double s = now(); f[0](0, 0, 1, shape, a, st, b, st, o, st); t[1] += now() - s; }
    for (int k = 0; k < 10; ++k) { double s = now(); f[1](0, 0, 1, shape, a, st, b, st, o, st); t[2] += now() - s; }
    for (int k = 0; k < 10; ++k) { double s = now(); store_one(a, b, o, n); t[3] += now() - s; }
    printf("one-vector stream %.0f  first %.0f  second %.0f  regular stores %.0f us\n", t[0] * 1e5, t[1] * 1e5,
           t[2] * 1e5, t[3] * 1e5);
  }
  return 0;
}

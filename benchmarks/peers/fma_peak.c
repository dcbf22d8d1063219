/* FP32 FMA peak probe for torch_peer.py: the rate this machine's cores deliver right now.
 *
 * The VM's neighbours move the machine's speed by tens of percent from minute to minute, so "% of the
 * nominal 170 GFLOP/s" mixes a kernel's efficiency with the load of the moment. torch_peer.py compiles
 * this file on the fly (gcc -O2 -mavx512f -mfma -pthread -shared) and runs it between the GEMM batches of
 * every round, so each case can also be divided by the peak measured in the same rounds.
 *
 * One thread runs 16 independent chains of 512-bit FMAs (4 cycles latency x 2 FMA ports needs 8 in
 * flight; 16 leaves room), nothing else in the loop but the counter: 32 FLOP per FMA, 16 FMAs per step.
 * The FMAs are the same 512-bit ones the GEMM microkernel issues, so any AVX-512 frequency drop applies
 * to both. With threads > 1 the extra threads are started per call (tens of microseconds against a
 * batch of tens of milliseconds) and every thread runs `steps` steps; the caller times the whole call.
 */
#include <immintrin.h>
#include <pthread.h>
#include <stdint.h>

#define CHAINS 16

/* Every result lands here, so no chain is dead code. */
volatile float fma_peak_sink;

struct chain_args {
  int64_t steps;
  float x, y, out;
};

static void* chains(void* p) {
  struct chain_args* a = (struct chain_args*)p;
  const __m512 x = _mm512_set1_ps(a->x), y = _mm512_set1_ps(a->y);
  __m512 acc[CHAINS];
  for (int i = 0; i < CHAINS; ++i) acc[i] = _mm512_set1_ps((float)i);
  for (int64_t s = 0; s < a->steps; ++s) {
#pragma GCC unroll 16
    for (int i = 0; i < CHAINS; ++i) acc[i] = _mm512_fmadd_ps(acc[i], x, y);
  }
  __m512 s = acc[0];
  for (int i = 1; i < CHAINS; ++i) s = _mm512_add_ps(s, acc[i]);
  a->out = _mm512_reduce_add_ps(s);
  return 0;
}

/* FLOPs done: threads x steps x CHAINS x 32. x and y come from the caller so nothing folds. */
double fma_peak_run(int threads, int64_t steps, float x, float y) {
  struct chain_args args[64];
  pthread_t tid[64];
  int started[64] = {0};
  if (threads < 1) threads = 1;
  if (threads > 64) threads = 64;
  for (int t = 0; t < threads; ++t) {
    args[t].steps = steps;
    args[t].x = x;
    args[t].y = y;
  }
  for (int t = 1; t < threads; ++t) started[t] = pthread_create(&tid[t], 0, chains, &args[t]) == 0;
  chains(&args[0]);
  fma_peak_sink = args[0].out;
  double flops = (double)steps * CHAINS * 32.0;
  for (int t = 1; t < threads; ++t)
    if (started[t]) {
      pthread_join(tid[t], 0);
      fma_peak_sink = args[t].out;
      flops += (double)steps * CHAINS * 32.0;
    }
  return flops;
}

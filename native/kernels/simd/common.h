// Pieces every SIMD kernel file shares. Include after vec_<isa>.h; all definitions land in adj::<isa>.
#pragma once
#include "kernels/simd/math.h"
#include "src/kernels.h"

namespace adj {
namespace ADJ_ISA_NS {

// out[i .. i+N) = f(i, N) over [0, n), vector by vector; f(i, count) with count < N is a tail (masked loads).
// `arrays` counts the n-element arrays the call moves (inputs read + the output). When they add up to at
// least g_stream_min_bytes the output is written with non-temporal stores after a masked head that aligns it.
template <class T, class F> ADJ_I void map_out(int64_t n, int arrays, T* out, F f) {
  using V = vec_t<T>;
  constexpr int N = V::N;
  int64_t i = 0;
  if (n * static_cast<int64_t>(sizeof(T)) * arrays >= g_stream_min_bytes) {
    const auto mis = reinterpret_cast<uintptr_t>(out) % sizeof(V);
    const int64_t head = mis ? static_cast<int64_t>((sizeof(V) - mis) / sizeof(T)) : 0;
    if (head > 0) {
      i = head < n ? head : n;
      if (i > 0) storen(out, f(int64_t(0), i), i);
    }
    // Four vectors computed, then four streamed: with the loads grouped ahead of the non-temporal
    // stores, a 4M-float add ran faster than with one load-load-store step at a time
    // (benchmarks/peers/add_stream_ab.c, 17 rounds of 10 calls: 0.94-1.72x, median 1.17x, load 0.5-1.1).
    for (; i + 4 * N <= n; i += 4 * N) {
      const V r0 = f(i, int64_t(N)), r1 = f(i + N, int64_t(N)), r2 = f(i + 2 * N, int64_t(N)), r3 = f(i + 3 * N, int64_t(N));
      stream(out + i, r0);
      stream(out + i + N, r1);
      stream(out + i + 2 * N, r2);
      stream(out + i + 3 * N, r3);
    }
    for (; i + N <= n; i += N) stream(out + i, f(i, int64_t(N)));
    stream_fence();
  } else {
    for (; i + N <= n; i += N) store(out + i, f(i, int64_t(N)));
  }
  if (i < n) storen(out + i, f(i, n - i), n - i);
}

// N elements from p, or the first count of them (the rest zero) for a tail.
template <class T> ADJ_I vec_t<T> load_count(const T* p, int64_t count) {
  return count == vec_t<T>::N ? load(p) : loadn(p, count);
}

// Stores the N lanes of x at p, or only the first count of them for a tail.
template <class T> ADJ_I void store_count(T* p, vec_t<T> x, int64_t count) {
  if (count == vec_t<T>::N) store(p, x);
  else storen(p, x, count);
}

// exp at the data's precision.
ADJ_I VD vexp_t(VD x) { return vexp(x); }
ADJ_I VF vexp_t(VF x) { return vexp(x); }  // float-native, see math.h

}  // namespace ADJ_ISA_NS
}  // namespace adj

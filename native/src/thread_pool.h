// The library's one thread pool and per-thread scratch memory. Plain declarations only: the per-ISA
// kernel files include this header, and (native/README.md, ODR rule) they may not instantiate any C++
// library template, so everything here is a non-inline function defined in baseline code.
#pragma once
#include <cstddef>
#include <cstdint>
#include <type_traits>

namespace adj {

// One unit of parallel work: fn(ctx, task) for a task index in [0, tasks).
using task_fn = void (*)(void* ctx, int64_t task);

// Threads a kernel may use now: adj_set_num_threads / ADJOINT_NUM_THREADS (>= 1).
int max_threads();

// One poll of a thread waiting on another (poll = 1, 2, ...): a pause, and every 32nd time a yield that
// gives the core to another runnable thread, if there is one: the waiter and the thread it waits for may
// share a core (Note [Yielding while waiting] in thread_pool.cpp). The pool's own waits use it too.
void wait_poll(int64_t poll);

// Runs fn(ctx, t) for every t in [0, tasks) on at most `threads` threads, the calling thread being one
// of them, and returns when all are done. Tasks are claimed dynamically, so their order is unspecified.
// Runs everything on the caller when threads <= 1, tasks <= 1, or another parallel region is already
// running (a nested call, or a second caller thread): there is one pool and it is never oversubscribed.
// fn must not throw.
void parallel_for(int64_t tasks, int threads, task_fn fn, void* ctx);

// A 64-byte aligned buffer of at least `bytes` owned by the calling thread, kept between calls (so GEMM
// packing does not pay malloc + page faults on every call) and freed when the thread ends.
// slot selects one of kScratchSlots independent buffers. Returns nullptr when memory is exhausted.
constexpr int kScratchSlots = 4;
void* thread_scratch(int slot, size_t bytes);

// Number of threads for `work` elements at `grain` elements per thread at least.
inline int threads_for(int64_t work, int64_t grain) {
  const int64_t cap = work / grain;
  const int t = max_threads();
  return cap < 1 ? 1 : (cap < t ? static_cast<int>(cap) : t);
}

// Runs body(begin, end) over [0, n) split into `threads` ranges whose ends are multiples of 64
// elements (whole cache lines for aligned data, so threads never share a line they write).
template <class F> void parallel_ranges(int64_t n, int threads, F&& body) {
  if (threads <= 1) {
    body(int64_t{0}, n);
    return;
  }
  struct Ctx {
    std::remove_reference_t<F>* body;
    int64_t n, parts;
  } ctx{&body, n, threads};
  parallel_for(threads, threads, [](void* p, int64_t t) {
    const Ctx& c = *static_cast<const Ctx*>(p);
    auto edge = [&](int64_t i) { return i == c.parts ? c.n : ((c.n * i / c.parts) & ~int64_t(63)); };
    const int64_t b = edge(t), e = edge(t + 1);
    if (e > b) (*c.body)(b, e);
  }, &ctx);
}

}  // namespace adj

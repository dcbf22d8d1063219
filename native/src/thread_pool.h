// The library's one thread pool and per-thread scratch memory. Plain declarations only: the per-ISA
// kernel files include this header, and (native/README.md, ODR rule) they may not instantiate any C++
// library template, so everything here is a non-inline function defined in baseline code.
#pragma once
#include <cstddef>
#include <cstdint>

namespace adj {

// One unit of parallel work: fn(ctx, task) for a task index in [0, tasks).
using task_fn = void (*)(void* ctx, int64_t task);

// Threads a kernel may use now: adj_set_num_threads / ADJOINT_NUM_THREADS (>= 1).
int max_threads();

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

}  // namespace adj

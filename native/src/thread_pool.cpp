// A small persistent pool: max_threads() - 1 workers, started on first use and never torn down (the
// process ends them), plus the calling thread. Workers spin briefly after a job so that back-to-back
// kernel calls (a training loop) do not pay a futex wake-up each, then sleep on a condition variable.
//
// Note [Claiming tasks]: one 64-bit word holds (generation << 32 | next task). A worker claims a task
// by CAS on that word, so it can only claim from the generation it read. The caller publishes a new
// job only after every task of the previous one has finished, i.e. when the old generation's counter
// is already >= its task count; a late worker that read stale job fields therefore never runs one.
#include "src/thread_pool.h"

#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <thread>
#include <vector>

#include "adjoint/adjoint.h"

#if defined(__x86_64__) || defined(_M_X64)
#  include <immintrin.h>
#  define ADJ_PAUSE() _mm_pause()
#else
#  define ADJ_PAUSE() std::this_thread::yield()
#endif

namespace adj {
namespace {

// About 50-100 us of polling (pause is ~100+ cycles on recent Intel cores) before a worker sleeps.
constexpr int kSpinRounds = 2000;
// Pauses between yields while a thread waits on another (Note [Yielding while waiting]).
constexpr int kPausePolls = 32;

class Pool {
 public:
  void run(int64_t tasks, int threads, task_fn fn, void* ctx) {
    std::unique_lock<std::mutex> region(region_, std::try_to_lock);
    if (!region.owns_lock()) {  // nested or concurrent: stay on this thread
      for (int64_t t = 0; t < tasks; ++t) fn(ctx, t);
      return;
    }
    int helpers = static_cast<int>((tasks < threads ? tasks : threads) - 1);
    helpers = grow(helpers);
    fn_.store(fn, std::memory_order_relaxed);
    ctx_.store(ctx, std::memory_order_relaxed);
    tasks_.store(tasks, std::memory_order_relaxed);
    helpers_.store(helpers, std::memory_order_relaxed);
    done_.store(0, std::memory_order_relaxed);
    const uint64_t gen = (work_.load(std::memory_order_relaxed) >> 32) + 1;
    work_.store(gen << 32, std::memory_order_release);
    {
      std::lock_guard<std::mutex> lk(wake_m_);
      wake_gen_.store(gen, std::memory_order_release);
    }
    wake_cv_.notify_all();
    const int64_t mine = drain(gen, fn, ctx, tasks);
    // Wait for the helpers' tasks; they are short-lived relative to a job, so poll.
    // Note [Yielding while waiting]: on this 2-core machine other processes often hold one core, and the
    // scheduler then puts the caller and a helper on the same core. A pure pause loop there burns the
    // time slice (milliseconds) the helper needs to finish; a yield hands it over at once and costs
    // about a microsecond when the core is not shared.
    for (int64_t polls = 1; done_.load(std::memory_order_acquire) + mine < tasks; ++polls) wait_poll(polls);
  }

 private:
  // Claims and runs tasks of generation gen until none is left; returns how many it ran.
  int64_t drain(uint64_t gen, task_fn fn, void* ctx, int64_t tasks) {
    int64_t ran = 0;
    uint64_t w = work_.load(std::memory_order_acquire);
    for (;;) {
      if ((w >> 32) != gen || static_cast<int64_t>(w & 0xFFFFFFFFu) >= tasks) return ran;
      if (!work_.compare_exchange_weak(w, w + 1, std::memory_order_acq_rel, std::memory_order_acquire)) continue;
      fn(ctx, static_cast<int64_t>(w & 0xFFFFFFFFu));
      ++ran;
      w = work_.load(std::memory_order_acquire);
    }
  }

  void worker(int index) {
    uint64_t seen = 0;
    for (;;) {
      for (int i = 1; i <= kSpinRounds && wake_gen_.load(std::memory_order_acquire) == seen; ++i) wait_poll(i);
      if (wake_gen_.load(std::memory_order_acquire) == seen) {
        std::unique_lock<std::mutex> lk(wake_m_);
        wake_cv_.wait(lk, [&] { return wake_gen_.load(std::memory_order_acquire) != seen; });
      }
      seen = wake_gen_.load(std::memory_order_acquire);
      if (index >= helpers_.load(std::memory_order_relaxed)) continue;  // this job wants fewer threads
      const int64_t ran = drain(seen, fn_.load(std::memory_order_relaxed), ctx_.load(std::memory_order_relaxed),
                                tasks_.load(std::memory_order_relaxed));
      if (ran) done_.fetch_add(ran, std::memory_order_acq_rel);
    }
  }

  // Starts workers up to `helpers`; returns how many exist (fewer if the OS refuses more threads).
  int grow(int helpers) {
    try {
      while (static_cast<int>(workers_.size()) < helpers) {
        const int index = static_cast<int>(workers_.size());
        workers_.emplace_back([this, index] { worker(index); });
        workers_.back().detach();
      }
    } catch (...) {
    }
    const int have = static_cast<int>(workers_.size());
    return have < helpers ? have : helpers;
  }

  std::mutex region_;
  std::vector<std::thread> workers_;
  std::atomic<uint64_t> work_{0};
  std::atomic<task_fn> fn_{nullptr};
  std::atomic<void*> ctx_{nullptr};
  std::atomic<int64_t> tasks_{0};
  std::atomic<int> helpers_{0};
  std::atomic<int64_t> done_{0};
  std::mutex wake_m_;
  std::condition_variable wake_cv_;
  std::atomic<uint64_t> wake_gen_{0};
};

// Never destroyed: detached workers may still be polling it while the process exits.
Pool& pool() {
  static Pool* p = new Pool;
  return *p;
}

// adj_allocation_stats: bytes (as requested from malloc) and blocks of every thread's scratch.
std::atomic<int64_t> g_scratch_bytes{0};
std::atomic<int64_t> g_scratch_blocks{0};

void count_scratch(int64_t bytes, int64_t blocks) {
  g_scratch_bytes.fetch_add(bytes, std::memory_order_relaxed);
  g_scratch_blocks.fetch_add(blocks, std::memory_order_relaxed);
}

struct Scratch {
  void* raw[kScratchSlots] = {};
  void* aligned[kScratchSlots] = {};
  size_t size[kScratchSlots] = {};
  ~Scratch() {
    for (int i = 0; i < kScratchSlots; ++i)
      if (raw[i]) {
        std::free(raw[i]);
        count_scratch(-static_cast<int64_t>(size[i] + 64), -1);
      }
  }
};
thread_local Scratch t_scratch;

}  // namespace

int max_threads() { return adj_get_num_threads(); }

void wait_poll(int64_t poll) {
  if (poll % kPausePolls == 0) std::this_thread::yield();
  else ADJ_PAUSE();
}

void parallel_for(int64_t tasks, int threads, task_fn fn, void* ctx) {
  if (tasks <= 0) return;
  if (threads <= 1 || tasks == 1) {
    for (int64_t t = 0; t < tasks; ++t) fn(ctx, t);
    return;
  }
  pool().run(tasks, threads, fn, ctx);
}

void* thread_scratch(int slot, size_t bytes) {
  Scratch& s = t_scratch;
  if (s.size[slot] < bytes) {
    if (s.raw[slot]) {
      std::free(s.raw[slot]);
      count_scratch(-static_cast<int64_t>(s.size[slot] + 64), -1);
    }
    s.raw[slot] = s.aligned[slot] = nullptr;
    s.size[slot] = 0;
    void* r = std::malloc(bytes + 64);
    if (!r) return nullptr;
    count_scratch(static_cast<int64_t>(bytes + 64), 1);
    s.raw[slot] = r;
    s.aligned[slot] = reinterpret_cast<void*>((reinterpret_cast<uintptr_t>(r) + 63) & ~uintptr_t(63));
    s.size[slot] = bytes;
  }
  return s.aligned[slot];
}

}  // namespace adj

extern "C" ADJ_API adj_status adj_allocation_stats(int64_t* live_bytes, int64_t* live_blocks) {
  if (live_bytes) *live_bytes = adj::g_scratch_bytes.load(std::memory_order_relaxed);
  if (live_blocks) *live_blocks = adj::g_scratch_blocks.load(std::memory_order_relaxed);
  return ADJ_OK;
}

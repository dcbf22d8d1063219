// Runtime dispatch: which kernel table the API uses. The CPU is probed once (x86: cpuid + xgetbv;
// AArch64 needs no probe, ASIMD is part of the base ISA), and ADJOINT_ISA / ADJOINT_NUM_THREADS are read
// once, the first time anything asks.
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <thread>

#include "src/errors.h"
#include "src/kernels.h"

#if defined(ADJOINT_HAVE_X86_SIMD)
#  if defined(_MSC_VER)
#    include <intrin.h>
#  else
#    include <cpuid.h>
#  endif
#endif

namespace adj {
namespace {

#define ADJ_SET_unary(dt, OP, name) t.dt.unary[ADJ_UNARY_##OP] = name; t.dt.unary_name[ADJ_UNARY_##OP] = #name;
#define ADJ_SET_unary_bwd(dt, OP, name) \
  t.dt.unary_bwd[ADJ_UNARY_##OP] = name; t.dt.unary_bwd_name[ADJ_UNARY_##OP] = #name;
#define ADJ_SET_binary(dt, OP, name) t.dt.binary[ADJ_BINARY_##OP] = name; t.dt.binary_name[ADJ_BINARY_##OP] = #name;
#define ADJ_SET_reduce(dt, OP, name) t.dt.reduce[ADJ_REDUCE_##OP] = name; t.dt.reduce_name[ADJ_REDUCE_##OP] = #name;
#define ADJ_SET_colsum(dt, OP, name) t.dt.colsum = name; t.dt.colsum_name = #name;
#define ADJ_SET_sgd(dt, OP, name) t.dt.sgd = name; t.dt.sgd_name = #name;
#define ADJ_SET_adam(dt, OP, name) t.dt.adam = name; t.dt.adam_name = #name;
#define ADJ_SET_row(dt, OP, name) t.dt.row[ADJ_ROW_##OP] = name; t.dt.row_name[ADJ_ROW_##OP] = #name;
#define ADJ_SET_row_bwd(dt, OP, name) t.dt.row_bwd[ADJ_ROW_##OP] = name; t.dt.row_bwd_name[ADJ_ROW_##OP] = #name;
#define ADJ_SET_fill(dt, OP, name) t.dt.fill = name; t.dt.fill_name = #name;
#define ADJ_SET_cast(dt, OP, name) t.dt.cast = name; t.dt.cast_name = #name;
#define ADJ_SET_gemm(dt, OP, name) t.dt.gemm = name; t.dt.gemm_name = #name;

#define ADJ_FILL_TIER(S)                                                \
  ADJ_FOR_EACH_DTYPE_FAMILY(ADJ_UNARY_KERNELS, ADJ_SET_unary, S)        \
  ADJ_FOR_EACH_DTYPE_FAMILY(ADJ_UNARY_BWD_KERNELS, ADJ_SET_unary_bwd, S) \
  ADJ_FOR_EACH_DTYPE_FAMILY(ADJ_BINARY_KERNELS, ADJ_SET_binary, S)      \
  ADJ_FOR_EACH_DTYPE_FAMILY(ADJ_REDUCE_KERNELS, ADJ_SET_reduce, S)      \
  ADJ_FOR_EACH_DTYPE_FAMILY(ADJ_COLSUM_KERNELS, ADJ_SET_colsum, S)      \
  ADJ_FOR_EACH_DTYPE_FAMILY(ADJ_SGD_KERNELS, ADJ_SET_sgd, S)            \
  ADJ_FOR_EACH_DTYPE_FAMILY(ADJ_ADAM_KERNELS, ADJ_SET_adam, S)          \
  ADJ_FOR_EACH_DTYPE_FAMILY(ADJ_ROW_KERNELS, ADJ_SET_row, S)            \
  ADJ_FOR_EACH_DTYPE_FAMILY(ADJ_ROW_BWD_KERNELS, ADJ_SET_row_bwd, S)    \
  ADJ_FOR_EACH_DTYPE_FAMILY(ADJ_FILL_KERNELS, ADJ_SET_fill, S)          \
  ADJ_FOR_EACH_DTYPE_FAMILY(ADJ_CAST_KERNELS, ADJ_SET_cast, S)

// One kernel table per tier: its name, enum value and every kernel family of the tier's suffix.
#define ADJ_MAKE_TIER(tier, ISA, NAME)      \
  KernelTable make_##tier() {               \
    KernelTable t{};                        \
    t.isa = ISA;                            \
    t.isa_name = NAME;                      \
    ADJ_FILL_TIER(__##tier)                 \
    ADJ_GEMM_KERNELS_##tier(ADJ_SET_gemm)   \
    return t;                               \
  }

ADJ_MAKE_TIER(ref, ADJ_ISA_SCALAR, "scalar")
#if defined(ADJOINT_HAVE_X86_SIMD)
ADJ_MAKE_TIER(avx2, ADJ_ISA_AVX2, "avx2")
ADJ_MAKE_TIER(avx512, ADJ_ISA_AVX512, "avx512")
#endif
#if defined(ADJOINT_HAVE_NEON)
ADJ_MAKE_TIER(neon, ADJ_ISA_NEON, "neon")
#endif

#if defined(ADJOINT_HAVE_X86_SIMD)
void cpuid(unsigned leaf, unsigned sub, unsigned r[4]) {
#  if defined(_MSC_VER)
  int v[4];
  __cpuidex(v, static_cast<int>(leaf), static_cast<int>(sub));
  for (int i = 0; i < 4; ++i) r[i] = static_cast<unsigned>(v[i]);
#  else
  __cpuid_count(leaf, sub, r[0], r[1], r[2], r[3]);
#  endif
}
uint64_t xgetbv0() {
#  if defined(_MSC_VER)
  return _xgetbv(0);
#  else
  unsigned lo, hi;
  __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  return (static_cast<uint64_t>(hi) << 32) | lo;
#  endif
}
#endif

// The CPU must have the instructions AND the OS must save the registers they use (XCR0), or the first
// context switch corrupts them.
adj_isa probe_cpu() {
#if defined(ADJOINT_HAVE_X86_SIMD)
  unsigned r[4];
  cpuid(0, 0, r);
  const unsigned max_leaf = r[0];
  cpuid(1, 0, r);
  const bool osxsave = (r[2] >> 27) & 1, avx = (r[2] >> 28) & 1, fma = (r[2] >> 12) & 1;
  if (!osxsave || !avx || !fma || max_leaf < 7) return ADJ_ISA_SCALAR;
  const uint64_t xcr0 = xgetbv0();
  const bool os_ymm = (xcr0 & 0x6) == 0x6;           // SSE + AVX state
  const bool os_zmm = (xcr0 & 0xE6) == 0xE6;         // + opmask, ZMM_Hi256, Hi16_ZMM
  cpuid(7, 0, r);
  const bool avx2 = (r[1] >> 5) & 1;
  const bool avx512f = (r[1] >> 16) & 1, avx512dq = (r[1] >> 17) & 1, avx512vl = (r[1] >> 31) & 1;
  if (!os_ymm || !avx2) return ADJ_ISA_SCALAR;
  if (os_zmm && avx512f && avx512dq && avx512vl) return ADJ_ISA_AVX512;
  return ADJ_ISA_AVX2;
#elif defined(ADJOINT_HAVE_NEON)
  return ADJ_ISA_NEON;  // ASIMD is mandatory on AArch64 (and the OS saves the V registers)
#else
  return ADJ_ISA_SCALAR;
#endif
}

constexpr int kIsaCount = 4;
const char* const kIsaNames[kIsaCount] = {"scalar", "avx2", "avx512", "neon"};

// Tier numbers order the x86 tiers (AVX-512 includes AVX2); NEON's number only names it. probe_cpu
// returns the best tier of this architecture, and only compiled tiers can be chosen.
struct Dispatch {
  KernelTable tables[kIsaCount];
  bool compiled[kIsaCount] = {false, false, false, false};
  adj_isa max_isa;
  std::atomic<int> current;
  std::atomic<int> threads;

  Dispatch() : current(0), threads(1) {
    tables[0] = make_ref();
    compiled[0] = true;
#if defined(ADJOINT_HAVE_X86_SIMD)
    tables[1] = make_avx2();
    tables[2] = make_avx512();
    compiled[1] = compiled[2] = true;
#endif
#if defined(ADJOINT_HAVE_NEON)
    tables[ADJ_ISA_NEON] = make_neon();
    compiled[ADJ_ISA_NEON] = true;
#endif
    max_isa = probe_cpu();
    while (!compiled[max_isa]) max_isa = static_cast<adj_isa>(max_isa - 1);
    int chosen = max_isa;
    if (const char* env = std::getenv("ADJOINT_ISA")) {
      // An unknown or unsupported request degrades to the best available tier rather than failing
      // at load: there is no caller to report to yet.
      for (int i = 0; i < kIsaCount; ++i)
        if (std::strcmp(env, kIsaNames[i]) == 0 && runnable(static_cast<adj_isa>(i))) chosen = i;
    }
    current.store(chosen);
    int n = static_cast<int>(std::thread::hardware_concurrency());
    if (n < 1) n = 1;
    if (const char* env = std::getenv("ADJOINT_NUM_THREADS")) {
      const long v = std::strtol(env, nullptr, 10);
      if (v >= 1 && v <= 4096) n = static_cast<int>(v);
    }
    threads.store(n);
  }

  // Compiled in, and this CPU has it: x86 tiers up to the probed one, or exactly the probed NEON tier.
  bool runnable(adj_isa isa) const {
    if (!compiled[isa]) return false;
    if (isa == ADJ_ISA_SCALAR || isa == max_isa) return true;
    return max_isa != ADJ_ISA_NEON && isa != ADJ_ISA_NEON && isa < max_isa;
  }
};

Dispatch& dispatch() {
  static Dispatch d;
  return d;
}

// Touch the dispatch state while the library loads so ADJOINT_ISA is read "at load".
const bool g_loaded = (dispatch(), true);

}  // namespace

const KernelTable* kernel_table(adj_isa isa) {
  if (isa < ADJ_ISA_SCALAR || isa >= kIsaCount) return nullptr;
  Dispatch& d = dispatch();
  return d.compiled[isa] ? &d.tables[isa] : nullptr;
}

const KernelTable& active_kernels() {
  Dispatch& d = dispatch();
  return d.tables[d.current.load(std::memory_order_relaxed)];
}

}  // namespace adj

using namespace adj;

extern "C" {

ADJ_API adj_isa adj_cpu_isa(void) { return static_cast<adj_isa>(dispatch().current.load()); }

ADJ_API adj_isa adj_max_isa(void) { return dispatch().max_isa; }

ADJ_API adj_status adj_set_isa(adj_isa isa) {
  Dispatch& d = dispatch();
  if (static_cast<int>(isa) < ADJ_ISA_SCALAR || static_cast<int>(isa) >= kIsaCount)
    return fail(ADJ_ERR_INVALID_ARGUMENT, "adj_set_isa: isa=%d is not an adj_isa value", static_cast<int>(isa));
  if (!d.runnable(isa)) {
    return fail(ADJ_ERR_UNSUPPORTED, "adj_set_isa: isa=%s is not supported here (%s; best available: %s)",
                kIsaNames[isa], d.compiled[isa] ? "this CPU lacks it" : "not built for this architecture",
                kIsaNames[d.max_isa]);
  }
  d.current.store(isa);
  return ok();
}

ADJ_API adj_status adj_set_num_threads(int32_t n) {
  if (n < 1) return fail(ADJ_ERR_INVALID_ARGUMENT, "adj_set_num_threads: n=%d must be >= 1", n);
  dispatch().threads.store(n);
  return ok();
}

ADJ_API int32_t adj_get_num_threads(void) { return dispatch().threads.load(); }

ADJ_API const char* adj_build_info(void) {
  return "adjoint_kernels " ADJOINT_VERSION_STRING " abi=" ADJ_STR(ADJ_ABI_VERSION) " build=" ADJOINT_BUILD_TYPE
         " compiler="
#if defined(__clang__)
         "clang " __clang_version__
#elif defined(__GNUC__)
         "gcc " __VERSION__
#elif defined(_MSC_VER)
         "msvc"
#endif
         " tiers=scalar"
#if defined(ADJOINT_HAVE_X86_SIMD)
         ",avx2,avx512"
#endif
#if defined(ADJOINT_HAVE_NEON)
         ",neon"
#endif
      ;
}

}  // extern "C"

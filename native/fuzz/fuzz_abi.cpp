// libFuzzer target for the whole C ABI (native/include/adjoint/adjoint.h).
//
// Each input is decoded into a short sequence of calls. A call is (function id, dtype, enum values —
// including invalid ones —, ndim — including out of range —, sizes — including negative and huge —,
// strides — including 0, negative and overflowing —, and one placement per pointer: NULL, an exact
// buffer of its own, the same address as an earlier operand, or a partial overlap with it).
//
// The rule the harness keeps: a non-NULL pointer always addresses a heap block that is exactly as large as
// the extent the arguments describe (the ABI cannot detect a too-small buffer), so any read or write
// outside that extent is an AddressSanitizer report. Where the arguments are invalid in a way the library
// can detect (bad enum, negative size, ndim out of range, NULL where elements must be accessed, ld smaller
// than a row, an extent whose byte offset overflows, a partial overlap the header forbids), the pointer may
// be a small dummy block and the harness requires an error status: the library must reject the call before
// touching memory. Valid, non-overlapping calls must return ADJ_OK. Any violation aborts (a "crash").
#include <adjoint/adjoint.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <vector>

namespace {

constexpr int64_t kMaxBytes = int64_t(1) << 21;  // largest block the harness allocates for one operand
// Zero strides let a tiny buffer describe an enormous iteration; valid calls are kept to this many elements
// (larger ones get NULL pointers, so the library must refuse them) so that one input cannot run for hours.
constexpr int64_t kMaxWork = int64_t(1) << 22;

struct Input {
  const uint8_t* d;
  size_t n, i = 0;
  uint8_t u8() { return i < n ? d[i++] : 0; }
  uint16_t u16() { return static_cast<uint16_t>(u8() | (u8() << 8)); }
  uint32_t u32() { return u16() | (static_cast<uint32_t>(u16()) << 16); }
  bool more() const { return i < n; }
};

[[noreturn]] void violation(const char* fn, const char* what, adj_status s) {
  std::fprintf(stderr, "fuzz_abi: contract violation in %s: %s (status %d, last error \"%s\")\n", fn, what,
               static_cast<int>(s), adj_last_error());
  std::abort();
}

// ---- argument pickers ---------------------------------------------------------------------------------

int32_t pick_enum(Input& in, int count) {
  const uint8_t c = in.u8();
  if (c < 224) return c % count;
  switch (c % 4) {
    case 0: return count;
    case 1: return -1;
    case 2: return std::numeric_limits<int32_t>::max();
    default: return std::numeric_limits<int32_t>::min();
  }
}

bool valid_dtype(int32_t d) { return d == ADJ_F32 || d == ADJ_F64; }
int64_t esize(int32_t d) { return d == ADJ_F64 ? 8 : 4; }

// Counts: mostly small, sometimes long enough to cross the threading thresholds, sometimes invalid.
int64_t pick_count(Input& in) {
  const uint8_t c = in.u8();
  switch (c % 32) {
    case 0: return 0;
    case 1: return -1 - in.u8();
    case 2: return std::numeric_limits<int64_t>::min();
    case 3: return std::numeric_limits<int64_t>::max();
    case 4: return int64_t(1) << (31 + in.u8() % 31);
    case 5: return 65536 + in.u16();  // above the streaming grain on 2 threads
    case 6: case 7: return 4096 + in.u16() % 12288;
    case 8: case 9: case 10: return in.u16() % 1025;
    default: return in.u8() % 40;
  }
}

// Extents of one dimension of a strided shape.
int64_t pick_extent(Input& in, int ndim) {
  const uint8_t c = in.u8();
  if (ndim > 6) return c < 200 ? 1 + (c % 2) : (c % 3 == 0 ? -1 : c % 3 == 1 ? 0 : int64_t(1) << 40);
  switch (c % 24) {
    case 0: return 0;
    case 1: return -1 - in.u8() % 4;
    case 2: return std::numeric_limits<int64_t>::max();
    case 3: return int64_t(1) << (20 + in.u8() % 42);
    case 4: return 1;
    case 5: return 64 + in.u16() % 2048;
    default: return in.u8() % 12;
  }
}

// Strides: row-major contiguous (given in `contig`), transposed-ish, broadcast, negative, gapped, overflowing.
int64_t pick_stride(Input& in, int64_t contig) {
  const uint8_t c = in.u8();
  switch (c % 16) {
    case 0: return 0;
    case 1: return -contig;
    case 2: return contig * (2 + in.u8() % 3);
    case 3: return -1 - in.u8() % 7;
    case 4: return 1 + in.u8() % 7;
    case 5: return std::numeric_limits<int64_t>::max() / (1 + in.u8() % 4);
    case 6: return std::numeric_limits<int64_t>::min() / (1 + in.u8() % 4);
    default: return contig;
  }
}

// ---- operands and their placement ---------------------------------------------------------------------

// One pointer argument. Reach [lo, hi] is in elements relative to the pointer (lo <= 0 <= hi).
struct Operand {
  const char* name = "";
  int64_t es = 4;
  bool needed = false;   // elements are accessed: NULL must be rejected
  bool describable = true;  // sizes valid and the extent fits in memory
  bool overflow = false;    // the extent's byte offset does not fit in int64: must be rejected
  int64_t lo = 0, hi = -1;  // hi < lo: no elements
  // layout identity for "exact alias" (same pointer and same layout):
  std::vector<int64_t> layout;
  // placement
  int mode = 1;  // 0 NULL, 1 own, 2 same address as `with`, 3 partial overlap with `with`
  int with = -1;
  int64_t delta = 0;  // bytes, for mode 3
  char* ptr = nullptr;
  bool placed = false;
};

int64_t bytes_of(const Operand& o) { return o.hi < o.lo ? 0 : (o.hi - o.lo + 1) * o.es; }

// Reach of a strided view; flags overflow of the element or byte offsets.
void strided_reach(Operand& o, int ndim, const int64_t* shape, const int64_t* strides) {
  __int128 lo = 0, hi = 0;
  bool empty = false;
  for (int d = 0; d < ndim; ++d) {
    if (shape[d] == 0) empty = true;
    if (shape[d] <= 0) continue;
    const __int128 r = static_cast<__int128>(shape[d] - 1) * strides[d];
    if (r < 0) lo += r;
    else hi += r;
    if (hi - lo >= std::numeric_limits<int64_t>::max()) break;  // already too large; keep __int128 in range
  }
  if (empty) {
    o.lo = 0, o.hi = -1;
    return;
  }
  const __int128 lim = std::numeric_limits<int64_t>::max();
  if (hi + 1 > lim / o.es || -lo > lim / o.es || hi - lo + 1 > lim / o.es) {
    o.overflow = true;
    o.describable = false;
    return;
  }
  o.lo = static_cast<int64_t>(lo);
  o.hi = static_cast<int64_t>(hi);
  if (bytes_of(o) > kMaxBytes) o.describable = false;
}

void linear_reach(Operand& o, int64_t n) {
  if (n < 0) {
    o.describable = false;
    return;
  }
  if (n > std::numeric_limits<int64_t>::max() / o.es) {
    o.overflow = true;
    o.describable = false;
    return;
  }
  o.lo = 0;
  o.hi = n - 1;
  if (n * o.es > kMaxBytes) o.describable = false;
}

uint64_t g_rng = 0x9E3779B97F4A7C15ull;
uint64_t next_rand() {
  g_rng ^= g_rng << 13;
  g_rng ^= g_rng >> 7;
  g_rng ^= g_rng << 17;
  return g_rng;
}

// Fills a block with a mix of ordinary and special values (NaN, ±Inf, ±0, denormals, large).
void fill_values(char* p, int64_t bytes, int64_t es) {
  static const double specials[] = {0.0, -0.0, 1.0, -1.0, 0.5, 2.0, 3.75, -7.25, 88.0, -88.0, 1e30, -1e30,
                                    1e-40, -1e-310, 1e-300, NAN, -NAN, INFINITY, -INFINITY, 700.0, -745.0};
  const int64_t count = bytes / es;
  for (int64_t i = 0; i < count; ++i) {
    const uint64_t r = next_rand();
    const double v = (r & 7) == 0 ? specials[(r >> 3) % (sizeof specials / sizeof specials[0])]
                                  : (static_cast<double>(static_cast<int64_t>(r >> 11) % 2000) - 1000.0) / 137.0;
    if (es == 4) {
      const float f = static_cast<float>(v);
      std::memcpy(p + i * 4, &f, 4);
    } else {
      std::memcpy(p + i * 8, &v, 8);
    }
  }
}

// Decides placements. A pointer whose extent is not describable is NULL; it may be a 64-byte dummy block
// only when the library can tell the call is invalid (call_invalid, or an extent that overflows), since a
// dummy block for a valid but huge extent would be a too-small buffer the ABI cannot detect.
void choose_modes(Input& in, std::vector<Operand>& ops, bool call_invalid) {
  for (size_t k = 0; k < ops.size(); ++k) {
    Operand& o = ops[k];
    const uint8_t c = in.u8();
    o.mode = c % 16 == 0 ? 0 : 1;
    if (k > 0 && c % 16 >= 12) {
      o.with = static_cast<int>(in.u8() % k);
      o.mode = c % 16 >= 14 ? 3 : 2;
      o.delta = 8 * (static_cast<int64_t>(in.u8() % 33) - 16);
      if (!ops[o.with].describable || ops[o.with].mode == 0 || !o.describable) o.mode = 1;
    }
    if (!o.describable) o.mode = c % 2 == 0 || !(call_invalid || o.overflow) ? 0 : 4;  // 4: dummy block
  }
}

struct Blocks {
  std::vector<void*> all;
  ~Blocks() {
    for (void* p : all) std::free(p);
  }
  char* alloc(int64_t bytes) {
    void* p = std::malloc(static_cast<size_t>(bytes > 0 ? bytes : 1));
    if (!p) std::abort();
    all.push_back(p);
    return static_cast<char*>(p);
  }
};

// Places operands. Aliasing operands share one block covering every member's extent exactly.
void place(std::vector<Operand>& ops, Blocks& blocks) {
  const int n = static_cast<int>(ops.size());
  std::vector<int> root(n);
  for (int k = 0; k < n; ++k) {
    root[k] = k;
    if (ops[k].mode == 2 || ops[k].mode == 3) root[k] = root[ops[k].with];
  }
  for (int r = 0; r < n; ++r) {
    if (root[r] != r) continue;
    Operand& o = ops[r];
    if (o.mode == 0) {
      o.ptr = nullptr;
      continue;
    }
    if (o.mode == 4) {
      o.ptr = blocks.alloc(64);
      fill_values(o.ptr, 64, 4);
      continue;
    }
    // Offsets (bytes) of each member's pointer relative to the root's pointer.
    std::vector<int64_t> rel(n, 0);
    int64_t lo = o.lo * o.es, hi = (o.hi + 1) * o.es;  // covered bytes [lo, hi)
    for (int k = r + 1; k < n; ++k) {
      if (root[k] != r) continue;
      rel[k] = rel[ops[k].with] + (ops[k].mode == 3 ? ops[k].delta : 0);
      if (bytes_of(ops[k]) == 0) continue;
      lo = std::min(lo, rel[k] + ops[k].lo * ops[k].es);
      hi = std::max(hi, rel[k] + (ops[k].hi + 1) * ops[k].es);
    }
    if (hi <= lo) {  // nothing addressed: a live one-byte block
      char* b = blocks.alloc(1);
      for (int k = 0; k < n; ++k)
        if (root[k] == r) ops[k].ptr = b;
      continue;
    }
    char* b = blocks.alloc(hi - lo);
    fill_values(b, (hi - lo) / 8 * 8, 4);
    for (int k = 0; k < n; ++k)
      if (root[k] == r) ops[k].ptr = b - lo + rel[k];
  }
}

bool overlap(const Operand& a, const Operand& b) {
  if (!a.ptr || !b.ptr || bytes_of(a) == 0 || bytes_of(b) == 0) return false;
  const char *alo = a.ptr + a.lo * a.es, *ahi = a.ptr + (a.hi + 1) * a.es;
  const char *blo = b.ptr + b.lo * b.es, *bhi = b.ptr + (b.hi + 1) * b.es;
  return alo < bhi && blo < ahi;
}
bool exact(const Operand& a, const Operand& b) { return a.ptr == b.ptr && a.es == b.es && a.layout == b.layout; }

enum class Expect { Ok, Error, Any };

// Common oracle: invalid arguments or NULL where needed => error; else out/in overlap decides.
struct Oracle {
  bool invalid = false;
  bool ambiguous = false;  // the harness has no precise rule (e.g. row-op backward overlaps)
  Expect decide(const std::vector<Operand>& ops) const {
    if (invalid) return Expect::Error;
    for (const Operand& o : ops) {
      if (o.overflow && o.needed) return Expect::Error;
      if (o.needed && !o.ptr) return Expect::Error;
      if (o.needed && o.mode == 4) return Expect::Error;  // a dummy block is only passed for invalid calls
    }
    return ambiguous ? Expect::Any : Expect::Ok;
  }
};

void check(const char* fn, Expect e, adj_status s) {
  if (s != ADJ_OK && adj_last_error()[0] == '\0') violation(fn, "failure without a message", s);
  if (e == Expect::Ok && s != ADJ_OK) violation(fn, "a valid call was refused", s);
  if (e == Expect::Error && s == ADJ_OK) violation(fn, "an invalid call was accepted", s);
  if (static_cast<int>(s) < 0 || static_cast<int>(s) > ADJ_ERR_INTERNAL) violation(fn, "status out of range", s);
  if (s == ADJ_ERR_INTERNAL) violation(fn, "internal error", s);
}

// ---- one call per function ----------------------------------------------------------------------------

void call_info(Input& in) {
  switch (in.u8() % 8) {
    case 0: if (adj_abi_version() != ADJ_ABI_VERSION) violation("adj_abi_version", "wrong version", ADJ_OK); break;
    case 1: if (!adj_build_info() || !adj_build_info()[0]) violation("adj_build_info", "empty", ADJ_OK); break;
    case 2: if (adj_cpu_isa() > adj_max_isa()) violation("adj_cpu_isa", "above max", ADJ_OK); break;
    case 3: (void)adj_last_error(); break;
    case 4: check("adj_noop", Expect::Ok, adj_noop()); break;
    case 5: {
      if (adj_get_num_threads() < 1) violation("adj_get_num_threads", "< 1", ADJ_OK);
      int64_t bytes = -1, blocks = -1;
      const uint8_t c = in.u8();
      check("adj_allocation_stats", Expect::Ok, adj_allocation_stats(c & 1 ? &bytes : nullptr, c & 2 ? &blocks : nullptr));
      if ((c & 1 && bytes < 0) || (c & 2 && blocks < 0)) violation("adj_allocation_stats", "negative count", ADJ_OK);
      break;
    }
    case 6: {
      const int32_t isa = pick_enum(in, 4);
      const adj_status s = adj_set_isa(static_cast<adj_isa>(isa));
      // x86 tiers nest (AVX-512 includes AVX2); NEON is AArch64's only SIMD tier.
      const int32_t max = adj_max_isa();
      const bool ok = isa == ADJ_ISA_SCALAR || isa == max || (max <= ADJ_ISA_AVX512 && isa > 0 && isa < max);
      check("adj_set_isa", ok ? Expect::Ok : Expect::Error, s);
      break;
    }
    default: {
      const uint8_t c = in.u8();
      const int32_t n = c < 200 ? 1 + c % 3 : (c % 2 ? 0 : -1 - c);
      check("adj_set_num_threads", n >= 1 ? Expect::Ok : Expect::Error, adj_set_num_threads(n));
      break;
    }
  }
}

void call_fill(Input& in, Blocks& blocks) {
  const int32_t dt = pick_enum(in, 2);
  const int64_t n = pick_count(in);
  std::vector<Operand> ops(1);
  ops[0].name = "y";
  ops[0].es = esize(dt);
  linear_reach(ops[0], n);
  ops[0].needed = n > 0;
  Oracle o;
  o.invalid = !valid_dtype(dt) || n < 0;
  choose_modes(in, ops, o.invalid);
  place(ops, blocks);
  const double values[] = {0.0, -0.0, 1.5, NAN, INFINITY, 1e300};
  const adj_status s = adj_fill(static_cast<adj_dtype>(dt), n, values[in.u8() % 6], ops[0].ptr);
  check("adj_fill", o.decide(ops), s);
}

void call_cast(Input& in, Blocks& blocks) {
  const int32_t sd = pick_enum(in, 2), dd = pick_enum(in, 2);
  const int64_t n = pick_count(in);
  std::vector<Operand> ops(2);
  ops[0].name = "src", ops[0].es = esize(sd);
  ops[1].name = "dst", ops[1].es = esize(dd);
  for (Operand& o : ops) {
    linear_reach(o, n);
    o.needed = n > 0;
    o.layout = {n};
  }
  Oracle o;
  o.invalid = !valid_dtype(sd) || !valid_dtype(dd) || n < 0;
  choose_modes(in, ops, o.invalid);
  place(ops, blocks);
  Expect e = o.decide(ops);
  if (e == Expect::Ok && overlap(ops[0], ops[1]) && !(sd == dd && ops[0].ptr == ops[1].ptr)) e = Expect::Error;
  check("adj_cast", e, adj_cast(static_cast<adj_dtype>(sd), ops[0].ptr, static_cast<adj_dtype>(dd), ops[1].ptr, n));
}

void call_unary(Input& in, Blocks& blocks, bool backward) {
  const int32_t op = pick_enum(in, ADJ_UNARY_OP_COUNT), dt = pick_enum(in, 2);
  const int64_t n = pick_count(in);
  const bool rx = op == ADJ_UNARY_ABS || op == ADJ_UNARY_LOG || op == ADJ_UNARY_SIN || op == ADJ_UNARY_COS ||
                  op == ADJ_UNARY_RELU || op == ADJ_UNARY_SOFTPLUS;
  const bool ry = op == ADJ_UNARY_EXP || op == ADJ_UNARY_SQRT || op == ADJ_UNARY_TANH || op == ADJ_UNARY_SIGMOID;
  std::vector<Operand> ops(backward ? 4 : 2);
  const char* names[] = {"x", "y", "gy", "gx"};
  for (size_t k = 0; k < ops.size(); ++k) {
    ops[k].name = names[k];
    ops[k].es = esize(dt);
    linear_reach(ops[k], n);
    ops[k].layout = {n};
    ops[k].needed = n > 0;
  }
  if (backward) {
    ops[0].needed = ops[0].needed && rx;
    ops[1].needed = ops[1].needed && ry;
  }
  Oracle o;
  o.invalid = op < 0 || op >= ADJ_UNARY_OP_COUNT || !valid_dtype(dt) || n < 0;
  choose_modes(in, ops, o.invalid);
  place(ops, blocks);
  Expect e = o.decide(ops);
  if (!backward) {
    if (e == Expect::Ok && overlap(ops[0], ops[1]) && ops[0].ptr != ops[1].ptr) e = Expect::Error;
    check("adj_unary", e, adj_unary(static_cast<adj_unary_op>(op), static_cast<adj_dtype>(dt), n, ops[0].ptr, ops[1].ptr));
    return;
  }
  if (e == Expect::Ok) {
    const bool reads[3] = {rx, ry, true};
    for (int k = 0; k < 3; ++k)
      if (reads[k] && overlap(ops[3], ops[k]) && ops[3].ptr != ops[k].ptr) e = Expect::Error;
  }
  check("adj_unary_backward", e,
        adj_unary_backward(static_cast<adj_unary_op>(op), static_cast<adj_dtype>(dt), n, ops[0].ptr, ops[1].ptr,
                           ops[2].ptr, ops[3].ptr));
}

void call_gemm(Input& in, Blocks& blocks) {
  const int32_t dt = pick_enum(in, 2);
  const uint8_t t = in.u8();
  const int32_t ta = t < 240 ? (t & 1) : (t % 2 ? 2 : -1), tb = t < 240 ? ((t >> 1) & 1) : 0;
  auto dim = [&]() {
    const uint8_t c = in.u8();
    if (c < 200) return static_cast<int64_t>(c % 70);
    if (c < 230) return static_cast<int64_t>(64 + in.u8());
    return pick_count(in);
  };
  const int64_t m = dim(), n = dim(), k = dim();
  const int64_t a_rows = ta == 1 ? k : m, a_cols = ta == 1 ? m : k, b_rows = tb == 1 ? n : k, b_cols = tb == 1 ? k : n;
  auto ld = [&](int64_t cols) {
    const uint8_t c = in.u8();
    const int64_t base = cols > 1 ? cols : 1;
    switch (c % 12) {
      case 0: return base - 1;
      case 1: return int64_t(0);
      case 2: return base < (int64_t(1) << 40) ? base + 1 + in.u8() % 9 : base;
      case 3: return std::numeric_limits<int64_t>::max() / (1 + in.u8() % 3);
      case 4: return int64_t(-1);
      default: return base;
    }
  };
  const int64_t lda = ld(a_cols), ldb = ld(b_cols), ldc = ld(n);
  const double alphas[] = {1.0, 0.0, -2.5, NAN}, betas[] = {0.0, 1.0, 0.5, NAN};
  const double alpha = alphas[in.u8() % 4], beta = betas[in.u8() % 4];
  Oracle o;
  o.invalid = !valid_dtype(dt) || ta < 0 || ta > 1 || tb < 0 || tb > 1 || m < 0 || n < 0 || k < 0 ||
              lda < std::max<int64_t>(a_cols, 1) || ldb < std::max<int64_t>(b_cols, 1) || ldc < std::max<int64_t>(n, 1);
  const bool c_used = m > 0 && n > 0, ab_used = c_used && k > 0;
  std::vector<Operand> ops(3);
  auto mat = [&](Operand& x, const char* name, int64_t rows, int64_t cols, int64_t ldx, bool used) {
    x.name = name;
    x.es = esize(dt);
    x.needed = used && !o.invalid;
    if (o.invalid || !used || rows <= 0 || cols <= 0) {
      x.describable = !o.invalid || used;  // invalid calls get NULL or a dummy block
      if (o.invalid) x.describable = false;
      return;
    }
    const int64_t shape[2] = {rows, cols}, strides[2] = {ldx, 1};
    strided_reach(x, 2, shape, strides);
  };
  mat(ops[0], "a", a_rows, a_cols, lda, ab_used);
  mat(ops[1], "b", b_rows, b_cols, ldb, ab_used);
  mat(ops[2], "c", m, n, ldc, c_used);
  choose_modes(in, ops, o.invalid);
  place(ops, blocks);
  Expect e = o.decide(ops);
  if (e == Expect::Ok && ab_used && (overlap(ops[2], ops[0]) || overlap(ops[2], ops[1]))) e = Expect::Error;
  check("adj_gemm", e,
        adj_gemm(static_cast<adj_dtype>(dt), ta, tb, m, n, k, alpha, ops[0].ptr, lda, ops[1].ptr, ldb, beta, ops[2].ptr,
                 ldc));
}

// Shape + per-operand strides for the strided functions.
struct Strided {
  int32_t ndim = 0;
  bool ndim_ok = true, shape_ok = true, shape_null = false;
  int64_t total = 1;
  int64_t shape[20] = {};
};

Strided pick_shape(Input& in) {
  Strided s;
  const uint8_t c = in.u8();
  if (c < 232) s.ndim = c % 5;
  else if (c < 240) s.ndim = 5 + c % 12;  // up to 16
  else s.ndim = c % 2 ? 17 : -1 - c % 3;
  s.ndim_ok = s.ndim >= 0 && s.ndim <= 16;
  const int nd = s.ndim_ok ? s.ndim : (s.ndim > 0 ? 17 : 0);
  bool zero = false;
  __int128 prod = 1;
  for (int d = 0; d < nd; ++d) {
    s.shape[d] = pick_extent(in, nd);
    if (s.shape[d] < 0) s.shape_ok = false;
    if (s.shape[d] == 0) zero = true;
    if (s.shape[d] > 0 && prod < (__int128(1) << 64)) prod *= s.shape[d];
  }
  s.shape_null = nd > 0 && in.u8() % 40 == 0;
  if (zero) s.total = 0;
  else if (prod > std::numeric_limits<int64_t>::max()) s.shape_ok = false;  // "more than 2^63 elements"
  else s.total = static_cast<int64_t>(prod);
  return s;
}

void pick_strides(Input& in, const Strided& s, int64_t* st, bool& null_out) {
  int64_t contig = 1;
  const int nd = s.ndim > 0 ? std::min(s.ndim, 20) : 0;
  for (int d = nd - 1; d >= 0; --d) {
    st[d] = pick_stride(in, contig);
    const int64_t ext = s.shape[d] > 0 ? s.shape[d] : 1;
    contig = ext < (int64_t(1) << 20) && contig < (int64_t(1) << 40) ? contig * ext : contig;
  }
  null_out = nd > 0 && in.u8() % 40 == 0;
}

bool args_valid(const Strided& s, bool any_strides_null) {
  return s.ndim_ok && !s.shape_null && s.shape_ok && !any_strides_null;
}

void call_copy(Input& in, Blocks& blocks) {
  const int32_t dt = pick_enum(in, 2);
  Strided s = pick_shape(in);
  int64_t ss[20], ds[20];
  bool sn, dn;
  pick_strides(in, s, ss, sn);
  pick_strides(in, s, ds, dn);
  Oracle o;
  o.invalid = !valid_dtype(dt) || !args_valid(s, sn || dn);
  std::vector<Operand> ops(2);
  ops[0].name = "src", ops[1].name = "dst";
  for (int k = 0; k < 2; ++k) {
    ops[k].es = esize(dt);
    if (o.invalid) {
      ops[k].describable = false;
      continue;
    }
    strided_reach(ops[k], s.ndim, s.shape, k ? ds : ss);
    ops[k].needed = s.total > 0;
    if (s.total > kMaxWork) ops[k].describable = false;
  }
  choose_modes(in, ops, o.invalid);
  place(ops, blocks);
  Expect e = o.decide(ops);
  if (e == Expect::Ok && overlap(ops[0], ops[1])) e = Expect::Error;
  check("adj_copy_strided", e,
        adj_copy_strided(static_cast<adj_dtype>(dt), s.ndim, s.shape_null ? nullptr : s.shape, ops[0].ptr,
                         sn ? nullptr : ss, ops[1].ptr, dn ? nullptr : ds));
}

std::vector<int64_t> layout_of(const Strided& s, const int64_t* st) {
  std::vector<int64_t> l;
  for (int d = 0; d < s.ndim; ++d)
    if (s.shape[d] > 1) l.push_back(st[d]);
  return l;
}

void call_binary(Input& in, Blocks& blocks) {
  const int32_t op = pick_enum(in, ADJ_BINARY_OP_COUNT), dt = pick_enum(in, 2);
  Strided s = pick_shape(in);
  int64_t st[3][20];
  bool nul[3];
  for (int k = 0; k < 3; ++k) pick_strides(in, s, st[k], nul[k]);
  Oracle o;
  o.invalid = op < 0 || op >= ADJ_BINARY_OP_COUNT || !valid_dtype(dt) || !args_valid(s, nul[0] || nul[1] || nul[2]);
  std::vector<Operand> ops(3);
  const char* names[] = {"a", "b", "out"};
  for (int k = 0; k < 3; ++k) {
    ops[k].name = names[k];
    ops[k].es = esize(dt);
    if (o.invalid) {
      ops[k].describable = false;
      continue;
    }
    strided_reach(ops[k], s.ndim, s.shape, st[k]);
    ops[k].needed = s.total > 0;
    if (s.total > kMaxWork) ops[k].describable = false;
    ops[k].layout = layout_of(s, st[k]);
  }
  choose_modes(in, ops, o.invalid);
  place(ops, blocks);
  Expect e = o.decide(ops);
  if (e == Expect::Ok) {
    for (int k = 0; k < 2; ++k)
      if (overlap(ops[2], ops[k]) && !exact(ops[2], ops[k])) e = Expect::Error;
    // An output that overlaps itself (a zero or interleaved stride) is a race, not a memory error; the
    // library does not promise to detect it.
    if (e == Expect::Ok) {
      bool self = false;
      for (int d = 0; d < s.ndim; ++d)
        if (s.shape[d] > 1 && st[2][d] == 0) self = true;
      if (self) e = Expect::Any;
    }
  }
  check("adj_binary", e,
        adj_binary(static_cast<adj_binary_op>(op), static_cast<adj_dtype>(dt), s.ndim, s.shape_null ? nullptr : s.shape,
                   ops[0].ptr, nul[0] ? nullptr : st[0], ops[1].ptr, nul[1] ? nullptr : st[1], ops[2].ptr,
                   nul[2] ? nullptr : st[2]));
}

void call_reduce(Input& in, Blocks& blocks) {
  const int32_t op = pick_enum(in, ADJ_REDUCE_OP_COUNT), dt = pick_enum(in, 2);
  Strided s = pick_shape(in);
  int64_t xs[20];
  bool xn;
  pick_strides(in, s, xs, xn);
  const uint8_t mc = in.u8();
  uint64_t mask = mc < 240 ? in.u32() : (mc % 2 ? ~uint64_t(0) : uint64_t(1) << 63);
  if (mc < 240 && s.ndim >= 0 && s.ndim < 64) mask &= (uint64_t(1) << s.ndim) - 1;
  const bool want_index = in.u8() % 2;
  Oracle o;
  o.invalid = op < 0 || op >= ADJ_REDUCE_OP_COUNT || !valid_dtype(dt) || !args_valid(s, xn) ||
              (s.ndim >= 0 && s.ndim < 64 && (mask >> s.ndim) != 0);
  int64_t out_count = 1, red_count = 1;
  if (!o.invalid) {
    for (int d = 0; d < s.ndim; ++d) {
      int64_t& c = (mask >> d) & 1 ? red_count : out_count;
      c = (c != 0 && s.shape[d] > std::numeric_limits<int64_t>::max() / c) ? std::numeric_limits<int64_t>::max()
                                                                             : c * s.shape[d];
    }
    if (red_count == 0 && op != ADJ_REDUCE_SUM) o.invalid = true;
  }
  std::vector<Operand> ops(3);
  ops[0].name = "x", ops[1].name = "y", ops[2].name = "index";
  ops[0].es = ops[1].es = esize(dt);
  ops[2].es = 8;
  if (o.invalid) {
    for (Operand& x : ops) x.describable = false;
  } else {
    strided_reach(ops[0], s.ndim, s.shape, xs);
    ops[0].needed = s.total > 0 && out_count > 0;
    if (s.total > kMaxWork) ops[0].describable = false;
    linear_reach(ops[1], out_count);
    ops[1].needed = out_count > 0;
    linear_reach(ops[2], op != ADJ_REDUCE_SUM && want_index ? out_count : 0);
  }
  choose_modes(in, ops, o.invalid);
  if (!want_index || op == ADJ_REDUCE_SUM) ops[2].mode = 0;
  place(ops, blocks);
  Expect e = o.decide(ops);
  if (e == Expect::Ok && out_count > 0 &&
      (overlap(ops[1], ops[0]) || overlap(ops[2], ops[0]) || overlap(ops[2], ops[1])))
    e = Expect::Error;
  check("adj_reduce", e,
        adj_reduce(static_cast<adj_reduce_op>(op), static_cast<adj_dtype>(dt), s.ndim, s.shape_null ? nullptr : s.shape,
                   ops[0].ptr, xn ? nullptr : xs, mask, ops[1].ptr, reinterpret_cast<int64_t*>(ops[2].ptr)));
}

void call_row(Input& in, Blocks& blocks, bool backward) {
  const int32_t op = pick_enum(in, ADJ_ROW_OP_COUNT), dt = pick_enum(in, 2);
  int64_t rows = pick_count(in), cols = pick_count(in);
  if (in.u8() % 4) {  // keep most matrices small enough to be placed
    if (rows > 300) rows %= 300;
    if (cols > 300) cols %= 300;
  }
  const bool lse = op == ADJ_ROW_LOGSUMEXP;
  Oracle o;
  o.invalid = op < 0 || op >= ADJ_ROW_OP_COUNT || !valid_dtype(dt) || rows < 0 || cols < 0;
  __int128 xc = o.invalid ? 0 : static_cast<__int128>(rows) * cols;
  const int64_t x_count = xc > std::numeric_limits<int64_t>::max() ? -1 : static_cast<int64_t>(xc);
  const int64_t y_count = lse ? rows : x_count;
  std::vector<Operand> ops(backward ? 4 : 2);
  const char* names[] = {"x", "y", "gy", "gx"};
  const int64_t counts[] = {x_count, y_count, y_count, x_count};
  for (size_t k = 0; k < ops.size(); ++k) {
    ops[k].name = names[k];
    ops[k].es = esize(dt);
    if (o.invalid || counts[k] < 0) {
      ops[k].describable = false;
      if (counts[k] < 0) ops[k].overflow = !o.invalid;  // rows*cols overflows: must be refused
      continue;
    }
    linear_reach(ops[k], counts[k]);
    ops[k].layout = {counts[k]};
  }
  if (x_count < 0 && !o.invalid) {
    // rows*cols overflows int64: the library must refuse (or at least not touch memory).
    o.invalid = true;
  }
  if (!backward) {
    ops[0].needed = x_count > 0 && y_count > 0;
    ops[1].needed = y_count > 0;
  } else {
    ops[0].needed = lse && x_count > 0;
    for (int k = 1; k < 4; ++k) ops[k].needed = x_count > 0;
  }
  choose_modes(in, ops, o.invalid);
  place(ops, blocks);
  if (!backward) {
    Expect e = o.decide(ops);
    if (e == Expect::Ok && y_count > 0 && x_count > 0 && overlap(ops[1], ops[0]) &&
        !(ops[0].ptr == ops[1].ptr && x_count == y_count))
      e = Expect::Error;
    check("adj_row_op", e,
          adj_row_op(static_cast<adj_row_op_kind>(op), static_cast<adj_dtype>(dt), rows, cols, ops[0].ptr, ops[1].ptr));
    return;
  }
  Expect e = o.decide(ops);
  if (e == Expect::Ok) {
    for (int k = 0; k < 3; ++k)
      if (overlap(ops[3], ops[k])) e = ops[3].ptr == ops[k].ptr && !lse && k > 0 ? Expect::Any : Expect::Error;
    if (e == Expect::Error) e = Expect::Any;  // the header states no precise aliasing rule for this one
    if (!lse && overlap(ops[3], ops[0])) e = Expect::Any;  // x is not read: its overlap does not matter
  }
  check("adj_row_op_backward", e,
        adj_row_op_backward(static_cast<adj_row_op_kind>(op), static_cast<adj_dtype>(dt), rows, cols, ops[0].ptr,
                            ops[1].ptr, ops[2].ptr, ops[3].ptr));
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  // Two threads so that calls above the size thresholds go through the pool.
  adj_set_num_threads(2);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Input in{data, size};
  g_rng = 0x9E3779B97F4A7C15ull ^ size;
  const adj_isa saved_isa = adj_cpu_isa();
  const int32_t saved_threads = adj_get_num_threads();
  for (int calls = 0; calls < 8 && in.more(); ++calls) {
    Blocks blocks;
    switch (in.u8() % 13) {
      case 0: call_info(in); break;
      case 1: call_fill(in, blocks); break;
      case 2: call_copy(in, blocks); break;
      case 3: call_cast(in, blocks); break;
      case 4: call_gemm(in, blocks); break;
      case 5: call_unary(in, blocks, false); break;
      case 6: call_unary(in, blocks, true); break;
      case 7: call_binary(in, blocks); break;
      case 8: call_reduce(in, blocks); break;
      case 9: call_row(in, blocks, false); break;
      case 10: call_row(in, blocks, true); break;
      case 11: call_gemm(in, blocks); break;
      default: call_binary(in, blocks); break;
    }
  }
  adj_set_isa(saved_isa);
  adj_set_num_threads(saved_threads);
  return 0;
}

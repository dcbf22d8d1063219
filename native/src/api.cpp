// The adj_* compute entry points: validate every argument, then hand raw, checked arguments to the
// active kernel table. Kernels never see a negative size or a NULL they would dereference.
#include <cmath>
#include <cstring>

#include "src/api_util.h"
#include "src/thread_pool.h"

using namespace adj;

namespace {

// The ABI does not require index to be 8-byte aligned (a caller may carve it out of any buffer, and the
// fuzzer does): store through memcpy, which is defined for any address and compiles to one mov on x86-64
// and arm64.
inline void store_index(int64_t* dst, int64_t v) { std::memcpy(dst, &v, sizeof v); }

// op reads x / y in its backward formula (adjoint.h, adj_unary_backward).
bool bwd_reads_x(int op) {
  return op == ADJ_UNARY_ABS || op == ADJ_UNARY_LOG || op == ADJ_UNARY_SIN || op == ADJ_UNARY_COS ||
         op == ADJ_UNARY_RELU || op == ADJ_UNARY_SOFTPLUS;
}
bool bwd_reads_y(int op) {
  return op == ADJ_UNARY_EXP || op == ADJ_UNARY_SQRT || op == ADJ_UNARY_TANH || op == ADJ_UNARY_SIGMOID;
}

// Output must either be exactly the input or not touch it at all.
adj_status check_alias(const char* fn, const char* out_name, const void* out, const char* in_name, const void* in,
                       int64_t n, int64_t esize) {
  if (n == 0 || out == in) return ADJ_OK;
  if (overlaps(span_of(out, n, esize), span_of(in, n, esize)))
    return fail(ADJ_ERR_INVALID_ARGUMENT, "%s: %s partially overlaps %s", fn, out_name, in_name);
  return ADJ_OK;
}

// Note [Threading thresholds]: a kernel call is split across the pool only when every thread gets
// at least this many elements. A split costs the caller a wake-up and a wait (a few µs when the other
// core is free) and, on this shared 2-core machine, often far more: the helper queues behind other
// processes. Measured 1 vs 2 threads (forced, process CPU time and wall, load 5 on 2 cores, float32;
// docs/PERFORMANCE.md, elementwise round 2): up to 128K elements every op lost with 2 threads (wall
// 0.42-0.81x of one thread); at 256K add / relu won (1.8x / 1.4x), tanh 1.3x, exp 0.84x, tanh' 0.58x.
// Streaming ops therefore split from 256K elements (128K per thread). Transcendental and row ops do
// 3-6x more work per element, so they split from 128K (64K per thread, 40-90 us of one-thread work):
// a compromise between this loaded machine, where that still lost (0.75-0.81x), and a quiet one,
// where a free second core halves it. Both grains were 32K / 4K before the float kernels got faster.
constexpr int64_t kGrainStreaming = 131072;
constexpr int64_t kGrainCompute = 65536;

bool unary_is_compute(int op, bool backward) {
  switch (op) {
    case ADJ_UNARY_EXP: case ADJ_UNARY_TANH: case ADJ_UNARY_SIGMOID: return !backward;
    case ADJ_UNARY_LOG: return !backward;
    case ADJ_UNARY_SIN: case ADJ_UNARY_COS: case ADJ_UNARY_SOFTPLUS: return true;
    default: return false;
  }
}

// Row operations split whole rows across threads (each row reads exp-heavy data: compute grain).
template <class F> void parallel_row_blocks(int64_t rows, int64_t cols, F&& body) {
  int threads = threads_for(rows * cols, kGrainCompute);
  if (threads > rows) threads = static_cast<int>(rows);
  if (threads <= 1) {
    body(int64_t{0}, rows);
    return;
  }
  struct Ctx {
    F* body;
    int64_t rows, parts;
  } ctx{&body, rows, threads};
  parallel_for(threads, threads, [](void* p, int64_t t) {
    const Ctx& c = *static_cast<const Ctx*>(p);
    const int64_t r0 = c.rows * t / c.parts, r1 = c.rows * (t + 1) / c.parts;
    if (r1 > r0) (*c.body)(r0, r1);
  }, &ctx);
}

// Drops extent-1 dimensions and merges neighbours that are contiguous in every operand, so the kernel's
// innermost row is as long as possible. Returns the new ndim (0 means a single element).
int coalesce(int ndim, const int64_t* shape, int nops, const int64_t* const* strides, int64_t* out_shape,
             int64_t (*out_strides)[kMaxDims]) {
  int nd = 0;
  for (int d = 0; d < ndim; ++d) {
    if (shape[d] == 1) continue;
    if (nd > 0) {
      bool mergeable = true;
      for (int o = 0; o < nops; ++o)
        if (out_strides[o][nd - 1] != strides[o][d] * shape[d]) mergeable = false;
      if (mergeable) {
        out_shape[nd - 1] *= shape[d];
        for (int o = 0; o < nops; ++o) out_strides[o][nd - 1] = strides[o][d];
        continue;
      }
    }
    out_shape[nd] = shape[d];
    for (int o = 0; o < nops; ++o) out_strides[o][nd] = strides[o][d];
    ++nd;
  }
  return nd;
}

// Every operand's strides are the row-major strides of shape (extent-1 dimensions may have any stride).
bool all_contiguous(int32_t ndim, const int64_t* shape, const int64_t* as, const int64_t* bs, const int64_t* os) {
  int64_t want = 1;
  for (int d = ndim - 1; d >= 0; --d) {
    if (shape[d] != 1 && (as[d] != want || bs[d] != want || os[d] != want)) return false;
    want *= shape[d];  // no overflow: check_shape bounded the product
  }
  return true;
}

// Rows [r0, r1) of the coalesced iteration (every dimension but the innermost, row-major).
template <class T>
void binary_rows(fn_binary<T>* kernel, int nd, const int64_t* sh, const int64_t (*st)[kMaxDims], const T* a,
                 const T* b, T* out, int64_t r0, int64_t r1) {
  const int inner = nd - 1;
  int64_t idx[kMaxDims] = {0};
  int64_t rem = r0;
  for (int d = inner - 1; d >= 0; --d) {
    idx[d] = rem % sh[d];
    rem /= sh[d];
    a += idx[d] * st[0][d];
    b += idx[d] * st[1][d];
    out += idx[d] * st[2][d];
  }
  for (int64_t r = r0; r < r1; ++r) {
    kernel(sh[inner], a, st[0][inner], b, st[1][inner], out, st[2][inner]);
    for (int d = inner - 1; d >= 0; --d) {
      a += st[0][d];
      b += st[1][d];
      out += st[2][d];
      if (++idx[d] < sh[d]) break;
      a -= st[0][d] * sh[d];
      b -= st[1][d] * sh[d];
      out -= st[2][d] * sh[d];
      idx[d] = 0;
    }
  }
}

template <class T>
void run_binary(fn_binary<T>* kernel, int op, int32_t ndim, const int64_t* shape, const T* a, const int64_t* as,
                const T* b, const int64_t* bs, T* out, const int64_t* os) {
  int64_t sh[kMaxDims];
  int64_t st[3][kMaxDims];
  const int64_t* in[3] = {as, bs, os};
  const int nd = coalesce(ndim, shape, 3, in, sh, st);
  if (nd == 0) {
    kernel(1, a, 0, b, 0, out, 0);
    return;
  }
  int64_t total = 1;
  for (int d = 0; d < nd; ++d) total *= sh[d];
  const int threads = threads_for(total, op == ADJ_BINARY_POW ? kGrainCompute : kGrainStreaming);
  const int64_t rows = total / sh[nd - 1];
  if (nd == 1 || rows < threads) {
    if (nd == 1) {  // one long row: split it
      parallel_ranges(sh[0], threads, [&](int64_t i0, int64_t i1) {
        kernel(i1 - i0, a + i0 * st[0][0], st[0][0], b + i0 * st[1][0], st[1][0], out + i0 * st[2][0], st[2][0]);
      });
      return;
    }
    binary_rows(kernel, nd, sh, st, a, b, out, 0, rows);
    return;
  }
  struct Ctx {
    fn_binary<T>* kernel;
    int nd;
    const int64_t* sh;
    const int64_t (*st)[kMaxDims];
    const T* a;
    const T* b;
    T* out;
    int64_t rows, parts;
  } ctx{kernel, nd, sh, st, a, b, out, rows, threads};
  parallel_for(threads, threads, [](void* p, int64_t t) {
    const Ctx& c = *static_cast<const Ctx*>(p);
    binary_rows(c.kernel, c.nd, c.sh, c.st, c.a, c.b, c.out, c.rows * t / c.parts, c.rows * (t + 1) / c.parts);
  }, &ctx);
}

// Reduction plan: kept dims (k*) index the outputs, reduced dims (r*) the sub-block of each output.
// The innermost reduced axis is the kernel's row; the other reduced axes are walked in row-major
// order so that positions (for index) and first-occurrence ties follow the sub-block's order.
template <class T> struct ReducePlan {
  const TypedKernels<T>* k;
  adj_reduce_op op;
  int nk, nr;
  int64_t kshape[kMaxDims], kstride[kMaxDims], rshape[kMaxDims], rstride[kMaxDims];
  int64_t row_n, row_s, outer_count, out_count;
  const T* x;
  T* y;
  int64_t* index;

  // Pointer to the start of output out_i's sub-block.
  const T* out_base(int64_t out_i) const {
    const T* p = x;
    for (int d = nk - 1; d >= 0; --d) {
      p += (out_i % kshape[d]) * kstride[d];
      out_i /= kshape[d];
    }
    return p;
  }

  // Reduces rows [o0, o1) of one sub-block: SUM adds into *acc; MAX/MIN set *acc / *pos (o0 < o1).
  void rows(const T* base, int64_t o0, int64_t o1, T* acc, int64_t* pos) const {
    const int nouter = nr > 0 ? nr - 1 : 0;
    int64_t ridx[kMaxDims] = {0};
    const T* row = base;
    int64_t rem = o0;
    for (int d = nouter - 1; d >= 0; --d) {
      ridx[d] = rem % rshape[d];
      rem /= rshape[d];
      row += ridx[d] * rstride[d];
    }
    fn_reduce<T>* kernel = k->reduce[op];
    T best = 0;
    int64_t best_pos = 0;
    for (int64_t o = o0; o < o1; ++o) {
      if (op == ADJ_REDUCE_SUM) {
        kernel(row_n, row, row_s, acc, nullptr);
      } else {
        T v;
        int64_t i;
        kernel(row_n, row, row_s, &v, &i);
        if (o == o0 || better(v, best)) {
          best = v;
          best_pos = o * row_n + i;
        }
        if (best != best) break;  // the first NaN is final
      }
      for (int d = nouter - 1; d >= 0; --d) {
        row += rstride[d];
        if (++ridx[d] < rshape[d]) break;
        row -= rstride[d] * rshape[d];
        ridx[d] = 0;
      }
    }
    if (op != ADJ_REDUCE_SUM) {
      *acc = best;
      *pos = best_pos;
    }
  }
  // v replaces the current result `cur` (met earlier in row-major order) only if strictly better or the
  // first NaN: this keeps the first occurrence.
  bool better(T v, T cur) const {
    return cur == cur && (v != v || (op == ADJ_REDUCE_MAX ? v > cur : v < cur));
  }

  void outputs(int64_t i0, int64_t i1) const {
    for (int64_t i = i0; i < i1; ++i) {
      T acc = 0;
      int64_t pos = 0;
      rows(out_base(i), 0, outer_count, &acc, &pos);
      y[i] = acc;
      if (index && op != ADJ_REDUCE_SUM) store_index(index + i, pos);
    }
  }
};

// SUM whose innermost kept axis is contiguous (column sums, e.g. a bias gradient): y's rows of that
// axis are accumulated with the column-sum kernel, one call per position of the outer reduced axes
// (the innermost reduced axis is the kernel's rows), instead of a strided walk per output. Each output
// still adds its terms in row-major order of the sub-block.
template <class T> void sum_columns(const ReducePlan<T>& p, int64_t blk, int64_t c0, int64_t c1) {
  const int64_t len = p.kshape[p.nk - 1];
  T* yb = p.y + blk * len + c0;
  const T* row = p.out_base(blk * len) + c0;
  fn_colsum<T>* colsum = p.k->colsum;
  int64_t ridx[kMaxDims] = {0};
  for (int64_t o = 0; o < p.outer_count; ++o) {
    colsum(p.row_n, c1 - c0, row, p.row_s, yb, o > 0);
    for (int d = p.nr - 2; d >= 0; --d) {
      row += p.rstride[d];
      if (++ridx[d] < p.rshape[d]) break;
      row -= p.rstride[d] * p.rshape[d];
      ridx[d] = 0;
    }
  }
}

template <class T>
void run_reduce(const TypedKernels<T>& k, adj_reduce_op op, int32_t ndim, const int64_t* shape, const T* x,
                const int64_t* xs, uint64_t mask, T* y, int64_t* index) {
  ReducePlan<T> p{};
  p.k = &k;
  p.op = op;
  p.x = x;
  p.y = y;
  p.index = index;
  for (int d = 0; d < ndim; ++d) {
    // An extent-1 axis changes no position or index; walking it would step the pointer by its stride
    // (which may be anything) and back, which is undefined behaviour for a far-away stride.
    if (shape[d] == 1) continue;
    if ((mask >> d) & 1) {
      p.rshape[p.nr] = shape[d];
      p.rstride[p.nr++] = xs[d];
    } else {
      p.kshape[p.nk] = shape[d];
      p.kstride[p.nk++] = xs[d];
    }
  }
  p.row_n = p.nr > 0 ? p.rshape[p.nr - 1] : 1;
  p.row_s = p.nr > 0 ? p.rstride[p.nr - 1] : 0;
  p.outer_count = 1;
  for (int d = 0; d + 1 < p.nr; ++d) p.outer_count *= p.rshape[d];
  p.out_count = 1;
  for (int d = 0; d < p.nk; ++d) p.out_count *= p.kshape[d];
  const int64_t total = p.out_count * p.outer_count * p.row_n;
  const int threads = threads_for(total, kGrainStreaming);

  if (op == ADJ_REDUCE_SUM && p.nr > 0 && p.nk > 0 && p.kstride[p.nk - 1] == 1 && p.row_s != 1 &&
      p.kshape[p.nk - 1] >= 16) {
    const int64_t len = p.kshape[p.nk - 1], blocks = p.out_count / len;
    // Column chunks of whole cache lines; tasks = blocks x chunks.
    const int64_t chunks = threads > 1 && blocks < threads ? (len >= 64 * threads ? threads : 1) : 1;
    struct Ctx {
      const ReducePlan<T>* p;
      int64_t len, chunks;
    } ctx{&p, len, chunks};
    auto task = [](void* c, int64_t t) {
      const Ctx& q = *static_cast<const Ctx*>(c);
      const int64_t blk = t / q.chunks, ch = t % q.chunks;
      auto edge = [&](int64_t i) { return i == q.chunks ? q.len : ((q.len * i / q.chunks) & ~int64_t(63)); };
      if (edge(ch + 1) > edge(ch)) sum_columns(*q.p, blk, edge(ch), edge(ch + 1));
    };
    parallel_for(blocks * chunks, threads, task, &ctx);
    return;
  }

  if (threads > 1 && p.out_count >= threads) {  // many outputs: split them
    struct Ctx {
      const ReducePlan<T>* p;
      int64_t parts;
    } ctx{&p, threads};
    parallel_for(threads, threads, [](void* c, int64_t t) {
      const Ctx& q = *static_cast<const Ctx*>(c);
      q.p->outputs(q.p->out_count * t / q.parts, q.p->out_count * (t + 1) / q.parts);
    }, &ctx);
    return;
  }
  if (threads > 1 && p.outer_count >= threads) {  // few outputs, many rows each: split the rows
    for (int64_t i = 0; i < p.out_count; ++i) {
      T part_acc[64];
      int64_t part_pos[64];
      const int parts = threads < 64 ? threads : 64;
      struct Ctx {
        const ReducePlan<T>* p;
        const T* base;
        int64_t parts;
        T* acc;
        int64_t* pos;
      } ctx{&p, p.out_base(i), parts, part_acc, part_pos};
      parallel_for(parts, parts, [](void* c, int64_t t) {
        const Ctx& q = *static_cast<const Ctx*>(c);
        q.acc[t] = 0;
        q.pos[t] = 0;
        q.p->rows(q.base, q.p->outer_count * t / q.parts, q.p->outer_count * (t + 1) / q.parts, &q.acc[t], &q.pos[t]);
      }, &ctx);
      T acc = part_acc[0];
      int64_t pos = part_pos[0];
      for (int t = 1; t < parts; ++t) {
        if (op == ADJ_REDUCE_SUM) acc += part_acc[t];
        else if (p.better(part_acc[t], acc)) {
          acc = part_acc[t];
          pos = part_pos[t];
        }
      }
      y[i] = acc;
      if (index && op != ADJ_REDUCE_SUM) store_index(index + i, pos);
    }
    return;
  }
  p.outputs(0, p.out_count);
}

template <class T> void scale_c(int64_t m, int64_t n, T beta, T* c, int64_t ldc) {
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) c[i * ldc + j] = beta == T(0) ? T(0) : beta * c[i * ldc + j];
}

}  // namespace

extern "C" {

ADJ_API int32_t adj_abi_version(void) { return ADJ_ABI_VERSION; }

ADJ_API adj_status adj_noop(void) { return ADJ_OK; }

ADJ_API adj_status adj_gemm(adj_dtype dtype, int32_t trans_a, int32_t trans_b, int64_t m, int64_t n, int64_t k,
                            double alpha, const void* a, int64_t lda, const void* b, int64_t ldb, double beta,
                            void* c, int64_t ldc) {
  static const char* fn = "adj_gemm";
  adj_status s;
  if ((s = check_dtype(fn, "dtype", dtype))) return s;
  if (trans_a != 0 && trans_a != 1) return fail(ADJ_ERR_INVALID_ARGUMENT, "%s: trans_a=%d must be 0 or 1", fn, trans_a);
  if (trans_b != 0 && trans_b != 1) return fail(ADJ_ERR_INVALID_ARGUMENT, "%s: trans_b=%d must be 0 or 1", fn, trans_b);
  if ((s = check_count(fn, "m", m)) || (s = check_count(fn, "n", n)) || (s = check_count(fn, "k", k))) return s;
  // ld is the row stride of the matrix as stored, so it bounds that matrix's column count.
  const int64_t a_cols = trans_a ? m : k, b_cols = trans_b ? k : n;
  if (lda < (a_cols > 1 ? a_cols : 1))
    return fail(ADJ_ERR_INVALID_ARGUMENT, "%s: lda=%lld is smaller than %s=%lld for a %s A", fn, (long long)lda,
                trans_a ? "m" : "k", (long long)(a_cols > 1 ? a_cols : 1), trans_a ? "transposed" : "non-transposed");
  if (ldb < (b_cols > 1 ? b_cols : 1))
    return fail(ADJ_ERR_INVALID_ARGUMENT, "%s: ldb=%lld is smaller than %s=%lld for a %s B", fn, (long long)ldb,
                trans_b ? "k" : "n", (long long)(b_cols > 1 ? b_cols : 1), trans_b ? "transposed" : "non-transposed");
  if (ldc < (n > 1 ? n : 1))
    return fail(ADJ_ERR_INVALID_ARGUMENT, "%s: ldc=%lld is smaller than n=%lld", fn, (long long)ldc, (long long)n);
  const bool c_used = m > 0 && n > 0, ab_used = c_used && k > 0;
  if ((s = check_ptr(fn, "a", a, ab_used)) || (s = check_ptr(fn, "b", b, ab_used)) || (s = check_ptr(fn, "c", c, c_used)))
    return s;
  if (!c_used) return ADJ_OK;
  const int64_t es = dtype_size(dtype);
  const int64_t a_rows = trans_a ? k : m, b_rows = trans_b ? n : k;
  if ((s = check_extent(fn, "c", m, n, ldc, es)) ||
      (ab_used && ((s = check_extent(fn, "a", a_rows, a_cols, lda, es)) || (s = check_extent(fn, "b", b_rows, b_cols, ldb, es)))))
    return s;
  const Span cs{reinterpret_cast<uintptr_t>(c), reinterpret_cast<uintptr_t>(c) + static_cast<uintptr_t>(((m - 1) * ldc + n) * es)};
  if (ab_used) {
    const Span as{reinterpret_cast<uintptr_t>(a), reinterpret_cast<uintptr_t>(a) + static_cast<uintptr_t>(((a_rows - 1) * lda + a_cols) * es)};
    const Span bs{reinterpret_cast<uintptr_t>(b), reinterpret_cast<uintptr_t>(b) + static_cast<uintptr_t>(((b_rows - 1) * ldb + b_cols) * es)};
    if (overlaps(cs, as)) return fail(ADJ_ERR_INVALID_ARGUMENT, "%s: c overlaps a", fn);
    if (overlaps(cs, bs)) return fail(ADJ_ERR_INVALID_ARGUMENT, "%s: c overlaps b", fn);
  }
  return guarded(fn, [&]() {
    with_dtype(dtype, [&](auto tag) {
      using T = decltype(tag);
      if (!ab_used || alpha == 0.0) {
        scale_c<T>(m, n, static_cast<T>(beta), static_cast<T*>(c), ldc);
      } else {
        typed<T>(active_kernels()).gemm(trans_a != 0, trans_b != 0, m, n, k, static_cast<T>(alpha),
                                        static_cast<const T*>(a), lda, static_cast<const T*>(b), ldb,
                                        static_cast<T>(beta), static_cast<T*>(c), ldc);
      }
      return 0;
    });
    return ok();
  });
}

ADJ_API adj_status adj_unary(adj_unary_op op, adj_dtype dtype, int64_t n, const void* x, void* y) {
  static const char* fn = "adj_unary";
  adj_status s;
  if ((s = check_enum(fn, "op", op, ADJ_UNARY_OP_COUNT)) || (s = check_dtype(fn, "dtype", dtype)) ||
      (s = check_count(fn, "n", n)) || (s = check_extent(fn, "n", n, dtype_size(dtype))) ||
      (s = check_ptr(fn, "x", x, n > 0)) || (s = check_ptr(fn, "y", y, n > 0)) ||
      (s = check_alias(fn, "y", y, "x", x, n, dtype_size(dtype))))
    return s;
  if (n == 0) return ADJ_OK;
  return guarded(fn, [&]() {
    with_dtype(dtype, [&](auto tag) {
      using T = decltype(tag);
      auto* kernel = typed<T>(active_kernels()).unary[op];
      const T* xs = static_cast<const T*>(x);
      T* ys = static_cast<T*>(y);
      parallel_ranges(n, threads_for(n, unary_is_compute(op, false) ? kGrainCompute : kGrainStreaming),
                      [&](int64_t i0, int64_t i1) { kernel(i1 - i0, xs + i0, ys + i0); });
      return 0;
    });
    return ok();
  });
}

ADJ_API adj_status adj_unary_backward(adj_unary_op op, adj_dtype dtype, int64_t n, const void* x, const void* y,
                                      const void* gy, void* gx) {
  static const char* fn = "adj_unary_backward";
  adj_status s;
  if ((s = check_enum(fn, "op", op, ADJ_UNARY_OP_COUNT)) || (s = check_dtype(fn, "dtype", dtype)) ||
      (s = check_count(fn, "n", n)) || (s = check_extent(fn, "n", n, dtype_size(dtype))))
    return s;
  const bool rx = bwd_reads_x(op), ry = bwd_reads_y(op);
  const int64_t es = dtype_size(dtype);
  if ((s = check_ptr(fn, "x", x, rx && n > 0)) || (s = check_ptr(fn, "y", y, ry && n > 0)) ||
      (s = check_ptr(fn, "gy", gy, n > 0)) || (s = check_ptr(fn, "gx", gx, n > 0)) ||
      (s = check_alias(fn, "gx", gx, "gy", gy, n, es)) || (rx && (s = check_alias(fn, "gx", gx, "x", x, n, es))) ||
      (ry && (s = check_alias(fn, "gx", gx, "y", y, n, es))))
    return s;
  if (n == 0) return ADJ_OK;
  return guarded(fn, [&]() {
    with_dtype(dtype, [&](auto tag) {
      using T = decltype(tag);
      auto* kernel = typed<T>(active_kernels()).unary_bwd[op];
      const T* xs = rx ? static_cast<const T*>(x) : nullptr;
      const T* ys = ry ? static_cast<const T*>(y) : nullptr;
      const T* gys = static_cast<const T*>(gy);
      T* gxs = static_cast<T*>(gx);
      parallel_ranges(n, threads_for(n, unary_is_compute(op, true) ? kGrainCompute : kGrainStreaming),
                      [&](int64_t i0, int64_t i1) {
                        kernel(i1 - i0, xs ? xs + i0 : nullptr, ys ? ys + i0 : nullptr, gys + i0, gxs + i0);
                      });
      return 0;
    });
    return ok();
  });
}

ADJ_API adj_status adj_binary(adj_binary_op op, adj_dtype dtype, int32_t ndim, const int64_t* shape, const void* a,
                              const int64_t* a_strides, const void* b, const int64_t* b_strides, void* out,
                              const int64_t* out_strides) {
  static const char* fn = "adj_binary";
  adj_status s;
  int64_t total = 0;
  if ((s = check_enum(fn, "op", op, ADJ_BINARY_OP_COUNT)) || (s = check_dtype(fn, "dtype", dtype)) ||
      (s = check_shape(fn, ndim, shape, &total)) || (s = check_strides(fn, "a_strides", ndim, a_strides)) ||
      (s = check_strides(fn, "b_strides", ndim, b_strides)) || (s = check_strides(fn, "out_strides", ndim, out_strides)))
    return s;
  if (total == 0) return ADJ_OK;
  if ((s = check_ptr(fn, "a", a, true)) || (s = check_ptr(fn, "b", b, true)) || (s = check_ptr(fn, "out", out, true)))
    return s;
  const int64_t es = dtype_size(dtype);
  if (all_contiguous(ndim, shape, a_strides, b_strides, out_strides)) {
    // Note [Same-shape binary fast path]: the common case (operands of one shape, all row-major
    // contiguous) is one flat row; checking that directly costs a few ns where the general
    // validation, spans and coalescing below cost ~150 ns, as much as adding 1K floats.
    if ((s = check_extent(fn, "shape", total, es)) || (s = check_alias(fn, "out", out, "a", a, total, es)) ||
        (s = check_alias(fn, "out", out, "b", b, total, es)))
      return s;
    return guarded(fn, [&]() {
      with_dtype(dtype, [&](auto tag) {
        using T = decltype(tag);
        auto* kernel = typed<T>(active_kernels()).binary[op];
        const T* as = static_cast<const T*>(a);
        const T* bs = static_cast<const T*>(b);
        T* os = static_cast<T*>(out);
        parallel_ranges(total, threads_for(total, op == ADJ_BINARY_POW ? kGrainCompute : kGrainStreaming),
                        [&](int64_t i0, int64_t i1) { kernel(i1 - i0, as + i0, 1, bs + i0, 1, os + i0, 1); });
        return 0;
      });
      return ok();
    });
  }
  if ((s = check_extent(fn, "a_strides", ndim, shape, a_strides, es)) ||
      (s = check_extent(fn, "b_strides", ndim, shape, b_strides, es)) ||
      (s = check_extent(fn, "out_strides", ndim, shape, out_strides, es)))
    return s;
  const Span os = span_of(out, ndim, shape, out_strides, es);
  const void* ins[2] = {a, b};
  const int64_t* in_strides[2] = {a_strides, b_strides};
  for (int o = 0; o < 2; ++o) {
    if (!overlaps(os, span_of(ins[o], ndim, shape, in_strides[o], es))) continue;
    bool same = ins[o] == out;
    for (int d = 0; d < ndim && same; ++d)
      if (shape[d] > 1 && in_strides[o][d] != out_strides[d]) same = false;
    if (!same) return fail(ADJ_ERR_INVALID_ARGUMENT, "%s: out partially overlaps %s", fn, o == 0 ? "a" : "b");
  }
  return guarded(fn, [&]() {
    with_dtype(dtype, [&](auto tag) {
      using T = decltype(tag);
      run_binary<T>(typed<T>(active_kernels()).binary[op], op, ndim, shape, static_cast<const T*>(a), a_strides,
                    static_cast<const T*>(b), b_strides, static_cast<T*>(out), out_strides);
      return 0;
    });
    return ok();
  });
}

ADJ_API adj_status adj_reduce(adj_reduce_op op, adj_dtype dtype, int32_t ndim, const int64_t* shape, const void* x,
                              const int64_t* x_strides, uint64_t axes_mask, void* y, int64_t* index) {
  static const char* fn = "adj_reduce";
  adj_status s;
  int64_t total = 0;
  if ((s = check_enum(fn, "op", op, ADJ_REDUCE_OP_COUNT)) || (s = check_dtype(fn, "dtype", dtype)) ||
      (s = check_shape(fn, ndim, shape, &total)) || (s = check_strides(fn, "x_strides", ndim, x_strides)))
    return s;
  if (ndim < 64 && (axes_mask >> ndim) != 0)
    return fail(ADJ_ERR_INVALID_ARGUMENT, "%s: axes_mask=0x%llx names an axis >= ndim=%d", fn,
                (unsigned long long)axes_mask, ndim);
  int64_t out_count = 1, red_count = 1;
  // With a zero extent the shape's total is 0 while the other part's product may exceed int64: saturate
  // (an output that large is then refused by check_extent below; an empty one needs nothing).
  for (int d = 0; d < ndim; ++d) {
    int64_t& c = (axes_mask >> d) & 1 ? red_count : out_count;
    if (__builtin_mul_overflow(c, shape[d], &c)) c = INT64_MAX;
  }
  if (red_count == 0 && op != ADJ_REDUCE_SUM)
    return fail(ADJ_ERR_INVALID_ARGUMENT, "%s: %s over an empty extent has no result", fn,
                op == ADJ_REDUCE_MAX ? "max" : "min");
  if (out_count == 0) return ADJ_OK;
  if ((s = check_ptr(fn, "x", x, total > 0)) || (s = check_ptr(fn, "y", y, true))) return s;
  const int64_t es = dtype_size(dtype);
  if ((total > 0 && (s = check_extent(fn, "x_strides", ndim, shape, x_strides, es))) ||
      (s = check_extent(fn, "y", out_count, es)) || (s = check_extent(fn, "index", out_count, 8)))
    return s;
  if (total > 0 && overlaps(span_of(y, out_count, es), span_of(x, ndim, shape, x_strides, es)))
    return fail(ADJ_ERR_INVALID_ARGUMENT, "%s: y overlaps x", fn);
  if (index && op != ADJ_REDUCE_SUM) {
    const Span is = span_of(index, out_count, 8);
    if (overlaps(is, span_of(y, out_count, es)) || (total > 0 && overlaps(is, span_of(x, ndim, shape, x_strides, es))))
      return fail(ADJ_ERR_INVALID_ARGUMENT, "%s: index overlaps x or y", fn);
  }
  return guarded(fn, [&]() {
    with_dtype(dtype, [&](auto tag) {
      using T = decltype(tag);
      if (red_count == 0) {
        for (int64_t i = 0; i < out_count; ++i) static_cast<T*>(y)[i] = T(0);
      } else {
        run_reduce<T>(typed<T>(active_kernels()), op, ndim, shape, static_cast<const T*>(x), x_strides, axes_mask,
                      static_cast<T*>(y), index);
      }
      return 0;
    });
    return ok();
  });
}

ADJ_API adj_status adj_row_op(adj_row_op_kind op, adj_dtype dtype, int64_t rows, int64_t cols, const void* x, void* y) {
  static const char* fn = "adj_row_op";
  adj_status s;
  if ((s = check_enum(fn, "op", op, ADJ_ROW_OP_COUNT)) || (s = check_dtype(fn, "dtype", dtype)) ||
      (s = check_count(fn, "rows", rows)) || (s = check_count(fn, "cols", cols)) ||
      (op == ADJ_ROW_LOGSUMEXP && (s = check_extent(fn, "rows", rows, dtype_size(dtype)))) ||
      (rows > 0 && cols > 0 && (s = check_extent(fn, "x", rows, cols, cols, dtype_size(dtype)))))
    return s;
  const int64_t x_count = rows * cols, y_count = op == ADJ_ROW_LOGSUMEXP ? rows : x_count;
  const int64_t es = dtype_size(dtype);
  if ((s = check_ptr(fn, "x", x, x_count > 0)) || (s = check_ptr(fn, "y", y, y_count > 0))) return s;
  if (y_count == 0) return ADJ_OK;
  if (x_count > 0 && !(x == y && x_count == y_count) && overlaps(span_of(y, y_count, es), span_of(x, x_count, es)))
    return fail(ADJ_ERR_INVALID_ARGUMENT, "%s: y partially overlaps x", fn);
  return guarded(fn, [&]() {
    with_dtype(dtype, [&](auto tag) {
      using T = decltype(tag);
      auto* kernel = typed<T>(active_kernels()).row[op];
      const T* xs = static_cast<const T*>(x);
      T* ys = static_cast<T*>(y);
      const int64_t ystride = op == ADJ_ROW_LOGSUMEXP ? 1 : cols;
      parallel_row_blocks(rows, cols, [&](int64_t r0, int64_t r1) { kernel(r1 - r0, cols, xs + r0 * cols, ys + r0 * ystride); });
      return 0;
    });
    return ok();
  });
}

ADJ_API adj_status adj_row_op_backward(adj_row_op_kind op, adj_dtype dtype, int64_t rows, int64_t cols, const void* x,
                                       const void* y, const void* gy, void* gx) {
  static const char* fn = "adj_row_op_backward";
  adj_status s;
  if ((s = check_enum(fn, "op", op, ADJ_ROW_OP_COUNT)) || (s = check_dtype(fn, "dtype", dtype)) ||
      (s = check_count(fn, "rows", rows)) || (s = check_count(fn, "cols", cols)) ||
      (rows > 0 && cols > 0 && (s = check_extent(fn, "x", rows, cols, cols, dtype_size(dtype)))))
    return s;
  const int64_t x_count = rows * cols, y_count = op == ADJ_ROW_LOGSUMEXP ? rows : x_count;
  const bool lse = op == ADJ_ROW_LOGSUMEXP;
  if (x_count == 0) return ADJ_OK;
  if ((s = check_ptr(fn, "x", x, lse)) || (s = check_ptr(fn, "y", y, true)) || (s = check_ptr(fn, "gy", gy, true)) ||
      (s = check_ptr(fn, "gx", gx, true)))
    return s;
  const int64_t es = dtype_size(dtype);
  const Span gs = span_of(gx, x_count, es);
  auto bad = [&](const void* p, int64_t count) {
    return p && p != gx && overlaps(gs, span_of(p, count, es));
  };
  // logsumexp's y and gy have one element per row, so gx (a whole matrix) can never alias them exactly.
  if (bad(gy, y_count) || (lse && gy == gx) || bad(y, y_count) || (lse && y == gx) || (lse && bad(x, x_count)))
    return fail(ADJ_ERR_INVALID_ARGUMENT, "%s: gx partially overlaps an input", fn);
  return guarded(fn, [&]() {
    with_dtype(dtype, [&](auto tag) {
      using T = decltype(tag);
      auto* kernel = typed<T>(active_kernels()).row_bwd[op];
      const T* xs = lse ? static_cast<const T*>(x) : nullptr;
      const T* ys = static_cast<const T*>(y);
      const T* gys = static_cast<const T*>(gy);
      T* gxs = static_cast<T*>(gx);
      const int64_t ystride = lse ? 1 : cols;
      parallel_row_blocks(rows, cols, [&](int64_t r0, int64_t r1) {
        kernel(r1 - r0, cols, xs ? xs + r0 * cols : nullptr, ys + r0 * ystride, gys + r0 * ystride, gxs + r0 * cols);
      });
      return 0;
    });
    return ok();
  });
}

}  // extern "C"

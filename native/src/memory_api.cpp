// adj_fill, adj_copy_strided, adj_cast.
#include <cstring>

#include "src/api_util.h"

using namespace adj;

namespace {

// Copies with an element-size-generic walker: bytes are moved, never interpreted, so NaN payloads and
// signalling NaNs survive. The innermost row uses memcpy when both sides are contiguous.
void copy_strided_bytes(int ndim, const int64_t* shape, const char* src, const int64_t* ss, char* dst,
                        const int64_t* ds, int64_t es) {
  int64_t sh[kMaxDims];
  int64_t st[2][kMaxDims];
  const int64_t* in[2] = {ss, ds};
  // Coalescing is done inline (the same rule as adj_binary): drop extent 1, merge contiguous neighbours.
  int nd = 0;
  for (int d = 0; d < ndim; ++d) {
    if (shape[d] == 1) continue;
    if (nd > 0 && st[0][nd - 1] == in[0][d] * shape[d] && st[1][nd - 1] == in[1][d] * shape[d]) {
      sh[nd - 1] *= shape[d];
      st[0][nd - 1] = in[0][d];
      st[1][nd - 1] = in[1][d];
      continue;
    }
    sh[nd] = shape[d];
    st[0][nd] = in[0][d];
    st[1][nd] = in[1][d];
    ++nd;
  }
  if (nd == 0) {
    std::memcpy(dst, src, static_cast<size_t>(es));
    return;
  }
  const int inner = nd - 1;
  const int64_t n = sh[inner], sst = st[0][inner] * es, dst_st = st[1][inner] * es;
  const bool contiguous = st[0][inner] == 1 && st[1][inner] == 1;
  int64_t idx[kMaxDims] = {0};
  for (;;) {
    if (contiguous) {
      std::memcpy(dst, src, static_cast<size_t>(n * es));
    } else if (es == 4) {
      for (int64_t i = 0; i < n; ++i) std::memcpy(dst + i * dst_st, src + i * sst, 4);
    } else {
      for (int64_t i = 0; i < n; ++i) std::memcpy(dst + i * dst_st, src + i * sst, 8);
    }
    int d = inner - 1;
    for (; d >= 0; --d) {
      src += st[0][d] * es;
      dst += st[1][d] * es;
      if (++idx[d] < sh[d]) break;
      src -= st[0][d] * sh[d] * es;
      dst -= st[1][d] * sh[d] * es;
      idx[d] = 0;
    }
    if (d < 0) return;
  }
}

}  // namespace

extern "C" {

ADJ_API adj_status adj_fill(adj_dtype dtype, int64_t n, double value, void* y) {
  static const char* fn = "adj_fill";
  adj_status s;
  if ((s = check_dtype(fn, "dtype", dtype)) || (s = check_count(fn, "n", n)) ||
      (s = check_extent(fn, "n", n, dtype_size(dtype))) || (s = check_ptr(fn, "y", y, n > 0)))
    return s;
  if (n == 0) return ADJ_OK;
  return guarded(fn, [&]() {
    if (dtype == ADJ_F32) active_kernels().f32.fill(n, static_cast<float>(value), static_cast<float*>(y));
    else active_kernels().f64.fill(n, value, static_cast<double*>(y));
    return ok();
  });
}

ADJ_API adj_status adj_copy_strided(adj_dtype dtype, int32_t ndim, const int64_t* shape, const void* src,
                                    const int64_t* src_strides, void* dst, const int64_t* dst_strides) {
  static const char* fn = "adj_copy_strided";
  adj_status s;
  int64_t total = 0;
  if ((s = check_dtype(fn, "dtype", dtype)) || (s = check_shape(fn, ndim, shape, &total)) ||
      (s = check_strides(fn, "src_strides", ndim, src_strides)) ||
      (s = check_strides(fn, "dst_strides", ndim, dst_strides)))
    return s;
  if (total == 0) return ADJ_OK;
  if ((s = check_ptr(fn, "src", src, true)) || (s = check_ptr(fn, "dst", dst, true))) return s;
  const int64_t es = dtype_size(dtype);
  if ((s = check_extent(fn, "src_strides", ndim, shape, src_strides, es)) ||
      (s = check_extent(fn, "dst_strides", ndim, shape, dst_strides, es)))
    return s;
  if (overlaps(span_of(src, ndim, shape, src_strides, es), span_of(dst, ndim, shape, dst_strides, es)))
    return fail(ADJ_ERR_INVALID_ARGUMENT, "%s: dst overlaps src", fn);
  return guarded(fn, [&]() {
    copy_strided_bytes(ndim, shape, static_cast<const char*>(src), src_strides, static_cast<char*>(dst), dst_strides,
                       es);
    return ok();
  });
}

ADJ_API adj_status adj_cast(adj_dtype src_dtype, const void* src, adj_dtype dst_dtype, void* dst, int64_t n) {
  static const char* fn = "adj_cast";
  adj_status s;
  if ((s = check_dtype(fn, "src_dtype", src_dtype)) || (s = check_dtype(fn, "dst_dtype", dst_dtype)) ||
      (s = check_count(fn, "n", n)) || (s = check_extent(fn, "n", n, dtype_size(src_dtype))) ||
      (s = check_extent(fn, "n", n, dtype_size(dst_dtype))) || (s = check_ptr(fn, "src", src, n > 0)) ||
      (s = check_ptr(fn, "dst", dst, n > 0)))
    return s;
  if (n == 0) return ADJ_OK;
  const Span ss = span_of(src, n, dtype_size(src_dtype)), ds = span_of(dst, n, dtype_size(dst_dtype));
  if (src_dtype == dst_dtype) {
    if (src == dst) return ADJ_OK;
    if (overlaps(ss, ds)) return fail(ADJ_ERR_INVALID_ARGUMENT, "%s: dst partially overlaps src", fn);
    std::memcpy(dst, src, static_cast<size_t>(n * dtype_size(src_dtype)));
    return ADJ_OK;
  }
  // Widening in place would overwrite unread input, so any overlap between different dtypes is refused.
  if (overlaps(ss, ds)) return fail(ADJ_ERR_INVALID_ARGUMENT, "%s: dst overlaps src", fn);
  return guarded(fn, [&]() {
    if (src_dtype == ADJ_F32) active_kernels().f32.cast(n, static_cast<const float*>(src), dst);
    else active_kernels().f64.cast(n, static_cast<const double*>(src), dst);
    return ok();
  });
}

}  // extern "C"

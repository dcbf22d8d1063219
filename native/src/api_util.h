// Shared argument checks and the exception boundary of the adj_* entry points.
#pragma once
#include <cstdint>
#include <exception>
#include <new>

#include "src/errors.h"
#include "src/kernels.h"

namespace adj {

constexpr int kMaxDims = 16;

// Runs body, turning any escaping C++ exception into a status: nothing may unwind into C or .NET.
template <class F> adj_status guarded(const char* fn, F&& body) noexcept {
  try {
    return body();
  } catch (const std::bad_alloc&) {
    return fail(ADJ_ERR_OUT_OF_MEMORY, "%s: out of memory", fn);
  } catch (const std::exception& e) {
    return fail(ADJ_ERR_INTERNAL, "%s: internal error: %s", fn, e.what());
  } catch (...) {
    return fail(ADJ_ERR_INTERNAL, "%s: internal error: unknown exception", fn);
  }
}

inline const char* dtype_name(adj_dtype d) { return d == ADJ_F32 ? "f32" : "f64"; }
inline int64_t dtype_size(adj_dtype d) { return d == ADJ_F32 ? 4 : 8; }

// Each check returns ADJ_OK or records the message and returns the failure status.
inline adj_status check_dtype(const char* fn, const char* what, adj_dtype d) {
  if (static_cast<int>(d) != ADJ_F32 && static_cast<int>(d) != ADJ_F64)
    return fail(ADJ_ERR_INVALID_ARGUMENT, "%s: %s=%d is not an adj_dtype value", fn, what, static_cast<int>(d));
  return ADJ_OK;
}
inline adj_status check_count(const char* fn, const char* what, int64_t v) {
  if (v < 0) return fail(ADJ_ERR_INVALID_ARGUMENT, "%s: %s=%lld must not be negative", fn, what, (long long)v);
  return ADJ_OK;
}
inline adj_status check_ptr(const char* fn, const char* what, const void* p, bool needed) {
  if (needed && p == nullptr) return fail(ADJ_ERR_NULL_POINTER, "%s: %s is NULL but elements must be accessed", fn, what);
  return ADJ_OK;
}
inline adj_status check_enum(const char* fn, const char* what, int v, int count) {
  if (v < 0 || v >= count)
    return fail(ADJ_ERR_INVALID_ARGUMENT, "%s: %s=%d is out of range [0, %d)", fn, what, v, count);
  return ADJ_OK;
}

// Validates ndim, the shape array and its extents; sets *elements to the product (0 if any extent is 0).
inline adj_status check_shape(const char* fn, int32_t ndim, const int64_t* shape, int64_t* elements) {
  if (ndim < 0 || ndim > kMaxDims)
    return fail(ADJ_ERR_INVALID_ARGUMENT, "%s: ndim=%d is outside [0, %d]", fn, ndim, kMaxDims);
  if (ndim > 0 && shape == nullptr) return fail(ADJ_ERR_NULL_POINTER, "%s: shape is NULL with ndim=%d", fn, ndim);
  int64_t total = 1;
  bool overflow = false;
  for (int d = 0; d < ndim; ++d) {
    if (shape[d] < 0)
      return fail(ADJ_ERR_INVALID_ARGUMENT, "%s: shape[%d]=%lld must not be negative", fn, d, (long long)shape[d]);
    if (shape[d] != 0 && total > INT64_MAX / shape[d]) overflow = true;
    else total *= shape[d];
  }
  for (int d = 0; d < ndim; ++d)
    if (shape[d] == 0) total = 0;
  if (overflow && total != 0)
    return fail(ADJ_ERR_INVALID_ARGUMENT, "%s: the shape has more than 2^63 elements", fn);
  *elements = total;
  return ADJ_OK;
}

inline adj_status check_strides(const char* fn, const char* what, int32_t ndim, const int64_t* strides) {
  if (ndim > 0 && strides == nullptr) return fail(ADJ_ERR_NULL_POINTER, "%s: %s is NULL with ndim=%d", fn, what, ndim);
  return ADJ_OK;
}

// Note [Extents that overflow]: the ABI cannot tell whether a buffer is large enough, but it can tell
// when the arguments describe more bytes than any address space holds. Such calls are refused before
// any offset is computed (the offsets themselves would overflow) or any element is touched.
constexpr int64_t kMaxExtentBytes = INT64_MAX;

// n contiguous elements of esize bytes.
inline adj_status check_extent(const char* fn, const char* what, int64_t n, int64_t esize) {
  if (n > kMaxExtentBytes / esize)
    return fail(ADJ_ERR_INVALID_ARGUMENT, "%s: %s=%lld elements of %lld bytes exceed the address space", fn, what,
                (long long)n, (long long)esize);
  return ADJ_OK;
}

// A strided view with at least one element (every extent >= 1): the byte distance between its lowest
// and highest element, plus one element, must fit in int64.
inline adj_status check_extent(const char* fn, const char* what, int32_t ndim, const int64_t* shape,
                               const int64_t* strides, int64_t esize) {
  __int128 lo = 0, hi = 0;
  for (int d = 0; d < ndim; ++d) {
    const __int128 reach = static_cast<__int128>(shape[d] - 1) * strides[d];
    if (reach < 0) lo += reach;
    else hi += reach;
    if (hi - lo >= kMaxExtentBytes) break;  // stop before the sum itself could overflow
  }
  const __int128 limit = kMaxExtentBytes / esize;  // compare in elements: no product can overflow
  if (hi - lo + 1 > limit || hi + 1 > limit || -lo > limit)
    return fail(ADJ_ERR_INVALID_ARGUMENT, "%s: the shape and %s address more than 2^63 bytes", fn, what);
  return ADJ_OK;
}

// A row-major matrix of rows x cols (both >= 1) with row stride ld >= cols.
inline adj_status check_extent(const char* fn, const char* what, int64_t rows, int64_t cols, int64_t ld,
                               int64_t esize) {
  const __int128 elems = static_cast<__int128>(rows - 1) * ld + cols;
  if (elems > kMaxExtentBytes / esize)
    return fail(ADJ_ERR_INVALID_ARGUMENT, "%s: %s (%lld x %lld, ld=%lld) addresses more than 2^63 bytes", fn, what,
                (long long)rows, (long long)cols, (long long)ld);
  return ADJ_OK;
}

// Byte range [lo, hi) touched by a strided view with at least one element.
struct Span {
  uintptr_t lo, hi;
};
inline Span span_of(const void* p, int32_t ndim, const int64_t* shape, const int64_t* strides, int64_t esize) {
  int64_t lo = 0, hi = 0;
  for (int d = 0; d < ndim; ++d) {
    const int64_t reach = (shape[d] - 1) * strides[d];
    if (reach < 0) lo += reach;
    else hi += reach;
  }
  const uintptr_t base = reinterpret_cast<uintptr_t>(p);
  return {base + static_cast<uintptr_t>(lo * esize), base + static_cast<uintptr_t>((hi + 1) * esize)};
}
inline Span span_of(const void* p, int64_t n, int64_t esize) {
  const uintptr_t base = reinterpret_cast<uintptr_t>(p);
  return {base, base + static_cast<uintptr_t>(n * esize)};
}
inline bool overlaps(Span a, Span b) { return a.lo < b.hi && b.lo < a.hi; }

template <class F> auto with_dtype(adj_dtype d, F&& f) {
  if (d == ADJ_F32) return f(float{});
  return f(double{});
}

}  // namespace adj

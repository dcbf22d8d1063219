// Error plumbing: every failure records a thread-local message naming the function and the argument.
#pragma once
#include "adjoint/adjoint.h"

#define ADJ_STR2(x) #x
#define ADJ_STR(x) ADJ_STR2(x)

namespace adj {

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
adj_status fail(adj_status status, const char* fmt, ...);

// Success leaves the thread's message alone: adj_last_error() reports the last *failure*.
inline adj_status ok() { return ADJ_OK; }

}  // namespace adj

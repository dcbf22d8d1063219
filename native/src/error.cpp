#include <cstdarg>
#include <cstdio>

#include "src/errors.h"

namespace adj {
namespace {
// Fixed-size storage: recording an error must not allocate (it may report an allocation failure).
thread_local char t_message[512];
}  // namespace

adj_status fail(adj_status status, const char* fmt, ...) {
  va_list args;
  va_start(args, fmt);
  std::vsnprintf(t_message, sizeof t_message, fmt, args);
  va_end(args);
  return status;
}

}  // namespace adj

extern "C" ADJ_API const char* adj_last_error(void) { return adj::t_message; }

// The options of the fused optimizer steps as compile-time flags: each combination is one branch-free loop,
// which the scalar tier's compiler vectorises and the SIMD tiers write with vectors. Internal linkage
// (anonymous namespace) because ISA-flagged files include it too (see kernels/ref/scalar_ops.h).
#pragma once

namespace adj {
namespace {

template <bool B> struct Flag {
  static constexpr bool value = B;
};

// body(Flag<weight decay>, Flag<momentum buffer>, Flag<first step>, Flag<Nesterov>); first and Nesterov only
// matter with a buffer.
template <class F> inline void with_sgd_flags(bool wd, bool buf, bool first, bool nesterov, F&& body) {
  if (!buf) {
    if (wd) body(Flag<true>{}, Flag<false>{}, Flag<false>{}, Flag<false>{});
    else body(Flag<false>{}, Flag<false>{}, Flag<false>{}, Flag<false>{});
  } else if (first) {
    if (wd) nesterov ? body(Flag<true>{}, Flag<true>{}, Flag<true>{}, Flag<true>{})
                     : body(Flag<true>{}, Flag<true>{}, Flag<true>{}, Flag<false>{});
    else nesterov ? body(Flag<false>{}, Flag<true>{}, Flag<true>{}, Flag<true>{})
                  : body(Flag<false>{}, Flag<true>{}, Flag<true>{}, Flag<false>{});
  } else {
    if (wd) nesterov ? body(Flag<true>{}, Flag<true>{}, Flag<false>{}, Flag<true>{})
                     : body(Flag<true>{}, Flag<true>{}, Flag<false>{}, Flag<false>{});
    else nesterov ? body(Flag<false>{}, Flag<true>{}, Flag<false>{}, Flag<true>{})
                  : body(Flag<false>{}, Flag<true>{}, Flag<false>{}, Flag<false>{});
  }
}

// body(Flag<weight decay added to the gradient>, Flag<decoupled decay of the parameter>).
template <class F> inline void with_adam_flags(bool wd, bool decay, F&& body) {
  if (wd) decay ? body(Flag<true>{}, Flag<true>{}) : body(Flag<true>{}, Flag<false>{});
  else decay ? body(Flag<false>{}, Flag<true>{}) : body(Flag<false>{}, Flag<false>{});
}

}  // namespace
}  // namespace adj

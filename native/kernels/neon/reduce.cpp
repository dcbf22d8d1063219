// reduce kernels for the neon tier: the shared body in kernels/simd/reduce_impl.h, compiled for
// AArch64 targets only (ASIMD is baseline there, no extra flags) inside namespace adj::neon.
#include "kernels/simd/vec_neon.h"
#include "kernels/simd/reduce_impl.h"

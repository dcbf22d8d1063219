// Optimizer-step kernels for the neon tier: the shared body in kernels/simd/optim_impl.h, compiled for AArch64
// with -ffp-contract=off (see native/CMakeLists.txt) inside namespace adj::neon.
#include "kernels/simd/vec_neon.h"
#include "kernels/simd/optim_impl.h"

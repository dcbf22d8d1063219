// Optimizer-step kernels for the avx2 tier: the shared body in kernels/simd/optim_impl.h, compiled with only
// this tier's flags plus -ffp-contract=off (see native/CMakeLists.txt) inside namespace adj::avx2.
#include "kernels/simd/vec_avx2.h"
#include "kernels/simd/optim_impl.h"

// Optimizer-step kernels for the avx512 tier: the shared body in kernels/simd/optim_impl.h, compiled with only
// this tier's flags plus -ffp-contract=off (see native/CMakeLists.txt) inside namespace adj::avx512.
#include "kernels/simd/vec_avx512.h"
#include "kernels/simd/optim_impl.h"

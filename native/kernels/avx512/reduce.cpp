// reduce kernels for the avx512 tier: the shared body in kernels/simd/reduce_impl.h, compiled with only
// this tier's flags (see native/CMakeLists.txt) inside namespace adj::avx512.
#include "kernels/simd/vec_avx512.h"
#include "kernels/simd/reduce_impl.h"

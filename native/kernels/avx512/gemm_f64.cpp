// The float64 gemm kernel of the avx512 tier; the tile is explained in gemm_f32.cpp.
#include "kernels/simd/vec_avx512.h"
#include "kernels/simd/gemm_impl.h"

ADJ_GEMM_DEF(f64, 12, 2, f64_gemm_12x16__avx512)

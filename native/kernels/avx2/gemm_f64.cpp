// The float64 gemm kernel of the avx2 tier; the tile is explained in gemm_f32.cpp.
#include "kernels/simd/vec_avx2.h"
#include "kernels/simd/gemm_impl.h"

ADJ_GEMM_DEF(f64, 6, 2, f64_gemm_6x8__avx2)

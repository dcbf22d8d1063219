// The float64 gemm kernel of the neon tier; the tile is explained in gemm_f32.cpp.
#include "kernels/simd/vec_neon.h"
#include "kernels/simd/gemm_impl.h"

ADJ_GEMM_DEF(f64, 8, 3, f64_gemm_8x6__neon)

// gemm kernels for the avx512 tier: the shared body in kernels/simd/gemm_impl.h, compiled with only
// this tier's flags (see native/CMakeLists.txt) inside namespace adj::avx512.
#include "kernels/simd/vec_avx512.h"
#include "kernels/simd/gemm_impl.h"

// 12 rows x 2 vectors: 24 accumulators + 2 B vectors + 1 broadcast of the 32 zmm registers.
ADJ_GEMM_DEF(f32, 12, 2, f32_gemm_12x32__avx512)
ADJ_GEMM_DEF(f64, 12, 2, f64_gemm_12x16__avx512)

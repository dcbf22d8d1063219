// The float32 gemm kernel of the avx512 tier: the shared body in kernels/simd/gemm_impl.h, compiled with
// only this tier's flags (see native/CMakeLists.txt) inside namespace adj::avx512. float64 is in
// gemm_f64.cpp so the two compile in parallel: as one file, the avx512 tier's took 149 s under
// ASan + UBSan (clang 14), the longest single step of the sanitizer build.
#include "kernels/simd/vec_avx512.h"
#include "kernels/simd/gemm_impl.h"

// 12 rows x 2 vectors: 24 accumulators + 2 B vectors + 1 broadcast of the 32 zmm registers.
ADJ_GEMM_DEF(f32, 12, 2, f32_gemm_12x32__avx512)

// The float32 gemm kernel of the avx2 tier: the shared body in kernels/simd/gemm_impl.h, compiled with
// only this tier's flags (see native/CMakeLists.txt) inside namespace adj::avx2. float64 is in
// gemm_f64.cpp so the two compile in parallel: as one file, the avx512 tier's took 149 s under
// ASan + UBSan (clang 14), the longest single step of the sanitizer build.
#include "kernels/simd/vec_avx2.h"
#include "kernels/simd/gemm_impl.h"

// 6 rows x 2 vectors: 12 accumulators + 2 B vectors + 1 broadcast of the 16 ymm registers.
ADJ_GEMM_DEF(f32, 6, 2, f32_gemm_6x16__avx2)

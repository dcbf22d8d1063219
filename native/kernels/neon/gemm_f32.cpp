// The float32 gemm kernel of the neon tier: the shared body in kernels/simd/gemm_impl.h, compiled for
// AArch64 (ASIMD is baseline there, no extra flags) inside namespace adj::neon. float64 is in
// gemm_f64.cpp so the two compile in parallel: as one file, the avx512 tier's took 149 s under
// ASan + UBSan (clang 14), the longest single step of the sanitizer build.
#include "kernels/simd/vec_neon.h"
#include "kernels/simd/gemm_impl.h"

// 8 rows x 3 vectors (8 x 12 floats, 8 x 6 doubles): 24 accumulators + 3 B vectors + the k step's 8 A
// values as 2 (f32) or 4 (f64) vectors that the FMAs take by lane (gemm_impl.h) = 29 or 31 of the 32
// vector registers. Per k step: 5 (f32) or 7 (f64) 16-byte loads for 24 FMAs. 12 x 2 vectors would need
// as many registers and loads for f32, but wastes more of a 12-row tile on the last rows of C (m mod
// 12), and 4 x 6 would load 6 B vectors + 1 A vector per 24 FMAs. BLIS's hand-written armv8a kernel
// uses 8 x 12 for f32 too.
// Not tuned by measurement: only qemu runs this here, and qemu timings say nothing about a real core.
ADJ_GEMM_DEF(f32, 8, 3, f32_gemm_8x12__neon)

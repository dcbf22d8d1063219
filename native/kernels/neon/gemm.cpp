// gemm kernels for the neon tier: the shared body in kernels/simd/gemm_impl.h, compiled for AArch64
// (ASIMD is baseline there, no extra flags) inside namespace adj::neon.
#include "kernels/simd/vec_neon.h"
#include "kernels/simd/gemm_impl.h"

// 8 rows x 3 vectors (8 x 12 floats, 8 x 6 doubles): 24 accumulators + 3 B vectors + 1 broadcast A
// value = 28 of the 32 vector registers. Each k step loads 3 B vectors and broadcasts 8 A values for
// 24 FMAs (0.46 loads per FMA); 12 x 2 would fill as many registers with 14 loads per 24 FMAs (0.58),
// and 4 x 6 leaves each broadcast feeding 6 FMAs but reloads B 6 times per step. The packed A panel
// row (8 values, 32 or 64 bytes) is a whole number of 16-byte loads, so the broadcasts come from L1.
// Not tuned by measurement: only qemu runs this here, and qemu timings say nothing about a real core.
ADJ_GEMM_DEF(f32, 8, 3, f32_gemm_8x12__neon)
ADJ_GEMM_DEF(f64, 8, 3, f64_gemm_8x6__neon)

// The list of every kernel, as data. Dispatch (src/dispatch.cpp) expands it into the per-ISA function
// tables, each ISA's kernel files expand it into definitions, and the tests expand it to name what
// they check. A kernel exists the moment it is listed here and defined in its family's file.
//
// Names read <dtype>_<what>__<how>: f32_vtanh__avx2, f64_gemm_6x8__avx2 (XNNPACK style).
// Each family macro takes X(dt, OP, name); OP is the adj.h enumerator suffix (or _ for single-slot
// families), dt is f32 or f64, S is the ISA suffix token (__ref, __avx2, __avx512,
// __neon).
#pragma once

#define ADJ_UNARY_KERNELS(X, dt, S) \
  X(dt, NEG, dt##_vneg##S) X(dt, ABS, dt##_vabs##S) X(dt, EXP, dt##_vexp##S) X(dt, LOG, dt##_vlog##S) \
  X(dt, SQRT, dt##_vsqrt##S) X(dt, SIN, dt##_vsin##S) X(dt, COS, dt##_vcos##S) X(dt, TANH, dt##_vtanh##S) \
  X(dt, SIGMOID, dt##_vsigmoid##S) X(dt, RELU, dt##_vrelu##S) X(dt, SOFTPLUS, dt##_vsoftplus##S)

#define ADJ_UNARY_BWD_KERNELS(X, dt, S) \
  X(dt, NEG, dt##_vneg_bwd##S) X(dt, ABS, dt##_vabs_bwd##S) X(dt, EXP, dt##_vexp_bwd##S) \
  X(dt, LOG, dt##_vlog_bwd##S) X(dt, SQRT, dt##_vsqrt_bwd##S) X(dt, SIN, dt##_vsin_bwd##S) \
  X(dt, COS, dt##_vcos_bwd##S) X(dt, TANH, dt##_vtanh_bwd##S) X(dt, SIGMOID, dt##_vsigmoid_bwd##S) \
  X(dt, RELU, dt##_vrelu_bwd##S) X(dt, SOFTPLUS, dt##_vsoftplus_bwd##S)

#define ADJ_BINARY_KERNELS(X, dt, S) \
  X(dt, ADD, dt##_vadd##S) X(dt, SUB, dt##_vsub##S) X(dt, MUL, dt##_vmul##S) X(dt, DIV, dt##_vdiv##S) \
  X(dt, POW, dt##_vpow##S) X(dt, MAXIMUM, dt##_vmaximum##S) X(dt, MINIMUM, dt##_vminimum##S)

#define ADJ_REDUCE_KERNELS(X, dt, S) \
  X(dt, SUM, dt##_rsum##S) X(dt, MAX, dt##_rmax##S) X(dt, MIN, dt##_rmin##S)

// Column sums of a row-major block, added into y (the kept axis contiguous: a bias gradient).
#define ADJ_COLSUM_KERNELS(X, dt, S) X(dt, _, dt##_colsum##S)

// Fused optimizer steps over contiguous parameters (adjoint.h: adj_sgd_update, adj_adam_update), one range each.
#define ADJ_SGD_KERNELS(X, dt, S) X(dt, _, dt##_sgd##S)
#define ADJ_ADAM_KERNELS(X, dt, S) X(dt, _, dt##_adam##S)

#define ADJ_ROW_KERNELS(X, dt, S) \
  X(dt, SOFTMAX, dt##_softmax##S) X(dt, LOG_SOFTMAX, dt##_log_softmax##S) X(dt, LOGSUMEXP, dt##_logsumexp##S)

#define ADJ_ROW_BWD_KERNELS(X, dt, S) \
  X(dt, SOFTMAX, dt##_softmax_bwd##S) X(dt, LOG_SOFTMAX, dt##_log_softmax_bwd##S) \
  X(dt, LOGSUMEXP, dt##_logsumexp_bwd##S)

#define ADJ_FILL_KERNELS(X, dt, S) X(dt, _, dt##_fill##S)
// Converts from dt to the other dtype.
#define ADJ_CAST_KERNELS(X, dt, S) X(dt, _, dt##_cast##S)

// The GEMM entry of each tier names its microkernel tile (MRxNR).
#define ADJ_GEMM_KERNELS_ref(X) X(f32, _, f32_gemm__ref) X(f64, _, f64_gemm__ref)
#define ADJ_GEMM_KERNELS_avx2(X) X(f32, _, f32_gemm_6x16__avx2) X(f64, _, f64_gemm_6x8__avx2)
#define ADJ_GEMM_KERNELS_avx512(X) X(f32, _, f32_gemm_12x32__avx512) X(f64, _, f64_gemm_12x16__avx512)
#define ADJ_GEMM_KERNELS_neon(X) X(f32, _, f32_gemm_8x12__neon) X(f64, _, f64_gemm_8x6__neon)

// Every family of one tier, both dtypes: F(family, X-list-macro-invocation) pattern would need
// currying, so families are expanded explicitly by each consumer through this helper.
#define ADJ_FOR_EACH_DTYPE_FAMILY(FAMILY, X, S) FAMILY(X, f32, S) FAMILY(X, f64, S)

#define ADJ_T_f32 float
#define ADJ_T_f64 double

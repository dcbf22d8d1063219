#!/usr/bin/python3
"""Two builds of libadjoint_kernels side by side: sgemm rates and the time ratio, rounds interleaved in one process.

For a change to the GEMM's blocking or path selection: copy the library before and after the change to two paths
and run

    ADJOINT_NUM_THREADS=1 /usr/bin/python3 benchmarks/peers/gemm_ab.py /tmp/before.so /tmp/after.so [MxNxK[tA|tB] ...]

(ADJOINT_ISA=avx2 forces the AVX2 tier in both; GEMM_AB_DTYPE=f64 runs dgemm instead of sgemm). Each shape runs both libraries in every round (9 rounds, each a
batch of about 0.3 GFLOP); the rates are medians of process CPU time, and the ratios are medians over rounds of
before's time / after's time in that round (process CPU time, and wall time: on more than one thread a change can
trade one for the other), so > 1 means the second library is faster. Default shapes: the
row-group/packed crossover (few rows of C, B not transposed).
"""
import ctypes
import os
import statistics
import sys
import time

import numpy as np

DEFAULT_SHAPES = ["12x256x256", "16x256x256", "20x256x256", "32x256x256", "48x256x256", "16x1024x1024",
                  "32x1024x1024", "48x784x1024"]


def load(path):
    lib = ctypes.CDLL(os.path.abspath(path))
    p, i32, i64, dbl = ctypes.c_void_p, ctypes.c_int32, ctypes.c_int64, ctypes.c_double
    lib.adj_gemm.argtypes = [i32, i32, i32, i64, i64, i64, dbl, p, i64, p, i64, dbl, p, i64]
    lib.adj_gemm.restype = i32
    return lib


def parse(shape):
    ta, tb = shape.endswith("tA"), shape.endswith("tB")
    m, n, k = (int(v) for v in shape.rstrip("tAB").split("x"))
    return ta, tb, m, n, k


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    libs = [load(sys.argv[1]), load(sys.argv[2])]
    with open("/proc/loadavg") as f:
        print(f"# load average {' '.join(f.read().split()[:3])}; threads {os.environ.get('ADJOINT_NUM_THREADS', 'default')}, "
              f"ISA {os.environ.get('ADJOINT_ISA', 'best')}, {os.environ.get('GEMM_AB_DTYPE', 'f32')}")
    f64 = os.environ.get("GEMM_AB_DTYPE", "f32") == "f64"
    dtype, code = (np.float64, 1) if f64 else (np.float32, 0)  # ADJ_F32 = 0, ADJ_F64 = 1 in adjoint.h
    rng = np.random.default_rng(1)
    for shape in sys.argv[3:] or DEFAULT_SHAPES:
        ta, tb, m, n, k = parse(shape)
        a = rng.random((k, m) if ta else (m, k), dtype=dtype)
        b = rng.random((n, k) if tb else (k, n), dtype=dtype)
        c = np.zeros((m, n), dtype)
        args = (code, int(ta), int(tb), m, n, k, 1.0, a.ctypes.data, a.shape[1], b.ctypes.data, b.shape[1], 0.0, c.ctypes.data, n)
        reps = max(20, int(3e8 / (2 * m * n * k)))
        times, walls = [[], []], [[], []]
        for lib in libs:  # warm-up: caches, the pool's threads, the pack buffers
            for _ in range(reps):
                if lib.adj_gemm(*args) != 0:
                    sys.exit(f"adj_gemm failed for {shape}")
        for _ in range(9):
            for i, lib in enumerate(libs):
                start, wall = time.process_time(), time.perf_counter()
                for _ in range(reps):
                    lib.adj_gemm(*args)
                walls[i].append((time.perf_counter() - wall) / reps)
                times[i].append((time.process_time() - start) / reps)
        flops = 2.0 * m * n * k
        rates = [flops / statistics.median(t) / 1e9 for t in times]
        wall_rates = [flops / statistics.median(t) / 1e9 for t in walls]
        ratio = statistics.median(x / y for x, y in zip(*times))
        wall_ratio = statistics.median(x / y for x, y in zip(*walls))
        print(f"{shape:>16}: first {rates[0]:6.1f}  second {rates[1]:6.1f} GFLOP/s per CPU-s ({wall_rates[0]:.1f}, {wall_rates[1]:.1f} wall)   first/second time {ratio:.3f} CPU, "
              f"{wall_ratio:.3f} wall")


if __name__ == "__main__":
    main()

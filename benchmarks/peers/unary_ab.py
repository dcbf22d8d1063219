#!/usr/bin/python3
"""Two builds of libadjoint_kernels side by side on one float32 unary kernel, alternating in one process.

    ADJOINT_NUM_THREADS=1 OP=7 /usr/bin/python3 benchmarks/peers/unary_ab.py /tmp/before.so /tmp/after.so

OP is the adj_unary_op code (adjoint.h: 2 exp, 7 tanh, 8 sigmoid); ADJOINT_ISA=avx2 forces that tier in both.
For 64K floats (cache-resident) and 4M (streaming stores), 11 rounds each run a batch (about 1e8 elements) on the
first library, then on the second; printed: the median, min and max over rounds of first time / second time
(> 1: the second is faster), the second's ns per element in the last round, and the largest difference between
the two outputs. Used for the tanh figures of docs/PERFORMANCE.md ("tanh, round 3").
"""
import ctypes
import os
import statistics
import sys
import time

import numpy as np


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    libs = [ctypes.CDLL(os.path.abspath(p)) for p in sys.argv[1:3]]
    for lib in libs:
        lib.adj_unary.argtypes = [ctypes.c_int32, ctypes.c_int32, ctypes.c_int64, ctypes.c_void_p, ctypes.c_void_p]
    code = int(os.environ.get("OP", "7"))
    with open("/proc/loadavg") as f:
        print(f"# load average {' '.join(f.read().split()[:3])}; op {code}, threads "
              f"{os.environ.get('ADJOINT_NUM_THREADS', 'default')}, ISA {os.environ.get('ADJOINT_ISA', 'best')}")
    rng = np.random.default_rng(1)
    for n in [65536, 4 << 20]:
        x = ((rng.random(n, dtype=np.float32) - 0.5) * 8).astype(np.float32)
        ys = [np.empty_like(x) for _ in libs]
        reps = max(3, int(1e8 // n))
        ratios, last = [], []
        for _ in range(11):
            last = []
            for lib, y in zip(libs, ys):
                t0 = time.perf_counter()
                for _ in range(reps):
                    lib.adj_unary(code, 0, n, x.ctypes.data, y.ctypes.data)
                last.append((time.perf_counter() - t0) / reps / n)
            ratios.append(last[0] / last[1])
        diff = float(np.nanmax(np.abs(ys[0] - ys[1])))
        print(f"{n:>8} floats: first/second time median {statistics.median(ratios):.3f} (min {min(ratios):.3f}, "
              f"max {max(ratios):.3f}); second {last[1] * 1e9:.3f} ns/element; max |difference| {diff:.3g}")


if __name__ == "__main__":
    main()

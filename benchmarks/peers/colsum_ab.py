#!/usr/bin/python3
"""Two builds of libadjoint_kernels side by side on float32 column sums (adj_reduce SUM over axis 0 of a row-major
[rows, 1024] matrix: a bias gradient), alternating in one process.

    ADJOINT_NUM_THREADS=1 /usr/bin/python3 benchmarks/peers/colsum_ab.py /tmp/before.so /tmp/after.so

For each shape, 11 rounds each run a batch (about 2e8 elements) on the first library, then on the second; printed:
the median, min and max over rounds of first time / second time (> 1: the second is faster), the second's GB/s
(bytes of x read) in the last round, and the largest difference between the two outputs. Used for the column-sum
figures of docs/PERFORMANCE.md ("Column sums"). Smaller matrices are left to the .NET probe (`kernels-cpu`): through ctypes
a call costs microseconds of Python, more than a [4, 1024] sum itself.
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
        lib.adj_reduce.argtypes = [ctypes.c_int32, ctypes.c_int32, ctypes.c_int32, ctypes.c_void_p, ctypes.c_void_p,
                                   ctypes.c_void_p, ctypes.c_uint64, ctypes.c_void_p, ctypes.c_void_p]
        lib.adj_reduce.restype = ctypes.c_int32
    with open("/proc/loadavg") as f:
        print(f"# load average {' '.join(f.read().split()[:3])}; threads "
              f"{os.environ.get('ADJOINT_NUM_THREADS', 'default')}, ISA {os.environ.get('ADJOINT_ISA', 'best')}")
    rng = np.random.default_rng(1)
    cols = 1024
    for rows in [64, 256, 4096]:
        x = (rng.random((rows, cols), dtype=np.float32) - 0.5).astype(np.float32)
        shape = np.array([rows, cols], dtype=np.int64)
        strides = np.array([cols, 1], dtype=np.int64)
        ys = [np.empty(cols, dtype=np.float32) for _ in libs]
        reps = max(3, int(2e8 // x.size))
        ratios, last = [], []
        for _ in range(11):
            last = []
            for lib, y in zip(libs, ys):
                t0 = time.perf_counter()
                for _ in range(reps):
                    if lib.adj_reduce(0, 0, 2, shape.ctypes.data, x.ctypes.data, strides.ctypes.data, 1,
                                      y.ctypes.data, None) != 0:
                        sys.exit("adj_reduce failed")
                last.append((time.perf_counter() - t0) / reps)
            ratios.append(last[0] / last[1])
        diff = float(np.max(np.abs(ys[0] - ys[1])))
        print(f"[{rows:>4}, {cols}]: first/second time median {statistics.median(ratios):.3f} (min {min(ratios):.3f}, "
              f"max {max(ratios):.3f}); second {x.nbytes / last[1] / 1e9:.1f} GB/s; max |difference| {diff:.3g}")


if __name__ == "__main__":
    main()

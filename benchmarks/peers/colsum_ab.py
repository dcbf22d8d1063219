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
import sys

import numpy as np

from ab_pair import alternate, load_pair, print_header, ratio_summary


def main():
    libs = load_pair(__doc__)
    for lib in libs:
        lib.adj_reduce.argtypes = [ctypes.c_int32, ctypes.c_int32, ctypes.c_int32, ctypes.c_void_p, ctypes.c_void_p,
                                   ctypes.c_void_p, ctypes.c_uint64, ctypes.c_void_p, ctypes.c_void_p]
        lib.adj_reduce.restype = ctypes.c_int32
    print_header()
    rng = np.random.default_rng(1)
    cols = 1024
    for rows in [64, 256, 4096]:
        x = (rng.random((rows, cols), dtype=np.float32) - 0.5).astype(np.float32)
        shape = np.array([rows, cols], dtype=np.int64)
        strides = np.array([cols, 1], dtype=np.int64)
        ys = [np.empty(cols, dtype=np.float32) for _ in libs]
        px, pshape, pstrides, pys = x.ctypes.data, shape.ctypes.data, strides.ctypes.data, [y.ctypes.data for y in ys]

        def call(lib, i):
            if lib.adj_reduce(0, 0, 2, pshape, px, pstrides, 1, pys[i], None) != 0:
                sys.exit("adj_reduce failed")
        ratios, last = alternate(libs, call, max(3, int(2e8 // x.size)))
        diff = float(np.max(np.abs(ys[0] - ys[1])))
        print(f"[{rows:>4}, {cols}]: {ratio_summary(ratios)}; second {x.nbytes / last[1] / 1e9:.1f} GB/s; "
              f"max |difference| {diff:.3g}")


if __name__ == "__main__":
    main()

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

import numpy as np

from ab_pair import alternate, load_pair, print_header, ratio_summary


def main():
    libs = load_pair(__doc__)
    for lib in libs:
        lib.adj_unary.argtypes = [ctypes.c_int32, ctypes.c_int32, ctypes.c_int64, ctypes.c_void_p, ctypes.c_void_p]
    code = int(os.environ.get("OP", "7"))
    print_header(f"op {code}, ")
    rng = np.random.default_rng(1)
    for n in [65536, 4 << 20]:
        x = ((rng.random(n, dtype=np.float32) - 0.5) * 8).astype(np.float32)
        ys = [np.empty_like(x) for _ in libs]
        px, pys = x.ctypes.data, [y.ctypes.data for y in ys]
        ratios, last = alternate(libs, lambda lib, i: lib.adj_unary(code, 0, n, px, pys[i]), max(3, int(1e8 // n)))
        diff = float(np.nanmax(np.abs(ys[0] - ys[1])))
        print(f"{n:>8} floats: {ratio_summary(ratios)}; second {last[1] / n * 1e9:.3f} ns/element; "
              f"max |difference| {diff:.3g}")


if __name__ == "__main__":
    main()

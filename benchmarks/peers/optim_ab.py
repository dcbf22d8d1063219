#!/usr/bin/python3
"""Two builds of libadjoint_kernels side by side on the fused optimizer updates, alternating in one process.

    ADJOINT_NUM_THREADS=1 /usr/bin/python3 benchmarks/peers/optim_ab.py /tmp/before.so /tmp/after.so

Over float32 vectors of 1,863,690 elements (the parameters of issue #7's MLP 784-1024-1024-10): plain SGD, SGD with
momentum 0.9 and weight decay 1e-4, and AdamW (step 5). 11 rounds each run 50 updates on the first library, then
on the second, each on its own copy of the same parameters and state; printed: the median, min and max over rounds
of first time / second time (> 1: the second is faster), the second's ms per update in the last round, and whether
the two libraries' parameters and state are bitwise equal afterwards (the same updates ran on both). Used for the
optimizer figures of docs/PERFORMANCE.md ("Training step", "Session 6: vectorised optimizer updates").
"""
import ctypes

import numpy as np

from ab_pair import alternate, load_pair, print_header, ratio_summary

N = 1863690


def main():
    libs = load_pair(__doc__)
    i32, i64, dbl, ptr = ctypes.c_int32, ctypes.c_int64, ctypes.c_double, ctypes.c_void_p
    for lib in libs:
        lib.adj_sgd_update.argtypes = [i32, i64, ptr, ptr, ptr, dbl, dbl, dbl, dbl, i32, i32]
        lib.adj_adam_update.argtypes = [i32, i64, ptr, ptr, ptr, ptr, dbl, dbl, dbl, dbl, dbl, i32, i64]
    print_header()
    rng = np.random.default_rng(1)
    p0 = (rng.random(N, dtype=np.float32) - 0.5).astype(np.float32)
    g = ((rng.random(N, dtype=np.float32) - 0.5) * 1e-2).astype(np.float32)
    pg = g.ctypes.data
    cases = [
        ("SGD", lambda lib, p, m, v: lib.adj_sgd_update(0, N, p, pg, None, 0.01, 0.0, 0.0, 0.0, 0, 0)),
        ("SGD, momentum + weight decay",
         lambda lib, p, m, v: lib.adj_sgd_update(0, N, p, pg, m, 0.01, 1e-4, 0.9, 0.0, 0, 0)),
        ("AdamW", lambda lib, p, m, v: lib.adj_adam_update(0, N, p, pg, m, v, 1e-3, 0.9, 0.999, 1e-8, 0.01, 1, 5)),
    ]
    for name, update in cases:
        arrays = [[p0.copy(), np.zeros(N, np.float32), np.zeros(N, np.float32)] for _ in libs]
        ptrs = [[a.ctypes.data for a in side] for side in arrays]
        ratios, last = alternate(libs, lambda lib, i: update(lib, *ptrs[i]), 50)
        same = all(np.array_equal(a.view(np.uint32), b.view(np.uint32)) for a, b in zip(*arrays))
        print(f"{name}: {ratio_summary(ratios)}; second {last[1] * 1e3:.3f} ms per update; "
              f"bitwise equal: {same}")


if __name__ == "__main__":
    main()

"""What the two-library A/B drivers (unary_ab.py, colsum_ab.py) share: loading two builds of libadjoint_kernels,
the header line, and rounds that alternate a batch on each library.

A driver imports it from its own folder (python puts a script's folder first on sys.path).
"""
import ctypes
import os
import statistics
import sys
import time


def load_pair(usage):
    """The two libraries named on the command line (exits with `usage` otherwise)."""
    if len(sys.argv) != 3:
        sys.exit(usage)
    return [ctypes.CDLL(os.path.abspath(p)) for p in sys.argv[1:3]]


def print_header(what=""):
    """One comment line: the load average, the thread count and tier the environment asks for, and `what`."""
    with open("/proc/loadavg") as f:
        load = " ".join(f.read().split()[:3])
    print(f"# load average {load}; {what}threads {os.environ.get('ADJOINT_NUM_THREADS', 'default')}, "
          f"ISA {os.environ.get('ADJOINT_ISA', 'best')}")


def alternate(libs, call, reps, rounds=11):
    """Runs `rounds` rounds of `reps` calls of call(lib, i) on each library in turn (i: its index).

    Returns the per-round ratios first time / second time and the last round's seconds per call of each."""
    ratios, last = [], []
    for _ in range(rounds):
        last = []
        for i, lib in enumerate(libs):
            t0 = time.perf_counter()
            for _ in range(reps):
                call(lib, i)
            last.append((time.perf_counter() - t0) / reps)
        ratios.append(last[0] / last[1])
    return ratios, last


def ratio_summary(ratios):
    """'first/second time median M (min A, max B)'."""
    return (f"first/second time median {statistics.median(ratios):.3f} (min {min(ratios):.3f}, "
            f"max {max(ratios):.3f})")

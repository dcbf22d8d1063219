#!/usr/bin/python3
"""float32 unary kernels of one or more builds of libadjoint_kernels beside PyTorch, in thread CPU time.

On a shared, loaded machine wall time mostly measures the neighbours; the CPU time of the calling thread
(1 thread on both sides) measures the kernels. Each op runs every library and then PyTorch on the same 4M
floats, 7 times each; medians, as GB/s (8 bytes per element: in + out) per CPU-second.

    /usr/bin/python3 benchmarks/peers/unary_cpu_time.py [LIB[,LIB2...]] [op,op,...]

LIB defaults to artifacts/native/linux-x64/libadjoint_kernels.so; give two paths to compare two builds.
"""
import ctypes
import os
import statistics
import sys
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("ATEN_CPU_CAPABILITY", "avx512")
import numpy as np  # noqa: E402
import torch  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
UNARY = {"exp": 2, "log": 3, "sin": 5, "cos": 6, "tanh": 7, "sigmoid": 8, "relu": 9, "softplus": 10}
TORCH = {"exp": torch.exp, "log": torch.log, "sin": torch.sin, "cos": torch.cos, "tanh": torch.tanh,
         "sigmoid": torch.sigmoid, "relu": lambda a, out: torch.clamp_min(a, 0.0, out=out),
         "softplus": lambda a, out: torch._C._nn.softplus(a, 1, 20, out=out)}


def main():
    paths = sys.argv[1].split(",") if len(sys.argv) > 1 and sys.argv[1] else [
        os.path.join(ROOT, "artifacts", "native", "linux-x64", "libadjoint_kernels.so")]
    ops = sys.argv[2].split(",") if len(sys.argv) > 2 else list(UNARY)
    libs = []
    for p in paths:
        lib = ctypes.CDLL(p)
        lib.adj_unary.argtypes = [ctypes.c_int32, ctypes.c_int32, ctypes.c_int64, ctypes.c_void_p, ctypes.c_void_p]
        lib.adj_set_num_threads.argtypes = [ctypes.c_int32]
        lib.adj_set_num_threads(1)
        libs.append(lib)
    torch.set_num_threads(1)
    n = 4 << 20
    rng = np.random.default_rng(0)
    x = rng.uniform(-3, 3, n).astype(np.float32)
    xpos = rng.uniform(0.01, 10, n).astype(np.float32)
    y = np.zeros(n, np.float32)

    def rate(fn):
        times = []
        for _ in range(7):
            t0 = time.thread_time()
            fn()
            times.append(time.thread_time() - t0)
        return 8.0 * n / statistics.median(times) / 1e9

    print(f"# load average {' '.join(f'{v:.2f}' for v in os.getloadavg())}; 1 thread, 4M floats, "
          f"GB/s per CPU-second (medians of 7); libs: {', '.join(paths)}")
    print("| op | " + " | ".join(f"lib{i}" for i in range(len(libs))) + " | PyTorch | " +
          " | ".join(f"lib{i} / PyTorch" for i in range(len(libs))) + " |")
    print("|---|" + "---:|" * (2 * len(libs) + 1))
    for op in ops:
        src = xpos if op == "log" else x
        tx, ty = torch.from_numpy(src.copy()), torch.empty(n)
        ours = [rate(lambda lib=lib: lib.adj_unary(UNARY[op], 0, n, src.ctypes.data, y.ctypes.data)) for lib in libs]
        theirs = rate(lambda: TORCH[op](tx, out=ty))
        print(f"| {op} | " + " | ".join(f"{r:.2f}" for r in ours) + f" | {theirs:.2f} | " +
              " | ".join(f"{r / theirs:.2f}x" for r in ours) + " |", flush=True)


if __name__ == "__main__":
    main()

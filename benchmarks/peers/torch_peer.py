#!/usr/bin/python3
"""Adjoint's native kernels side by side with PyTorch, in one process, interleaved.

Each case runs Adjoint (libadjoint_kernels through ctypes, the same C ABI the .NET bindings call) and
the matching PyTorch op on the same data, alternating A, T, A, T, ... for several rounds, and reports
medians. Because both peers share each round, background load on the machine hits both alike and the
ratio column stays meaningful even when the absolute numbers wobble.

Usage (see docs/PERFORMANCE.md):
    /usr/bin/python3 benchmarks/peers/torch_peer.py [--threads 1,2] [--rounds 7] [--filter gemm|mlp|...] [--quick]

--filter matches a group (gemm, mlp, unary, backward, binary, reduce, rowops) or part of a case name; "mlp" is
the GEMMs of one training step of issue #7's MLP in nn.Linear's layouts.

The tuned-PyTorch environment of issue #6 (OPENBLAS_CORETYPE=SkylakeX ATEN_CPU_CAPABILITY=avx512
OMP_WAIT_POLICY=PASSIVE) is applied by re-executing this script when it is missing, because those
variables are read when torch loads. Each thread count runs in its own child process with
OPENBLAS_NUM_THREADS / OMP_NUM_THREADS set before torch loads: Debian's torch calls a pthread build of
OpenBLAS, which sizes its pool from OPENBLAS_NUM_THREADS at load time and ignores
torch.set_num_threads, so a single process would run PyTorch's "1 thread" GEMMs on every core. Machine limits used for the "% of
nominal" column come from the issue: FP32 FMA peak 170 / 338 GFLOP/s and memory bandwidth 11.8 / 22 GB/s on 1 / 2 threads.

GFLOP/s cases also get a peak measured in the same rounds: fma_peak.c (compiled here on the fly with gcc) runs 16
independent 512-bit FMA chains on as many threads as the child measures, one short batch after each Adjoint /
PyTorch pair, and the "% of measured peak" columns divide by the median of those batches. The machine's speed
drifts with its neighbours' load by tens of percent; the measured peak moves with it, the nominal one does not.
"""
import argparse
import ctypes
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time


from peer_threads import TUNED_ENV, child_threads  # noqa: E402

# The parent re-runs this script once per thread count and exits here; a child gets its count.
CHILD_THREADS = child_threads(__file__) if __name__ == "__main__" else None

import numpy as np  # noqa: E402
import torch  # noqa: E402

PEAK_GFLOPS = {1: 170.0, 2: 338.0}
BANDWIDTH_GBS = {1: 11.8, 2: 22.0}
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# adjoint.h enumerators
F32, F64 = 0, 1
UNARY = {"neg": 0, "abs": 1, "exp": 2, "log": 3, "sqrt": 4, "sin": 5, "cos": 6, "tanh": 7, "sigmoid": 8,
         "relu": 9, "softplus": 10}
BINARY = {"add": 0, "sub": 1, "mul": 2, "div": 3, "pow": 4, "maximum": 5, "minimum": 6}
ROW = {"softmax": 0, "log_softmax": 1, "logsumexp": 2}


def load_adjoint():
    path = os.environ.get("ADJOINT_NATIVE_PATH") or os.path.join(ROOT, "artifacts", "native", "linux-x64",
                                                                 "libadjoint_kernels.so")
    lib = ctypes.CDLL(path)
    p, i32, i64, dbl = ctypes.c_void_p, ctypes.c_int32, ctypes.c_int64, ctypes.c_double
    lib.adj_gemm.argtypes = [i32, i32, i32, i64, i64, i64, dbl, p, i64, p, i64, dbl, p, i64]
    lib.adj_unary.argtypes = [i32, i32, i64, p, p]
    lib.adj_unary_backward.argtypes = [i32, i32, i64, p, p, p, p]
    lib.adj_binary.argtypes = [i32, i32, i32, p, p, p, p, p, p, p]
    lib.adj_reduce.argtypes = [i32, i32, i32, p, p, p, ctypes.c_uint64, p, p]
    lib.adj_row_op.argtypes = [i32, i32, i64, i64, p, p]
    lib.adj_row_op_backward.argtypes = [i32, i32, i64, i64, p, p, p, p]
    lib.adj_set_num_threads.argtypes = [i32]
    lib.adj_build_info.restype = ctypes.c_char_p
    for f in ("adj_gemm", "adj_unary", "adj_unary_backward", "adj_binary", "adj_reduce", "adj_row_op",
              "adj_row_op_backward"):
        getattr(lib, f).restype = i32
    return lib


def load_fma_probe():
    """fma_peak.c built into a temporary .so, or None (with a note) when gcc or AVX-512 is missing."""
    src = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fma_peak.c")
    gcc = shutil.which("gcc")
    if gcc is None:
        print("# measured peak: skipped (no gcc)")
        return None
    with open("/proc/cpuinfo") as f:
        if " avx512f" not in f.read():
            print("# measured peak: skipped (no AVX-512)")
            return None
    out = os.path.join(tempfile.mkdtemp(prefix="adj_fma_peak_"), "fma_peak.so")
    r = subprocess.run([gcc, "-O2", "-mavx512f", "-mfma", "-pthread", "-shared", "-fPIC", "-o", out, src],
                       capture_output=True, text=True)
    if r.returncode != 0:
        print(f"# measured peak: skipped (gcc failed: {r.stderr.strip()[:200]})")
        return None
    lib = ctypes.CDLL(out)
    lib.fma_peak_run.restype = ctypes.c_double
    lib.fma_peak_run.argtypes = [ctypes.c_int32, ctypes.c_int64, ctypes.c_float, ctypes.c_float]
    return lib


class PeakProbe:
    """One batch of the FMA probe on `threads` threads: returns the FLOP/s it reached (wall time)."""

    def __init__(self, lib, threads, seconds):
        self.lib, self.threads = lib, threads
        steps = 100000
        t = self._run(steps)[1]
        self.steps = max(1000, int(steps * seconds / max(t, 1e-6)))

    def _run(self, steps):
        t0 = time.perf_counter()
        flops = self.lib.fma_peak_run(self.threads, steps, 0.9999, 1e-4)
        return flops, time.perf_counter() - t0

    def rate(self):
        flops, t = self._run(self.steps)
        return flops / t


def ptr(a):
    return a.ctypes.data


def i64s(*v):
    return (ctypes.c_int64 * len(v))(*v)


class Case:
    """One benchmark: adjoint() and peer() do the same work; work is FLOPs (gemm) or bytes moved."""

    def __init__(self, group, name, unit, work, adjoint, peer):
        self.group, self.name, self.unit, self.work, self.adjoint, self.peer = group, name, unit, work, adjoint, peer


def aligned_empty(shape, dtype=np.float32):
    """64-byte aligned, like the managed Tensor storage and PyTorch's allocator (numpy only promises 16)."""
    count = int(np.prod(shape))
    item = np.dtype(dtype).itemsize
    raw = np.empty(count * item + 64, np.uint8)
    off = (-raw.ctypes.data) % 64
    return raw[off:off + count * item].view(dtype).reshape(shape)


def rnd(shape, lo=-3.0, hi=3.0, seed=0):
    out = aligned_empty(shape)
    out[...] = np.random.default_rng(seed).uniform(lo, hi, size=shape).astype(np.float32)
    return out


def check(status, what):
    if status != 0:
        raise RuntimeError(f"{what} failed with status {status}")


def build_cases(lib):
    cases = []
    # --- sgemm: C[m,n] = A[m,k] B[k,n]; "256x784x1024" is m x k x n (a 784-input, 1024-unit layer, batch 256)
    for (m, k, n) in [(128, 128, 128), (256, 256, 256), (512, 512, 512), (1024, 1024, 1024), (2048, 2048, 2048),
                      (256, 784, 1024)]:
        a, b, c = rnd((m, k), seed=1), rnd((k, n), seed=2), aligned_empty((m, n))
        ta, tb, tc = torch.from_numpy(rnd((m, k), seed=1)), torch.from_numpy(rnd((k, n), seed=2)), torch.zeros(m, n)

        # The pointers are taken once: numpy's .ctypes costs about 1.5 us each, which would put 4.5 us of
        # Python on every Adjoint call (14 % of a 2-thread 128^3) and none on PyTorch's. a, b, c stay
        # referenced so the memory lives as long as the closure.
        def adj(a=a, b=b, c=c, pa=ptr(a), pb=ptr(b), pc=ptr(c), m=m, n=n, k=k):
            check(lib.adj_gemm(F32, 0, 0, m, n, k, 1.0, pa, k, pb, n, 0.0, pc, n), "gemm")

        def peer(ta=ta, tb=tb, tc=tc):
            torch.mm(ta, tb, out=tc)
        name = f"{m}x{k}x{n}" if not (m == n == k) else f"{m}^3"
        cases.append(Case("gemm", f"sgemm {name}", "GFLOP/s", 2.0 * m * n * k, adj, peer))

    # --- the GEMMs of one training step of issue #7's MLP 784-1024-1024-10, batch 256, in the layouts
    # nn.Linear uses (W stored [out, in]): forward y = x·Wᵀ, backward dx = g·W and dW = gᵀ·x.
    # "m x k x n" as above; tA / tB mark an operand read transposed (stored as its transpose).
    for (label, ta_, tb_, m, k, n) in [
            ("fwd 1", 0, 1, 256, 784, 1024), ("fwd 2", 0, 1, 256, 1024, 1024), ("fwd 3", 0, 1, 256, 1024, 10),
            ("dx 3", 0, 0, 256, 10, 1024), ("dx 2", 0, 0, 256, 1024, 1024),
            ("dW 3", 1, 0, 10, 256, 1024), ("dW 2", 1, 0, 1024, 256, 1024), ("dW 1", 1, 0, 1024, 256, 784)]:
        a = rnd((k, m) if ta_ else (m, k), seed=12)
        b = rnd((n, k) if tb_ else (k, n), seed=13)
        c = aligned_empty((m, n))
        t_a, t_b, t_c = torch.from_numpy(a.copy()), torch.from_numpy(b.copy()), torch.zeros(m, n)
        op_a, op_b = (t_a.t() if ta_ else t_a), (t_b.t() if tb_ else t_b)
        lda, ldb = (m if ta_ else k), (k if tb_ else n)

        def adj(a=a, b=b, c=c, pa=ptr(a), pb=ptr(b), pc=ptr(c), m=m, n=n, k=k, ta_=ta_, tb_=tb_, lda=lda, ldb=ldb):
            check(lib.adj_gemm(F32, ta_, tb_, m, n, k, 1.0, pa, lda, pb, ldb, 0.0, pc, n), "gemm")

        def peer(op_a=op_a, op_b=op_b, t_c=t_c):
            torch.mm(op_a, op_b, out=t_c)
        name = f"{m}x{k}x{n}{' tA' if ta_ else ''}{' tB' if tb_ else ''}"
        cases.append(Case("mlp", f"mlp {label}: {name}", "GFLOP/s", 2.0 * m * n * k, adj, peer))

    # --- elementwise forward, 4M floats (in + out counted)
    n = 4 << 20
    x = rnd(n, seed=3)
    xpos = rnd(n, 0.01, 10.0, seed=4)
    for op in ["tanh", "exp", "sigmoid", "log", "sin", "cos", "softplus", "relu", "sqrt"]:
        src = xpos if op in ("log", "sqrt") else x
        y = aligned_empty(src.shape)
        tx, ty = torch.from_numpy(src.copy()), torch.empty(n)
        code = UNARY[op]

        def adj(src=src, y=y, code=code):
            check(lib.adj_unary(code, F32, n, ptr(src), ptr(y)), "unary")
        tfn = {"tanh": torch.tanh, "exp": torch.exp, "sigmoid": torch.sigmoid, "log": torch.log, "sin": torch.sin,
               "cos": torch.cos, "relu": None, "sqrt": torch.sqrt, "softplus": None}[op]
        if op == "relu":
            def peer(tx=tx, ty=ty):
                torch.clamp_min(tx, 0.0, out=ty)
        elif op == "softplus":
            def peer(tx=tx, ty=ty):
                torch._C._nn.softplus(tx, 1, 20, out=ty)
        else:
            def peer(tx=tx, ty=ty, tfn=tfn):
                tfn(tx, out=ty)
        cases.append(Case("unary", f"{op} 4M", "GB/s", 8.0 * n, adj, peer))

    # --- fused backward kernels, 4M (L3-resident) and 16M floats (64 MiB per array: DRAM bound)
    for count, label in [(4 << 20, "4M"), (16 << 20, "16M")]:
        y = rnd(count, -0.9, 0.9, seed=5)
        gy = rnd(count, seed=6)
        gx = aligned_empty(gy.shape)
        ty, tgy, tgx = torch.from_numpy(y.copy()), torch.from_numpy(gy.copy()), torch.empty(count)
        for op in ["tanh", "sigmoid", "exp"]:
            code = UNARY[op]

            def adj(y=y, gy=gy, gx=gx, code=code, count=count):
                check(lib.adj_unary_backward(code, F32, count, None, ptr(y), ptr(gy), ptr(gx)), "unary_backward")
            if op == "tanh":
                def peer(ty=ty, tgy=tgy, tgx=tgx):
                    torch.ops.aten.tanh_backward.grad_input(tgy, ty, grad_input=tgx)
            elif op == "sigmoid":
                def peer(ty=ty, tgy=tgy, tgx=tgx):
                    torch.ops.aten.sigmoid_backward.grad_input(tgy, ty, grad_input=tgx)
            else:
                def peer(ty=ty, tgy=tgy, tgx=tgx):
                    torch.mul(tgy, ty, out=tgx)
            cases.append(Case("backward", f"{op}' {label}", "GB/s", 12.0 * count, adj, peer))

    # --- binary, 4M
    a, b, o = rnd(n, seed=7), rnd(n, seed=8), aligned_empty(n)
    ta_, tb_, to_ = torch.from_numpy(a.copy()), torch.from_numpy(b.copy()), torch.empty(n)
    shape, st = i64s(n), i64s(1)
    for op, tfn in [("add", torch.add), ("mul", torch.mul)]:
        code = BINARY[op]

        def adj(code=code):
            check(lib.adj_binary(code, F32, 1, shape, ptr(a), st, ptr(b), st, ptr(o), st), "binary")

        def peer(tfn=tfn):
            tfn(ta_, tb_, out=to_)
        cases.append(Case("binary", f"{op} 4M", "GB/s", 12.0 * n, adj, peer))

    # --- reductions over a 2048 x 2048 matrix (16 MiB): all, rows (axis 1), columns (axis 0)
    r = cc = 2048
    xm = rnd((r, cc), seed=9)
    txm = torch.from_numpy(xm.copy())
    shp, strd = i64s(r, cc), i64s(cc, 1)
    for label, mask, outn, tdim in [("sum all", 3, 1, None), ("sum axis=1", 2, r, 1), ("sum axis=0", 1, cc, 0)]:
        yv = aligned_empty(outn)
        tout = torch.empty(outn if tdim is not None else ())

        def adj(mask=mask, yv=yv):
            check(lib.adj_reduce(0, F32, 2, shp, ptr(xm), strd, mask, ptr(yv), None), "reduce")
        if tdim is None:
            def peer(tout=tout):
                torch.sum(txm, dim=(0, 1), out=tout)
        else:
            def peer(tdim=tdim, tout=tout):
                torch.sum(txm, dim=tdim, out=tout)
        cases.append(Case("reduce", f"{label} 2048^2", "GB/s", 4.0 * r * cc, adj, peer))

    # --- row ops: softmax / log-softmax forward and backward on [4096, 1024]
    rows, cols = 4096, 1024
    xr = rnd((rows, cols), seed=10)
    yr = aligned_empty(xr.shape)
    gyr, gxr = rnd((rows, cols), seed=11), aligned_empty(xr.shape)
    txr, tyr, tgyr, tgxr = torch.from_numpy(xr.copy()), torch.empty(rows, cols), torch.from_numpy(gyr.copy()), torch.empty(rows, cols)
    for op in ["softmax", "log_softmax"]:
        code = ROW[op]

        def adj(code=code):
            check(lib.adj_row_op(code, F32, rows, cols, ptr(xr), ptr(yr)), "row_op")
        tf = torch._softmax if op == "softmax" else torch._log_softmax

        def peer(tf=tf):
            torch.ops.aten._softmax.out(txr, 1, False, out=tyr) if tf is torch._softmax else \
                torch.ops.aten._log_softmax.out(txr, 1, False, out=tyr)
        cases.append(Case("rowops", f"{op} 4096x1024", "GB/s", 8.0 * rows * cols, adj, peer))
        lib.adj_row_op(code, F32, rows, cols, ptr(xr), ptr(yr))
        yr_fixed = yr.copy()
        tyr_fixed = torch.from_numpy(yr_fixed.copy())

        def adjb(code=code, yr_fixed=yr_fixed):
            check(lib.adj_row_op_backward(code, F32, rows, cols, None, ptr(yr_fixed), ptr(gyr), ptr(gxr)), "row_bwd")
        if op == "softmax":
            def peerb(tyr_fixed=tyr_fixed):
                torch.ops.aten._softmax_backward_data.out(tgyr, tyr_fixed, 1, torch.float32, grad_input=tgxr)
        else:
            def peerb(tyr_fixed=tyr_fixed):
                torch.ops.aten._log_softmax_backward_data.out(tgyr, tyr_fixed, 1, torch.float32, out=tgxr)
        cases.append(Case("rowops", f"{op}' 4096x1024", "GB/s", 12.0 * rows * cols, adjb, peerb))
    return cases


def time_batch(fn, reps):
    """(wall, process CPU) seconds per call. CPU time (all threads of the process) is what other processes
    on a loaded machine disturb least: it does not count the time this process waited for a core."""
    t0, c0 = time.perf_counter(), time.process_time()
    for _ in range(reps):
        fn()
    return (time.perf_counter() - t0) / reps, (time.process_time() - c0) / reps


def measure(case, rounds, budget, probe=None, settle=0.0):
    """Medians of wall and CPU seconds per call for both peers, and of the probe's FLOP/s (None without one).
    Each round runs an Adjoint batch, when given a probe batch, then a PyTorch batch, so all three share
    the machine's state of that moment. settle: seconds to sleep after each PyTorch batch (see main)."""
    # calibrate: enough repetitions that one batch takes ~budget seconds
    case.adjoint()
    case.peer()
    t = max(time_batch(case.adjoint, 1)[0], 1e-6)
    reps = max(1, int(budget / t))
    a_times, p_times, peaks = [], [], []
    for _ in range(rounds):
        a_times.append(time_batch(case.adjoint, reps))
        if probe is not None:
            peaks.append(probe.rate())
        p_times.append(time_batch(case.peer, reps))
        if settle:
            time.sleep(settle)
    med = statistics.median
    return (med(w for w, _ in a_times), med(w for w, _ in p_times),
            med(c for _, c in a_times), med(c for _, c in p_times), med(peaks) if peaks else None)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--budget", type=float, default=0.05, help="seconds per timed batch")
    ap.add_argument("--filter", default="")
    ap.add_argument("--quick", action="store_true", help="3 rounds, short batches")
    ap.add_argument("--settle", type=float, default=0.2,
                    help="seconds to wait after each PyTorch GEMM batch on more than 1 thread (0: none)")
    args = ap.parse_args()
    if args.quick:
        args.rounds, args.budget = 3, 0.02
    lib = load_adjoint()
    cases = [c for c in build_cases(lib) if args.filter in c.group or args.filter in c.name]
    threads = int(CHILD_THREADS)
    torch.set_num_threads(threads)
    lib.adj_set_num_threads(threads)
    print(f"\n## {threads} thread{'s' if threads > 1 else ''}\n")
    print(f"# adjoint: {lib.adj_build_info().decode()}")
    print(f"# torch {torch.__version__}, capability {torch.backends.cpu.get_cpu_capability() if hasattr(torch.backends, 'cpu') else '?'}, "
          f"env {' '.join(f'{k}={os.environ.get(k)}' for k in list(TUNED_ENV) + ['OPENBLAS_NUM_THREADS', 'OMP_NUM_THREADS'])}, "
          f"torch.get_num_threads()={torch.get_num_threads()}")
    probe_lib = load_fma_probe() if any(c.unit == "GFLOP/s" for c in cases) else None
    probe = PeakProbe(probe_lib, threads, args.budget / 2) if probe_lib is not None else None
    print(f"# load average at start: {os.getloadavg()[0]:.2f}; rounds={args.rounds}, batch~{args.budget}s, medians\n")
    # Wall-time rates and their ratio, then the ratio of rates per CPU-second (work / process CPU time).
    # "% of nominal": of the 170 / 338 GFLOP/s or 11.8 / 22 GB/s. "measured peak": median FMA-probe
    # rate over this case's rounds (GFLOP/s cases only), and each peer's rate as a share of it.
    print("| case | Adjoint | PyTorch | unit | Adjoint % of nominal | measured peak | Adjoint % of measured"
          " | PyTorch % of measured | Adjoint / PyTorch | same, per CPU-second |")
    print("|---|---:|---:|---|---:|---:|---:|---:|---:|---:|")
    # Debian's pthread OpenBLAS keeps its worker threads spinning (sched_yield) for about 0.13 s after every
    # call (2^28 cycles, measured: the process burns a core's CPU time through a 0.125 s sleep after a 2-thread
    # torch.mm, none after that). Adjoint's batch would run against that spinner on a 2-core machine while
    # PyTorch's never meets Adjoint's workers (they sleep 0.1 ms after a job), so on more than one thread the
    # GEMM cases wait out the spin after each PyTorch batch: both peers then start from an idle pool.
    settle = args.settle if threads > 1 else 0.0
    if settle:
        print(f"# GEMM cases: {settle}s pause after each PyTorch batch (OpenBLAS's workers spin ~0.13 s after a call)\n")
    for c in cases:
        gemm = c.unit == "GFLOP/s"
        ta, tp, ca, cp, peak = measure(c, args.rounds, args.budget, probe if gemm else None, settle if gemm else 0.0)
        scale = 1e9
        va, vp = c.work / ta / scale, c.work / tp / scale
        ref = PEAK_GFLOPS[threads] if gemm else BANDWIDTH_GBS[threads]
        cpu_ratio = f"{cp / ca:.2f}x" if ca > 0 and cp > 0 else "-"
        if peak:
            pk = peak / scale
            measured = f"{pk:.1f} | {100 * va / pk:.0f} % | {100 * vp / pk:.0f} %"
        else:
            measured = "- | - | -"
        print(f"| {c.name} | {va:.1f} | {vp:.1f} | {c.unit} | {100 * va / ref:.0f} % | {measured} | {va / vp:.2f}x"
              f" | {cpu_ratio} |", flush=True)
    print(f"\n# load average at end of {threads} thread{'s' if threads > 1 else ''}: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""PyTorch peer for benchmarks/Adjoint.Benchmarks/FunctionalBenchmarks.cs and JacobianBenchmarks.

Measures, for the MLP 784-1024-1024-10 at batch 256 (float32): forward, forward-mode JVP (torch.autograd.forward_ad),
gradient, and HVP by double backward; and full Jacobians of tanh(A x) for 16 -> 1024 and 1024 -> 16 with
torch.autograd.functional.jacobian in its fastest vectorized mode. Prints medians in ms and the ratios.

Run: /usr/bin/python3 benchmarks/peers/functional_peer.py [--threads 1] [--rounds 15]
(re-executes itself with OPENBLAS_CORETYPE=SkylakeX ATEN_CPU_CAPABILITY=avx512 so the BLAS is the tuned one).
"""
import argparse
import os
import statistics
import sys
import time

TUNED = {"OPENBLAS_CORETYPE": "SkylakeX", "ATEN_CPU_CAPABILITY": "avx512", "OMP_WAIT_POLICY": "PASSIVE"}
if any(os.environ.get(k) != v for k, v in TUNED.items()):
    os.environ.update(TUNED)
    os.execv(sys.executable, [sys.executable] + sys.argv)

import torch  # noqa: E402
import torch.autograd.forward_ad as fwAD  # noqa: E402
from torch.autograd.functional import jacobian  # noqa: E402


def median_ms(fn, rounds):
    fn()
    times = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--rounds", type=int, default=15)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    x = torch.randn(256, 784)
    v = torch.randn(256, 784)
    ws = [torch.randn(784, 1024) * 0.03, torch.zeros(1024), torch.randn(1024, 1024) * 0.03, torch.zeros(1024),
          torch.randn(1024, 10) * 0.03, torch.zeros(10)]

    def mlp(inp, p):
        h = torch.tanh(inp @ p[0] + p[1])
        h = torch.tanh(h @ p[2] + p[3])
        return h @ p[4] + p[5]

    def forward():
        with torch.no_grad():
            mlp(x, ws)

    def jvp():
        with torch.no_grad(), fwAD.dual_level():
            out = mlp(fwAD.make_dual(x, v), ws)
            fwAD.unpack_dual(out).tangent

    params = [w.clone().requires_grad_() for w in ws]
    tangents = [torch.randn_like(w) for w in ws]

    def loss():
        out = mlp(x, params)
        return (out * out).mean()

    def gradient():
        torch.autograd.grad(loss(), params)

    def hvp():
        g = torch.autograd.grad(loss(), params, create_graph=True)
        dot = sum((gi * ti).sum() for gi, ti in zip(g, tangents))
        torch.autograd.grad(dot, params)

    a_wide = torch.randn(1024, 16)
    a_narrow = torch.randn(16, 1024)
    x16 = torch.randn(16)
    x1024 = torch.randn(1024)

    def best_jacobian(f, inp):
        best = None
        for strategy in ("forward-mode", "reverse-mode"):
            try:
                t = median_ms(lambda: jacobian(f, inp, vectorize=True, strategy=strategy), args.rounds)
            except Exception as e:  # forward-mode vectorization needs functorch support for every op
                print(f"  ({strategy} unavailable: {type(e).__name__})")
                continue
            best = t if best is None else min(best, t)
        return best

    f_ms = median_ms(forward, args.rounds)
    j_ms = median_ms(jvp, args.rounds)
    g_ms = median_ms(gradient, args.rounds)
    h_ms = median_ms(hvp, args.rounds)
    print(f"torch {torch.__version__}, threads={args.threads}, rounds={args.rounds}")
    print(f"MLP forward      {f_ms:8.2f} ms")
    print(f"MLP JVP          {j_ms:8.2f} ms   JVP/forward  = {j_ms / f_ms:.2f}")
    print(f"MLP gradient     {g_ms:8.2f} ms")
    print(f"MLP HVP          {h_ms:8.2f} ms   HVP/gradient = {h_ms / g_ms:.2f}")
    print(f"Jacobian 16->1024   best {best_jacobian(lambda t: torch.tanh(a_wide @ t), x16):.3f} ms")
    print(f"Jacobian 1024->16   best {best_jacobian(lambda t: torch.tanh(a_narrow @ t), x1024):.3f} ms")


if __name__ == "__main__":
    main()

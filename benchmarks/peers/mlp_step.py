#!/usr/bin/python3
"""PyTorch's training step for the MLP of issue #7, timed the way MlpTrainingBenchmarks times Adjoint's.

Model 784-1024-1024-10 (ReLU), batch 256, float32, cross-entropy, SGD (lr 0.01): the forward pass (recording the
graph), forward + backward, and the full step (zero_grad(set_to_none=True), forward, backward, step). Medians of
--rounds timed runs after warm-up, per thread count.

Usage (see docs/PERFORMANCE.md, section "Training step"):
    /usr/bin/python3 benchmarks/peers/mlp_step.py [--threads 1,2] [--rounds 50]

The tuned environment of the issue (OPENBLAS_CORETYPE=SkylakeX ATEN_CPU_CAPABILITY=avx512 OMP_WAIT_POLICY=PASSIVE)
is applied by re-executing this script when it is missing, because torch reads those variables when it loads.
"""
import argparse
import os
import statistics
import sys
import time

TUNED_ENV = {"OPENBLAS_CORETYPE": "SkylakeX", "ATEN_CPU_CAPABILITY": "avx512", "OMP_WAIT_POLICY": "PASSIVE"}
if any(os.environ.get(k) != v for k, v in TUNED_ENV.items()) and not os.environ.get("ADJ_PEER_NO_REEXEC"):
    os.execve(sys.executable, [sys.executable] + sys.argv, dict(os.environ, **TUNED_ENV))

import torch  # noqa: E402


def median_ms(fn, rounds, warmup=5):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1e3)
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", default="1,2", help="comma-separated thread counts (default 1,2)")
    parser.add_argument("--rounds", type=int, default=50, help="timed runs per cut (default 50)")
    args = parser.parse_args()

    torch.manual_seed(1)
    model = torch.nn.Sequential(torch.nn.Linear(784, 1024), torch.nn.ReLU(), torch.nn.Linear(1024, 1024), torch.nn.ReLU(),
                                torch.nn.Linear(1024, 10))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    x = torch.rand(256, 784)
    y = torch.tensor([i * 7 % 10 for i in range(256)])
    loss_fn = torch.nn.CrossEntropyLoss()

    def forward():
        model.zero_grad(set_to_none=True)
        loss_fn(model(x), y)

    def forward_backward():
        model.zero_grad(set_to_none=True)
        loss_fn(model(x), y).backward()

    def step():
        optimizer.zero_grad(set_to_none=True)
        loss_fn(model(x), y).backward()
        optimizer.step()

    print(f"torch {torch.__version__}, {torch.backends.cpu.get_cpu_capability() if hasattr(torch.backends, 'cpu') else ''}")
    print(f"{'threads':>7}  {'forward':>9}  {'fwd+bwd':>9}  {'step':>9}  {'(f+b)/f':>8}")
    for threads in [int(t) for t in args.threads.split(",")]:
        torch.set_num_threads(threads)
        f = median_ms(forward, args.rounds)
        fb = median_ms(forward_backward, args.rounds)
        s = median_ms(step, args.rounds)
        print(f"{threads:>7}  {f:>7.2f}ms  {fb:>7.2f}ms  {s:>7.2f}ms  {fb / f:>8.2f}")


if __name__ == "__main__":
    main()

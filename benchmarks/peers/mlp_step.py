#!/usr/bin/python3
"""PyTorch's training step for the MLP of issue #7, timed the way MlpTrainingBenchmarks times Adjoint's.

Model 784-1024-1024-10 (ReLU), batch 256, float32, cross-entropy, SGD (lr 0.01): the forward pass (recording the
graph), forward + backward, and the full step (zero_grad(set_to_none=True), forward, backward, step). Medians of
--rounds timed runs after warm-up, per thread count, in wall time and in process CPU time (all threads; the figure
other processes on a loaded machine disturb least).

Usage (see docs/PERFORMANCE.md, section "Training step"):
    /usr/bin/python3 benchmarks/peers/mlp_step.py [--threads 1,2] [--rounds 50]

Each thread count runs in its own child process with the tuned environment of the issue (OPENBLAS_CORETYPE=SkylakeX
ATEN_CPU_CAPABILITY=avx512 OMP_WAIT_POLICY=PASSIVE) and OPENBLAS_NUM_THREADS / OMP_NUM_THREADS set before torch loads:
Debian's torch calls a pthread build of OpenBLAS, which sizes its pool from OPENBLAS_NUM_THREADS at load time and
ignores torch.set_num_threads, so in a single process PyTorch's "1 thread" GEMMs would run on every core.
"""
import argparse
import os
import statistics
import sys
import time

from peer_threads import child_threads  # noqa: E402

# The parent re-runs this script once per thread count and exits here; a child gets its count.
CHILD_THREADS = child_threads(__file__) if __name__ == "__main__" else None

import torch  # noqa: E402


def median_ms(fn, rounds, warmup=5):
    """Medians of wall time and of process CPU time (all threads), in ms."""
    for _ in range(warmup):
        fn()
    wall, cpu = [], []
    for _ in range(rounds):
        start, start_cpu = time.perf_counter(), time.process_time()
        fn()
        wall.append((time.perf_counter() - start) * 1e3)
        cpu.append((time.process_time() - start_cpu) * 1e3)
    return statistics.median(wall), statistics.median(cpu)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", default="1,2", help="comma-separated thread counts, one child process each (default 1,2)")
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

    threads = int(CHILD_THREADS)
    torch.set_num_threads(threads)
    print(f"torch {torch.__version__}, {torch.backends.cpu.get_cpu_capability() if hasattr(torch.backends, 'cpu') else ''}, "
          f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS')}, torch threads {torch.get_num_threads()}")
    print(f"{'threads':>7}  {'':5}  {'forward':>9}  {'fwd+bwd':>9}  {'step':>9}  {'(f+b)/f':>8}")
    (f, f_cpu), (fb, fb_cpu), (s, s_cpu) = (median_ms(fn, args.rounds) for fn in (forward, forward_backward, step))
    print(f"{threads:>7}  {'wall':5}  {f:>7.2f}ms  {fb:>7.2f}ms  {s:>7.2f}ms  {fb / f:>8.2f}")
    print(f"{threads:>7}  {'CPU':5}  {f_cpu:>7.2f}ms  {fb_cpu:>7.2f}ms  {s_cpu:>7.2f}ms  {fb_cpu / f_cpu:>8.2f}   (process CPU time, all threads)")


if __name__ == "__main__":
    main()

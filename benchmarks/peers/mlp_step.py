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
import subprocess
import sys
import time

TUNED_ENV = {"OPENBLAS_CORETYPE": "SkylakeX", "ATEN_CPU_CAPABILITY": "avx512", "OMP_WAIT_POLICY": "PASSIVE"}
# Set by the parent for each child: the one thread count that child measures.
CHILD_THREADS = os.environ.get("ADJ_PEER_CHILD_THREADS")


def run_children():
    """Parent: one child per thread count, each with the thread-count variables set before torch loads."""
    argv = sys.argv[1:]
    threads = "1,2"
    for i, a in enumerate(argv):
        if a == "--threads" and i + 1 < len(argv):
            threads = argv[i + 1]
        elif a.startswith("--threads="):
            threads = a.split("=", 1)[1]
    print(f"# load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
    status = 0
    for t in [int(x) for x in threads.split(",")]:
        env = dict(os.environ, **TUNED_ENV, ADJ_PEER_CHILD_THREADS=str(t), OPENBLAS_NUM_THREADS=str(t),
                   OMP_NUM_THREADS=str(t), MKL_NUM_THREADS=str(t))
        status |= subprocess.call([sys.executable, os.path.abspath(__file__)] + argv, env=env)
    print(f"# load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
    sys.exit(status)


if __name__ == "__main__" and CHILD_THREADS is None:
    run_children()

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

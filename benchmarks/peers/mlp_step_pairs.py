#!/usr/bin/python3
"""Issue #7's training step, Adjoint against PyTorch, in alternating pairs of runs.

The two peers cannot share one process (Adjoint is .NET, PyTorch is Python), so this driver alternates whole runs:
Adjoint's `mlp-step` probe, then `mlp_step.py`, then Adjoint again, ... `--pairs` times per thread count, and reports
the ratio of each pair (the two runs of a pair are seconds apart, so a change in the machine's speed - other
processes, or the virtual machine's neighbours - hits both about alike) and the median over pairs. Both sides report
medians of wall time and of process CPU time over `--rounds` timed runs per cut (forward; forward + backward; full
step with zero grads, forward, backward and the SGD update).

Usage (see docs/PERFORMANCE.md, section "Training step"):
    dotnet build -c Release benchmarks/Adjoint.Benchmarks
    /usr/bin/python3 benchmarks/peers/mlp_step_pairs.py [--threads 1,2] [--pairs 5] [--rounds 30]
"""
import argparse
import os
import re
import statistics
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PROBE = os.path.join(ROOT, "benchmarks", "Adjoint.Benchmarks", "bin", "Release", "net10.0", "Adjoint.Benchmarks.dll")
PEER = os.path.join(ROOT, "benchmarks", "peers", "mlp_step.py")

# "  CPU:  forward 7.83 ms   fwd+bwd 22.22 ms   step 22.25 ms   (f+b)/f 2.84"
ADJOINT_LINE = re.compile(r"^\s*(wall|CPU):\s+forward ([\d.]+) ms\s+fwd\+bwd ([\d.]+) ms\s+step ([\d.]+) ms")
# "      1  CPU       8.46ms    21.56ms    22.29ms      2.55"
TORCH_LINE = re.compile(r"^\s*\d+\s+(wall|CPU)\s+([\d.]+)ms\s+([\d.]+)ms\s+([\d.]+)ms")


def run(cmd, env, pattern):
    """Runs one side; returns {"wall": (f, fb, step), "CPU": (...)} in ms."""
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True).stdout
    cuts = {}
    for line in out.splitlines():
        m = pattern.match(line)
        if m:
            cuts[m.group(1)] = tuple(float(m.group(i)) for i in (2, 3, 4))
    if set(cuts) != {"wall", "CPU"}:
        sys.exit(f"could not read the timings of {' '.join(cmd)}:\n{out}")
    return cuts


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", default="1,2", help="comma-separated thread counts (default 1,2)")
    parser.add_argument("--pairs", type=int, default=5, help="alternating Adjoint/PyTorch pairs per thread count (default 5)")
    parser.add_argument("--rounds", type=int, default=30, help="timed runs per cut inside each run (default 30)")
    args = parser.parse_args()
    if not os.path.exists(PROBE):
        sys.exit(f"{PROBE} is missing: run `dotnet build -c Release benchmarks/Adjoint.Benchmarks` first")

    for threads in (int(t) for t in args.threads.split(",")):
        env = dict(os.environ, ADJOINT_NUM_THREADS=str(threads))
        print(f"\n## {threads} thread{'s' if threads > 1 else ''}: {args.pairs} pairs, {args.rounds} rounds per cut, load at start {loadavg()}\n")
        print("| pair | clock | Adjoint step ms | PyTorch step ms | step ratio | Adjoint (f+b)/f | PyTorch (f+b)/f |")
        print("|---:|---|---:|---:|---:|---:|---:|")
        ratios = {"wall": [], "CPU": []}
        fbf = {("Adjoint", c): [] for c in ratios} | {("PyTorch", c): [] for c in ratios}
        for pair in range(1, args.pairs + 1):
            adj = run(["dotnet", PROBE, "mlp-step", str(args.rounds), "cuts"], env, ADJOINT_LINE)
            pt = run([sys.executable, PEER, "--threads", str(threads), "--rounds", str(args.rounds)], env, TORCH_LINE)
            for clock in ("CPU", "wall"):
                a, t = adj[clock], pt[clock]
                ratios[clock].append(a[2] / t[2])
                fbf[("Adjoint", clock)].append(a[1] / a[0])
                fbf[("PyTorch", clock)].append(t[1] / t[0])
                print(f"| {pair} | {clock} | {a[2]:.2f} | {t[2]:.2f} | {a[2] / t[2]:.3f} | {a[1] / a[0]:.2f} | {t[1] / t[0]:.2f} |")
        print()
        for clock in ("CPU", "wall"):
            print(f"median over pairs, {clock}: step Adjoint/PyTorch {statistics.median(ratios[clock]):.3f} "
                  f"(range {min(ratios[clock]):.3f}-{max(ratios[clock]):.3f}); (f+b)/f Adjoint "
                  f"{statistics.median(fbf[('Adjoint', clock)]):.2f}, PyTorch {statistics.median(fbf[('PyTorch', clock)]):.2f}")
        print(f"load at end: {loadavg()}")


if __name__ == "__main__":
    main()

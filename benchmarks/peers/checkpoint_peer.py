#!/usr/bin/python3
"""PyTorch on the checkpointing chain of docs/CHECKPOINTING.md, timed the way the checkpoint-cpu probe times Adjoint's.

L = 100 layers y = tanh(y @ W + b), width 256, batch 32, float32, loss = sum of squares, one forward + backward:
plain, torch.utils.checkpoint.checkpoint_sequential with 10 segments (reentrant, PyTorch's default here), and 10
segments of torch.utils.checkpoint.checkpoint(use_reentrant=False). The cases are interleaved round by round; the
ratio column is the median over rounds of (case / plain in the same round), in process CPU time (all threads) and
wall time. Peak saved bytes are counted with saved_tensors_hooks (every tensor saved for backward, parameters
included, as Adjoint's MemoryStats counts them; the input of the chain is included, the loss is not).

Usage: /usr/bin/python3 benchmarks/peers/checkpoint_peer.py [--threads 1,2] [--rounds 31]
Each thread count runs in its own child process with the tuned environment (OPENBLAS_CORETYPE=SkylakeX
ATEN_CPU_CAPABILITY=avx512) and OPENBLAS_NUM_THREADS / OMP_NUM_THREADS set before torch loads.
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
from torch.utils.checkpoint import checkpoint, checkpoint_sequential  # noqa: E402

L, WIDTH, BATCH, SEGMENTS = 100, 256, 32, 10


class Layer(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.w = torch.nn.Parameter(torch.randn(WIDTH, WIDTH) / WIDTH ** 0.5)
        self.b = torch.nn.Parameter(torch.randn(WIDTH) * 0.1)

    def forward(self, y):
        return torch.tanh(y @ self.w + self.b)


class Bytes:
    """Live and peak bytes of the tensors saved for backward, through saved_tensors_hooks."""

    def __init__(self):
        self.live = self.peak = 0

    def pack(self, t):
        n = t.numel() * t.element_size()
        self.live += n
        self.peak = max(self.peak, self.live)
        return Packed(self, t, n)

    @staticmethod
    def unpack(p):
        return p.t


class Packed:
    def __init__(self, owner, t, n):
        self.owner, self.t, self.n = owner, t, n

    def __del__(self):
        self.owner.live -= self.n


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--rounds", type=int, default=31)
    args = parser.parse_args()
    torch.set_num_threads(int(CHILD_THREADS))
    torch.manual_seed(1)
    layers = torch.nn.Sequential(*[Layer() for _ in range(L)])
    x = torch.randn(BATCH, WIDTH, requires_grad=True)  # reentrant checkpoint needs an input that requires grad

    def plain():
        return layers(x)

    def sequential():
        return checkpoint_sequential(layers, SEGMENTS, x)

    def non_reentrant():
        y, k = x, L // SEGMENTS
        for s in range(0, L - k, k):
            y = checkpoint(lambda v, s=s: layers[s:s + k](v), y, use_reentrant=False)
        return layers[L - k:](y)

    cases = [("plain", plain), (f"checkpoint_sequential({SEGMENTS})", sequential), (f"non-reentrant x{SEGMENTS}", non_reentrant)]

    def step(fn):
        layers.zero_grad(set_to_none=True)
        x.grad = None
        y = fn()
        (y * y).sum().backward()

    peaks = []
    for _, fn in cases:
        counter = Bytes()
        with torch.autograd.graph.saved_tensors_hooks(counter.pack, counter.unpack):
            layers.zero_grad(set_to_none=True)
            y = fn()
            loss_input = y.numel() * y.element_size()
            (y * y).sum().backward()
        peaks.append(counter.peak - 2 * loss_input)  # the loss y*y saves y twice; report the chain's own bytes

    cpu = [[] for _ in cases]
    wall = [[] for _ in cases]
    for r in range(args.rounds + 2):
        for i, (_, fn) in enumerate(cases):
            c0, w0 = time.process_time(), time.perf_counter()
            for _ in range(3):
                step(fn)
            if r >= 2:
                cpu[i].append((time.process_time() - c0) / 3 * 1e3)
                wall[i].append((time.perf_counter() - w0) / 3 * 1e3)
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}, OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS')}, "
          f"{args.rounds} interleaved rounds of 3 steps, load {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    print("| case | CPU ms | CPU ratio | wall ms | wall ratio | peak saved bytes | % of plain |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for i, (name, _) in enumerate(cases):
        cr = statistics.median(c / p for c, p in zip(cpu[i], cpu[0]))
        wr = statistics.median(w / p for w, p in zip(wall[i], wall[0]))
        print(f"| {name} | {statistics.median(cpu[i]):.1f} | {cr:.3f}x | {statistics.median(wall[i]):.1f} | {wr:.3f}x | "
              f"{peaks[i]:,} | {100 * peaks[i] / peaks[0]:.1f} |")


if __name__ == "__main__":
    main()

"""One child process per thread count, for the PyTorch peer scripts in this folder.

Debian's torch calls a pthread build of OpenBLAS, which sizes its pool from OPENBLAS_NUM_THREADS when the library
loads and ignores torch.set_num_threads; the tuned-PyTorch variables of issue #6 (OPENBLAS_CORETYPE,
ATEN_CPU_CAPABILITY, OMP_WAIT_POLICY) are also read at load. So a peer script first calls `child_threads()`: in the
parent it re-runs the same script once per `--threads` value with those variables set and exits; in a child it
returns the one thread count that child measures. Import this module before torch.
"""
import os
import subprocess
import sys

TUNED_ENV = {"OPENBLAS_CORETYPE": "SkylakeX", "ATEN_CPU_CAPABILITY": "avx512", "OMP_WAIT_POLICY": "PASSIVE"}
_CHILD_VAR = "ADJ_PEER_CHILD_THREADS"


def _load():
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def _requested_threads(argv, default):
    threads = default
    for i, a in enumerate(argv):
        if a == "--threads" and i + 1 < len(argv):
            threads = argv[i + 1]
        elif a.startswith("--threads="):
            threads = a.split("=", 1)[1]
    return [int(x) for x in threads.split(",")]


def child_threads(script, default="1,2"):
    """In a child: its thread count. In the parent: runs `script` once per thread count, then exits."""
    mine = os.environ.get(_CHILD_VAR)
    if mine is not None:
        return int(mine)
    argv = sys.argv[1:]
    print(f"# load average at start: {_load()}", flush=True)
    status = 0
    for t in _requested_threads(argv, default):
        env = dict(os.environ, **TUNED_ENV, OPENBLAS_NUM_THREADS=str(t), OMP_NUM_THREADS=str(t),
                   MKL_NUM_THREADS=str(t))
        env[_CHILD_VAR] = str(t)
        status |= subprocess.call([sys.executable, os.path.abspath(script)] + argv, env=env)
    print(f"# load average at end: {_load()}", flush=True)
    sys.exit(status)

"""Shared pieces of the benchmark scripts: the nets, the machine line, timing helpers.

Every script builds its nets here so that gradcheck and its peers are measured on the
same float64 MLP and the same loss: tanh hidden layers, a sigmoid output and binary
cross-entropy averaged over a batch of ``BATCH`` examples.
"""

from __future__ import annotations

import os
import platform
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from gradcheck.nn import MLP

BATCH = 32

#: widths giving about 1e2, 1e3, 1e4, 1e5 and 1e6 parameters
WIDTHS = {
    "1e2": [8, 8, 4, 1],
    "1e3": [20, 30, 10, 1],
    "1e4": [50, 100, 50, 1],
    "1e5": [250, 300, 80, 1],
    "1e6": [1000, 900, 100, 1],
}


def build(widths: list[int], *, seed: int = 0, batch: int = BATCH) -> tuple[MLP, Any, Any]:
    """A float64 tanh MLP with a sigmoid + BCE output, and a batch of data for it."""
    net = MLP(widths, activations="tanh", loss="bce", seed=seed)
    X, y = net.random_data(batch, seed=seed + 1)
    return net, X, y


def n_params(net: MLP) -> int:
    return sum(p.size for p in net.params.values())


def machine() -> str:
    """One line naming the machine, numpy and its BLAS kernel."""
    cpu = "?"
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    blas = ""
    try:
        import threadpoolctl

        info = [i for i in threadpoolctl.threadpool_info() if i.get("user_api") == "blas"]
        if info:
            blas = f", BLAS {info[0].get('internal_api')} {info[0].get('version')} kernel {info[0].get('architecture')}"
    except ImportError:
        blas = ", BLAS kernel unknown (pip install threadpoolctl)"
    forced = [k for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE") if k in os.environ]
    warn = f" [{'+'.join(forced)} set: rerun under `env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE`]" if forced else ""
    return (
        f"{os.cpu_count()} cores, {cpu}, Python {platform.python_version()}, numpy {np.__version__}{blas}{warn}"
    )


def limit_threads(n: int | None) -> str:
    """Limit numpy's BLAS (and torch, when loaded) to ``n`` threads; say what was done.

    One thread makes timings stable on a shared machine and fair between tools; the ratios
    gradcheck reports (check vs bare loss) compare runs with the same setting either way.
    """
    if not n:
        return "BLAS threads: library default"
    try:
        import threadpoolctl

        threadpoolctl.threadpool_limits(n)
    except ImportError:
        return "BLAS threads: library default (pip install threadpoolctl to limit them)"
    import sys

    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(n)
    return f"BLAS threads: {n}"


def best_of(fn: Callable[[], Any], repeats: int) -> float:
    """The smallest wall time of ``repeats`` calls of ``fn``, in seconds."""
    best = float("inf")
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def interleaved(fns: dict[str, Callable[[], Any]], repeats: int) -> dict[str, float]:
    """Best wall time of each function, the functions run in turn ``repeats`` times (drift hits all alike)."""
    best = {k: float("inf") for k in fns}
    for _ in range(repeats):
        for k, fn in fns.items():
            t = time.perf_counter()
            fn()
            best[k] = min(best[k], time.perf_counter() - t)
    return best


def table(headers: list[str], rows: list[list[Any]]) -> str:
    """A GitHub-style markdown table."""
    cells = [[str(c) for c in r] for r in rows]
    out = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    out += ["| " + " | ".join(r) + " |" for r in cells]
    return "\n".join(out)

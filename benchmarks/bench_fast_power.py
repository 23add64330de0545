"""The smallest single-element error fast mode finds, at 1e5, 1e6 and 1e7 parameters.

A quadratic model loss L(w) = 0.5 * sum(w ** 2) (gradient w, elements of size ~1) keeps a loss
evaluation cheap at 1e7 parameters. One element of the analytic gradient is moved by ``delta``;
``delta`` runs over powers of ten, and the smallest that ``check(mode="fast")`` reports wrong is
printed, for a few seeds (the element and the direction change with the seed).

Run:  python benchmarks/bench_fast_power.py            (--sizes 1e5 1e6 1e7 --seeds 3)
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import gradcheck  # noqa: E402

DELTAS = [10.0**k for k in range(-6, 3)]


def smallest_found(n: int, seed: int) -> tuple[float | None, float]:
    """The smallest delta (of DELTAS) that fast mode flags, and the seconds of the largest check."""
    rng = np.random.default_rng(seed)
    w = rng.normal(size=n)
    k = int(rng.integers(n))
    slowest = 0.0
    for delta in DELTAS:
        g = w.copy()
        g[k] += delta
        t = time.perf_counter()
        r = gradcheck.check({"w": w}, lambda: 0.5 * float(w @ w), {"w": g}, mode="fast", seed=seed, diagnose=False)
        slowest = max(slowest, time.perf_counter() - t)
        if not r.ok:
            return delta, slowest
        del g
    return None, slowest


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=float, nargs="+", default=[1e5, 1e6, 1e7])
    ap.add_argument("--seeds", type=int, default=3)
    args = ap.parse_args(argv)
    print("| parameters | smallest error found, per seed | slowest check [s] |")
    print("|---|---|---|")
    for size in args.sizes:
        n = int(size)
        found = [smallest_found(n, seed) for seed in range(args.seeds)]
        cells = ", ".join("not found up to 100" if d is None else f"{d:g}" for d, _ in found)
        print(f"| {n:,} | {cells} | {max(t for _, t in found):.2f} |")


if __name__ == "__main__":
    main()

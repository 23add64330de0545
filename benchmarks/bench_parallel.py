"""Does spreading the loss evaluations over forked workers pay? Serial vs gradcheck.parallel.

For each net and batch size: the serial central-difference loop over every parameter, and the
same with ``WorkerPool(workers=2)`` (pool start included), best of ``--repeats`` runs taken in
turn, and the largest difference between the two results (relative to the largest gradient) (workers run BLAS on one
thread each, so a threaded serial run may round its sums differently).

Run:  python benchmarks/bench_parallel.py
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import WIDTHS, build, machine, n_params, table  # noqa: E402

from gradcheck import numeric  # noqa: E402
from gradcheck.parallel import WorkerPool, fork_available  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args(argv)
    print(machine())
    if not fork_available():
        print("fork is not available here: nothing to measure")
        return 0
    rows = []
    for key, batch in (("1e2", 32), ("1e3", 32), ("1e4", 32), ("1e4", 512), ("1e5", 32)):
        net, X, y = build(WIDTHS[key], batch=batch)
        loss = lambda net=net, X=X, y=y: net.loss(X, y)  # noqa: E731
        P = n_params(net)
        ts = tp = float("inf")
        for _ in range(args.repeats):
            t = time.perf_counter()
            ser = {n: numeric.central(p, loss) for n, p in net.params.items()}
            ts = min(ts, time.perf_counter() - t)
            t = time.perf_counter()
            with WorkerPool(net.params, loss, workers=args.workers) as pool:
                par = {n: pool.central(n) for n in net.params}
            tp = min(tp, time.perf_counter() - t)
        # workers run BLAS on one thread, so sums may round differently from a threaded serial run
        scale = max(float(np.abs(ser[n].grad).max()) for n in ser)
        diff = max(float(np.abs(ser[n].grad - par[n].grad).max()) for n in ser) / scale
        rows.append([f"{P:,}", batch, f"{ts / (2 * P) * 1e6:.1f}", f"{ts:.3f}", f"{tp:.3f}", f"**{ts / tp:.2f}x**", f"{diff:.0e}"])
        print(rows[-1], flush=True)
    print()
    print(f"Full central loop, serial vs {args.workers} forked workers (seconds, pool start included):")
    print(table(["P", "batch", "µs per loss()", "serial [s]", "workers [s]", "speed-up", "max abs. difference / max abs. gradient"], rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

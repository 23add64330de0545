"""Fast mode on a million-parameter MLP: a localized verdict with findings in seconds.

The net is the benchmark MLP at about 1e6 parameters (widths 1000-900-100-1, float64, batch 32).
Each case injects one mistake into the hand-written gradients and runs ``gradcheck.check`` in
auto mode (which picks the fast check at this size and says so) with the diagnosis on. The
table gives the wall time, the loss evaluations, the verdict, the parameter named first wrong,
the findings, and the peak memory of the check against the parameters' bytes.

Run:  python benchmarks/bench_fast.py
"""

from __future__ import annotations

import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import WIDTHS, build, machine, n_params, table  # noqa: E402

import gradcheck  # noqa: E402


def cases(net):
    """name -> (edit of the gradient dict, the parameter that must be named)."""
    big = "W1"
    big_shape = net.params[big].shape

    def one_element(g):
        g[big][123, 457] += 10 * np.abs(g[big]).max()

    def row(g):
        g["W2"][17] *= 2.0

    return {
        "correct": (lambda g: None, None),
        "b1 doubled (small tensor)": (lambda g: g.__setitem__("b1", 2 * g["b1"]), "b1"),
        "W1 sign flipped (big tensor)": (lambda g: g.__setitem__("W1", -g["W1"]), "W1"),
        f"one element of W1 {big_shape} wrong": (one_element, "W1"),
        "one row of W2 doubled": (row, "W2"),
        "W2 missing 1/m (times batch size)": (lambda g: g.__setitem__("W2", g["W2"] * 32), "W2"),
    }


def main() -> int:
    print(machine())
    net, X, y = build(WIDTHS["1e6"])
    P = n_params(net)
    nbytes = sum(p.nbytes for p in net.params.values())
    t = time.perf_counter()
    for _ in range(10):
        net.loss(X, y)
    t_loss = (time.perf_counter() - t) / 10
    print(f"P = {P:,} ({nbytes / 1e6:.1f} MB), one loss() = {t_loss * 1e3:.2f} ms, a full check would need "
          f"{2 * P:,} loss calls = about {2 * P * t_loss:.0f} s")
    rows = []
    for name, (edit, expected) in cases(net).items():
        def grads(edit=edit):
            g = net.gradients(X, y)
            edit(g)
            return g

        loss = lambda: net.loss(X, y)  # noqa: E731
        dt = float("inf")
        for _ in range(3):  # best of 3: the machine may be shared
            t = time.perf_counter()
            r = gradcheck.check(net.params, loss, grads, hint=net.hint, data=(X, y))
            dt = min(dt, time.perf_counter() - t)
        tracemalloc.start()
        base, _ = tracemalloc.get_traced_memory()
        gradcheck.check(net.params, loss, grads, hint=net.hint, data=(X, y))
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        right = (r.ok and expected is None) or (r.first_wrong == expected)
        kinds = ", ".join(sorted({f.kind for f in r.findings})) or "-"
        rows.append([name, r.mode, f"{dt:.2f}", r.n_loss_evals, "ok" if r.ok else "wrong", r.first_wrong or "-",
                     "yes" if right else "NO", kinds, f"{(peak - base) / nbytes:.1f}x"])
        print(rows[-1], flush=True)
        if name == "correct":
            print("note:", " | ".join(r.notes))
    print()
    print(f"Auto mode on a {P:,}-parameter MLP (diagnosis on):")
    print(table(["case", "mode", "time [s]", "loss evals", "verdict", "first wrong", "right?", "findings",
                 "peak mem / params"], rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""A full central check against the 2P bare loss evaluations it needs, P = 1e2 .. 1e5.

Three timings per net, run in turn (best of ``--repeats``):

- ``bare``:      ``loss()`` called 2P times in a plain loop, nothing else;
- ``perturbed``: the minimal hand loop: move one element by +h, call, by -h, call, put it back;
- ``check``:     ``gradcheck.check(params, loss, grads, mode="full")`` with everything it does
                 (two calls at the start, two grads() calls, comparison, kink detection, diagnosis).

Then the peak memory of a check (tracemalloc) against the bytes of the net's parameters.

Run:  python benchmarks/bench_floor.py            (add --quick to stop at 1e4, --profile for cProfile)
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import sys
import tracemalloc
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import WIDTHS, build, interleaved, limit_threads, machine, n_params, table  # noqa: E402

import gradcheck  # noqa: E402


def bare_loop(loss, n):
    def run():
        for _ in range(n):
            loss()

    return run


def perturbed_loop(params, loss):
    """The floor with perturbations: what a hand-written central-difference loop costs."""
    rel = np.finfo(np.float64).eps ** (1 / 3)

    def run():
        for p in params.values():
            flat = p.reshape(-1)
            for i in range(flat.size):
                x = flat[i]
                h = rel * max(abs(x), 1.0)
                flat[i] = x + h
                loss()
                flat[i] = x - h
                loss()
                flat[i] = x

    return run


def peak_memory(net, loss, grads, **kw):
    """Peak traced bytes of one check, of one loss()+grads() call, and the parameters' bytes."""
    tracemalloc.start()
    tracemalloc.reset_peak()
    loss()
    grads()
    _, one_call = tracemalloc.get_traced_memory()
    tracemalloc.reset_peak()
    base, _ = tracemalloc.get_traced_memory()
    gradcheck.check(net.params, loss, grads, **kw)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak - base, one_call, sum(p.nbytes for p in net.params.values())


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="stop at P = 1e4")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--profile", action="store_true", help="cProfile one check at P = 1e4 and print the top entries")
    ap.add_argument("--threads", type=int, default=1, help="BLAS threads (0: library default); default 1")
    args = ap.parse_args(argv)
    print(machine())
    print(limit_threads(args.threads))
    sizes = ["1e2", "1e3", "1e4"] + ([] if args.quick else ["1e5"])
    rows, mem_rows = [], []
    for key in sizes:
        net, X, y = build(WIDTHS[key])
        P = n_params(net)

        def loss(net=net, X=X, y=y):
            return net.loss(X, y)

        def grads(net=net, X=X, y=y):
            return net.gradients(X, y)

        holder = {}

        def run_check(net=net, loss=loss, grads=grads, holder=holder):
            holder["r"] = gradcheck.check(net.params, loss, grads, mode="full")

        reps = args.repeats
        reps = reps * 30 if P <= 2_000 else reps  # ~0.3 s in all at 1e2: the minimum settles
        t = interleaved(
            {"bare": bare_loop(loss, 2 * P), "perturbed": perturbed_loop(net.params, loss), "check": run_check},
            reps,
        )
        r = holder["r"]
        assert r.ok, r
        rows.append(
            [
                f"{P:,}",
                f"{t['bare'] * 1e3:.1f}",
                f"{t['perturbed'] * 1e3:.1f}",
                f"{t['check'] * 1e3:.1f}",
                r.n_loss_evals,
                f"**{t['check'] / t['bare']:.3f}x**",
                f"{t['check'] / t['perturbed']:.3f}x",
                f"{t['bare'] / (2 * P) * 1e6:.1f}",
            ]
        )
        print(rows[-1], flush=True)
        if P <= 20_000 or not args.quick:
            peak, one_call, nbytes = peak_memory(net, loss, grads, mode="full")
            mem_rows.append(
                [f"{P:,}", f"{nbytes / 1e6:.3f}", f"{one_call / 1e6:.3f}", f"{peak / 1e6:.3f}", f"{peak / nbytes:.1f}x"]
            )
    print()
    print("Full central check vs its 2P loss evaluations (times in ms, best of runs taken in turn):")
    print(
        table(
            ["P", "2P bare loss() [ms]", "2P perturbed [ms]", "check [ms]", "evals", "check / bare", "check / perturbed", "µs per loss()"],
            rows,
        )
    )
    print()
    print("Peak memory of a full check (tracemalloc, MB) against the parameters' own bytes:")
    print(table(["P", "params [MB]", "one loss()+grads() [MB]", "check peak [MB]", "peak / params"], mem_rows))
    if args.profile:
        net, X, y = build(WIDTHS["1e4"])
        prof = cProfile.Profile()
        prof.enable()
        gradcheck.check(net.params, lambda: net.loss(X, y), lambda: net.gradients(X, y), mode="full")
        prof.disable()
        out = io.StringIO()
        pstats.Stats(prof, stream=out).sort_stats("tottime").print_stats(15)
        print(out.getvalue())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

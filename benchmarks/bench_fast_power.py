"""The smallest single-element error fast mode finds, at 1e5, 1e6 and 1e7 parameters.

Two nets: ``--net quadratic`` (default), the model loss L(w) = 0.5 * sum(w ** 2) (gradient w,
elements of size ~1; a loss evaluation stays cheap at 1e7 parameters, and the loss, a sum of
n terms, is large: its round-off is the directional derivative's noise), and ``--net mlp``, a
tanh MLP d-d-1 with a mean squared error over 8 samples (a loss of size ~1, as a training loss
is). One element of the analytic gradient (of ``w``, of ``W1``) is moved by ``delta`` times the
tensor's rms gradient element; ``delta`` runs over powers of ten, and the smallest that
``check(mode="fast")`` reports wrong is printed, for a few seeds (the element and the direction
change with the seed). The weights are drawn
from a generator of their own, so the check's random direction is independent of them (drawn from the
check's seed, the direction would be the weights themselves, the one direction along which the
directional derivative is largest). The correct gradient is checked too: its verdict (a false alarm
would show here) and its loss evaluations.

Run:  python benchmarks/bench_fast_power.py            (--net quadratic|mlp --sizes 1e5 1e6 1e7 --seeds 3)
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import gradcheck  # noqa: E402
from gradcheck.nn import MLP  # noqa: E402

DELTAS = [10.0**k for k in range(-8, 3)]
#: the weights' generator is seeded apart from the check's seeds (0, 1, 2, ...)
WEIGHT_SEED = 12345


def quadratic(n: int, rng: np.random.Generator) -> tuple[dict[str, np.ndarray], Callable[[], float], dict[str, np.ndarray]]:
    """params, loss and correct gradients of 0.5 * |w|^2 with n weights."""
    w = rng.normal(size=n)
    return {"w": w}, lambda: 0.5 * float(w @ w), {"w": w.copy()}


def mlp(n: int, rng: np.random.Generator) -> tuple[dict[str, np.ndarray], Callable[[], float], dict[str, np.ndarray]]:
    """params, loss and correct gradients of a tanh MLP d-d-1 (about n parameters), mse over 8 samples."""
    d = int(round(np.sqrt(n)))
    net = MLP([d, d, 1], activations="tanh", loss="mse", seed=int(rng.integers(2**31)))
    X, y = net.random_data(8, seed=int(rng.integers(2**31)))
    return net.params, lambda: net.loss(X, y), net.gradients(X, y)


NETS = {"quadratic": quadratic, "mlp": mlp}


def smallest_found(net: str, n: int, seed: int) -> tuple[float | None, float, bool, int, int]:
    """The smallest delta (of DELTAS) fast mode flags, the seconds of the slowest check, the verdict and loss
    evaluations of the check of the correct gradient, and the number of parameters."""
    rng = np.random.default_rng([WEIGHT_SEED, seed])
    params, loss, grads = NETS[net](n, rng)
    name = next(iter(params))  # w, W1: the largest tensor
    k = int(rng.integers(params[name].size))
    rms = float(np.sqrt(np.mean(grads[name] ** 2)))

    def check(g: dict[str, np.ndarray]) -> tuple[gradcheck.Report, float]:
        t = time.perf_counter()
        r = gradcheck.check(params, loss, g, mode="fast", seed=seed, diagnose=False)
        return r, time.perf_counter() - t

    correct, slowest = check(grads)
    found = None
    for delta in DELTAS:
        g = dict(grads)
        g[name] = grads[name].copy()
        g[name].flat[k] += delta * rms
        r, took = check(g)
        slowest = max(slowest, took)
        del g
        if not r.ok:
            found = delta
            break
    return found, slowest, correct.ok, correct.n_loss_evals, sum(p.size for p in params.values())


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--net", choices=sorted(NETS), default="quadratic")
    ap.add_argument("--sizes", type=float, nargs="+", default=[1e5, 1e6, 1e7])
    ap.add_argument("--seeds", type=int, default=3)
    args = ap.parse_args(argv)
    print(f"{args.net}: errors in units of the tensor's rms gradient element")
    print("| parameters | smallest error found, per seed | correct gradient: verdict, loss evals | slowest check [s] |")
    print("|---|---|---|---|")
    for size in args.sizes:
        rows = [smallest_found(args.net, int(size), seed) for seed in range(args.seeds)]
        cells = ", ".join(f"not found up to {DELTAS[-1]:g}" if d is None else f"{d:g}" for d, *_ in rows)
        correct = ", ".join(f"{'ok' if ok else 'WRONG'} {evals}" for _, _, ok, evals, _ in rows)
        print(f"| {rows[0][4]:,} | {cells} | {correct} | {max(t for _, t, *_ in rows):.2f} |")


if __name__ == "__main__":
    main()

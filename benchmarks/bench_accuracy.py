"""Accuracy of central differences, Richardson extrapolation and the complex step against exact gradients.

Cases: three smooth functions with closed-form gradients, and the benchmark MLP (tanh hidden
layers, sigmoid + binary cross-entropy) whose exact gradient is its backward pass. The error of
an element is ``|numeric - exact| / max(|exact|, 1e-3 * max|exact|)`` (relative, with a floor
so an exact zero does not divide); the table gives the largest and the median over elements,
and the time per parameter.

Run:  python benchmarks/bench_accuracy.py
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import WIDTHS, build, machine, table  # noqa: E402

from gradcheck import numeric  # noqa: E402


def _err(num: np.ndarray, exact: np.ndarray) -> np.ndarray:
    floor = 1e-3 * float(np.abs(exact).max())
    return np.abs(num - exact) / np.maximum(np.abs(exact), max(floor, 1e-300))


def smooth_cases(rng: np.random.Generator) -> dict:
    """name -> (params dict, loss reading params (complex-safe), exact gradients)."""
    w = rng.normal(size=200)
    A = rng.normal(size=(20, 10))
    v = rng.normal(size=10)
    p1, p2, p3 = {"w": w.copy()}, {"w": w.copy()}, {"v": v.copy()}
    return {
        "sum sin(w)": (p1, lambda: np.sin(p1["w"]).sum(), {"w": np.cos(w)}),
        "sum exp(w/2) * w": (p2, lambda: (np.exp(p2["w"] / 2) * p2["w"]).sum(), {"w": np.exp(w / 2) * (1 + w / 2)}),
        "log sum exp(A v)": (
            p3,
            lambda: np.log(np.exp(A @ p3["v"]).sum()),
            {"v": A.T @ (np.exp(A @ v) / np.exp(A @ v).sum())},
        ),
    }


def mlp_case():
    """The benchmark MLP with a complex-safe loss of the same value as ``MLP.loss``."""
    net, X, y = build(WIDTHS["1e3"])
    params = net.params
    L = net.n_layers

    def loss():
        a = X
        for i in range(1, L + 1):
            z = a @ params[f"W{i}"] + params[f"b{i}"]
            a = np.tanh(z) if i < L else z
        # BCE with logits: z (1 - y) + log(1 + exp(-z)), averaged over the batch
        return (a * (1 - y) + np.log(1 + np.exp(-a))).sum() / X.shape[0]

    assert abs(float(np.real(loss())) - net.loss(X, y)) < 1e-12
    return params, loss, net.gradients(X, y)


def run(params, loss, exact, method):
    names = list(params)
    errs, n, evals = [], 0, 0
    real_loss = lambda: float(np.real(loss()))  # noqa: E731
    t = time.perf_counter()
    for name in names:
        if method == "complex":
            ev = numeric.complex_step(params, name, loss)
        elif method == "richardson":
            ev = numeric.richardson(params[name], real_loss)
        else:
            ev = numeric.central(params[name], real_loss)
        errs.append(_err(ev.grad.reshape(-1), np.asarray(exact[name]).reshape(-1)))
        n += params[name].size
        evals += ev.n_evals
    dt = time.perf_counter() - t
    e = np.concatenate(errs)
    return float(e.max()), float(np.median(e)), dt / n * 1e6, evals / n


def main() -> int:
    print(machine())
    rng = np.random.default_rng(0)
    cases = dict(smooth_cases(rng))
    cases["MLP 951 params (tanh, BCE)"] = mlp_case()
    rows = []
    first = next(iter(cases.values()))
    run(*first, "central")  # warm up, so the first timing does not pay for imports
    for cname, (params, loss, exact) in cases.items():
        for method in ("central", "richardson", "complex"):
            mx, med, us, per = run(params, loss, exact, method)
            rows.append([cname, method, f"{mx:.1e}", f"{med:.1e}", f"{per:.2f}", f"{us:.1f}"])
            print(rows[-1], flush=True)
    print()
    print("Error of each method against the exact gradient (float64):")
    print(table(["case", "method", "max rel. error", "median rel. error", "loss evals / param", "µs / param"], rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

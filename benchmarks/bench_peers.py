"""gradcheck against its peers, side by side in one run, on the same float64 MLP and loss.

Full checks (every parameter element):
  - gradcheck ``check(mode="full")`` on the numpy net and its hand-written backward pass;
  - ``torch.autograd.gradcheck`` (slow mode) on the same net written in torch (same weights);
  - ``scipy.optimize.check_grad`` on the flattened parameter vector (forward differences);
  - a course-style loop: ``np.nditer`` over each array, central difference with h = 1e-5.
Fast checks (a few random directions):
  - gradcheck ``check(mode="fast")``;
  - ``torch.autograd.gradcheck(fast_mode=True)``;
  - ``jax.test_util.check_grads(order=1, modes=["rev"])`` on the net in jax.numpy (jit-compiled);
  - ``scipy.optimize.check_grad(direction="random")``.

Each tool is timed at its best of ``--repeats`` runs; "loss calls" counts the calls of the loss
function the tool made (through a counting wrapper); "per call" divides the time by the calls
and by that tool's own bare loss time, so 1.0x means no overhead beyond the loss evaluations.
Tools that are not installed are skipped with a line saying so (install: pip install -e .[bench]).

Run:  python benchmarks/bench_peers.py            (--big adds P = 1e5 to the full checks)
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
# torch's OpenMP threads spin after each op and would steal the cores numpy's BLAS runs on
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from common import WIDTHS, build, limit_threads, machine, n_params, table  # noqa: E402

import gradcheck  # noqa: E402


class Counter:
    def __init__(self, fn: Callable[..., Any]) -> None:
        self.fn, self.calls = fn, 0

    def __call__(self, *a: Any) -> Any:
        self.calls += 1
        return self.fn(*a)


def best(fn: Callable[[], Any], repeats: int) -> tuple[float, Any]:
    t_best, out = float("inf"), None
    for _ in range(repeats):
        t = time.perf_counter()
        out = fn()
        t_best = min(t_best, time.perf_counter() - t)
    return t_best, out


def bare_time(fn: Callable[[], Any], n: int = 50, rounds: int = 5) -> float:
    """Seconds per call of ``fn``: the best of ``rounds`` batches of ``n`` calls."""
    fn()
    t_best = float("inf")
    for _ in range(rounds):
        t = time.perf_counter()
        for _ in range(n):
            fn()
        t_best = min(t_best, (time.perf_counter() - t) / n)
    return t_best


# -- the tools -------------------------------------------------------------------------


def ours(net, X, y, mode, repeats):
    loss = Counter(lambda: net.loss(X, y))
    grads = lambda: net.gradients(X, y)  # noqa: E731
    t, r = best(lambda: gradcheck.check(net.params, loss, grads, mode=mode), repeats)
    assert r.ok, r
    calls = r.n_loss_evals
    return t, calls, bare_time(lambda: net.loss(X, y)), f"ok={r.ok}, per tensor, first_wrong"


def course_loop(net, X, y, repeats):
    """The classic per-element loop people write by hand (central difference, h = 1e-5)."""

    def numerical_gradient(f, x, h=1e-5):
        grad = np.zeros_like(x)
        it = np.nditer(x, flags=["multi_index"], op_flags=[["readwrite"]])
        while not it.finished:
            ix = it.multi_index
            keep = x[ix]
            x[ix] = keep + h
            up = f()
            x[ix] = keep - h
            down = f()
            x[ix] = keep
            grad[ix] = (up - down) / (2 * h)
            it.iternext()
        return grad

    loss = Counter(lambda: net.loss(X, y))

    def run():
        loss.calls = 0
        g = net.gradients(X, y)
        errs = {}
        for name, p in net.params.items():
            num = numerical_gradient(loss, p)
            errs[name] = float(np.max(np.abs(num - g[name]) / np.maximum(np.abs(num) + np.abs(g[name]), 1e-12)))
        return errs

    t, errs = best(run, repeats)
    return t, loss.calls, bare_time(lambda: net.loss(X, y)), f"max rel err {max(errs.values()):.1e}"


def scipy_check(net, X, y, repeats, direction="all"):
    try:
        from scipy.optimize import check_grad
    except ImportError:
        return None
    names = list(net.params)
    shapes = [net.params[n].shape for n in names]
    sizes = [net.params[n].size for n in names]
    x0 = np.concatenate([net.params[n].reshape(-1) for n in names])
    saved = {n: p.copy() for n, p in net.params.items()}

    def unpack(x):
        at = 0
        for n, shape, size in zip(names, shapes, sizes):
            np.copyto(net.params[n], x[at : at + size].reshape(shape))
            at += size

    def f(x):
        unpack(x)
        return net.loss(X, y)

    def g(x):
        unpack(x)
        gr = net.gradients(X, y)
        return np.concatenate([gr[n].reshape(-1) for n in names])

    fc = Counter(f)

    def run():
        fc.calls = 0
        try:
            kw = {} if direction == "all" else {"direction": "random", "seed": 0}
            return check_grad(fc, g, x0, **kw)
        finally:
            for n in names:
                np.copyto(net.params[n], saved[n])

    t, err = best(run, repeats)
    return t, fc.calls, bare_time(lambda: f(x0)), f"one number: |g - num| = {err:.1e}"


def torch_net(net, X, y):
    import torch

    inputs = tuple(torch.tensor(p, dtype=torch.float64, requires_grad=True) for p in net.params.values())
    Xt = torch.tensor(X, dtype=torch.float64)
    yt = torch.tensor(y, dtype=torch.float64)
    L = net.n_layers

    def fn(*ps):
        a = Xt
        for i in range(L):
            z = a @ ps[2 * i] + ps[2 * i + 1]
            a = torch.tanh(z) if i < L - 1 else z
        return torch.nn.functional.binary_cross_entropy_with_logits(a, yt)

    with torch.no_grad():
        assert abs(float(fn(*inputs)) - net.loss(X, y)) < 1e-12
    return fn, inputs


def torch_check(net, X, y, repeats, fast):
    try:
        import torch
    except ImportError:
        return None
    fn, inputs = torch_net(net, X, y)
    c = Counter(fn)

    def run():
        c.calls = 0
        return torch.autograd.gradcheck(c, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, fast_mode=fast)

    t, ok = best(run, repeats)

    def bare():
        with torch.no_grad():
            fn(*inputs)

    return t, c.calls, bare_time(bare), f"ok={ok} (one bool, or an exception naming the input)"


def jax_check(net, X, y, repeats):
    try:
        import jax
        import jax.numpy as jnp
        from jax.test_util import check_grads
    except ImportError:
        return None
    jax.config.update("jax_enable_x64", True)
    L = net.n_layers
    Xj, yj = jnp.asarray(X), jnp.asarray(y)

    @jax.jit
    def f(ps):
        a = Xj
        for i in range(L):
            z = a @ ps[2 * i] + ps[2 * i + 1]
            a = jnp.tanh(z) if i < L - 1 else z
        return jnp.mean(jnp.maximum(a, 0) - a * yj + jnp.log1p(jnp.exp(-jnp.abs(a))))

    ps = tuple(jnp.asarray(p) for p in net.params.values())
    assert abs(float(f(ps)) - net.loss(X, y)) < 1e-12
    c = Counter(f)

    def run(eps=None):
        c.calls = 0
        try:
            check_grads(c, (ps,), order=1, modes=["rev"], eps=eps)
        except AssertionError:
            return False
        return True

    default_ok = run()  # also compiles outside the timing
    t, ok = best(lambda: run(eps=1e-6), repeats)
    says = "passes or raises (no localization)"
    if not default_ok:
        says += f"; FALSE ALARM at its default eps, passes={ok} at eps=1e-6 (timed)"
    return t, c.calls, bare_time(lambda: f(ps).block_until_ready()), says


# -- the tables --------------------------------------------------------------------

TOOLS: dict[str, Callable[..., Any]] = {
    "gradcheck full": lambda net, X, y, r: ours(net, X, y, "full", r),
    "torch gradcheck (slow)": lambda net, X, y, r: torch_check(net, X, y, r, fast=False),
    "scipy check_grad": lambda net, X, y, r: scipy_check(net, X, y, r),
    "course-style nditer loop": lambda net, X, y, r: course_loop(net, X, y, r),
    "gradcheck fast": lambda net, X, y, r: ours(net, X, y, "fast", r),
    "torch gradcheck fast_mode": lambda net, X, y, r: torch_check(net, X, y, r, fast=True),
    "jax check_grads (jit)": lambda net, X, y, r: jax_check(net, X, y, r),
    "scipy check_grad random": lambda net, X, y, r: scipy_check(net, X, y, r, direction="random"),
}
FULL = list(TOOLS)[:4]
FAST = list(TOOLS)[4:]


def measure_here(tool: str, key: str, repeats: int, threads: int) -> list[Any]:
    """Run one tool on one net in this process; the table row."""
    warnings.filterwarnings("ignore")
    if threads and "torch" in tool:
        import torch  # noqa: F401  (loaded first so that its threads are limited too)
    limit_threads(threads)
    net, X, y = build(WIDTHS[key])
    P = n_params(net)
    return row(tool, P, TOOLS[tool](net, X, y, repeats if P < 50_000 else max(2, repeats - 1)))


def measure(tool: str, key: str, repeats: int, threads: int) -> list[Any]:
    """Run one tool in a fresh process, so no other library's threads share the cores with it."""
    cmd = [sys.executable, __file__, "--one", tool, "--size", key, "--repeats", str(repeats), "--threads", str(threads)]
    out = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        return [tool, key, "failed", "", "", "", out.stderr.strip().splitlines()[-1][:120] if out.stderr else ""]
    return json.loads(out.stdout.strip().splitlines()[-1])


def row(tool, P, res):
    if res is None:
        return [tool, f"{P:,}", "not installed", "", "", "", ""]
    t, calls, bare, says = res
    per = t / max(calls, 1) / bare if bare > 0 else float("nan")
    return [tool, f"{P:,}", f"{t * 1e3:.1f}", f"{calls:,}", f"{bare * 1e6:.1f}", f"{per:.2f}x", says]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--big", action="store_true", help="add P = 1e5 to the full checks (torch slow takes minutes)")
    ap.add_argument("--threads", type=int, default=1, help="BLAS / torch threads per tool (0: library default); default 1")
    ap.add_argument("--one", help=argparse.SUPPRESS)
    ap.add_argument("--size", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.one:
        print(json.dumps(measure_here(args.one, args.size, args.repeats, args.threads)))
        return 0
    print(machine())
    print(limit_threads(args.threads) + " per tool (jax: XLA's own thread pool)")
    for mod in ("torch", "jax", "scipy"):
        try:
            m = __import__(mod)
            print(f"{mod} {m.__version__}")
        except ImportError:
            print(f"{mod}: not installed, skipped")
    headers = ["tool", "P", "time [ms]", "loss calls", "bare loss [µs]", "time / (calls x bare loss)", "what it tells"]
    full_rows: list[list[Any]] = []
    for key in ["1e2", "1e3", "1e4"] + (["1e5"] if args.big else []):
        for tool in FULL:
            full_rows.append(measure(tool, key, args.repeats, args.threads))
            print(full_rows[-1], flush=True)
    fast_rows: list[list[Any]] = []
    for key in ("1e4", "1e5", "1e6"):
        for tool in FAST:
            fast_rows.append(measure(tool, key, args.repeats, args.threads))
            print(fast_rows[-1], flush=True)
    print()
    print("Full checks (each tool in its own process):")
    print(table(headers, full_rows))
    print()
    print("Fast checks (each tool in its own process):")
    print(table(headers, fast_rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

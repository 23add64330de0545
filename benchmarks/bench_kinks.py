"""False alarms on correct ReLU nets whose pre-activations sit within a step of a kink.

Each net is a correct cs231n-style fully-connected ReLU net with a softmax loss and its
hand-written gradient (tests/kink_nets.py): deep nets with small weights (many units near 0),
and shallow nets whose input has rows of zeros, so the first layer's pre-activations are the
biases: +-1e-9 (within a step of the kink) or exactly 0 (on it). Every net is correct, so every
check that calls a gradient wrong is a false alarm. gradcheck has a third verdict, "could not be
checked" (status unverifiable, exit code 3): no gradient shown wrong, but elements no finite
difference can check; it is counted in its own column, neither a pass nor a false alarm. Side by
side on the same weights (float64):

  - gradcheck ``check(mode="full")`` (central differences), the numpy net and its backward pass;
  - ``torch.autograd.gradcheck`` (slow mode, its default eps=1e-6, atol=1e-5, rtol=1e-3) on the
    net written in torch (autograd gradient);
  - ``jax.test_util.check_grads(order=1, modes=["rev"])`` on the net in jax.numpy (x64).

A peer that is not installed is skipped with a line saying so.

Run:  python benchmarks/bench_kinks.py            (--seeds N, default 5; --no-peers: gradcheck alone)
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.kink_nets import relu_net  # noqa: E402

import gradcheck  # noqa: E402

NETS = {
    "7 hidden x 16, weights 5e-2": dict(hidden=[16] * 7, batch=3, weight_scale=5e-2),
    "7 hidden x 30, weights 5e-2": dict(hidden=[30] * 7, batch=3, weight_scale=5e-2),
    "7 hidden x 20, weights 1e-2": dict(hidden=[20] * 7, batch=2, weight_scale=1e-2),
    "2 hidden x 10, zero rows, biases +-1e-9": dict(hidden=[10, 10], batch=6, zero_rows=3, bias=1e-9),
    "2 hidden x 50, zero rows, biases +-1e-9": dict(hidden=[50, 50], batch=10, zero_rows=5, bias=1e-9),
    "2 hidden x 10, zero rows, biases 0": dict(hidden=[10, 10], batch=6, zero_rows=3, bias=0.0),
}


def _forward_fn(xp, relu, logsoftmax, X, y, depth):
    def loss(*flat):
        h = X
        for i in range(depth):
            z = h @ flat[2 * i] + flat[2 * i + 1]
            h = relu(z) if i < depth - 1 else z
        return -logsoftmax(h)[xp.arange(len(y)), y].mean()

    return loss


def _data(net):
    """The X and y the net's loss reads (from its closure)."""
    params, loss, _ = net
    X, y = loss.data
    return X, y, len(params) // 2


def run_gradcheck(net) -> str:
    params, loss, grads = net
    report = gradcheck.check(params, loss, grads, mode="full", diagnose=False)
    # versions before the unverifiable verdict had only ok and wrong (for a run of an older checkout)
    return getattr(report, "status", "ok" if report.ok else "wrong")


def run_torch(net) -> bool:
    import torch

    torch.set_num_threads(1)  # the verdict does not depend on it; on a loaded 2-core machine threads thrash
    X, y, depth = _data(net)
    flat = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in net[0].values()]
    fn = _forward_fn(torch, torch.relu, lambda s: torch.log_softmax(s, dim=1), torch.tensor(X), torch.tensor(y), depth)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return bool(torch.autograd.gradcheck(fn, tuple(flat), raise_exception=False))


def run_jax(net) -> bool:
    import jax

    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp
    from jax.test_util import check_grads

    X, y, depth = _data(net)
    fn = _forward_fn(jnp, jax.nn.relu, lambda s: jax.nn.log_softmax(s, axis=1), jnp.asarray(X), jnp.asarray(y), depth)
    try:
        check_grads(fn, tuple(jnp.asarray(v) for v in net[0].values()), order=1, modes=["rev"])
    except AssertionError:
        return False
    return True


def _available(module: str) -> bool:
    try:
        __import__(module)
    except ImportError:
        return False
    return True


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--no-peers", action="store_true", help="gradcheck alone (no torch or jax columns)")
    args = ap.parse_args(argv)
    tools = {"gradcheck": run_gradcheck}
    for name, module, fn in (("torch.autograd.gradcheck", "torch", run_torch), ("jax check_grads", "jax", run_jax)):
        if args.no_peers:
            continue
        if _available(module):
            tools[name] = fn
        else:
            print(f"{name}: skipped ({module} is not installed)")
    print(f"false alarms on correct nets (checks that call a gradient wrong / seeds 0..{args.seeds - 1}):\n")
    columns = ["gradcheck: wrong", "gradcheck: could not check", *list(tools)[1:]]
    print("| net | " + " | ".join(columns) + " |")
    print("|---|" + "---|" * len(columns))
    totals = dict.fromkeys(columns, 0)
    for label, kw in NETS.items():
        counts = dict.fromkeys(columns, 0)
        for seed in range(args.seeds):
            status = run_gradcheck(relu_net(seed=seed, **kw))
            counts["gradcheck: wrong"] += status == "wrong"
            counts["gradcheck: could not check"] += status == "unverifiable"
            for tool, fn in list(tools.items())[1:]:
                counts[tool] += not fn(relu_net(seed=seed, **kw))
        for c in columns:
            totals[c] += counts[c]
        print(f"| {label} | " + " | ".join(f"{counts[c]}/{args.seeds}" for c in columns) + " |", flush=True)
    n = args.seeds * len(NETS)
    print("| **all** | " + " | ".join(f"**{totals[c]}/{n}**" for c in columns) + " |")


if __name__ == "__main__":
    main()

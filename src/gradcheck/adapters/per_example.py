"""Nets trained one example at a time: ``forward_pass(x)`` on one example, ``backward_pass(y, output)``
returning the gradients of that example as a dict, a ``params`` dict (that may also hold the
activations of the last pass: ``A0``, ``Z1``, ... are not parameters).

The loss of a batch is the mean over its examples of the cost of each (the net's own cost of
``(output, y)``, or a standard one named with ``--loss``); the gradient is the mean of the
per-example gradients. Entries the passes add to the params dict are taken out after each call.

Example:
    >>> import numpy as np
    >>> from gradcheck.adapters import as_problem
    >>> class Net:
    ...     def __init__(self): self.params = {"W1": np.array([[0.5, -0.5]])}
    ...     def forward_pass(self, x):
    ...         self.params["A0"] = x
    ...         return self.params["W1"] @ x
    ...     def backward_pass(self, y, output): return {"W1": np.outer(output - y, self.params["A0"])}
    >>> X, y = np.eye(2), np.zeros((2, 1))
    >>> p = as_problem(Net(), data=(X, y), loss="half-sse")
    >>> list(p.params), p.meta["recognized"].split(";")[0]
    (['W1'], 'per-example net: Net.params [W1], forward_pass(x) on one example at a time')
"""

from __future__ import annotations

import contextlib
import types
from collections.abc import Iterator
from typing import Any

import numpy as np

from ..errors import AdapterError
from ..problem import Problem
from ._access import Source, arg_names, call, is_array_dict, is_fn, pick_grads, role_of
from ._data import find_data
from ._losses import LOSSES
from ._params import CACHE_RE
from ._state import restored_state

NAME = "per-example"
FORWARD_NAMES = ("forward_pass", "forward", "feedforward", "feed_forward", "forward_propagation", "predict_one")
BACKWARD_NAMES = ("backward_pass", "backward", "backprop", "backpropagation", "back_propagation",
                  "backward_propagation")
COST_NAMES = ("cost", "loss", "compute_cost", "compute_loss", "cost_function", "loss_function", "error")
EXPECTED = ("a params dict, forward_pass(x) on one example and backward_pass(y, output) -> the gradients of that "
            "example")


def _parts(src: Source) -> tuple[Any, ...]:
    params = src.get("params")
    fn, fwd = src.first(FORWARD_NAMES, lambda v: is_fn(v) and _roles(v) == ["X"])
    bn, bwd = src.first(BACKWARD_NAMES, lambda v: is_fn(v) and set(_roles(v)) == {"y", "output"})
    return params, fn, fwd, bn, bwd


def _roles(fn: Any) -> list[str | None]:
    return [role_of(n) for n in arg_names(fn) or []]


def _own(params: dict[str, Any]) -> dict[str, np.ndarray]:
    """The parameters of a params dict that also holds the activations of the last pass."""
    return {k: v for k, v in params.items() if not CACHE_RE.match(k)}


def detect(src: Source) -> str | None:
    if isinstance(src.obj, (types.ModuleType, dict)):
        return None
    params, fn, fwd, bn, bwd = _parts(src)
    if not is_array_dict(params) or fwd is None or bwd is None or not _own(params):
        return None
    if _takes_batches(src, params, fwd):
        return None  # a batch net with the same names: another convention reads it
    return f"params dict, {fn}(x) and {bn}(y, output)"


def _takes_batches(src: Source, params: dict[str, Any], fwd: Any) -> bool:
    """True when the forward pass runs on the whole batch and gives one output per example."""
    data, _ = find_data(src)
    if data is None or isinstance(data[0], list):
        return False
    X = np.asarray(data[0])
    try:
        with restored_state(src.obj, {}), _no_new_keys(params):
            out = np.asarray(call(fwd, {"X": X}, order=("X",)))
    except Exception:  # noqa: BLE001 - a forward pass of one example fails on a batch
        return False
    return out.ndim >= 1 and len(X) in out.shape


@contextlib.contextmanager
def _no_new_keys(d: dict[str, Any]) -> Iterator[None]:
    keys = set(d)
    old = {k: v for k, v in d.items() if k not in _own(d)}
    try:
        yield
    finally:
        for k in [k for k in d if k not in keys]:
            del d[k]
        d.update(old)


def _examples(X: Any, y: Any) -> list[tuple[Any, Any]]:
    """One ``(x, y)`` per example: rows of ``X`` (a list of pairs is taken as it is)."""
    if isinstance(X, list):
        return list(zip(X, y))
    X, y = np.asarray(X), np.asarray(y)
    return [(X[i], y[i]) for i in range(len(X))]


def build(src: Source, data: Any, *, loss: str | None = None, **_: Any) -> Problem:
    user_params, fn, fwd, bn, bwd = _parts(src)
    params = _own(user_params)
    if data is None:
        raise AdapterError(f"found {fn}(x) and {bn}(y, output) but no data: define X and y beside the net")
    batch = _examples(*data)
    cost_of, cost_desc = _cost(src, loss)

    def loss_fn() -> float:
        with _no_new_keys(user_params):
            return float(np.mean([cost_of(np.asarray(call(fwd, {"X": x}, order=("X",), what=fn)), t) for x, t in batch]))

    def grads() -> dict[str, Any]:
        total: dict[str, Any] = {}
        with _no_new_keys(user_params):
            for x, t in batch:
                out = call(fwd, {"X": x}, order=("X",), what=fn)
                g = pick_grads(params, call(bwd, {"y": t, "output": out}, order=("y", "output"), what=bn))
                if not isinstance(g, dict):
                    return g
                for k, v in g.items():
                    total[k] = np.asarray(v, dtype=float) + total[k] if k in total else np.asarray(v, dtype=float)
        return {k: v / len(batch) for k, v in total.items()}

    left = [k for k in user_params if k not in params]
    caches = f" ({', '.join(left)} in the dict are activations, not parameters)" if left else ""
    return Problem(
        params=params, loss=loss_fn, grads=grads, data=data,
        meta={"recognized": f"per-example net: {type(src.obj).__name__}.params [{', '.join(params)}]{caches}, "
                            f"{fn}(x) on one example at a time; loss the mean over the {len(batch)} examples of "
                            f"{cost_desc}; gradient the mean of {bn}(y, output)"},
    )


def _cost(src: Source, loss: str | None) -> tuple[Any, str]:
    """The cost of one example ``(output, y) -> float``: a standard loss (``--loss``) or the net's own."""
    if loss is not None:
        if loss not in LOSSES:
            raise AdapterError(f"unknown loss {loss!r}; choose one of {', '.join(LOSSES)}")
        return (lambda a, t: LOSSES[loss](a, t, 1)), f"the {loss} loss (--loss)"
    cn, cost = src.first(COST_NAMES, lambda v: is_fn(v) and {"output", "y"} <= set(_roles(v)))
    if cost is None:
        raise AdapterError(
            "a per-example net needs a cost of its output: a method cost(output, y), or a standard loss named "
            "with --loss (ce, mse, bce, half-sse, ...)")
    return (lambda a, t: call(cost, {"output": a, "y": t}, order=("output", "y"), what=cn)), f"{cn}(output, y)"

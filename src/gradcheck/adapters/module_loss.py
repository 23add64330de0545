"""A module whose weights are module-level arrays and whose loss function of the data returns the
gradients with it: ``lossFun(inputs, targets, hprev) -> (loss, dWxh, dWhh, dWhy, dbh, dby, h)``.

The parameters are the module's float arrays that the function does not take as arguments (an
initial hidden state ``hprev`` passed in is data, not a parameter). The gradients are matched to
them by the names in the function's ``return`` statement (``dWxh`` is the gradient of ``Wxh``,
through :mod:`gradcheck.names`), else by position in the order the module defines the weights;
what follows them (the last hidden state) is not a gradient.

Example:
    >>> import numpy as np
    >>> weights = {"Wxh": np.ones(2), "Whh": np.ones(2), "bh": np.ones(1)}
    >>> _order(weights, ["loss", "dWxh", "dWhh", "dbh", "h"], 5)
    {'Wxh': 1, 'Whh': 2, 'bh': 3}
"""

from __future__ import annotations

import ast
import inspect
import textwrap
import types
from typing import Any

import numpy as np

from ..errors import AdapterError
from ..names import match
from ..problem import Problem
from ._access import Source, arg_names, call, is_float_array, is_fn, role_of

NAME = "module-loss"
LOSS_NAMES = ("lossFun", "loss_fun", "lossFunc", "loss_func", "loss", "loss_fn", "loss_function", "compute_loss",
              "cost", "cost_function", "compute_cost", "forward_backward", "loss_and_grads", "loss_and_gradients")
EXPECTED = ("module-level weight arrays and a loss function of the data returning (loss, gradients...) in the "
            "order of the weights, e.g. lossFun(inputs, targets, hprev) -> (loss, dWxh, ..., h)")


def _loss_fn(src: Source) -> tuple[str | None, Any]:
    prefer = getattr(src, "prefer", None)
    names = ((prefer,) if prefer else ()) + LOSS_NAMES
    for name in names:
        fn = src.get(name)
        roles = [role_of(n) for n in arg_names(fn) or []] if is_fn(fn) else []
        if roles and roles[0] == "X" and "y" in roles and "params" not in roles:
            return name, fn
    return None, None


def _weights(src: Source, fn: Any) -> dict[str, np.ndarray]:
    taken = set(arg_names(fn) or [])
    return {k: v for k, v in vars(src.obj).items() if not k.startswith("_") and is_float_array(v) and k not in taken}


def detect(src: Source) -> str | None:
    if not isinstance(src.obj, types.ModuleType):
        return None
    name, fn = _loss_fn(src)
    if fn is None or not _weights(src, fn) or not _returns_tuple(fn):
        return None
    return f"module-level weights and {name}() returning (loss, gradients)"


def _returned_names(fn: Any) -> list[str] | None:
    """The names in ``return loss, dW1, ...`` (the last return of the function), or None."""
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(fn)))
    except (OSError, TypeError, SyntaxError):
        return None
    returns = [n.value for n in ast.walk(tree) if isinstance(n, ast.Return) and isinstance(n.value, ast.Tuple)]
    if not returns or not isinstance(returns[-1], ast.Tuple):
        return None
    return [e.id if isinstance(e, ast.Name) else ast.unparse(e) for e in returns[-1].elts]


def _returns_tuple(fn: Any) -> bool:
    names = _returned_names(fn)
    return names is not None and len(names) >= 2


def _order(weights: dict[str, np.ndarray], returned: list[str] | None, n_grads: int) -> dict[str, int]:
    """``weight -> index into the returned tuple``: by the returned names, else by position after the loss."""
    if returned:
        found = match(list(weights), returned[1:])
        if len(found) == len(weights):
            return {w: returned.index(k) for w, k in found.items()}
    if n_grads - 1 < len(weights):
        raise AdapterError(
            f"the loss function returns {n_grads - 1} arrays after the loss for {len(weights)} module-level weights "
            f"[{', '.join(weights)}]: return one gradient per weight, in the order of the weights")
    return {w: i + 1 for i, w in enumerate(weights)}


def _named_data(src: Source, fn: Any) -> tuple[Any, Any] | None:
    """The data the function's own argument names point at in the module (``lossFun(xs, ys, h0)``: xs, ys)."""
    names = arg_names(fn) or []
    xn = next((n for n in names if role_of(n) == "X"), None)
    yn = next((n for n in names if role_of(n) == "y"), None)
    if xn is None or yn is None or xn not in src or yn not in src:
        return None
    return src.get(xn), src.get(yn)


def build(src: Source, data: Any, **_: Any) -> Problem:
    name, fn = _loss_fn(src)
    weights = _weights(src, fn)
    if data is None:
        data = _named_data(src, fn)
    if data is None:
        raise AdapterError(f"found {name}() but no data: define its inputs and targets beside it")
    X, y = data

    def run() -> Any:
        out = call(fn, {"X": X, "y": y}, order=("X", "y"), extra=src, what=name)
        if not isinstance(out, tuple) or np.size(out[0]) != 1:
            raise AdapterError(f"{name}() returned {type(out).__name__}, not (loss, gradients...)")
        return out

    returned = _returned_names(fn)
    order = _order(weights, returned, len(run()))

    def grads() -> dict[str, Any]:
        out = run()
        return {w: out[i] for w, i in order.items()}

    extra = [returned[i] for i in range(1, len(returned)) if i not in order.values()] if returned else []
    rest = f"; not gradients: {', '.join(extra)}" if extra else ""
    state = [n for n in arg_names(fn) or [] if role_of(n) is None and n in src]
    rest += f"; {', '.join(state)} read from the module as data" if state else ""
    keys = ", ".join(returned[i] or "?" for i in sorted(order.values())) if returned else "gradients"
    first = returned[order[next(iter(order))]] if returned else "gradients"
    return Problem(
        params=weights, loss=lambda: float(np.asarray(run()[0])), grads=grads, data=data,
        meta={"recognized": f"module weights [{', '.join(weights)}] with {name}"
                            f"({', '.join(arg_names(fn) or [])}) -> (loss, {first}, ...); gradients [{keys}] "
                            f"matched by name{rest}"},
    )

"""Plain functions: ``loss_fn(params, X, y)`` and ``grad_fn(params, X, y)`` over a params dict.

Example:
    >>> import numpy as np
    >>> from gradcheck.adapters import as_problem
    >>> params = {"w": np.array([1.0, -1.0])}
    >>> X, y = np.eye(2), np.array([0.5, 0.5])
    >>> def loss_fn(params, X, y): return float(((X @ params["w"] - y) ** 2).mean())
    >>> def grad_fn(params, X, y): return {"w": X.T @ (X @ params["w"] - y)}
    >>> p = as_problem({"params": params, "loss_fn": loss_fn, "grad_fn": grad_fn, "X": X, "y": y})
    >>> p.meta["recognized"]
    'plain functions: loss_fn(params, X, y) and grad_fn(params, X, y) over params [w]; data from X, y'
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..problem import Problem
from ._access import Source, arg_names, call, is_array_dict, is_float_array, is_fn, pick_grads, role_of

NAME = "functions"
PARAM_NAMES = ("params", "parameters", "theta", "weights", "param_dict")
LOSS_NAMES = ("loss_fn", "loss_func", "loss_function", "compute_loss", "loss", "cost_fn", "cost_function",
              "compute_cost", "cost", "objective", "f", "J")
GRAD_NAMES = ("grad_fn", "grad_func", "gradient_fn", "grads_fn", "grad_function", "compute_grads",
              "compute_gradients", "compute_gradient", "gradients", "gradient", "grads", "grad", "backprop",
              "backward", "df", "dJ")
EXPECTED = "a params dict and loss_fn(params, X, y) with grad_fn(params, X, y) (or a loss returning (loss, grads))"


def _takes_params(fn: Any) -> bool:
    names = arg_names(fn)
    if not names:
        return False
    roles = [role_of(n) for n in names]
    return "params" in roles or roles[0] is None


SINGLE_NAMES = ("w", "W", "theta", "weights", "params", "beta", "coef", "x0")


def _params(src: Source) -> tuple[str | None, Any]:
    """A params dict, or one parameter array (``w``, ``theta``) the functions take as it is."""
    pn, params = src.first(PARAM_NAMES, is_array_dict)
    if params is None:
        pn, params = src.first(SINGLE_NAMES, is_float_array)
    return pn, params


def detect(src: Source) -> str | None:
    pn, params = _params(src)
    ln, loss = src.first(LOSS_NAMES, lambda v: is_fn(v) and _takes_params(v))
    if params is None or loss is None:
        return None
    return f"{pn} dict and {ln}()"


def build(src: Source, data: Any, **_: Any) -> Problem:
    pn, params = _params(src)
    ln, loss_fn = src.first(LOSS_NAMES, lambda v: is_fn(v) and _takes_params(v))
    gn, grad_fn = src.first(GRAD_NAMES, lambda v: is_fn(v) and v is not loss_fn and _takes_params(v))
    single = isinstance(params, np.ndarray)
    arg = params
    if single:
        params = {pn: arg}
    values: dict[str, Any] = {"params": arg}
    if data is not None:
        values["X"], values["y"] = data[0], data[1]
    order = ("params", "X", "y")

    def run_loss() -> Any:
        return call(loss_fn, values, order=order, extra=src, what=ln)

    def loss() -> Any:
        out = run_loss()
        return out[0] if isinstance(out, tuple) else out

    def _named(g: Any) -> Any:
        return {pn: g} if single and not isinstance(g, dict) else g

    if grad_fn is not None:
        def grads() -> Any:
            return _named(pick_grads(params, call(grad_fn, values, order=order, extra=src, what=gn)))
        how = f"{ln}{_args(loss_fn)} and {gn}{_args(grad_fn)}"
    else:
        def grads() -> Any:
            out = run_loss()
            return _named(pick_grads(params, out[1] if isinstance(out, tuple) and len(out) == 2 else out))
        how = f"{ln}{_args(loss_fn)} returning (loss, grads)"
    return Problem(params=params, loss=loss, grads=grads, data=data,
                   meta={"recognized": f"plain functions: {how} over {pn} [{', '.join(params)}]"})


def _args(fn: Any) -> str:
    names = arg_names(fn)
    return "(" + ", ".join(names or ["..."]) + ")"

"""cs231n style: an object with a ``params`` dict and ``loss(X, y) -> (loss, grads)``.

Gradients may be named like the parameters (``W1``) or ``dW1``.

Example:
    >>> import numpy as np
    >>> from gradcheck.adapters import as_problem
    >>> class Linear:
    ...     def __init__(self): self.params = {"W": np.ones((3, 2)), "b": np.zeros(2)}
    ...     def loss(self, X, y=None):
    ...         s = X @ self.params["W"] + self.params["b"]
    ...         d = (s - y) / len(X)
    ...         return float(0.5 * ((s - y) ** 2).sum() / len(X)), {"W": X.T @ d, "b": d.sum(0)}
    >>> X, y = np.ones((4, 3)), np.zeros((4, 2))
    >>> as_problem(Linear(), data=(X, y)).meta["recognized"]
    'cs231n style: Linear.params [W, b] and loss(X, y) -> (loss, grads)'
"""

from __future__ import annotations

from typing import Any

from ..errors import AdapterError
from ..problem import Problem
from ._access import Source, arg_names, call, is_array_dict, is_fn, pick_grads, role_of
from .methods import grad_method

NAME = "cs231n"
EXPECTED = "an object with a params dict and a method loss(X, y) returning (loss, grads)"


def _loss_method(src: Source) -> Any:
    fn = src.get("loss")
    if not is_fn(fn):
        return None
    names = arg_names(fn) or []
    if not names or role_of(names[0]) != "X":
        return None
    return fn


def detect(src: Source) -> str | None:
    if is_array_dict(src.get("params")) and _loss_method(src) is not None:
        if grad_method(src)[0] is not None:
            return None  # a separate gradient method: loss(X, y) returns the loss alone
        return "params dict and loss(X, y)"
    return None


def build(src: Source, data: Any, **_: Any) -> Problem:
    params = src.get("params")
    fn = _loss_method(src)
    if data is None:
        raise AdapterError("a cs231n-style net needs data (X, y) to call loss(X, y)")
    X, y = data
    values = {"X": X, "y": y}

    def both() -> tuple[Any, Any]:
        out = call(fn, values, order=("X", "y"), extra=src, what="loss")
        if not (isinstance(out, tuple) and len(out) == 2):
            raise AdapterError(
                f"loss(X, y) returned a {type(out).__name__}; a cs231n-style net returns the pair (loss, grads) "
                f"when it is given labels y"
            )
        return out

    owner = type(src.obj).__name__
    return Problem(
        params=params,
        loss=lambda: both()[0],
        grads=lambda: pick_grads(params, both()[1]),
        data=data,
        hint={"layout": "rows"},
        meta={"recognized": f"cs231n style: {owner}.params [{', '.join(params)}] and loss(X, y) -> (loss, grads)"},
    )

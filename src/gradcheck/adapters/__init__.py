"""Adapters: turn the nets people write into a :class:`gradcheck.Problem`.

Example:
    >>> import numpy as np
    >>> from gradcheck.adapters import as_problem
    >>> w = np.array([1.0, 2.0])
    >>> p = as_problem({"params": {"w": w}, "loss": lambda: float(w @ w), "grads": lambda: {"w": 2 * w}})
    >>> p.meta["recognized"]
    "a mapping with 'params', 'loss' and 'grads'"
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import AdapterError
from ..problem import Problem

__all__ = ["as_problem"]


def as_problem(obj: Any, *, convention: str | None = None, data: Any = None, lr: float | None = None, **kw: Any) -> Problem:
    """Turn ``obj`` into a :class:`Problem`, saying what was recognized in ``problem.meta["recognized"]``."""
    if isinstance(obj, Problem):
        obj.meta.setdefault("recognized", "a gradcheck.Problem")
        if data is not None:
            obj.data = data
        return obj
    if isinstance(obj, Mapping) and {"params", "loss", "grads"} <= set(obj):
        p = Problem(params=obj["params"], loss=obj["loss"], grads=obj["grads"], data=obj.get("data", data), hint=obj.get("hint"))
        p.meta["recognized"] = "a mapping with 'params', 'loss' and 'grads'"
        return p
    raise AdapterError(
        f"gradcheck does not recognize a {type(obj).__name__}: expected a gradcheck.Problem or a mapping "
        f"with keys 'params', 'loss' and 'grads'"
    )

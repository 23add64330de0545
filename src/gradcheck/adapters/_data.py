"""Finding the data a net is checked on, beside it: ``X, y``, ``inputs, labels``,
``training_data``, ``init_toy_data()``; large data sets are cut to their first examples.

Example:
    >>> import numpy as np
    >>> from gradcheck.adapters._access import Source
    >>> (X, y), where = find_data(Source({"training_inputs": np.ones((100, 2)), "training_outputs": np.ones((100, 1))}))
    >>> X.shape, where
    ((64, 2), 'training_inputs, training_outputs (the first 64 of 100 examples)')
"""

from __future__ import annotations

import inspect
import re
from typing import Any

import numpy as np

from ._access import Source, arg_names, is_fn

__all__ = ["MAX_EXAMPLES", "find_data"]

DATA_PAIRS = (
    ("X", "y"), ("X", "Y"), ("x", "y"), ("inputs", "labels"), ("inputs", "targets"), ("X_train", "y_train"),
    ("X_train", "Y_train"), ("x_train", "y_train"), ("train_X", "train_Y"), ("train_x", "train_y"),
    ("features", "labels"), ("features", "targets"), ("data", "labels"), ("X_batch", "y_batch"),
)
DATA_FACTORIES = ("init_toy_data", "toy_data", "make_data", "load_data", "get_data", "generate_data",
                  "create_data", "make_dataset", "load_dataset", "get_batch", "sample_data")
DATA_SINGLES = ("data", "batch", "training_data", "train_data", "dataset")


#: Discovered data sets larger than this are cut to their first examples (a check needs few).
MAX_EXAMPLES = 64
_X_RE = re.compile(r"^(x|inputs?|features?|samples?)(_\w+)?$|^\w+_(x|inputs?|features?|samples?)$", re.I)
_Y_RE = re.compile(r"^(y|labels?|targets?|outputs?|t)(_\w+)?$|^\w+_(y|labels?|targets?|outputs?)$", re.I)


def _is_data(v: Any) -> bool:
    if isinstance(v, np.ndarray):
        return v.size > 0 and (np.issubdtype(v.dtype, np.number) or v.dtype == bool)
    return isinstance(v, list) and len(v) > 0 and not callable(v[0])


def _affix(name: str) -> str:
    return re.sub(r"(?i)^(x|y|inputs?|features?|samples?|labels?|targets?|outputs?|t)_?|_?(x|y|inputs?|features?|samples?|labels?|targets?|outputs?)$", "", name)


def _all_defaults(fn: Any) -> bool:
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return False
    return all(p.default is not p.empty or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) for p in sig.parameters.values())


def find_data(src: Source, limit: int | None = None) -> tuple[tuple[Any, Any] | None, str]:
    """``((X, y), "where it came from")`` from conventional names, or ``(None, "")``.

    Data sets larger than ``limit`` (default :data:`MAX_EXAMPLES`) are cut to their first
    examples (and the description says so).
    """
    limit = MAX_EXAMPLES if limit is None else int(limit)
    for xn, yn in DATA_PAIRS:
        x, y = src.get(xn), src.get(yn)
        if x is not None and y is not None and not callable(x) and not callable(y):
            return _cut((x, y), f"{xn}, {yn}", limit)
    for n in DATA_SINGLES:
        v = src.get(n)
        if isinstance(v, tuple) and len(v) == 2 and not callable(v[0]):
            return _cut(v, n, limit)
        if isinstance(v, list) and v and isinstance(v[0], tuple) and len(v[0]) == 2:
            return _cut(v, n, limit)  # a list of (x, y) examples, Nielsen style
    for n in DATA_FACTORIES:
        fn = src.get(n)
        if is_fn(fn) and not (arg_names(fn) or []) or is_fn(fn) and _all_defaults(fn):
            try:
                v = fn()
            except Exception:  # noqa: BLE001 - a data function that fails is just not used
                continue
            if isinstance(v, tuple) and len(v) == 2:
                return _cut(v, f"{n}()", limit)
    names = [n for n in src.names() if not n.startswith("_")]
    xs = [n for n in names if _X_RE.match(n) and _is_data(src.get(n))]
    ys = [n for n in names if _Y_RE.match(n) and _is_data(src.get(n))]
    pairs = sorted(((xn, yn) for xn in xs for yn in ys if xn != yn), key=lambda p: _affix(p[0]) != _affix(p[1]))
    if pairs:
        xn, yn = pairs[0]
        return _cut((src.get(xn), src.get(yn)), f"{xn}, {yn}", limit)
    return None, ""


def _cut(data: Any, where: str, limit: int = MAX_EXAMPLES) -> tuple[Any, str]:
    if isinstance(data, list):
        if len(data) > limit:
            return data[:limit], f"{where} (the first {limit} of {len(data)} examples)"
        return data, where
    X, y = data
    if not (isinstance(X, np.ndarray) and isinstance(y, np.ndarray)) or X.ndim < 2:
        return data, where
    if y.ndim >= 1 and y.shape[0] == X.shape[0] and X.shape[0] > limit:
        return (X[:limit], y[:limit]), f"{where} (the first {limit} of {X.shape[0]} examples)"
    if y.ndim >= 1 and y.shape[-1] == X.shape[-1] and X.shape[-1] > limit and y.shape[0] != X.shape[0]:
        return (X[..., :limit], y[..., :limit]), f"{where} (the first {limit} of {X.shape[-1]} examples)"
    return data, where

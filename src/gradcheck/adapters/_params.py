"""Which arrays of a net are its parameters: a ``params`` dict (caches such as ``A1``, ``Z1``
left out), weight lists, attributes of the net and of its layer objects whose names say
weight or bias (``W1``, ``layer1.weights``, ``wih``), else every float array.

Example:
    >>> import numpy as np
    >>> class Layer:
    ...     def __init__(self): self.weights, self.bias, self.z = np.ones((2, 2)), np.ones((2, 1)), np.ones(2)
    >>> class Net:
    ...     def __init__(self): self.layer1 = Layer()
    >>> list(discover(Net()))
    ['layer1.weights', 'layer1.bias']
"""

from __future__ import annotations

import re
import types
from typing import Any

import numpy as np

from ._access import Source, is_array_dict, is_float_array, is_numeric_array

__all__ = ["CACHE_RE", "PARAM_RE", "discover", "scalar_weights"]

PARAM_RE = re.compile(
    r"^(w|b|u|v|weights?|bias(es)?|kernel|theta|gamma|beta|coef|intercept|wei)(_?[a-z]{0,3})?\d*$"
    r"|weight|bias|kernel|synap", re.I
)


CACHE_RE = re.compile(r"^(z\d*|a\d*|h\d*|x|y|y_?hat|out(put)?\d*|cache\w*|d_?(w|b|a|z)\d*|delta\w*|grads?(_\w*)?)$", re.I)


def discover(obj: Any) -> dict[str, np.ndarray]:
    """Parameter arrays reachable from ``obj``: a params dict, weight lists, layer attributes."""
    src = Source(obj)
    for n in ("params", "parameters", "param", "model_params"):
        d = src.get(n)
        if isinstance(d, dict) and d and all(isinstance(k, str) for k in d):
            arrays = {k: v for k, v in d.items() if is_numeric_array(v) and not CACHE_RE.match(k)}
            if arrays:
                return arrays
    if isinstance(obj, dict):
        return {k: v for k, v in obj.items() if is_float_array(v)}
    out: dict[str, np.ndarray] = {}
    try:
        items = list(vars(obj).items())
    except TypeError:
        return out
    for k, v in items:
        if k.startswith("_") or isinstance(v, (types.ModuleType, type)) or callable(v):
            continue
        if is_numeric_array(v):
            if PARAM_RE.search(k):
                out[k] = v
        elif isinstance(v, (list, tuple)) and v:
            for i, e in enumerate(v):
                if is_numeric_array(e) and PARAM_RE.search(k):
                    out[f"{k}[{i}]"] = e
                elif hasattr(e, "__dict__") and not callable(e):
                    out.update({f"{k}[{i}].{kk}": vv for kk, vv in _own_params(e).items()})
        elif isinstance(v, dict):
            if all(is_float_array(a) for a in v.values()) and v:
                out.update({f"{k}[{kk!r}]": vv for kk, vv in v.items()})
        elif hasattr(v, "__dict__"):
            out.update({f"{k}.{kk}": vv for kk, vv in _own_params(v).items()})
    if not out:  # no name says "weight": every float array that is not a cache
        out = {k: v for k, v in items if is_float_array(v) and not k.startswith("_") and not CACHE_RE.match(k)}
    return out


def _own_params(o: Any) -> dict[str, np.ndarray]:
    p = getattr(o, "params", None)
    if is_array_dict(p):
        return dict(p)
    try:
        return {k: v for k, v in vars(o).items() if is_numeric_array(v) and PARAM_RE.search(k)}
    except TypeError:
        return {}


#: Names that are surely weights or biases (not ``beta1`` of Adam, nor a momentum ``v``).
_SURE_PARAM_RE = re.compile(r"^(w|b(?!eta)|weights?|bias(es)?)(_?[a-z]{0,3})?\d*$", re.I)


def scalar_weights(obj: Any) -> dict[str, float]:
    """Weights or biases held as Python (or numpy) scalars, which cannot be perturbed in place.

    >>> class Net:
    ...     def __init__(self): self.w1, self.b2, self.beta1 = np.ones((2, 2)), 0.0, 0.9
    >>> scalar_weights(Net())
    {'b2': 0.0}
    """
    if isinstance(obj, types.ModuleType):
        return {}
    found: dict[str, Any] = {}
    src = Source(obj)
    for n in ("params", "parameters"):
        d = src.get(n)
        if isinstance(d, dict):
            found.update({f"{n}[{k!r}]": v for k, v in d.items() if isinstance(k, str) and _SURE_PARAM_RE.match(k)
                          and _is_scalar(v)})
    if not isinstance(obj, dict):
        try:
            items = list(vars(obj).items())
        except TypeError:
            items = []
        found.update({k: v for k, v in items if _SURE_PARAM_RE.match(k) and _is_scalar(v)})
    return {k: float(v) for k, v in found.items()}


def _is_scalar(v: Any) -> bool:
    return isinstance(v, (int, float, np.floating, np.integer)) and not isinstance(v, (bool, np.bool_))

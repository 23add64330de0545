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

from ._access import PARAM_RE, Source, is_array_dict, is_float_array, is_numeric_array

__all__ = ["CACHE_RE", "PARAM_RE", "STATE_RE", "discover", "optimizer_state", "scalar_weights"]

#: Containers of optimizer state (momentum velocities, Adam moments, RMSprop caches): not parameters.
STATE_RE = re.compile(
    r"^(v|m|s|r|vel\w*|veloc\w*|momentum\w*|moments?\w*|cache\w*|rms\w*|adam\w*|sq\w*|first_?mom\w*|"
    r"second_?mom\w*|opt\w*|state\w*|accum\w*|grads?|gradients|history\w*|prev\w*)$", re.I
)
_STATE_PREFIX_RE = re.compile(r"^(v|m|s|r|vel|velocity|momentum|cache|sq|rms|mom|prev)_?d?_?(?P<rest>\w+)$", re.I)


CACHE_RE = re.compile(r"^(z\d*|a\d*|h\d*|x|y|y_?hat|out(put)?\d*|cache\w*|d_?(w|b|a|z)\d*|delta\w*|grads?(_\w*)?)$", re.I)


#: Names of a dict that holds a net's parameters.
PARAM_DICT_NAMES = ("params", "parameters", "param", "model_params")


def discover(obj: Any) -> dict[str, np.ndarray]:
    """Parameter arrays reachable from ``obj``: a params dict, weight lists, layer attributes."""
    found = _params_dict(Source(obj))
    if found:
        return found
    if isinstance(obj, dict):
        return {k: v for k, v in obj.items() if is_float_array(v)}
    try:
        items = [(k, v) for k, v in vars(obj).items()
                 if not (k.startswith("_") or isinstance(v, (types.ModuleType, type)) or callable(v))]
    except TypeError:
        return {}
    out: dict[str, np.ndarray] = {}
    for k, v in items:
        out.update(_params_of_attribute(k, v))
    if not out:  # no name says "weight": every float array that is not a cache
        out = {k: v for k, v in items if is_float_array(v) and not CACHE_RE.match(k)}
    return {k: v for k, v in out.items() if not _state_of_another(k, out)}


def _params_dict(src: Source) -> dict[str, np.ndarray]:
    """The arrays of a ``params`` dict (caches such as ``A1``, ``Z1`` left out), or ``{}``."""
    for n in PARAM_DICT_NAMES:
        d = src.get(n)
        if isinstance(d, dict) and d and all(isinstance(k, str) for k in d):
            arrays = {k: v for k, v in d.items() if is_numeric_array(v) and not CACHE_RE.match(k)}
            if arrays:
                return arrays
    return {}


def _params_of_attribute(k: str, v: Any) -> dict[str, np.ndarray]:
    """The parameters one attribute holds: itself (``W1``), a list of them (``weights[0]``), the parameters of
    the layer objects it holds (``layers[0].W``, ``layer1.weights``), or a dict of them (``w['h']``)."""
    if is_numeric_array(v):
        return {k: v} if PARAM_RE.search(k) else {}
    if isinstance(v, (list, tuple)):
        out: dict[str, np.ndarray] = {}
        for i, e in enumerate(v):
            if is_numeric_array(e) and PARAM_RE.search(k):
                out[f"{k}[{i}]"] = e
            elif hasattr(e, "__dict__") and not callable(e):
                out.update({f"{k}[{i}].{kk}": vv for kk, vv in _own_params(e).items()})
        return out
    if isinstance(v, dict):
        if v and all(is_float_array(a) for a in v.values()) and not STATE_RE.match(k):
            return {f"{k}[{kk!r}]": vv for kk, vv in v.items()}
        return {}
    if hasattr(v, "__dict__"):
        return {f"{k}.{kk}": vv for kk, vv in _own_params(v).items()}
    return {}


def _state_of_another(name: str, found: dict[str, np.ndarray]) -> bool:
    """``vW1``, ``v_dW1``, ``sdb2``: optimizer state named after another parameter found beside it."""
    m = _STATE_PREFIX_RE.match(name)
    if m is None:
        return False
    rest = m.group("rest")
    return any(rest == other or rest.lower() == other.lower() for other in found if other != name)


def optimizer_state(obj: Any) -> list[str]:
    """Attributes of ``obj`` that hold optimizer state: a velocity or moment per parameter.

    A dict or list under a state name (``v``, ``m``, ``vel``, ``cache``, ``velocity``), or an
    array named after a parameter (``vW1``, ``s_db2``).

    >>> class Net:
    ...     def __init__(self):
    ...         self.W1 = np.ones((2, 2)); self.vW1 = np.zeros((2, 2)); self.m = {"W1": np.zeros((2, 2))}
    >>> optimizer_state(Net())
    ['vW1', 'm']
    """
    try:
        items = list(vars(obj).items())
    except TypeError:
        return []
    names = {k: None for k, _ in items}
    out = []
    for k, v in items:
        if isinstance(v, (dict, list, tuple)) and v:
            values = list(v.values()) if isinstance(v, dict) else list(v)
            numbers = all(is_float_array(a) or (isinstance(a, (int, float)) and not isinstance(a, bool)) for a in values)
            if numbers and STATE_RE.match(k):
                out.append(k)
        elif is_float_array(v) and _state_of_another(k, names):  # type: ignore[arg-type]
            out.append(k)
    return out


def _own_params(o: Any) -> dict[str, np.ndarray]:
    p: Any = getattr(o, "params", None)
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

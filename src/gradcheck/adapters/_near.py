"""What to say when no convention takes an object: the nearest convention, what of it was found and
what is missing, in plain words (no signatures, no attribute dumps of a number).

Example:
    >>> import types, numpy as np
    >>> m = types.ModuleType("net")
    >>> def L_model_forward(X, parameters): ...
    >>> def compute_cost(AL, Y): ...
    >>> def L_model_backward(AL, Y, caches): ...
    >>> m.L_model_forward, m.compute_cost, m.L_model_backward = L_model_forward, compute_cost, L_model_backward
    >>> print(nearest(m))
    nearest convention: deeplearning.ai style; found L_model_forward, compute_cost, L_model_backward; missing a parameters dict (or layers_dims beside initialize_parameters_deep)
"""

from __future__ import annotations

import numbers
import types
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

import numpy as np

from ._access import Source, is_array_dict, is_float_array, is_fn

__all__ = ["describe_value", "nearest", "not_a_net"]


class Part(NamedTuple):
    """One thing a convention needs: names that provide it (or a test), and how to say it is missing."""

    names: tuple[str, ...]
    missing: str
    test: Callable[[Any], bool] = is_fn


def _arrays_on(src: Source) -> bool:
    try:
        return any(is_float_array(v) for v in vars(src.obj).values())
    except TypeError:
        return False


def _lists_of_arrays(v: Any) -> bool:
    return isinstance(v, (list, tuple)) and bool(v) and all(isinstance(a, np.ndarray) for a in v)


#: For each convention, its parts, in the order a message names them.
CONVENTION_PARTS: dict[str, tuple[Part, ...]] = {
    "deeplearning.ai style": (
        Part(("parameters", "params"), "a parameters dict (or layers_dims beside initialize_parameters_deep)",
             is_array_dict),
        Part(("L_model_forward", "forward_propagation", "forward_propagation_n", "forward"),
             "a forward pass L_model_forward(X, parameters) -> (AL, caches)"),
        Part(("compute_cost", "cost", "compute_loss"), "a cost compute_cost(AL, Y)"),
        Part(("L_model_backward", "backward_propagation", "backward_propagation_n", "backward"),
             "a backward pass L_model_backward(AL, Y, caches) -> grads"),
    ),
    "cs231n style": (
        Part(("params",), "a params dict", is_array_dict),
        Part(("loss",), "a method loss(X, y) returning (loss, grads)"),
    ),
    "Nielsen style": (
        Part(("weights",), "a weights list of arrays", _lists_of_arrays),
        Part(("biases",), "a biases list of arrays", _lists_of_arrays),
        Part(("backprop",), "backprop(x, y) -> (nabla_b, nabla_w)"),
    ),
    "plain functions": (
        Part(("params", "parameters", "theta", "w"), "a params dict (or one parameter array, theta)",
             lambda v: is_array_dict(v) or is_float_array(v)),
        Part(("loss_fn", "loss", "cost", "compute_loss"), "a loss loss_fn(params, X, y)"),
        Part(("grad_fn", "gradients", "grads", "gradient"), "a gradient grad_fn(params, X, y)"),
    ),
    "net methods": (
        Part(("loss", "cost", "compute_loss"), "a loss method loss(X, y)"),
        Part(("backprop", "backward", "gradients", "grads", "gradient"), "a gradient method backprop(X, y) -> grads"),
    ),
    "training step": (
        Part(("train", "train_step", "fit", "step", "update"), "a training step train(X, y) doing W -= lr * dW"),
        Part(("loss", "cost", "forward", "feedforward"), "a loss loss(X, y), or forward(X) with --loss"),
    ),
    "layer": (
        Part(("forward",), "forward(x)"),
        Part(("backward",), "backward(dout) returning the input gradient"),
    ),
}


def _found(src: Source, part: Part) -> str | None:
    for n in part.names:
        v = src.get(n)
        if v is not None and part.test(v):
            return n
    return None


def nearest(obj: Any, context: Any = None) -> str:
    """The convention ``obj`` comes closest to, what of it is there and what is missing."""
    src = Source(obj, context)
    best: tuple[int, str, list[str], list[str]] | None = None
    for conv, parts in CONVENTION_PARTS.items():
        found = [_found(src, p) for p in parts]
        present = [f for f in found if f is not None]
        if present and (best is None or len(present) > best[0]):
            best = (len(present), conv, present, [p.missing for p, f in zip(parts, found) if f is None])
    if best is None:
        weights = "weight arrays" if _arrays_on(src) else "no weight arrays"
        return f"it has {weights} and none of the functions a net is checked through (a loss and a gradient)"
    _, conv, have, missing = best
    return f"nearest convention: {conv}; found {', '.join(have)}; missing {'; '.join(missing)}"


def describe_value(v: Any) -> str:
    """A value in plain words: ``the number 1``, ``None``, ``a str ('hi')``, ``a list of 3 numbers``."""
    if v is None:
        return "None"
    if isinstance(v, bool):
        return f"the value {v}"
    if isinstance(v, numbers.Number):
        return f"the number {v!r}"
    if isinstance(v, str):
        return f"the text {v[:30]!r}"
    if isinstance(v, np.ndarray):
        return f"an array of shape {v.shape}"
    if isinstance(v, (list, tuple)):
        return f"a {type(v).__name__} of {len(v)} item(s)"
    if isinstance(v, Mapping):
        return f"a dict with keys {', '.join(map(str, list(v)[:8]))}"
    return f"a {type(v).__name__} object"


def not_a_net(v: Any) -> bool:
    """A plain value no convention could take (a number, text, None, a list of numbers)."""
    if v is None or isinstance(v, (numbers.Number, str, bytes, np.ndarray)):
        return True
    return isinstance(v, (list, tuple)) and not any(hasattr(e, "__dict__") or isinstance(e, (tuple, np.ndarray))
                                                    for e in v)


def what_it_is(obj: Any) -> str:
    """``the file net.py (it defines a, b)``, or ``a Net object``."""
    src = Source(obj)
    if isinstance(obj, types.ModuleType):
        defined = [n for n, v in vars(obj).items() if not n.startswith("_") and not isinstance(v, types.ModuleType)]
        return src.describe() + (f" (it defines {', '.join(defined[:10])})" if defined else " (it defines nothing but imports)")
    return f"a {type(obj).__name__} object"

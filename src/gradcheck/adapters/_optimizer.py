"""Optimizer state in a training step: momentum turned off for the step, adaptive steps refused.

A step with momentum applies ``lr * v`` with ``v = beta * v + (1 - beta) * g`` (or ``+ g``): with
``beta = 0`` that is ``lr * g`` again, so the gradient can be read off the step. An adaptive step
(Adam, RMSprop) divides by a running root mean square: no multiple of the gradient at all.

Example:
    >>> import numpy as np
    >>> from gradcheck.adapters._access import Source
    >>> class Net:
    ...     def __init__(self): self.W = np.ones(2); self.vW = np.zeros(2); self.momentum = 0.9
    ...     def train(self, X, y, lr=0.1): ...
    >>> net = Net()
    >>> momentum_off(Source(net), net.train, "train")[1]
    ['momentum']
"""

from __future__ import annotations

import types
from typing import Any

from ..errors import AdapterError
from ._access import Source, arg_names
from ._params import optimizer_state

__all__ = ["ADAPTIVE_NAMES", "MOMENTUM_NAMES", "momentum_off"]


#: names of a momentum coefficient, set to 0 for the step so that its update is lr * gradient
MOMENTUM_NAMES = ("beta", "momentum", "mu", "beta1", "beta_1", "gamma", "mom", "momentum_rate")
#: names that betray an adaptive step (Adam, RMSprop, Adagrad): its update is not lr * gradient
ADAPTIVE_NAMES = ("beta2", "beta_2", "rho", "decay_rate", "epsilon", "eps", "adam", "rmsprop")
_ADAPTIVE_STATE = ("s", "r", "sq", "cache", "rms", "second", "squared", "v_hat", "s_hat")


def momentum_off(src: Source, step: Any, step_name: str) -> tuple[list[str], list[str], str]:
    """Momentum coefficients to zero for the step (arguments, attributes) and a note, when the net keeps
    optimizer state; an AdapterError when the step is adaptive (its update is not lr times a gradient)."""
    if isinstance(src.obj, types.ModuleType):
        return [], [], ""
    state = optimizer_state(src.obj)
    if not state:
        return [], [], ""
    args = [n for n in (arg_names(step) or []) if n.lower() in MOMENTUM_NAMES]
    attrs = [n for n in MOMENTUM_NAMES if isinstance(getattr(src.obj, n, None), float)]
    adaptive = _adaptive_signs(src, step, state)
    if adaptive:
        raise AdapterError(
            f"{step_name}() keeps optimizer state ({', '.join(state)}) of the kind an adaptive step uses "
            f"({', '.join(dict.fromkeys(adaptive))}: Adam, RMSprop or alike). Such a step does not move the "
            f"weights by lr times the gradient, so no gradient can be read off it. Put the gradient computation in "
            f"a function or method of its own (e.g. grads(X, y) returning dW1, db1, ...) and point gradcheck at "
            f"the net, or check a copy that takes plain steps (W -= lr * dW) and keeps no such state")
    if not args and not attrs:
        return [], [], (f"; {step_name}() keeps optimizer state ({', '.join(state)}), restored after each step: "
                        f"with momentum, its first step applies (1 - beta) times the gradient, which shows as a "
                        f"constant factor below 1")
    where = ", ".join([f"{a}=0 passed" for a in args] + [f".{a} = 0 set" for a in attrs])
    return args, attrs, (f"; momentum off for the step ({where}; state {', '.join(state)} restored after each "
                         f"step), so the step applies lr times the gradient")


def _adaptive_signs(src: Source, step: Any, state: list[str]) -> list[str]:
    """What betrays an adaptive step: its arguments or attributes (beta2, eps), its state (s, cache), or
    first and second moments side by side (Adam's m and v)."""
    adaptive = [n for n in (arg_names(step) or []) if n.lower() in ADAPTIVE_NAMES]
    adaptive += [n for n in ADAPTIVE_NAMES if _set_number(getattr(src.obj, n, None))]
    adaptive += [n for n in state if n.lower().rstrip("_0123456789") in _ADAPTIVE_STATE or n.lower().startswith(("sd", "s_"))]
    lowered = [n.lower() for n in state]
    if any(n.startswith("m") for n in lowered) and any(n.startswith("v") for n in lowered):
        adaptive.append("first and second moments")
    return adaptive


def _set_number(v: Any) -> bool:
    """A number, or a flag that is on (``self.adam = True``); not ``False`` nor ``None``."""
    return v is True or (isinstance(v, (int, float)) and not isinstance(v, bool))

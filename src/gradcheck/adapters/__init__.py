"""Adapters: turn the nets people write into a :class:`gradcheck.Problem`, unchanged.

Conventions (``convention=`` / ``gradcheck check --convention``):

==============  ==================================================================================
``problem``     a ready :class:`gradcheck.Problem`
``mapping``     ``{"params": ..., "loss": ..., "grads": ...}`` with zero-argument ``loss`` / ``grads``
``cs231n``      an object with a ``params`` dict and ``loss(X, y) -> (loss, grads)``
``nielsen``     ``weights`` / ``biases`` lists and a per-example ``backprop(x, y) -> (nabla_b, nabla_w)``
``per-example`` a ``params`` dict, ``forward_pass(x)`` on one example, ``backward_pass(y, output) -> grads``
``dlai``        a ``parameters`` dict, ``forward(X, parameters) -> (AL, caches)``, ``compute_cost(AL, Y)``,
                ``backward(AL, Y, caches) -> grads`` (``dW1``, ``db1``)
``functions``   a ``params`` dict, ``loss_fn(params, X, y)`` and ``grad_fn(params, X, y)``
``layer``       a layer with ``forward(x)`` / ``backward(dout)`` (input gradient checked too), or a
                ``layers`` list of them
``methods``     a net object with a loss method and a gradient method (``cost(X, y)``, ``backprop(X, y)``)
``module-loss`` module-level weights and ``lossFun(inputs, targets, hprev) -> (loss, dWxh, ..., h)``
``train-step``  a net whose gradient lives only in its training step (``W -= lr * dW``)
==============  ==================================================================================

Every Problem says what was recognized in ``problem.meta["recognized"]`` (and ``problem.name``).
An object no adapter recognizes raises :class:`gradcheck.errors.AdapterError` saying what was
expected and what was found, with close name matches.

Example:
    >>> import numpy as np
    >>> from gradcheck.adapters import as_problem
    >>> w = np.array([1.0, 2.0])
    >>> p = as_problem({"params": {"w": w}, "loss": lambda: float(w @ w), "grads": lambda: {"w": 2 * w}})
    >>> p.meta["recognized"]
    "a mapping with 'params', 'loss' and 'grads'"
"""

from __future__ import annotations

import difflib
import inspect
import types
from collections.abc import Mapping
from typing import Any

import numpy as np

from ..errors import AdapterError
from ..problem import Problem
from . import cs231n, dlai, functions, layer, methods, module_loss, nielsen, per_example, train_step
from ._access import Source, arg_names, required_args, role_of
from ._data import find_data
from ._losses import LOSSES
from ._near import describe_value, nearest, not_a_net, what_it_is
from ._params import scalar_weights
from ._values import NetValues, net_functions, parse_set
from .methods import NotAGradientMethod

__all__ = [
    "CONVENTIONS",
    "LOSSES",
    "as_problem",
    "describe_value",
    "from_cs231n",
    "from_dlai",
    "from_functions",
    "from_layer",
    "from_methods",
    "from_nielsen",
    "from_train_step",
    "not_a_net",
    "parse_set",
    "recognize",
    "required_args",
    "role_of",
]

#: Detection order: the first convention whose detector matches wins (the others are mentioned). The training
#: step comes last: a gradient read off an update is second best to a gradient function of the net's own
#: (a file with forward / cost / backward functions and a train() is checked through the functions).
_ADAPTERS = (cs231n, nielsen, per_example, dlai, functions, layer, methods, module_loss, train_step)
#: Every convention name ``convention=`` accepts.
CONVENTIONS = ("problem", "mapping") + tuple(a.NAME for a in _ADAPTERS)
_ALIASES = {
    "dict": "dlai", "deeplearning.ai": "dlai", "deeplearning_ai": "dlai", "ng": "dlai",
    "train_step": "train-step", "train": "train-step", "trainstep": "train-step", "step": "train-step",
    "plain": "functions", "function": "functions", "fn": "functions", "layers": "layer",
    "cs231": "cs231n", "network": "nielsen", "method": "methods", "object": "methods",
}


def _canonical(convention: str) -> str:
    c = convention.strip().lower()
    c = _ALIASES.get(c, c)
    if c not in CONVENTIONS:
        close = difflib.get_close_matches(c, CONVENTIONS, n=1)
        extra = f" (did you mean {close[0]!r}?)" if close else ""
        raise AdapterError(f"unknown convention {convention!r}{extra}; choose one of {', '.join(CONVENTIONS)}")
    return c


def _zero_arg(fn: Any) -> bool:
    if isinstance(fn, Mapping):
        return True
    if not callable(fn):
        return False
    names = arg_names(fn)
    if names is None:
        return True
    sig = inspect.signature(fn)
    return all(p.default is not p.empty or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) for p in sig.parameters.values())


def recognize(obj: Any, *, context: Any = None) -> list[str]:
    """The conventions ``obj`` matches, best first (empty when none does).

    >>> import numpy as np
    >>> class Net:
    ...     params = {"W": np.ones((2, 2))}
    ...     def loss(self, X, y=None): ...
    >>> recognize(Net())
    ['cs231n']
    """
    if isinstance(obj, Problem):
        return ["problem"]
    if isinstance(obj, Mapping) and {"params", "loss", "grads"} <= set(obj) and _zero_arg(obj["loss"]):
        return ["mapping"]
    src = Source(obj, context)
    return [a.NAME for a in _ADAPTERS if a.detect(src)]


def as_problem(
    obj: Any,
    *,
    convention: str | None = None,
    data: Any = None,
    lr: float | None = None,
    context: Any = None,
    **kw: Any,
) -> Problem:
    """Turn ``obj`` (a Problem, a params/loss/grads mapping, or a net in any known convention) into a Problem.

    Args:
        obj: the user's object; a tuple ``(net, X, y)`` or ``(net, (X, y))`` brings its data along.
        convention: force one convention (see :data:`CONVENTIONS`) when ``obj`` fits several.
        data: ``(X, y)`` (or a list of ``(x, y)`` examples, or an input ``x`` for a layer); else
            conventional names beside the net (``X, y``, ``inputs, labels``, ...) are used.
        lr: the learning rate of a training step (``train-step`` convention).
        context: where else to look names up (the user's module).
        kw: ``values`` gives hyper-parameters by name (``{"reg": 0.05}``; every function of the net that
            takes the name gets it, see :mod:`gradcheck.adapters._values`);
            ``batch_size`` cuts data found beside the net to its first examples (default 64);
            ``prefer`` names the function to use where the net offers several (the deeplearning.ai
            ``backward_propagation_with_regularization`` beside ``backward_propagation``);
            options for one adapter (``input_shape`` and ``seed`` for ``layer``, ``loss`` for
            ``train-step`` and ``nielsen``).

    Raises:
        AdapterError: nothing recognized (what was expected, what was found, close names), or
            the recognized net lacks a part (no data, no cost function).
    """
    obj, data = _unpack(obj, data)
    conv = _canonical(convention) if convention else None
    ready = _ready(obj, conv, data)
    if ready is not None:
        return ready
    src = Source(obj, context)
    src.prefer = kw.pop("prefer", None)  # a function of the net the user pointed at
    module = obj if isinstance(obj, types.ModuleType) else context
    src.values = NetValues.collect(net_functions(obj, context), context=module, given=kw.pop("values", None))
    matched = [a for a in _ADAPTERS if a.detect(src)]
    chosen = _choose(obj, src, conv, matched)
    where = ""
    batch_size = kw.pop("batch_size", None)
    if data is None:
        data, names = find_data(src, batch_size)
        where = f"; data from {names}" if data is not None else ""
    problem, chosen = _build_first(chosen, matched if conv is None else [chosen], src, data, lr=lr, **kw)
    others = [a.NAME for a in matched if a is not chosen and a.NAME != problem.meta.get("declined")]
    note = f" (also fits {', '.join(others)}: pass convention= / --convention to choose)" if others and conv is None else ""
    problem.meta["recognized"] = problem.meta.get("recognized", chosen.NAME) + where + note
    problem.meta["convention"] = chosen.NAME
    problem.meta["values"] = src.values
    _note_scalar_weights(obj, problem)
    if problem.name is None:
        problem.name = problem.meta["recognized"]
    return problem


def _unpack(obj: Any, data: Any) -> tuple[Any, Any]:
    """``(net, X, y)`` or ``(net, (X, y))``: the net and its data."""
    if isinstance(obj, tuple) and len(obj) in (2, 3) and not isinstance(obj[0], (np.ndarray, tuple, list)):
        if data is None:
            data = obj[1] if len(obj) == 2 else (obj[1], obj[2])
        obj = obj[0]
    return obj, data


def _ready(obj: Any, conv: str | None, data: Any) -> Problem | None:
    """A Problem already, or a params/loss/grads mapping made into one; None for a net to recognize."""
    if isinstance(obj, Problem) and conv in (None, "problem"):
        obj.meta.setdefault("recognized", "a gradcheck.Problem")
        if data is not None:
            obj.data = data
        return obj
    if conv in (None, "mapping") and isinstance(obj, Mapping) and {"params", "loss", "grads"} <= set(obj) and (
        conv == "mapping" or _zero_arg(obj["loss"])
    ):
        p = Problem(params=obj["params"], loss=obj["loss"], grads=obj["grads"],
                    data=obj.get("data", data), hint=obj.get("hint"), name=obj.get("name"))
        p.meta["recognized"] = "a mapping with 'params', 'loss' and 'grads'"
        return p
    if conv in ("problem", "mapping"):
        raise AdapterError(f"convention {conv!r}: expected {_expected(conv)}; found {Source(obj).describe()}")
    return None


def _choose(obj: Any, src: Source, conv: str | None, matched: list[Any]) -> Any:
    """The convention forced with ``conv`` (it must match), else the first that matched."""
    if conv is not None:
        chosen = next(a for a in _ADAPTERS if a.NAME == conv)
        if chosen not in matched:
            raise AdapterError(f"convention {conv!r}: expected {chosen.EXPECTED}; found {src.describe()}{_close(src)}")
        return chosen
    if not matched:
        raise AdapterError(_nothing(obj, src))
    return matched[0]


def _note_scalar_weights(obj: Any, problem: Problem) -> None:
    scalars = [n for n in scalar_weights(obj) if n not in problem.params]
    if scalars:
        problem.meta.setdefault("notes", []).append(
            f"{', '.join(scalars)} {'is a number' if len(scalars) == 1 else 'are numbers'}, not an array: not checked "
            f"(a Python float cannot be perturbed in place; make it an array, e.g. np.zeros(1), to check it)")


def _build_first(chosen: Any, matched: list[Any], src: Source, data: Any, **kw: Any) -> tuple[Problem, Any]:
    """Build with ``chosen``; when its gradient method returns nothing but moves the weights
    (``backward()`` doing ``W -= lr * dW``), read that method as the net's training step."""
    try:
        return chosen.build(src, data, **kw), chosen
    except NotAGradientMethod as exc:
        src.step_name = exc.method
        if train_step.detect(src) is None:
            raise
        problem = train_step.build(src, data, **kw)
        problem.meta["recognized"] += f" ({exc.method}() returns no gradients: read as a training step)"
        problem.meta["declined"] = chosen.NAME
        return problem, train_step


def _expected(conv: str) -> str:
    if conv == "problem":
        return "a gradcheck.Problem"
    if conv == "mapping":
        return "a mapping with keys 'params', 'loss' and 'grads'"
    return next(a for a in _ADAPTERS if a.NAME == conv).EXPECTED


_KNOWN_NAMES = ("params", "parameters", "loss", "grads", "weights", "biases", "backprop", "feedforward", "forward",
                "backward", "train", "loss_fn", "grad_fn", "compute_cost", "L_model_forward", "L_model_backward",
                "forward_propagation", "backward_propagation", "layers", "cost")


def _close(src: Source) -> str:
    close = src.close_to(_KNOWN_NAMES)
    return f"; close names: {', '.join(close)}" if close else ""


def _nothing(obj: Any, src: Source) -> str:
    """One paragraph: what ``obj`` is, the convention it comes nearest to (found, missing), close names."""
    if not_a_net(obj):
        return (f"gradcheck cannot check {describe_value(obj)}: it is not a net. Point it at a net (an object or "
                f"module with weights, a loss and its gradients), or at a function that builds one and returns it")
    close = _close(src if isinstance(obj, types.ModuleType) else Source(obj))
    return (f"gradcheck does not recognize {what_it_is(obj)}: {nearest(obj, src.context)}{close}. The conventions "
            f"it reads are {', '.join(CONVENTIONS[2:])} (docs/adapters.md says what each expects; --convention NAME "
            f"says what one of them misses here)")


def from_cs231n(net: Any, *, data: Any = None, **kw: Any) -> Problem:
    """A Problem from a cs231n-style net (``params`` dict, ``loss(X, y) -> (loss, grads)``)."""
    return as_problem(net, convention="cs231n", data=data, **kw)


def from_nielsen(net: Any, *, data: Any = None, **kw: Any) -> Problem:
    """A Problem from a Nielsen-style net (``weights``/``biases`` lists, ``backprop(x, y)``)."""
    return as_problem(net, convention="nielsen", data=data, **kw)


def from_dlai(obj: Any, *, data: Any = None, context: Any = None, **kw: Any) -> Problem:
    """A Problem from deeplearning.ai-style functions over a ``parameters`` dict."""
    return as_problem(obj, convention="dlai", data=data, context=context, **kw)


def from_functions(obj: Any, *, data: Any = None, context: Any = None, **kw: Any) -> Problem:
    """A Problem from ``loss_fn(params, X, y)`` and ``grad_fn(params, X, y)``."""
    return as_problem(obj, convention="functions", data=data, context=context, **kw)


def from_layer(layer_obj: Any, *, x: Any = None, input_shape: Any = None, seed: int = 0) -> Problem:
    """A Problem checking one layer (``forward(x)``/``backward(dout)``), its input gradient included."""
    return as_problem(layer_obj, convention="layer", data=x, input_shape=input_shape, seed=seed)


def from_methods(net: Any, *, data: Any = None, **kw: Any) -> Problem:
    """A Problem from a net with a loss method and a gradient method (``cost(X, y)``, ``backprop(X, y)``)."""
    return as_problem(net, convention="methods", data=data, **kw)


def from_train_step(net: Any, *, data: Any = None, lr: float | None = None, context: Any = None) -> Problem:
    """A Problem whose gradients are recovered from one training step (``W -= lr * dW``).

    The parameters are put back bit for bit after each step. See :mod:`gradcheck.adapters.train_step`.
    """
    return as_problem(net, convention="train-step", data=data, lr=lr, context=context)

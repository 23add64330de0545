"""deeplearning.ai style: a ``parameters`` dict (``W1``, ``b1``, ...), a forward function
returning ``(AL, caches)``, a cost function of ``(AL, Y)`` and a backward function taking the
caches and returning ``grads`` with ``dW1``, ``db1`` (``dA1``, ``dZ1`` and the like are ignored).

Arguments are filled by name: ``X``, ``Y``, ``parameters``, ``cache``/``caches``, ``AL``/``A2``;
any other argument without a default (``lambd``, ``keep_prob``) is read from the module.

Example:
    >>> import numpy as np
    >>> from gradcheck.adapters import as_problem
    >>> def forward_propagation(X, parameters):
    ...     A = parameters["W1"] @ X
    ...     return A, (X, A)
    >>> def compute_cost(AL, Y): return float(0.5 * ((AL - Y) ** 2).sum() / Y.shape[1])
    >>> def backward_propagation(AL, Y, cache):
    ...     X, _ = cache
    ...     return {"dW1": (AL - Y) @ X.T / Y.shape[1], "dA0": None}
    >>> net = {"parameters": {"W1": np.ones((1, 2))}, "forward_propagation": forward_propagation,
    ...        "compute_cost": compute_cost, "backward_propagation": backward_propagation}
    >>> as_problem(net, data=(np.ones((2, 3)), np.zeros((1, 3)))).meta["recognized"].split(":")[0]
    'deeplearning.ai style'
"""

from __future__ import annotations

import inspect
import os
from typing import Any

import numpy as np

from ..errors import AdapterError
from ..problem import Problem
from ._access import Source, arg_names, call, is_array_dict, is_fn, net_values_of, pick_grads, role_of
from ._data import find_data

NAME = "dlai"
PARAM_NAMES = ("parameters", "params")
FORWARD_NAMES = ("L_model_forward", "forward_propagation", "model_forward", "forward_prop", "forward_pass",
                 "forward", "propagate_forward", "full_forward")
BACKWARD_NAMES = ("L_model_backward", "backward_propagation", "model_backward", "backward_prop",
                  "backward_pass", "backward", "backprop", "propagate_backward", "full_backward")
COST_NAMES = ("compute_cost", "cost", "compute_loss", "cost_function", "loss", "loss_function",
              "cross_entropy", "compute_cost_with_regularization", "get_cost", "cost_fn", "loss_fn")
#: Words in the name of a cost of the output and the labels (``get_cost_value``, ``binary_cross_entropy``).
COST_WORDS = ("cost", "loss", "entropy", "error", "mse", "objective", "likelihood")
EXPECTED = ("a parameters dict, forward(X, parameters) -> (AL, caches), compute_cost(AL, Y) and "
            "backward(AL, Y, caches) -> grads with dW1, db1, ...")


_DIMS_NAMES = ("layers_dims", "layer_dims", "layer_sizes", "layers_sizes", "sizes", "dims", "layers")
INIT_NAMES = ("initialize_parameters_deep", "initialize_parameters", "init_parameters", "initialize_params",
              "init_params", "initialize_weights", "init_weights")


def _initialized(src: Source) -> tuple[str | None, Any]:
    """A parameters dict from the module's own initializer, when the module holds none."""
    name, init = src.first(INIT_NAMES, is_fn)
    if init is None:
        return None, None
    data, _ = find_data(src)
    sizes: dict[str, Any] = {}
    if data is not None:
        X, Y = (np.asarray(d) for d in data)
        sizes = {"n_x": X.shape[0], "n_y": Y.shape[0] if Y.ndim > 1 else 1}
    _, dims = src.first(_DIMS_NAMES, lambda v: isinstance(v, (list, tuple)) and len(v) >= 2)
    if dims is not None:
        sizes.update({n: dims for n in _DIMS_NAMES})
    try:
        params = call(init, {}, order=(), extra=Source(sizes, src), what=name)
    except Exception:  # noqa: BLE001 - no usable initializer: the caller says what is missing
        return None, None
    if not is_array_dict(params):
        return None, None
    args = ", ".join(arg_names(init) or [])
    return f"parameters from {name}({args})", params


def _params_dict(src: Source) -> tuple[str | None, Any]:
    """The parameters dict: ``parameters`` / ``params``, else the one dict of arrays whose name says
    parameters (``params_values``, ``param_dict``)."""
    pn, params = src.first(PARAM_NAMES, is_array_dict)
    if params is None:
        named = [n for n in src.names() if role_of(n) == "params" and is_array_dict(src.get(n))]
        if len(named) == 1:
            pn, params = named[0], src.get(named[0])
    return pn, params


def _named_like(src: Source, words: tuple[str, ...], complete: Any) -> tuple[str, ...]:
    """The net's functions whose names contain one of ``words`` (``full_forward_propagation``,
    ``model_backward``, ``get_cost_value``) and whose arguments pass ``complete``, shortest first: a
    pass over the whole net takes the parameters or the caches, a one-layer helper does not."""
    names = [n for n in src.names() if any(w in n.lower() for w in words) and is_fn(src.get(n))
             and not n.startswith("_") and complete(_roles(src.get(n)))]
    return tuple(sorted(names, key=len))


def _whole_forward(roles: set[str | None]) -> bool:
    return "params" in roles and "cache" not in roles and "output" not in roles


def _whole_backward(roles: set[str | None]) -> bool:
    return "cache" in roles or {"output", "y"} <= roles


def _cost_like(roles: set[str | None]) -> bool:
    return {"output", "y"} <= roles and "cache" not in roles


def _parts(src: Source) -> tuple[Any, ...]:
    pn, params = _params_dict(src)
    if params is None:
        cached = getattr(src, "_dlai_initialized", None)
        pn, params = cached if cached is not None else _initialized(src)
        src._dlai_initialized = (pn, params)  # type: ignore[attr-defined]
    bn, bwd = _backward(src)
    forward_names = FORWARD_NAMES + _variants(src, FORWARD_NAMES[:4])
    suffix = _suffix(bn, BACKWARD_NAMES)
    if suffix:  # backward_propagation_with_dropout goes with forward_propagation_with_dropout
        forward_names = tuple(f + suffix for f in FORWARD_NAMES) + forward_names
    forward_names += _named_like(src, ("forward",), _whole_forward)
    fn, fwd = src.first(forward_names, is_fn)
    cost_names = _cost_names(bn, bwd) + _named_like(src, COST_WORDS, _cost_like)
    cn, cost = src.first(cost_names, is_fn)
    return pn, params, fn, fwd, bn, bwd, cn, cost


def _backward(src: Source) -> tuple[str | None, Any]:
    """The backward pass to check: the one the user pointed at (or the one paired with the forward pass
    pointed at), else the first complete one (taking the caches, or the output and the labels), so that
    a notebook's toy ``backward_propagation(x, theta)`` does not hide its ``backward_propagation_n``."""
    names = BACKWARD_NAMES + _variants(src, BACKWARD_NAMES[:4]) + _named_like(src, ("backward", "backprop"),
                                                                               _whole_backward)
    prefer = getattr(src, "prefer", None)
    if prefer is not None and prefer.startswith(BACKWARD_NAMES):  # the user pointed at this backward pass
        names = (prefer,) + names
    elif prefer is not None and prefer.startswith(FORWARD_NAMES):  # ... or at its forward pass
        suffix = _suffix(prefer, FORWARD_NAMES)
        names = tuple(b + suffix for b in BACKWARD_NAMES) + names
    found: list[tuple[str | None, Any]] = [(n, src.get(n)) for n in dict.fromkeys(names) if is_fn(src.get(n))]
    complete = [(n, f) for n, f in found if "cache" in _roles(f) or {"output", "y"} <= _roles(f)]
    return (complete or found or [(None, None)])[0]


def _suffix(name: str | None, stems: tuple[str, ...]) -> str:
    """``_with_dropout`` of ``backward_propagation_with_dropout``: what follows the longest stem."""
    if name is None:
        return ""
    stem = next((b for b in sorted(stems, key=len, reverse=True) if name.startswith(b)), name)
    return name[len(stem):]


def _file_of(src: Source) -> str:
    """The user's file as they named it on the command line, else a stand-in."""
    for o in (src.obj, src.context):
        path = getattr(o, "__gradcheck_path__", None) or (getattr(o, "__file__", None) if o is not None else None)
        if isinstance(path, str) and path:
            try:
                return os.path.relpath(path)
            except ValueError:  # another drive
                return path
    return "net.py"


def _others(src: Source, bn: str | None) -> list[str]:
    """Other complete backward passes of the module (its suffixed variants, or the plain one), to say they were
    left; a notebook's toy ``backward_propagation(x, theta)`` is not one."""
    names = [n for n in BACKWARD_NAMES[:4] + _variants(src, BACKWARD_NAMES[:4]) if n != bn]
    fns = [(n, src.get(n)) for n in dict.fromkeys(names) if is_fn(src.get(n))]
    return [n for n, f in fns if "cache" in _roles(f) or {"output", "y"} <= _roles(f)]


#: argument names of an L2 strength: a backward pass that takes one adds the penalty's gradient
_L2_ARGS = ("lambd", "lambda_", "lam", "lmbda", "reg", "l2", "l2_lambda", "reg_lambda", "weight_decay")


def _cost_names(bn: str | None, bwd: Any) -> tuple[str, ...]:
    """Cost names in the order to try them, the one that pairs with the backward pass first.

    ``backward_propagation_with_regularization`` pairs with ``compute_cost_with_regularization``
    (the same suffix); a backward pass that takes ``lambd`` pairs with a cost that has L2 in its
    name. Checking a regularized backward pass against the plain cost would call a correct
    gradient wrong and a gradient without its L2 term right.
    """
    if bn is None:
        return COST_NAMES
    suffix = _suffix(bn, BACKWARD_NAMES)
    paired: list[str] = [c + suffix for c in COST_NAMES if suffix and not c.endswith(suffix)]
    if set(arg_names(bwd) or ()) & set(_L2_ARGS):
        paired += [c for c in COST_NAMES if "regulari" in c] + [c + "_with_regularization" for c in COST_NAMES[:4]]
    return tuple(dict.fromkeys(paired + list(COST_NAMES)))


def _variants(src: Source, stems: tuple[str, ...]) -> tuple[str, ...]:
    """``forward_propagation_n``, ``L_model_forward_with_dropout``: the course's suffixed names, shortest first."""
    names = [n for n in src.names() if n.startswith(stems) and n not in stems]
    return tuple(sorted(names, key=len))


def _roles(fn: Any) -> set[str | None]:
    return {role_of(n) for n in (arg_names(fn) or [])}


def detect(src: Source) -> str | None:
    pn, params, fn, fwd, bn, bwd, _, _ = _parts(src)
    if params is None or fwd is None or bwd is None:
        return None
    # forward(X, parameters) or backward(..., caches): not a layer's forward(x) / backward(dout)
    if "params" in _roles(fwd) or "cache" in _roles(bwd) or {"output", "y"} <= _roles(bwd):
        return f"{pn} dict, {fn}() and {bn}()"
    return None


def build(src: Source, data: Any, **_: Any) -> Problem:
    pn, params, fn, fwd, bn, bwd, cn, cost = _parts(src)
    if data is None:
        raise AdapterError("a deeplearning.ai-style net needs data (X, Y) for its forward function")
    X, Y = data

    def forward() -> tuple[Any, Any]:
        out = call(fwd, {"X": X, "y": Y, "params": params}, order=("X", "params"), extra=src, what=fn)
        if isinstance(out, tuple):
            return out[0], (out[1] if len(out) == 2 else out[1:])
        return out, None

    # forward_propagation_n(X, Y, parameters) -> (cost, cache): the forward pass returns the cost itself
    returns_cost = "y" in _roles(fwd) and np.size(forward()[0]) == 1
    if cost is None and not returns_cost:
        raise AdapterError(
            f"found {pn}, {fn}() and {bn}() (deeplearning.ai style) but no cost function: expected one of "
            f"{', '.join(COST_NAMES[:4])}(AL, Y)"
        )

    def loss() -> Any:
        AL, _ = forward()
        if returns_cost:
            return AL
        return call(cost, {"output": AL, "y": Y, "params": params, "X": X}, order=("output", "y"), extra=src, what=cn)

    def grads() -> Any:
        AL, cache = forward()
        values = {"output": AL, "y": Y, "cache": cache, "X": X, "params": params}
        return pick_grads(params, call(bwd, values, order=("output", "y", "cache"), extra=src, what=bn))

    hint: dict[str, Any] = {"layout": "cols"}
    hint.update(_dropout_hint(src, fwd, params, forward))
    others = _others(src, bn)
    left = (f" (also defines {', '.join(o + '()' for o in others)}; to check one of them instead, name it: "
            f"{_file_of(src)}:{others[0]})") if others else ""
    return Problem(
        params=params, loss=loss, grads=grads, data=data, hint=hint,
        meta={"recognized": f"deeplearning.ai style: {pn} [{', '.join(params)}], "
                            + (f"{fn}() -> (cost, cache), " if returns_cost else f"{fn}() -> (AL, cache), {cn}(AL, Y), ")
                            + f"{bn}() -> grads{left}"},
    )


def _keep_prob(src: Source, fwd: Any) -> Any:
    """The keep probability the net runs at: its one value across the net (``KEEP_PROB`` of the module
    too), else a ``keep_prob`` of the module, else the forward pass's default."""
    nv = net_values_of(src)
    kp = nv.values.get("keep_prob") if nv is not None else None
    if kp is None:
        kp = src.get("keep_prob") if hasattr(src, "get") else None
    if kp is None:
        p = inspect.signature(fwd).parameters.get("keep_prob")
        kp = None if p is None or p.default is inspect.Parameter.empty else p.default
    return kp


def _dropout_hint(src: Source, fwd: Any, params: Any, forward: Any) -> dict[str, Any]:
    """``{"dropout": {1: D1, ...}, "keep_prob": kp}`` from 0/1 arrays in the forward cache; ``{}`` if none.

    A mask of hidden layer ``l`` has the shape of ``A_l``: ``(W_l.shape[0], m)``.
    """
    try:
        kp = _keep_prob(src, fwd)
        if not isinstance(kp, (int, float)) or not 0 < kp < 1:
            return {}
        _, cache = forward()
        items = list(cache) if isinstance(cache, (tuple, list)) else []
        flat = [a for c in items for a in (c if isinstance(c, (tuple, list)) else (c,))]
        ws = [params[f"W{l}"] for l in range(1, len(params) + 1) if f"W{l}" in params]
        masks: dict[int, Any] = {}
        for a in flat:
            if not isinstance(a, np.ndarray) or a.ndim != 2 or a.size == 0:
                continue
            if not np.isin(a, (0, 1)).all() or a.all():
                continue
            for l, W in enumerate(ws[:-1], start=1):
                if a.shape[0] == W.shape[0] and l not in masks:
                    masks[l] = np.array(a, dtype=float)
                    break
        return {"dropout": masks, "keep_prob": float(kp)} if masks else {}
    except Exception:  # noqa: BLE001 - no readable masks: the diagnosis reads them off the loss
        return {}

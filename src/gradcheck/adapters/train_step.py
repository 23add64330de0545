"""Nets whose only gradient code is inside a training step (``W -= lr * dW``).

The gradient is recovered from the change of the parameters over one step with a known
learning rate, ``(old - new) / lr``, and every parameter (and every attribute the step
rebinds) is put back bit for bit. The loss is the net's own: a ``loss(X, y)``/``cost(X, y)``
method, or ``forward(X)`` followed by a cost of the output (``get_cost_value(Y_hat, Y)``,
``compute_cost(AL, Y)``); when the net has no forward method, the forward pass is built from
its weights and its activation method (``sigmoid``), and the report says so.

The learning rate: the step's ``lr``/``learning_rate``/``eta`` argument (gradcheck passes ``lr``,
default 1), else an ``lr``-like attribute of the net, else ``lr`` as given, assumed 1 when not
(a step with ``lr = 1 / epoch`` has ``lr = 1`` at its first epoch). Epoch counts are set to 1.

Example:
    >>> import numpy as np
    >>> from gradcheck.adapters import from_train_step
    >>> class Net:
    ...     def __init__(self): self.W = np.array([[0.5, -0.5]])
    ...     def cost(self, X, y): return float(0.5 * ((self.W @ X - y) ** 2).sum())
    ...     def train(self, X, y, lr):
    ...         self.W -= lr * (self.W @ X - y) @ X.T
    >>> net = Net()
    >>> p = from_train_step(net, data=(np.eye(2), np.zeros((1, 2))))
    >>> p.grads()["W"], net.W
    (array([[ 0.5, -0.5]]), array([[ 0.5, -0.5]]))
"""

from __future__ import annotations

import re
import types
from collections.abc import Callable
from typing import Any

import numpy as np

from ..errors import AdapterError
from ..problem import Problem
from ._access import (
    ROLES, Source, arg_names, call, find_data, is_array_dict, is_float_array, is_fn, restored_state, role_of,
)

NAME = "train-step"
STEP_NAMES = ("train_step", "training_step", "step", "train", "fit", "sgd_step", "train_one_step", "train_epoch",
              "train_one_epoch", "gradient_descent_step", "gradient_descent", "sgd", "update", "learn", "optimize")
LOSS_XY_NAMES = ("loss", "cost", "compute_loss", "get_loss", "calculate_loss", "compute_cost", "cost_function",
                 "loss_function", "total_cost", "evaluate_loss", "calc_loss", "error", "objective")
FORWARD_NAMES = ("forward", "feedforward", "feed_forward", "forward_pass", "forward_propagation", "forward_prop",
                 "predict_proba", "propagate", "think", "run")
COST_NAMES = ("get_cost_value", "cost", "compute_cost", "loss", "cost_function", "loss_function", "get_cost",
              "calculate_cost", "compute_loss", "binary_cross_entropy", "bce", "cross_entropy", "bce_loss",
              "cross_entropy_loss", "mse", "mse_loss", "log_loss", "calc_cost", "get_loss")
ACTIVATIONS = ("sigmoid", "relu", "tanh", "leaky_relu", "softmax", "activation", "activate")
PARAM_RE = re.compile(
    r"^(w|b|u|v|weights?|bias(es)?|kernel|theta|gamma|beta|coef|intercept|wei)(_?[a-z]{0,3})?\d*$", re.I
)
EXPECTED = ("a net with a training step (train(X, y, ...) doing W -= lr * dW), its weights as attributes, "
            "and a loss: loss(X, y), or forward(X) with a cost of the output")


def _step(src: Source) -> tuple[str | None, Any]:
    for name in STEP_NAMES:
        fn = src.get(name)
        if not is_fn(fn):
            continue
        names = arg_names(fn)
        if names is None:
            continue
        roles = [role_of(n) for n in names]
        if "cache" in roles or "output" in roles or "dout" in roles:
            continue
        return name, fn
    return None, None


def discover(obj: Any) -> dict[str, np.ndarray]:
    """Parameter arrays reachable from ``obj``: a params dict, weight lists, layer attributes."""
    src = Source(obj)
    for n in ("params", "parameters", "param", "model_params"):
        if is_array_dict(src.get(n)):
            return dict(src.get(n))
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
        if is_float_array(v):
            if PARAM_RE.match(k):
                out[k] = v
        elif isinstance(v, (list, tuple)) and v:
            for i, e in enumerate(v):
                if is_float_array(e) and PARAM_RE.match(k):
                    out[f"{k}[{i}]"] = e
                elif hasattr(e, "__dict__") and not callable(e):
                    out.update({f"{k}[{i}].{kk}": vv for kk, vv in _own_params(e).items()})
        elif isinstance(v, dict):
            if all(is_float_array(a) for a in v.values()) and v:
                out.update({f"{k}[{kk!r}]": vv for kk, vv in v.items()})
        elif hasattr(v, "__dict__"):
            out.update({f"{k}.{kk}": vv for kk, vv in _own_params(v).items()})
    return out


def _own_params(o: Any) -> dict[str, np.ndarray]:
    p = getattr(o, "params", None)
    if is_array_dict(p):
        return dict(p)
    try:
        return {k: v for k, v in vars(o).items() if is_float_array(v) and PARAM_RE.match(k)}
    except TypeError:
        return {}


def detect(src: Source) -> str | None:
    name, fn = _step(src)
    if fn is None or not discover(src.obj):
        return None
    return f"a training step {name}()"


def _loss(src: Source, params: dict[str, np.ndarray], data: Any) -> tuple[Callable[[], Any], str]:
    X, y = data
    for name in LOSS_XY_NAMES:
        fn = src.get(name)
        names = arg_names(fn) if is_fn(fn) else None
        if names and role_of(names[0]) in ("X", "params") and "X" in {role_of(n) for n in names}:
            def loss_xy(fn: Any = fn, name: str = name) -> Any:
                out = call(fn, {"X": X, "y": y, "params": params}, order=("X", "y"), extra=src, what=name)
                return out[0] if isinstance(out, tuple) else out  # cs231n-style (loss, grads)

            return loss_xy, f"{name}(X, y)"
    cost_name, cost = None, None
    for name in COST_NAMES:
        fn = src.get(name)
        names = arg_names(fn) if is_fn(fn) else None
        if names and role_of(names[0]) == "output":
            cost_name, cost = name, fn
            break
    if cost is None:
        raise AdapterError(
            f"found a training step but no loss: expected loss(X, y) / cost(X, y), or a cost of the output such as "
            f"get_cost_value(Y_hat, Y) or compute_cost(AL, Y); found {_public(src)}"
        )
    fwd_name, fwd = src.first(FORWARD_NAMES, is_fn)

    def cost_of(out: Any) -> Any:
        if isinstance(out, tuple):
            out = out[0]
        return call(cost, {"output": out, "y": y, "params": params}, order=("output", "y"), extra=src, what=cost_name)

    if fwd is not None:
        return (lambda: cost_of(call(fwd, {"X": X, "params": params}, order=("X",), extra=src, what=fwd_name))), \
            f"{cost_name}({fwd_name}(X), y)"
    forward, desc = _composed_forward(src, params, X)
    return (lambda: cost_of(forward())), f"{cost_name}(forward(X), y) with {desc}"


def _composed_forward(src: Source, params: dict[str, np.ndarray], X: Any) -> tuple[Callable[[], Any], str]:
    from ..infer import structure

    acts = [a for a in ACTIVATIONS if is_fn(src.get(a))]
    layers = structure(params)
    if not acts or not layers:
        raise AdapterError(
            "found a training step and a cost of the output, but no forward method (forward(X) or "
            "feedforward(X)), and gradcheck could not build one from the weights and an activation method; "
            "add a forward method to the net"
        )
    hidden = next((a for a in acts if a in ("relu", "tanh", "leaky_relu")), acts[0])
    output = next((a for a in acts if a in ("sigmoid", "softmax")), acts[0])
    W0 = params[layers[0][0]]
    Xa = np.asarray(X)
    layout = "cols" if Xa.ndim == 2 and W0.shape[1] == Xa.shape[0] else "rows"
    if layout == "rows" and Xa.shape[-1] != W0.shape[0]:
        layout = "rows_t"

    def forward() -> Any:
        a = Xa
        for i, (w, b) in enumerate(layers):
            W = params[w]
            z = W @ a if layout == "cols" else (a @ W if layout == "rows" else a @ W.T)
            if b is not None:
                z = z + params[b]
            a = src.get(output if i == len(layers) - 1 else hidden)(z)
        return a

    act_desc = acts[0] if hidden == output else f"{hidden} then {output}"
    return forward, f"the forward pass built by gradcheck ({act_desc} over {len(layers)} layers, the net has no forward method)"


def _public(src: Source) -> str:
    names = [n for n in src.names() if not n.startswith("_")]
    return "[" + ", ".join(names[:15]) + ("]" if len(names) <= 15 else ", ...]")


def build(src: Source, data: Any, *, lr: float | None = None, **_: Any) -> Problem:
    """A Problem whose gradients are recovered from one call of the net's training step."""
    step_name, step = _step(src)
    if step is None:
        raise AdapterError(f"expected {EXPECTED}; found {src.describe()} with {_public(src)}")
    params = discover(src.obj)
    if not params:
        raise AdapterError(f"found {step_name}() but no weight arrays on {src.describe()}")
    if data is None:
        data, _ = find_data(src)
    if data is None:
        raise AdapterError(f"found {step_name}() but no data: define X and y beside the net or pass them in")
    X, y = data
    loss, loss_desc = _loss(src, params, data)
    roles = {role_of(n) for n in (arg_names(step) or [])}
    root = src.obj if not isinstance(src.obj, types.ModuleType) else params
    lr_attr = next((n for n in ROLES["lr"] if isinstance(src.get(n), (int, float)) and not isinstance(src.get(n), bool)), None)
    epoch_attrs = [n for n in ROLES["epochs"] if isinstance(src.get(n), int) and not isinstance(src.get(n), bool)]
    if "lr" in roles:
        rate = 1.0 if lr is None else float(lr)
        lr_desc = f"lr = {rate:g} passed to {step_name}()"
    elif lr_attr is not None and lr is None:
        rate = float(src.get(lr_attr))
        lr_desc = f"lr = {rate:g} read from .{lr_attr}"
    elif lr is not None:
        rate = float(lr)
        lr_desc = f"lr = {rate:g} as given" + (f" (set as .{lr_attr} for the step)" if lr_attr else "")
    else:
        rate = 1.0
        lr_desc = (f"lr = 1 assumed ({step_name}() takes no learning rate; e.g. lr = 1/epoch is 1 at the first "
                   f"epoch; pass --lr if it differs)")
    if rate == 0:
        raise AdapterError("the learning rate is 0: a step that does not move cannot show a gradient")

    def grads() -> dict[str, np.ndarray]:
        with restored_state(root, params):
            old = {k: v.copy() for k, v in params.items()}
            if lr_attr is not None and "lr" not in roles:
                _set(src.obj, lr_attr, rate)
            for e in epoch_attrs:
                _set(src.obj, e, 1)
            values = {"X": X, "y": y, "params": params, "lr": rate, "epochs": 1}
            call(step, values, order=("X", "y"), extra=src, what=step_name)
            after = _reread(src.obj, params)
            return {k: (old[k] - after[k]) / rate for k in params}

    return Problem(
        params=params, loss=loss, grads=grads, data=data,
        meta={"recognized": f"training step: gradient recovered from one {step_name}() (W -= lr * dW) with {lr_desc}; "
                            f"loss {loss_desc}; parameters [{', '.join(params)}], put back after each step"},
    )


def _set(obj: Any, name: str, value: Any) -> None:
    if isinstance(obj, dict):
        obj[name] = value
    else:
        setattr(obj, name, value)


def _reread(obj: Any, params: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The parameters after the step, also when the step rebound them (``self.W = self.W - ...``)."""
    now = discover(obj) if not isinstance(obj, types.ModuleType) else {}
    out = {}
    for k, v in params.items():
        n = now.get(k)
        out[k] = np.array(n if isinstance(n, np.ndarray) and n.shape == v.shape else v, dtype=np.float64)
    return out

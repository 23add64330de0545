"""The loss of a net that has no ``loss()`` for gradcheck to call directly.

In order: the net's own ``loss(X, y)`` / ``cost(X, y)``; its forward pass (``forward``,
``feedforward``, ``query``, ...) followed by a cost of the output (``get_cost_value(Y_hat, Y)``,
``compute_cost(AL, Y)``, or a standard loss named with ``--loss``); when the net has no
forward method, a forward pass built from its weights and its activation method. A forward
pass without arguments reads the data from the attributes the training step stores them in.

Example:
    >>> import numpy as np
    >>> from gradcheck.adapters._access import Source
    >>> class Net:
    ...     def __init__(self): self.W = np.array([[2.0]])
    ...     def forward(self, X): return self.W @ X
    ...     def get_cost_value(self, Y_hat, Y): return float(((Y_hat - Y) ** 2).sum())
    >>> net = Net()
    >>> loss, how = net_loss(Source(net), {"W": net.W}, (np.ones((1, 1)), np.zeros((1, 1))))
    >>> loss(), how
    (4.0, 'get_cost_value of forward(X)')
"""

from __future__ import annotations

import contextlib
import re
import types
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from ..errors import AdapterError
from ..layers import structure
from ._access import Source, arg_names, call, is_fn, role_of
from ._losses import LOSSES, examples_in
from ._params import discover
from ._state import restored_state

__all__ = ["data_attrs", "net_loss", "no_new_entries", "public_names"]

LOSS_XY_NAMES = ("loss", "cost", "compute_loss", "get_loss", "calculate_loss", "compute_cost", "cost_function",
                 "loss_function", "total_cost", "evaluate_loss", "calc_loss", "error", "objective")


FORWARD_NAMES = ("forward", "feedforward", "feed_forward", "forward_pass", "forward_propagation", "forward_prop",
                 "predict_proba", "query", "propagate", "think", "run", "predict_prob", "feed")


COST_NAMES = ("get_cost_value", "cost", "compute_cost", "loss", "cost_function", "loss_function", "get_cost",
              "calculate_cost", "compute_loss", "binary_cross_entropy", "bce", "cross_entropy", "bce_loss",
              "cross_entropy_loss", "mse", "mse_loss", "log_loss", "calc_cost", "get_loss")


ACTIVATIONS = ("sigmoid", "relu", "tanh", "leaky_relu", "softmax", "activation", "activate")


#: a name that says it is a cost of the output (``get_cost_value``, ``cost_function``, ``softmax_loss``)
COST_RE = re.compile(r"(loss|cost|entropy|error|mse|bce)", re.I)


def _cost_fn(src: Source) -> tuple[str | None, Any]:
    """A cost of the output: a function taking the output (``Y_hat``, ``AL``, ``a``) and the targets."""
    others = [n for n in src.names() if COST_RE.search(n) and n not in COST_NAMES and not n.startswith("_")]
    for name in COST_NAMES + tuple(others):
        fn = src.get(name)
        names = arg_names(fn) if is_fn(fn) else None
        if names and {"output", "y"} <= {role_of(n) for n in names}:
            return name, fn
    return None, None


def _forward_fn(src: Source, X: Any) -> tuple[str | None, Any]:
    name, fwd = src.first(FORWARD_NAMES, is_fn)
    if fwd is not None:
        return name, fwd
    predict = src.get("predict")
    if is_fn(predict):  # only when it returns scores, not thresholded labels
        try:
            with restored_state(src.obj if not isinstance(src.obj, types.ModuleType) else None, {}):
                out = np.asarray(call(predict, {"X": X}, order=("X",), extra=src, what="predict"), dtype=float)
            if not np.all(np.isin(out, (0.0, 1.0))):
                return "predict", predict
        except Exception:  # noqa: BLE001 - predict is only a fallback
            pass
    return None, None


def output_index(out: tuple, y: Any) -> int:
    """Which element of a forward pass's tuple is the net's output.

    ``(AL, caches)``: the first. ``(A1, A2, A3)`` or ``(Z1, A1, Z2, A2)``: the last array whose
    shape fits the targets (the same shape, or one row or column per example for integer labels).

    >>> y = np.zeros((1, 4))
    >>> output_index((np.ones((3, 4)), np.ones((1, 4))), y), output_index((np.ones((1, 4)), {"A1": 0}), y)
    (1, 0)
    """
    arrays = [i for i, v in enumerate(out) if isinstance(v, np.ndarray)]
    if not arrays:
        return 0
    ys = np.shape(y)
    same = [i for i in arrays if out[i].shape == ys or (out[i].size == int(np.prod(ys)) and out[i].ndim and len(ys))]
    if same:
        return same[-1]
    m = ys[0] if len(ys) == 1 else None  # integer labels: (m, k) or (k, m) scores
    per_example = [i for i in arrays if m is not None and out[i].ndim == 2 and m in out[i].shape]
    if per_example:
        return per_example[-1]
    return 0


def _pick_output(out: Any, pick: list[int]) -> Any:
    return out[pick[0]] if isinstance(out, tuple) else out


def net_loss(
    src: Source, params: dict[str, np.ndarray], data: Any, loss_name: str | None = None,
    data_attrs: dict[str, str] | None = None,
) -> tuple[Callable[[], Any], str]:
    """``(loss(), description)``: the net's own loss of the data, else a cost of its forward pass's output."""
    X, y = data
    own = None if loss_name is not None else _loss_of_data(src, params, X, y)
    if own is not None:
        return own
    pick = [0]  # which element of a forward pass that returns a tuple is the output
    cost_of, cost_name = _output_cost(src, params, data, loss_name, pick)
    fwd_name, fwd = _forward_fn(src, X)
    if fwd is None:
        forward, desc = _composed_forward(src, params, X)
        return (lambda: cost_of(forward())), f"{cost_name} of forward(X), {desc}"
    run_forward, where = _forward_runner(src, params, data, fwd, fwd_name or "forward", data_attrs or {}, pick)
    return (lambda: cost_of(run_forward())), f"{cost_name} of {fwd_name}{where}"


def _loss_of_data(src: Source, params: dict[str, np.ndarray], X: Any, y: Any) -> tuple[Callable[[], Any], str] | None:
    """The net's own ``loss(X, y)`` / ``cost(X, y)`` (the loss of a cs231n-style ``(loss, grads)``)."""
    for name in LOSS_XY_NAMES:
        fn = src.get(name)
        names = arg_names(fn) if is_fn(fn) else None
        if names and role_of(names[0]) in ("X", "params") and "X" in {role_of(n) for n in names}:
            def loss_xy(fn: Any = fn, name: str = name) -> Any:
                out = call(fn, {"X": X, "y": y, "params": params}, order=("X", "y"), extra=src, what=name)
                return out[0] if isinstance(out, tuple) else out

            return loss_xy, f"{name}(X, y)"
    return None


def _output_cost(src: Source, params: dict[str, np.ndarray], data: Any, loss_name: str | None,
                 pick: list[int]) -> tuple[Callable[[Any], Any], str]:
    """A cost of the forward pass's output: the standard loss named with ``--loss``, or the net's own."""
    X, y = data
    if loss_name is not None:
        if loss_name not in LOSSES:
            raise AdapterError(f"unknown loss {loss_name!r}; choose one of {', '.join(LOSSES)}")
        std, m = LOSSES[loss_name], examples_in(X, y)
        return (lambda out: std(np.asarray(_pick_output(out, pick), dtype=float), y, m)), f"the {loss_name} loss (--loss)"
    cost_name, cost = _cost_fn(src)
    if cost is None:
        raise AdapterError(
            f"found a training step but no loss: expected loss(X, y) / cost(X, y), or a cost of the output "
            f"such as get_cost_value(Y_hat, Y) or compute_cost(AL, Y); found {public_names(src)}. Name a "
            f"standard loss with --loss (bce, ce, mse, half-sse, ...) to check against it")

    def cost_of(out: Any) -> Any:
        return call(cost, {"output": _pick_output(out, pick), "y": y, "params": params}, order=("output", "y"),
                    extra=src, what=cost_name)

    return cost_of, cost_name or "the cost"


def _forward_runner(src: Source, params: dict[str, np.ndarray], data: Any, fwd: Any, fwd_name: str,
                    data_attrs: dict[str, str], pick: list[int]) -> tuple[Callable[[], Any], str]:
    """Run the forward pass (on X, or on the attributes a step stores the data in; its output returned or
    stored as ``self.output``); where the output is, said for the recognized line."""
    X, y = data
    takes_x = "X" in {role_of(n) for n in (arg_names(fwd) or [])}
    stored: list[str | None] = [None]  # the attribute a forward pass that returns nothing stores its output in

    def run_forward() -> Any:
        if takes_x or not data_attrs:
            out = call(fwd, {"X": X, "params": params}, order=("X",), extra=src, what=fwd_name)
        else:
            with _attributes(src.obj, {k: (X if r == "X" else y) for k, r in data_attrs.items()}):
                out = call(fwd, {"params": params}, order=(), extra=src, what=fwd_name)
        return out if out is not None or stored[0] is None else getattr(src.obj, stored[0])

    where = "(X)" if takes_x or not data_attrs else f"() on .{', .'.join(data_attrs)} set as the step sets them"
    with restored_state(src.obj, params):
        probe = run_forward()
        if probe is None:
            stored[0] = stored_output(src.obj, y)
            probe = run_forward()
            where += f", its output read from .{stored[0]}" if stored[0] else ""
    if isinstance(probe, tuple):
        pick[0] = output_index(probe, y)
        if pick[0] != 0 or len(probe) > 2:
            where += f"[{pick[0] if pick[0] >= 0 else len(probe) + pick[0]}] (of the {len(probe)} it returns)"
    return run_forward, where


def stored_output(obj: Any, y: Any) -> str | None:
    """The attribute a forward pass that returns nothing left its output in (``self.output``): an
    output-like name holding an array of the targets' size, else the last such array.

    >>> class Net: pass
    >>> net = Net(); net.layer1 = np.ones((4, 3)); net.output = np.ones((4, 1))
    >>> stored_output(net, np.zeros((4, 1)))
    'output'
    """
    try:
        items = list(vars(obj).items())
    except TypeError:
        return None
    size = int(np.size(y))
    fits = [k for k, v in items if isinstance(v, np.ndarray) and v.size == size and not k.startswith("_")]
    named = [k for k in fits if role_of(k) == "output" or k.lower() in ("output", "out", "prediction", "pred")]
    return (named or fits or [None])[-1]


def _composed_forward(src: Source, params: dict[str, np.ndarray], X: Any) -> tuple[Callable[[], Any], str]:
    """The user's net's forward pass, built from its weights and its own activation methods.

    This is not the standard dense net of :mod:`gradcheck.diagnosis.model.dense`, and must not be: the
    loss gradcheck differentiates has to be the user's, so each layer calls the net's own ``sigmoid`` or
    ``activation`` method (which may be custom, or wrong) rather than the model's activation of that
    name, and keeps the net's own layout (``W @ a``, ``a @ W`` or ``a @ W.T``) and bias shapes.
    """
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


def _same(a: Any, b: Any) -> bool:
    if a is b:
        return True
    return isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and a.shape == b.shape and np.array_equal(a, b)


def data_attrs(obj: Any, step: Any, values: dict[str, Any], src: Source) -> dict[str, str]:
    """Attributes a step stores the data in (``self.X = X`` in ``fit``): name -> "X" or "y".

    A forward pass without arguments reads them; gradcheck sets them the same way for the loss.
    """
    if isinstance(obj, (types.ModuleType, dict)) or not hasattr(obj, "__dict__"):
        return {}
    X, y = np.asarray(values["X"]) if not isinstance(values["X"], list) else values["X"], values["y"]
    with restored_state(obj, discover(obj)):
        try:
            call(step, values, order=("X", "y"), extra=src)
        except Exception:  # noqa: BLE001 - only a probe; the step's own errors show in grads()
            return {}
        found = {}
        for k, v in vars(obj).items():
            if _same(v, values["X"]) or _same(v, X):
                found[k] = "X"
            elif _same(v, y):
                found[k] = "y"
    return found


@contextlib.contextmanager
def no_new_entries(obj: Any) -> Iterator[None]:
    """Take out what a forward pass adds to the net and its dicts (``self.params["A1"] = A1``)."""
    if isinstance(obj, types.ModuleType) or not hasattr(obj, "__dict__"):
        yield
        return
    d = vars(obj)
    dicts = [v for v in d.values() if isinstance(v, dict)]
    keys = [set(x) for x in [d, *dicts]]
    try:
        yield
    finally:
        for x, before in zip([d, *dicts], keys):
            for k in [k for k in x if k not in before]:
                del x[k]


@contextlib.contextmanager
def _attributes(obj: Any, values: dict[str, Any]) -> Iterator[None]:
    missing = object()
    old = {k: getattr(obj, k, missing) for k in values}
    for k, v in values.items():
        setattr(obj, k, v)
    try:
        yield
    finally:
        for k, v in old.items():
            if v is missing:
                delattr(obj, k)
            else:
                setattr(obj, k, v)


def public_names(src: Source) -> str:
    """The first public names on the object, for an error message."""
    names = [n for n in src.names() if not n.startswith("_")]
    return "[" + ", ".join(names[:15]) + ("]" if len(names) <= 15 else ", ...]")


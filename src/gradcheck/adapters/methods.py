"""A net object with a loss and a gradient method: ``net.cost(X, y)`` and ``net.backprop(X, y)``.

The gradient method (``gradients``, ``backprop``, ``backward``, ``grads``, ...) takes the data
and returns the gradients: a dict (``W1`` or ``dW1``) or a sequence in the order of the
parameters. The parameters are ``net.params`` (a dict, or a method returning one), else the
weight arrays found on the net and its layers. The loss is the net's own (``loss(X, y)``,
``cost(X, y)``, or a forward pass followed by a cost of the output, see
:mod:`gradcheck.adapters._net_loss`). A gradient method that takes only ``y``, or the output and
``y`` (``backward(y_hat, y)``), runs after ``forward(X)`` and gets its output, as such nets expect.

A module works the same way when its weights are module-level arrays: ``loss(x, y)`` and
``backward(x, y)`` returning a dict keyed by the names of those globals (``{"w_out": ...}``, or
``dw_out``); the parameters are the globals the returned dict names.

Example:
    >>> import numpy as np
    >>> from gradcheck.adapters import as_problem
    >>> from gradcheck.nn import MLP
    >>> net = MLP([2, 3, 1], activations="sigmoid", loss="bce", layout="cols")
    >>> p = as_problem(net, data=net.random_data(4))
    >>> p.meta["recognized"].split(" (also")[0]
    'net methods: MLP.params [W1, b1, W2, b2], loss loss(X, y), gradients gradients(X, y)'
"""

from __future__ import annotations

import inspect
import types
from typing import Any

import numpy as np

from ..errors import AdapterError
from ..names import match, match_by_position
from ..problem import Problem
from ._access import Source, arg_names, call, is_array_dict, is_float_array, is_fn, role_of
from ._net_loss import LOSS_XY_NAMES, net_loss, output_index
from ._params import PARAM_RE, discover
from ._state import restored_state

NAME = "methods"
GRAD_NAMES = ("gradients", "gradient", "compute_gradients", "compute_gradient", "compute_grads", "get_gradients",
              "get_grads", "grads", "grad", "backprop", "backpropagation", "back_propagation", "backward",
              "backward_pass", "backward_propagation", "backprop_batch")
EXPECTED = "a net object with a loss method (loss(X, y) or cost(X, y)) and a gradient method (backprop(X, y) -> grads)"


def grad_method(src: Source) -> tuple[str | None, Any, bool]:
    """``(name, method, needs_forward)``: a gradient method taking the data (or only ``y``)."""
    for name in GRAD_NAMES:
        fn = src.get(name)
        names = arg_names(fn) if is_fn(fn) else None
        if names is None:
            continue
        roles = {role_of(n) for n in names}
        if roles & {"cache", "dout"} or ("output" in roles and "X" in roles):
            continue
        if "X" in roles:
            return name, fn, False
        if "y" in roles and is_fn(src.get("forward")):  # backward(y), or backward(y_hat, y) of forward's output
            return name, fn, True
    return None, None, False


def _params(src: Source) -> tuple[str, dict[str, np.ndarray]]:
    for n in ("params", "parameters"):
        v = src.get(n)
        if is_fn(v) and not arg_names(v):
            try:
                v = v()
            except Exception:  # noqa: BLE001 - not a params accessor after all
                continue
        if is_array_dict(v):
            return f"{type(src.obj).__name__}.{n}", v
    found = discover(src.obj)
    return f"the weights of {type(src.obj).__name__}", found


def _module_loss(src: Source) -> str | None:
    for name in LOSS_XY_NAMES:
        fn = src.get(name)
        roles = [role_of(n) for n in (arg_names(fn) or [])] if is_fn(fn) else []
        if roles and roles[0] == "X" and "params" not in roles:
            return name
    return None


def _globals(src: Source) -> dict[str, np.ndarray]:
    return {k: v for k, v in vars(src.obj).items() if not k.startswith("_") and is_float_array(v)}


def detect(src: Source) -> str | None:
    if isinstance(src.obj, dict):
        return None
    if isinstance(src.obj, types.ModuleType):
        # weights as module globals, loss(x, y) and a gradient function of the data alone
        name, fn, needs_forward = grad_method(src)
        if name is None or needs_forward or "params" in {role_of(n) for n in arg_names(fn) or []}:
            return None
        if any(is_array_dict(src.get(n)) for n in ("params", "parameters")) or not _module_loss(src) or not _globals(src):
            return None
        return f"module-level weights with {_module_loss(src)}(x, y) and {name}(x, y)"
    name, _, _ = grad_method(src)
    if name is None or not _params(src)[1]:
        return None
    return f"{name}(X, y) with its parameters"


def _module_params(src: Source, gname: str, gfn: Any, data: Any) -> tuple[str, dict[str, np.ndarray], list[str]]:
    """The module-level arrays the gradient dict names, in the module's order, and a note per weight-like
    global it leaves out."""
    X, y = data
    arrays = _globals(src)
    saved = {k: v.copy() for k, v in arrays.items()}
    try:
        raw = call(gfn, {"X": X, "y": y}, order=("X", "y"), extra=src, what=gname)
    finally:  # a gradient function that also updates the weights leaves them as they were
        for k, v in arrays.items():
            np.copyto(v, saved[k])
    hint = (f"group the weights into a dict, params = {{'W1': W1, ...}}, read them from it in {_module_loss(src)} "
            f"and {gname}, and define loss_fn(params, X, y) and grad_fn(params, X, y) (the functions convention)")
    if not isinstance(raw, dict):
        raise AdapterError(f"found module-level arrays [{', '.join(arrays)}] and {gname}(x, y), but {gname} returned "
                           f"a {type(raw).__name__}, not a dict keyed by their names: gradcheck cannot tell which "
                           f"gradient belongs to which array; {hint}")
    params: dict[str, np.ndarray] = {}
    named = match(list(arrays), list(raw))
    for k, v in arrays.items():
        if k in named:
            params[k] = v
    if not params:
        raise AdapterError(f"{gname}(x, y) returned gradients [{', '.join(map(str, raw))}] that name none of the "
                           f"module's arrays [{', '.join(arrays)}]; {hint}")
    left = [k for k, v in arrays.items() if k not in params and PARAM_RE.search(k) and v.ndim >= 1]
    notes = [f"{', '.join(left)}: no gradient in what {gname}() returns, not checked"] if left else []
    return "module-level arrays", params, notes


class NotAGradientMethod(AdapterError):
    """The gradient method returns nothing: the net is read another way (its updates, as a training step)."""

    def __init__(self, message: str, method: str) -> None:
        super().__init__(message)
        self.method = method


def build(src: Source, data: Any, *, loss: str | None = None, lr: float | None = None, **_: Any) -> Problem:
    found, gfn, needs_forward = grad_method(src)
    gname = found or "the gradient method"
    if data is None:
        raise AdapterError(f"found {gname}(X, y) but no data: define X and y beside the net or pass them in")
    if isinstance(src.obj, types.ModuleType):
        where, params, notes = _module_params(src, gname, gfn, data)
    else:
        (where, params), notes = _params(src), []
    X, y = data
    loss_fn, loss_desc = net_loss(src, params, data, loss)
    names = list(params)
    rate = _rate(gfn, lr)
    root = src.obj if not isinstance(src.obj, types.ModuleType) else params

    def run() -> Any:
        values = {"X": X, "y": y, "params": params, "lr": rate}
        if needs_forward:
            out = call(src.get("forward"), {"X": X}, order=("X",), extra=src, what="forward")
            values["output"] = out[output_index(out, y)] if isinstance(out, tuple) else out
        return call(gfn, values, order=("X", "y"), extra=src, what=gname)

    with restored_state(root, params):
        before = {k: v.copy() for k, v in params.items()}
        first = run()
        updates = [k for k in params if not np.array_equal(before[k], _current(src.obj, k, params[k]), equal_nan=True)]
    if first is None:
        raise NotAGradientMethod(f"{gname}() returns no gradients", gname)

    def grads() -> Any:
        if not updates:
            return _by_position(names, params, run())
        with restored_state(root, params):  # a gradient method that also takes a step: put the weights back
            return _by_position(names, params, run())

    takes_output = "output" in {role_of(n) for n in arg_names(gfn) or []}
    desc = f"{gname}({'output, ' if takes_output else ''}y) after forward(X)" if needs_forward else f"{gname}(X, y)"
    if updates:
        desc += (f", which also updates the weights ({', '.join(updates)}: a training step"
                 f"{f' with lr = {rate:g}' if rate is not None else ''}); the weights are put back after each call "
                 f"and the gradients it returns are checked")
    return Problem(
        params=params, loss=loss_fn, grads=grads, data=data,
        meta={"recognized": f"net methods: {where} [{', '.join(params)}], loss {loss_desc}, gradients {desc}",
              "notes": notes},
    )


def _rate(fn: Any, lr: float | None) -> float | None:
    """The learning rate a gradient method that takes one is called with: ``--lr``, else its default, else 1."""
    try:
        ps = [p for p in inspect.signature(fn).parameters.values() if role_of(p.name) == "lr"]
    except (TypeError, ValueError):
        return None
    if not ps:
        return None
    if lr is not None:
        return float(lr)
    return float(ps[0].default) if isinstance(ps[0].default, (int, float)) else 1.0


def _current(obj: Any, name: str, arr: np.ndarray) -> np.ndarray:
    """The array now bound where parameter ``name`` was found (a step may rebind ``self.W = self.W - ...``)."""
    if isinstance(obj, types.ModuleType):
        v = vars(obj).get(name, arr)
        return v if isinstance(v, np.ndarray) else arr
    return discover(obj).get(name, arr)


def _by_position(names: list[str], params: dict[str, np.ndarray], raw: Any) -> Any:
    """Gradients named after the layers (``dW1``) for parameters found as ``layer1.weights``: matched
    by name where the names say it, else weights to weight gradients and biases to bias gradients in
    forward order (:func:`gradcheck.names.match_by_position`); never by shape, so a gradient of the
    wrong shape stays its parameter's finding. A sequence is taken in the order of the parameters."""
    if isinstance(raw, (list, tuple)) and len(raw) == len(names):
        return dict(zip(names, raw))
    nested = _by_list(names, params, raw)
    if nested is not None:
        return nested
    if not isinstance(raw, dict):
        return raw
    found = match(names, list(raw))
    if len(found) < len(names):
        found = match_by_position(names, list(raw)) or found
    if len(found) < len(names):
        return raw
    return {n: raw[k] for n, k in found.items()}


def _by_list(names: list[str], params: dict[str, np.ndarray], raw: Any) -> dict[str, Any] | None:
    """``(dws, dbs)`` for parameters found as the lists ``ws[0], ws[1], bs[0], bs[1]``: one list of
    gradients per list of parameters, in the order of the lists; the other way round (``(nabla_b,
    nabla_w)`` for ``weights``, ``biases``) only when every shape says so and the order's do not.

    >>> ps = {"ws[0]": np.ones((2, 3)), "bs[0]": np.ones(3)}
    >>> sorted(_by_list(list(ps), ps, ([np.zeros(3)], [np.zeros((2, 3))])).items())[0][1].shape
    (3,)
    """
    if not isinstance(raw, (list, tuple)) or not all(isinstance(g, (list, tuple)) for g in raw):
        return None
    groups: dict[str, list[str]] = {}
    for n in names:
        groups.setdefault(n.split("[")[0], []).append(n)
    lists = list(groups.values())
    if len(lists) != len(raw) or len(lists) < 2:
        return None

    def paired(order: list[list[str]]) -> dict[str, Any] | None:
        if [len(g) for g in order] != [len(g) for g in raw]:
            return None
        return {n: v for g, vals in zip(order, raw) for n, v in zip(g, vals)}

    def fits(found: dict[str, Any] | None) -> bool:
        return found is not None and all(np.shape(v) == params[n].shape for n, v in found.items())

    straight, swapped = paired(lists), paired(lists[::-1])
    if not fits(straight) and fits(swapped):
        return swapped
    return straight

"""Layer objects: ``forward(x)`` / ``backward(dout)`` with per-layer parameters and gradients.

A single layer is checked on its own, its INPUT gradient included: the input is checked
like a parameter (named ``input``), through the scalar ``sum(forward(x) * R)`` for a fixed
random ``R`` (so ``backward(R)`` must return ``d loss / d x``). An object with a ``layers``
list of such layers is checked as one stack; when that object has its own ``loss(x, y)`` and a
``backward()`` taking nothing (a loss layer at the end) and labels are given, the stack is checked
through that loss instead, loss layer included. Parameters are read from ``layer.params``
with gradients in ``layer.grads``, or from attributes with a gradient beside them after
``backward`` (``W`` and ``dW``, ``weight`` and ``grad_weight``), or returned by it
(``backward(dout) -> (dx, dW, db)``, in the order of the attributes). A ``backward(dout, lr)`` that
updates the weights itself is run with ``lr = 1`` and the parameters are put back.

Example:
    >>> import numpy as np
    >>> from gradcheck.adapters import as_problem
    >>> class Scale:
    ...     def __init__(self): self.w = np.array([2.0, 3.0])
    ...     def forward(self, x): self.x = x; return x * self.w
    ...     def backward(self, dout): self.dw = (dout * self.x).sum(0); return dout * self.w
    >>> p = as_problem(Scale(), data=np.ones((4, 2)))
    >>> list(p.params)
    ['input', 'w']
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any, NamedTuple

import numpy as np

from ..errors import AdapterError
from ..names import gradient_keys, lookup
from ..problem import Problem
from ..targets import describe_exception
from . import train_step
from ._access import Source, arg_names, call, is_array_dict, is_float_array, is_fn, required_args, role_of
from ._net_loss import COST_RE, LOSS_XY_NAMES
from ._state import restored_state

NAME = "layer"
EXPECTED = "a layer with forward(x) and backward(dout) (parameters in .params / .grads, or W and dW attributes)"


def _is_layer(v: Any) -> bool:
    return is_fn(getattr(v, "forward", None)) and is_fn(getattr(v, "backward", None))


def detect(src: Source) -> str | None:
    layers = src.get("layers")
    if isinstance(layers, (list, tuple)) and layers and all(_is_layer(v) for v in layers):
        if any(_takes_lr(v) for v in layers) and _steps_itself(src):
            return None  # layers that update themselves under the net's own training step: a training step
        return "a layers list with forward/backward"
    if _is_layer(src.obj):
        names = arg_names(src.obj.backward) or []
        if names and role_of(names[0]) in ("dout", None):
            return "forward(x) and backward(dout)"
    return None


def _steps_itself(src: Source) -> bool:
    """The net has its own training step and its own loss: read as one (its layers update in backward)."""
    has_loss = any(is_fn(src.get(n)) and len(required_args(src.get(n))) == 2 for n in LOSS_XY_NAMES)
    return has_loss and train_step.detect(src) is not None


def _takes_lr(layer: Any) -> bool:
    return any(role_of(n) == "lr" for n in (arg_names(layer.backward) or []))


def _grad_of(layer: Any, name: str, shape: tuple[int, ...]) -> Any:
    for holder in GRAD_DICTS:
        grads = getattr(layer, holder, None)
        if isinstance(grads, dict):
            try:
                return lookup(grads, name)
            except KeyError:
                pass
    for key in gradient_keys(name)[1:]:
        g = getattr(layer, key, None)
        if isinstance(g, np.ndarray) and g.ndim > 0:
            return g
    return None


@contextlib.contextmanager
def _fresh_grads(specs: list[Any]) -> Iterator[None]:
    """Gradient buffers at zero for one backward pass, their bits put back after: a layer that adds into
    them (``self.dW += ...``, zeroed by its training loop) gives this pass's gradient, not a sum of passes."""
    held = [g for s in specs if isinstance(g := _grad_of(s.layer, s.key, s.arr.shape), np.ndarray)]
    saved = [g.copy() for g in held]
    try:
        for g in held:
            g[...] = 0
        yield
    finally:
        for g, old in zip(held, saved):
            np.copyto(g, old)


def _guess_input(layer: Any, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    weights = [v for v, _ in _candidates(layer).values() if v.ndim == 2]
    shapes = []
    if weights:
        r, c = weights[0].shape
        shapes = [(4, r), (c, 4), (4, c), (r, 4)]
    shape_attr = getattr(layer, "input_shape", None)
    if isinstance(shape_attr, tuple):
        shapes.insert(0, shape_attr)
    for shape in shapes:
        x = rng.standard_normal(shape)
        try:
            with restored_state(layer, {}):
                call(layer.forward, {"X": x}, order=("X",))
            return x
        except Exception:  # noqa: BLE001 - the next shape may fit
            continue
    raise AdapterError(
        f"cannot tell what input {type(layer).__name__}.forward expects: give data (an input array x) or "
        f"--input-shape, the full shape of x (e.g. --input-shape 8,4 for 8 examples of 4 features)"
    )


def _shape_message(layer: Any, shape: tuple[int, ...], exc: BaseException, seed: int) -> str:
    """Why ``--input-shape`` is the likely cause of ``forward`` failing, and a shape that fits."""
    text = (f"--input-shape {','.join(map(str, shape))} is likely wrong: {type(layer).__name__}.forward raised "
            f"{describe_exception(exc)} on an input of shape {shape}. --input-shape is the full shape of x, "
            f"examples first (e.g. 8,4 for 8 examples of 4 features)")
    try:
        fit = _guess_input(layer, seed).shape
    except AdapterError:
        return text
    return text + f"; an input of shape {fit} fits: --input-shape {','.join(map(str, fit))}"


#: Dicts a layer keeps its parameters in, and the dicts its gradients are put in beside them.
PARAM_DICTS = ("params", "parameters", "weights_dict")
GRAD_DICTS = ("grads", "gradients", "grad", "d_params", "dparams")


class _Spec(NamedTuple):
    """One parameter of one layer: its name in the report, the layer, its key there, the array, where its
    gradient is read (``index`` into what backward returns, else beside it), and the dict holding it."""

    name: str
    layer: Any
    key: str
    arr: np.ndarray
    position: int | None
    holder: str | None


def _candidates(layer: Any) -> dict[str, tuple[np.ndarray, str | None]]:
    """``key -> (array, dict name or None)``: a layer's float arrays, from its params dict when it has one."""
    for holder in PARAM_DICTS:
        p: Any = getattr(layer, holder, None)
        if is_array_dict(p):
            return {k: (v, holder) for k, v in p.items()}
    try:
        d = vars(layer)
    except TypeError:
        return {}
    return {k: (v, None) for k, v in d.items() if is_float_array(v) and not k.startswith("_")}


def _input_of(layers: list[Any], src: Source, data: Any, input_shape: Any, seed: int) -> np.ndarray:
    """The input the stack is checked at: the data, a given shape, or a shape the first layer accepts."""
    if data is None:
        _, data = src.first(("x", "X", "inputs", "input", "x_batch", "X_batch"), lambda v: isinstance(v, np.ndarray))
    if data is not None:
        x0 = np.asarray(data[0] if isinstance(data, tuple) else data)
        return np.array(x0, dtype=x0.dtype if np.issubdtype(x0.dtype, np.floating) else np.float64)
    if input_shape is not None:
        return np.random.default_rng(seed).standard_normal(tuple(input_shape))
    return _guess_input(layers[0], seed)


class _Stack:
    """Forward and backward through a list of layers, keeping what each backward returned beside dx."""

    def __init__(self, layers: list[Any], x: np.ndarray, step: float) -> None:
        self.layers, self.x, self.step = layers, x, step
        self.returned: dict[int, tuple] = {}  # layer index -> what backward returned besides the input gradient

    def forward(self) -> np.ndarray:
        a = self.x
        for layer in self.layers:
            a = call(layer.forward, {"X": a}, order=("X",), what=f"{type(layer).__name__}.forward")
        return np.asarray(a)

    def backward(self, dout: np.ndarray) -> Any:
        d: Any = dout
        self.returned.clear()
        for i in reversed(range(len(self.layers))):
            layer = self.layers[i]
            # a rate only for a layer that takes one: a backward(delta_next) whose one argument no name
            # explains gets the upstream gradient by position
            values = {"dout": d, "lr": self.step} if _takes_lr(layer) else {"dout": d}
            d = call(layer.backward, values, order=("dout", "lr"),
                     what=f"{type(layer).__name__}.backward")
            if isinstance(d, tuple):  # backward(dout) -> (dx, dW, db)
                self.returned[i] = tuple(d[1:])
                d = d[0]
        return d


def _probe(stack: _Stack, cands: list[dict[str, tuple[np.ndarray, str | None]]], R: np.ndarray,
           single: bool) -> list[_Spec]:
    """One forward and backward pass: which arrays have a gradient beside them (or returned, or move when
    backward updates); an array the forward pass rebinds is a cache (``self.x = x``), not a parameter."""
    layers = stack.layers
    specs: list[_Spec] = []
    every = {k: v for c in cands for k, (v, _) in c.items()} if single else {}
    with restored_state(layers, every):
        before = [{k: v.copy() for k, (v, _) in c.items()} for c in cands]
        stack.forward()
        cached = [{k for k, (arr, h) in c.items() if _current(layer, k, arr, h) is not arr}
                  for c, layer in zip(cands, layers)]
        stack.backward(R)
        for i, layer in enumerate(layers):
            prefix = "" if single else f"layers[{i}]."
            own = [(k, arr, h) for k, (arr, h) in cands[i].items() if k not in cached[i]]
            extras = stack.returned.get(i, ())
            if extras and len(extras) == len(own):  # backward(dout) -> (dx, dW, db): in the order of the attributes
                specs.extend(_Spec(_label(prefix, k, h), layer, k, arr, j, h) for j, (k, arr, h) in enumerate(own))
                continue
            for k, arr, h in own:
                moved = _takes_lr(layer) and not np.array_equal(before[i][k], _current(layer, k, arr, h))
                if moved or _grad_of(layer, k, arr.shape) is not None:
                    specs.append(_Spec(_label(prefix, k, h), layer, k, arr, None, h))
    return specs


def _label(prefix: str, key: str, holder: str | None) -> str:
    """``layers[0].W``, or ``layers[0].parameters['W']`` for a parameter held in the layer's ``parameters`` dict."""
    return prefix + (f"{holder}[{key!r}]" if holder not in (None, "params") else key)


def build(src: Source, data: Any, *, lr: float | None = None, input_shape: Any = None, seed: int = 0, **_: Any) -> Problem:
    single = _is_layer(src.obj) and not isinstance(src.get("layers"), (list, tuple))
    layers = [src.obj] if single else list(src.get("layers"))
    x = _input_of(layers, src, data, input_shape, seed)
    stack = _Stack(layers, x, 1.0 if lr is None else float(lr))
    # before any forward pass of ours: what the forward pass stores (self.x = x) is not there yet
    cands = [{k: (v, h) for k, (v, h) in _candidates(layer).items() if v is not x} for layer in layers]
    with restored_state(layers, {}):
        try:
            R = np.random.default_rng(seed).standard_normal(stack.forward().shape)
        except Exception as exc:  # noqa: BLE001 - a wrong --input-shape is the likely cause
            if input_shape is None or data is not None:
                raise
            raise AdapterError(_shape_message(layers[0], tuple(input_shape), exc, seed)) from exc
    specs = _probe(stack, cands, R, single)
    updating = any(_takes_lr(s.layer) for s in specs)
    what = type(layers[0]).__name__ if single else f"{type(src.obj).__name__}.layers ({len(layers)} layers)"
    own: Any = None if single or not isinstance(data, tuple) or updating else _own_loss(src.obj)
    if own is None and not single and isinstance(data, tuple) and not updating:
        own = _cost_with_delta(src.obj, data)
    if own is not None:
        return _with_own_loss(src.obj, own, layers, specs, data, what)
    return _through_random_projection(stack, specs, R, what, updating)


def _through_random_projection(stack: _Stack, specs: list[_Spec], R: np.ndarray, what: str, updating: bool) -> Problem:
    """The stack checked through the scalar ``sum(forward(x) * R)``, its input checked like a parameter."""
    layers, x = stack.layers, stack.x
    params: dict[str, np.ndarray] = {"input": x, **{s.name: s.arr for s in specs}}

    def loss() -> float:
        return float(np.sum(stack.forward() * R))

    def grads() -> dict[str, Any]:
        with restored_state(layers, {s.name: s.arr for s in specs}):
            saved = {s.name: s.arr.copy() for s in specs if _takes_lr(s.layer)}
            stack.forward()
            with _fresh_grads(specs):
                out: dict[str, Any] = {"input": np.array(stack.backward(R.copy()), dtype=float)}
                for s in specs:
                    out[s.name] = _gradient(stack, s, saved)
        return out

    upd = " (backward updates the weights: gradient recovered with lr = 1)" if updating else ""
    upd += " (parameter gradients as returned by backward)" if any(s.position is not None for s in specs) else ""
    pnames = ", ".join(s.name for s in specs) or "none"
    return Problem(
        params=params, loss=loss, grads=grads, data=None, name=what,
        hint={"batch_size": int(x.shape[0])} if x.ndim >= 2 else None,
        meta={"recognized": f"layer: {what} forward(x)/backward(dout) through sum(out * R), input {x.shape} "
                            f"checked like a parameter, parameters [{pnames}]{upd}"},
    )


def _gradient(stack: _Stack, s: _Spec, saved: dict[str, np.ndarray]) -> Any:
    """The gradient of one parameter after a backward pass: returned, recovered from the update, or beside it."""
    if s.position is not None:
        return np.array(stack.returned[stack.layers.index(s.layer)][s.position], dtype=float)
    if s.name in saved:
        return (saved[s.name] - _current(s.layer, s.key, s.arr, s.holder)) / stack.step
    g = _grad_of(s.layer, s.key, s.arr.shape)
    return None if g is None else np.array(g, dtype=float)


def _current(layer: Any, k: str, arr: np.ndarray, holder: str | None = None) -> np.ndarray:
    p = getattr(layer, holder, None) if holder else None
    if isinstance(p, dict) and k in p:
        return p[k]
    v = getattr(layer, k, arr) if holder is None else arr
    return v if isinstance(v, np.ndarray) else arr


#: method names of a model's own loss, ``loss(x, y)`` -> scalar, followed by ``backward()``
_LOSS_METHODS = ("loss", "compute_loss", "cost", "forward_loss")


def _own_loss(model: Any) -> str | None:
    """The name of ``model``'s own ``loss(x, y)`` when it also has a ``backward()`` taking nothing."""
    back: Any = getattr(model, "backward", None)
    if not is_fn(back) or required_args(back):
        return None
    for name in _LOSS_METHODS:
        fn: Any = getattr(model, name, None)
        if is_fn(fn) and len(required_args(fn)) == 2:
            return name
    return None


#: a model's forward pass and backward pass of the delta its cost function returns
_FORWARDS = ("forward", "forward_pass", "feedforward", "feed_forward", "predict_proba")
_BACKWARDS = ("backward", "backward_pass", "backprop", "backpropagate", "back_propagation", "backward_propagation")


def _method(model: Any, names: tuple[str, ...], n_args: int) -> str | None:
    return next((n for n in names if is_fn(getattr(model, n, None)) and len(required_args(getattr(model, n))) == n_args),
                None)


def _cost_with_delta(model: Any, data: tuple) -> tuple[str, str, str] | None:
    """``(forward, cost, backward)`` names: ``cost(forward(x), y) -> (loss, delta)`` and ``backward(delta)``
    running the layers (``cost_function(a, y)``, ``softmax_loss(scores, y)``)."""
    fwd, back = _method(model, _FORWARDS, 1), _method(model, _BACKWARDS, 1)
    if fwd is None or back is None:
        return None
    costs = [n for n in dir(model) if not n.startswith("_") and COST_RE.search(n)]
    for name in costs:
        fn: Any = getattr(model, name, None)
        if not is_fn(fn) or len(required_args(fn)) != 2:
            continue
        try:
            with restored_state(model, {}):
                out = getattr(model, fwd)(data[0])
                value = fn(out, data[1])
        except Exception:  # noqa: BLE001 - not a cost of the output after all
            continue
        if isinstance(value, tuple) and len(value) == 2 and np.size(value[0]) == 1 and np.shape(value[1]) == np.shape(out):
            return fwd, name, back
    return None


def _with_own_loss(model: Any, loss_name: str | tuple[str, str, str], layers: list[Any], specs: list[Any],
                   data: tuple, what: str) -> Problem:
    """A layers model with its own loss layer: checked through ``model.loss(x, y)`` and ``model.backward()``
    (or ``cost(forward(x), y) -> (loss, delta)`` and ``backward(delta)``), so the loss layer's backward is
    checked too (``sum(out * R)`` would skip it)."""
    X, y = data
    if isinstance(loss_name, tuple):
        fwd, cost, back = (getattr(model, n) for n in loss_name)
        how = f"{loss_name[1]}({loss_name[0]}(X), y) -> (loss, delta), then {loss_name[2]}(delta)"

        def loss() -> Any:
            return cost(fwd(X), y)[0]

        def backward() -> None:
            back(cost(fwd(X), y)[1])
    else:
        loss_fn, how = getattr(model, loss_name), f"{type(model).__name__}.{loss_name}(X, y), then backward()"

        def loss() -> Any:
            return loss_fn(X, y)

        def backward() -> None:
            loss_fn(X, y)
            model.backward()

    def grads() -> dict[str, Any]:
        out: dict[str, Any] = {}
        with restored_state(layers, {s.name: s.arr for s in specs}), _fresh_grads(specs):
            backward()
            for s in specs:
                g = _grad_of(s.layer, s.key, s.arr.shape)
                out[s.name] = None if g is None else np.array(g, dtype=float)
        return out

    try:
        value = np.asarray(loss())
    except Exception as exc:  # noqa: BLE001 - not a loss of (x, y) after all
        raise AdapterError(f"{type(model).__name__}: {how} failed on the data: {exc}") from None
    if value.size != 1 or any(s.position is not None for s in specs):
        raise AdapterError(f"{type(model).__name__}: {how} does not give one number")
    pnames = ", ".join(s.name for s in specs) or "none"
    return Problem(
        params={s.name: s.arr for s in specs}, loss=loss, grads=grads, data=(X, y), name=what,
        meta={"recognized": f"layer: {what} with the model's own loss: {how}; parameters [{pnames}]"},
    )

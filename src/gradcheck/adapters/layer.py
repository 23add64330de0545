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

from typing import Any

import numpy as np

from ..errors import AdapterError
from ..problem import Problem
from ._access import Source, arg_names, call, is_array_dict, is_float_array, is_fn, required_args, role_of
from ._state import restored_state

NAME = "layer"
EXPECTED = "a layer with forward(x) and backward(dout) (parameters in .params / .grads, or W and dW attributes)"


def _is_layer(v: Any) -> bool:
    return is_fn(getattr(v, "forward", None)) and is_fn(getattr(v, "backward", None))


def detect(src: Source) -> str | None:
    layers = src.get("layers")
    if isinstance(layers, (list, tuple)) and layers and all(_is_layer(v) for v in layers):
        return "a layers list with forward/backward"
    if _is_layer(src.obj):
        names = arg_names(src.obj.backward) or []
        if names and role_of(names[0]) in ("dout", None):
            return "forward(x) and backward(dout)"
    return None


def _takes_lr(layer: Any) -> bool:
    return any(role_of(n) == "lr" for n in (arg_names(layer.backward) or []))


def _grad_of(layer: Any, name: str, shape: tuple[int, ...]) -> Any:
    from ..names import gradient_keys, lookup

    grads = getattr(layer, "grads", None)
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


def _guess_input(layer: Any, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    weights = [v for v in _candidates(layer).values() if v.ndim == 2]
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
    from ..targets import describe_exception

    text = (f"--input-shape {','.join(map(str, shape))} is likely wrong: {type(layer).__name__}.forward raised "
            f"{describe_exception(exc)} on an input of shape {shape}. --input-shape is the full shape of x, "
            f"examples first (e.g. 8,4 for 8 examples of 4 features)")
    try:
        fit = _guess_input(layer, seed).shape
    except AdapterError:
        return text
    return text + f"; an input of shape {fit} fits: --input-shape {','.join(map(str, fit))}"


def _candidates(layer: Any) -> dict[str, np.ndarray]:
    p = getattr(layer, "params", None)
    if is_array_dict(p):
        return dict(p)
    try:
        d = vars(layer)
    except TypeError:
        return {}
    return {k: v for k, v in d.items() if is_float_array(v) and not k.startswith("_")}


def build(src: Source, data: Any, *, lr: float | None = None, input_shape: Any = None, seed: int = 0, **_: Any) -> Problem:
    single = _is_layer(src.obj) and not isinstance(src.get("layers"), (list, tuple))
    layers = [src.obj] if single else list(src.get("layers"))
    rng = np.random.default_rng(seed)
    if data is None:
        _, data = src.first(("x", "X", "inputs", "input", "x_batch", "X_batch"), lambda v: isinstance(v, np.ndarray))
    if data is not None:
        x0 = np.asarray(data[0] if isinstance(data, tuple) else data)
        x = np.array(x0, dtype=x0.dtype if np.issubdtype(x0.dtype, np.floating) else np.float64)
    elif input_shape is not None:
        x = rng.standard_normal(tuple(input_shape))
    else:
        x = _guess_input(layers[0], seed)
    step = 1.0 if lr is None else float(lr)

    def forward_all() -> np.ndarray:
        a = x
        for layer in layers:
            a = call(layer.forward, {"X": a}, order=("X",), what=f"{type(layer).__name__}.forward")
        return np.asarray(a)

    returned: dict[int, tuple] = {}  # layer index -> what backward returned besides the input gradient

    def backward_all(dout: np.ndarray) -> Any:
        d: Any = dout
        for i in reversed(range(len(layers))):
            layer = layers[i]
            d = call(layer.backward, {"dout": d, "lr": step}, order=("dout", "lr"), what=f"{type(layer).__name__}.backward")
            if isinstance(d, tuple):  # backward(dout) -> (dx, dW, db)
                returned[i] = tuple(d[1:])
                d = d[0]
        return d

    # before any forward pass of ours: what the forward pass stores (self.x = x) is not there yet
    cands = [{k: v for k, v in _candidates(layer).items() if v is not x} for layer in layers]
    with restored_state(layers, {}):
        try:
            R = rng.standard_normal(forward_all().shape)
        except Exception as exc:  # noqa: BLE001 - a wrong --input-shape is the likely cause
            if input_shape is None or data is not None:
                raise
            raise AdapterError(_shape_message(layers[0], tuple(input_shape), exc, seed)) from exc
    # one probe pass tells which arrays have a gradient beside them (or move, when backward updates)
    specs: list[tuple[str, Any, str, np.ndarray, int | None]] = []
    with restored_state(layers, {k: v for c in cands for k, v in c.items()} if len(layers) == 1 else {}):
        before = [{k: v.copy() for k, v in c.items()} for c in cands]
        forward_all()
        # an array the forward pass rebinds is a cache (self.x = x), not a parameter
        cached = [{k for k, arr in c.items() if _current(layer, k, arr) is not arr} for c, layer in zip(cands, layers)]
        backward_all(R)
        for i, layer in enumerate(layers):
            prefix = "" if single else f"layers[{i}]."
            own = [(k, arr) for k, arr in cands[i].items() if k not in cached[i]]
            extras = returned.get(i, ())
            if extras and len(extras) == len(own) and all(np.shape(g) == a.shape for g, (_, a) in zip(extras, own)):
                specs.extend((prefix + k, layer, k, arr, j) for j, (k, arr) in enumerate(own))
                continue
            for k, arr in own:
                moved = _takes_lr(layer) and not np.array_equal(before[i][k], _current(layer, k, arr))
                if moved or _grad_of(layer, k, arr.shape) is not None:
                    specs.append((prefix + k, layer, k, arr, None))
    params: dict[str, np.ndarray] = {"input": x}
    for name, _, _, arr, _ in specs:
        params[name] = arr

    def loss() -> float:
        return float(np.sum(forward_all() * R))

    def grads() -> dict[str, Any]:
        out: dict[str, Any] = {}
        updating = [s for s in specs if _takes_lr(s[1])]
        with restored_state(layers, {s[0]: s[3] for s in specs}):
            saved = {s[0]: s[3].copy() for s in updating}
            forward_all()
            returned.clear()
            out["input"] = backward_all(R.copy())
            for name, layer, k, arr, j in specs:
                if j is not None:
                    out[name] = np.array(returned[layers.index(layer)][j], dtype=float)
                elif _takes_lr(layer):
                    out[name] = (saved[name] - _current(layer, k, arr)) / step
                else:
                    g = _grad_of(layer, k, arr.shape)
                    out[name] = None if g is None else np.array(g, dtype=float)
        return out

    what = type(layers[0]).__name__ if single else f"{type(src.obj).__name__}.layers ({len(layers)} layers)"
    own = None if single or not isinstance(data, tuple) or any(_takes_lr(s[1]) for s in specs) else _own_loss(src.obj)
    if own is not None:
        return _with_own_loss(src.obj, own, layers, specs, data, what)
    upd = " (backward updates the weights: gradient recovered with lr = 1)" if any(_takes_lr(s[1]) for s in specs) else ""
    upd += " (parameter gradients as returned by backward)" if any(s[4] is not None for s in specs) else ""
    pnames = ", ".join(s[0] for s in specs) or "none"
    return Problem(
        params=params, loss=loss, grads=grads, data=None, name=what,
        hint={"batch_size": int(x.shape[0])} if x.ndim >= 2 else None,
        meta={"recognized": f"layer: {what} forward(x)/backward(dout) through sum(out * R), input {x.shape} "
                            f"checked like a parameter, parameters [{pnames}]{upd}"},
    )


def _current(layer: Any, k: str, arr: np.ndarray) -> np.ndarray:
    p = getattr(layer, "params", None)
    if isinstance(p, dict) and k in p:
        return p[k]
    v = getattr(layer, k, arr)
    return v if isinstance(v, np.ndarray) else arr


#: method names of a model's own loss, ``loss(x, y)`` -> scalar, followed by ``backward()``
_LOSS_METHODS = ("loss", "compute_loss", "cost", "forward_loss")


def _own_loss(model: Any) -> str | None:
    """The name of ``model``'s own ``loss(x, y)`` when it also has a ``backward()`` taking nothing."""
    back = getattr(model, "backward", None)
    if not is_fn(back) or required_args(back):
        return None
    for name in _LOSS_METHODS:
        fn = getattr(model, name, None)
        if is_fn(fn) and len(required_args(fn)) == 2:
            return name
    return None


def _with_own_loss(model: Any, loss_name: str, layers: list[Any], specs: list[Any], data: tuple, what: str) -> Problem:
    """A layers model with its own loss layer: checked through ``model.loss(x, y)`` and ``model.backward()``,
    so the loss layer's backward is checked too (``sum(out * R)`` would skip it)."""
    X, y = data
    loss_fn = getattr(model, loss_name)

    def loss() -> Any:
        return loss_fn(X, y)

    def grads() -> dict[str, Any]:
        out: dict[str, Any] = {}
        with restored_state(layers, {s[0]: s[3] for s in specs}):
            loss_fn(X, y)
            model.backward()
            for name, layer, k, arr, j in specs:
                g = _grad_of(layer, k, arr.shape)
                out[name] = None if g is None else np.array(g, dtype=float)
        return out

    try:
        value = np.asarray(loss())
    except Exception as exc:  # noqa: BLE001 - not a loss of (x, y) after all
        raise AdapterError(f"{type(model).__name__}.{loss_name}(X, y) failed on the data: {exc}") from None
    if value.size != 1 or any(s[4] is not None for s in specs):
        raise AdapterError(f"{type(model).__name__}.{loss_name}(X, y) does not return one number")
    pnames = ", ".join(s[0] for s in specs) or "none"
    return Problem(
        params={s[0]: s[3] for s in specs}, loss=loss, grads=grads, data=(X, y), name=what,
        meta={"recognized": f"layer: {what} with the model's own loss: {type(model).__name__}.{loss_name}(X, y), "
                            f"then backward(); parameters [{pnames}]"},
    )

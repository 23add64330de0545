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

import types
from collections.abc import Callable
from typing import Any

import numpy as np

from ..errors import AdapterError
from ..problem import Problem
from ._access import ROLES, Source, arg_names, call, is_fn, role_of
from ._data import find_data
from ._net_loss import data_attrs, net_loss, no_new_entries, public_names
from ._optimizer import momentum_off
from ._params import discover
from ._state import containers, restored_state

NAME = "train-step"
STEP_NAMES = ("train_step", "training_step", "step", "train", "fit", "sgd_step", "train_one_step", "train_epoch",
              "train_one_epoch", "gradient_descent_step", "gradient_descent", "sgd", "update", "learn", "optimize")
#: Entries of a params dict that are caches or gradients, not parameters (a forward pass may store them there).
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


def detect(src: Source) -> str | None:
    name, fn = _step(src)
    if fn is None or not discover(src.obj):
        return None
    return f"a training step {name}()"


def build(src: Source, data: Any, *, lr: float | None = None, loss: str | None = None, **_: Any) -> Problem:
    """A Problem whose gradients are recovered from one call of the net's training step.

    When the recovered gradient changes with the learning rate (the step updates more than
    once per call: once per example, per mini-batch), the check runs on the first example
    alone, where one call is one update; when even that is not linear, an AdapterError. When
    only layers below the output change with it, the step backpropagates through weights it
    has already updated: it is checked as it is, at its learning rate, with a note.
    """
    problem, linear = _build(src, data, lr=lr, loss=loss)
    if linear:
        return problem
    step_name = _step(src)[0]
    if problem.data is not None:
        X, y = problem.data
        one = _first_example(X, y)
        if one is not None:
            problem, linear = _build(src, one, lr=lr, loss=loss)
            if linear:
                problem.meta["recognized"] += (
                    f"; rerun on the first example alone: with all {_examples(X, y)} examples the gradient "
                    f"{step_name}() applies changed with the learning rate (it updates more than once per call, "
                    f"e.g. once per example), and on one example one call is one update")
                return problem
    raise AdapterError(
        f"the gradient {step_name}() applies changes with the learning rate even on one example: it updates "
        f"more than once per call (an inner loop over epochs or mini-batches that gradcheck cannot set to one "
        f"pass?) or uses weights it has already updated (or does not use the learning rate gradcheck gives it), so the gradient cannot be read off one call. Give "
        f"{step_name}() an epochs argument (gradcheck sets it to 1), or check the gradient function it calls")


def _examples(X: Any, y: Any) -> int:
    from ._losses import examples_in

    return len(X) if isinstance(X, list) else examples_in(X, y)


def _scale(g: np.ndarray) -> float:
    finite = np.abs(g[np.isfinite(g)])
    return max(1.0, float(finite.max())) if finite.size else 1.0


def _first_example(X: Any, y: Any) -> tuple[Any, Any] | None:
    """``(X, y)`` cut to their first example (rows, or columns when only the columns agree); None
    when there is only one, or no example axis to cut."""
    if isinstance(X, list) and isinstance(y, list) and len(X) == len(y) > 1:
        return X[:1], y[:1]
    if not isinstance(X, np.ndarray) or not isinstance(y, np.ndarray) or X.ndim == 0 or y.ndim == 0:
        return None
    if X.ndim >= 2 and y.shape[0] != X.shape[0] and y.shape[-1] == X.shape[-1] and X.shape[-1] > 1:
        return X[..., :1], y[..., :1]
    if y.shape[0] == X.shape[0] and X.shape[0] > 1:
        return X[:1], y[:1]
    return None


def _build(src: Source, data: Any, *, lr: float | None, loss: str | None) -> tuple[Problem, bool]:
    """The Problem, and whether the recovered gradient is the same at a much smaller learning rate."""
    step_name, step = _step(src)
    if step is None:
        raise AdapterError(f"expected {EXPECTED}; found {src.describe()} with {public_names(src)}")
    params = discover(src.obj)
    if not params:
        raise AdapterError(f"found {step_name}() but no weight arrays on {src.describe()}")
    if data is None:
        data, _ = find_data(src)
    if data is None:
        raise AdapterError(f"found {step_name}() but no data: define X and y beside the net or pass them in")
    X, y = data
    attrs = data_attrs(src.obj, step, {"X": X, "y": y, "params": params, "lr": 1.0, "epochs": 1}, src)
    loss_fn, loss_desc = net_loss(src, params, data, loss, attrs)
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
    from ._losses import examples_in

    n_examples = examples_in(X, y)
    if rate == 0:
        raise AdapterError("the learning rate is 0: a step that does not move cannot show a gradient")

    notes: list[str] = []
    step_rate = [rate]
    zeroed_args, zeroed_attrs, state_note = momentum_off(src, step, step_name)

    added: list[str] = []  # the notes of the last step (each step says its own)

    def grads() -> dict[str, np.ndarray]:
        for n in added:
            if n in notes:
                notes.remove(n)
        added.clear()
        rate = step_rate[0]
        with restored_state(root, params):
            old = {k: v.copy() for k, v in params.items()}
            if lr_attr is not None and "lr" not in roles:
                _set(src.obj, lr_attr, rate)
            for e in epoch_attrs:
                _set(src.obj, e, 1)
            for a in zeroed_attrs:
                _set(src.obj, a, 0.0)
            values = {"X": X, "y": y, "params": params, "lr": rate, "epochs": 1, "batch_size": n_examples}
            values.update({f"arg:{a}": 0.0 for a in zeroed_args})
            try:
                call(step, values, order=("X", "y"), extra=src, what=step_name)
                recorded: dict[str, list[np.ndarray]] = {}
            except ValueError as exc:
                if "non-broadcastable output operand" not in str(exc):
                    raise
                for k, v in params.items():  # the failed step may have moved some parameters already
                    np.copyto(v, old[k])
                recorded = _step_recording_updates(root, params, lambda: call(step, values, order=("X", "y"), extra=src))
            after = _reread(src.obj, params, added)
            out = {k: (old[k] - after[k]) / rate for k in params}
            for k, ops in recorded.items():
                out[k] = -sum(ops) / rate
                added.append(f"{step_name}() could not apply its update to {k} {params[k].shape} in place: the update "
                             f"has shape {out[k].shape}; that shape was compared")
            notes.extend(added)
            return out

    def loss() -> Any:
        with no_new_entries(src.obj):
            return loss_fn()

    linear = True
    notes_after: list[str] = []
    if "lr" in roles or lr_attr is not None:  # a pure gradient step moves by lr * g: the same g at a much smaller lr
        try:
            g1 = grads()
            step_rate[0] = rate * 1e-3
            g2 = grads()
            moving = [k for k in params if g1[k].shape == g2[k].shape and not np.allclose(
                g1[k], g2[k], rtol=1e-3, atol=1e-9 * _scale(g1[k]), equal_nan=True)]
            linear = not moving
            if moving and _lower_layers_only(moving, list(params)):
                # the output layer's update is a plain lr * g, the layers below it are not: one update per
                # call whose backward pass goes through weights it has already updated; check it at its lr
                linear = True
                notes_after.append(
                    f"the update {step_name}() applies to {', '.join(moving)} changes with the learning rate while "
                    f"the output layer's does not: its backward pass uses weights it has already updated in this "
                    f"step (update the weights only after every gradient is computed); checked at lr = {rate:g}")
        except Exception:  # noqa: BLE001 - only a probe; the step's own errors show in the check
            pass
        finally:
            step_rate[0] = rate
            notes.clear()
            notes.extend(notes_after)

    return Problem(
        params=params, loss=loss, grads=grads, data=data,
        meta={"notes": notes, "recognized": f"training step: gradient recovered from one {step_name}() (W -= lr * dW) with {lr_desc}; "
                            f"loss {loss_desc}; parameters [{', '.join(params)}], put back after each step{state_note}"},
    ), linear


def _lower_layers_only(moving: list[str], names: list[str]) -> bool:
    """True when every parameter of the output layer is outside ``moving`` (layer numbers in the names)."""
    from ..layers import layer_number

    numbers = {n: layer_number(n) for n in names}
    if any(v is None for v in numbers.values()):
        return False
    top = max(numbers.values())  # type: ignore[type-var]
    return all(numbers[n] != top for n in moving) and len(moving) < len(names)


class _Recorder(np.ndarray):
    """A view of a parameter whose in-place update (``W -= lr * dW``) is recorded when numpy
    cannot broadcast it into the parameter (a bias gradient with one column per example)."""

    def __isub__(self, other: Any) -> Any:
        return self._update(other, -1.0)

    def __iadd__(self, other: Any) -> Any:
        return self._update(other, 1.0)

    def _update(self, other: Any, sign: float) -> Any:
        log = self.__dict__.get("_gradcheck_log")
        try:
            (np.subtract if sign < 0 else np.add)(self, other, out=self)
        except ValueError:
            if log is None:
                raise
            log.append(sign * np.array(other, dtype=np.float64))
        return self


def _step_recording_updates(root: Any, params: dict[str, np.ndarray], run: Callable[[], Any]) -> dict[str, list[np.ndarray]]:
    """Run the step again with every parameter binding replaced by a recording view; the
    updates numpy could not apply, by parameter. (The caller restores bindings and bits.)"""
    logs: dict[str, list[np.ndarray]] = {k: [] for k in params}
    views: dict[int, np.ndarray] = {}
    for k, p in params.items():
        v = p.view(_Recorder)
        v.__dict__["_gradcheck_log"] = logs[k]
        views[id(p)] = v
    for c in containers(root):
        if isinstance(c, dict):
            for key, val in list(c.items()):
                if id(val) in views:
                    c[key] = views[id(val)]
        elif isinstance(c, list):
            for i, val in enumerate(c):
                if id(val) in views:
                    c[i] = views[id(val)]
        elif hasattr(c, "__dict__"):
            for key, val in list(vars(c).items()):
                if id(val) in views:
                    setattr(c, key, views[id(val)])
    run()
    return {k: v for k, v in logs.items() if v}


def _set(obj: Any, name: str, value: Any) -> None:
    if isinstance(obj, dict):
        obj[name] = value
    else:
        setattr(obj, name, value)


def _reread(obj: Any, params: dict[str, np.ndarray], notes: list[str]) -> dict[str, np.ndarray]:
    """The parameters after the step, also when the step rebound them (``self.W = self.W - ...``)."""
    now = discover(obj) if not isinstance(obj, types.ModuleType) else {}
    out = {}
    for k, v in params.items():
        n = now.get(k)
        n = np.asarray(n, dtype=np.float64) if isinstance(n, np.ndarray) else np.asarray(v, dtype=np.float64)
        if n.shape != v.shape and n.size == v.size:
            # broadcasting in the step turned a (6,) bias into (1, 6): same values, compared in the parameter's shape
            notes.append(f"the step changed the shape of {k} from {v.shape} to {n.shape} (broadcasting); "
                         f"its values were compared in the shape {v.shape}")
            n = n.reshape(v.shape)
        out[k] = n
    return out

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

import contextlib
import inspect
import re
import sys
import types
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from ..errors import AdapterError
from ..layers import layer_number
from ..problem import Problem
from ._access import ROLES, Source, arg_names, call, is_fn, net_values_of, required_args, role_of
from ._data import find_data
from ._losses import examples_in
from ._net_loss import FORWARD_NAMES, data_attrs, net_loss, no_new_entries, public_names
from ._optimizer import momentum_off
from ._params import discover
from ._state import containers, restored_state
from ._step_args import int_keywords, pass_counts, rate_argument

NAME = "train-step"
STEP_NAMES = ("train_step", "training_step", "step", "train", "fit", "sgd_step", "train_one_step", "train_epoch",
              "train_one_epoch", "gradient_descent_step", "gradient_descent", "sgd", "update", "learn", "optimize")
#: Entries of a params dict that are caches or gradients, not parameters (a forward pass may store them there).
EXPECTED = ("a net with a training step (train(X, y, ...) doing W -= lr * dW), its weights as attributes, "
            "and a loss: loss(X, y), or forward(X) with a cost of the output")


#: Gradient methods that, taking no argument, update the weights of a net that holds its own data
#: (``feedforward()`` then ``backprop()`` doing ``self.weights1 += d_weights1``).
STATEFUL_STEP_NAMES = ("backprop", "backpropagation", "back_propagation", "backward", "backward_pass",
                       "backward_propagation", "update", "update_weights")
#: A pure gradient step moves by lr * g: the recovered g at LINEAR_PROBE times the learning rate must
#: agree with the one at the learning rate (to LINEAR_RTOL) for one call to be one update.
LINEAR_PROBE = 1e-3
LINEAR_RTOL = 1e-3


def _step(src: Source) -> tuple[str | None, Any]:
    """``(name, callable)`` of the net's training step: the method another convention handed over
    (``src.step_name``), a method named like a step, or ``forward(); backprop()`` on a net that holds
    its data."""
    override = getattr(src, "step_name", None)
    names = ((override,) if override else ()) + STEP_NAMES
    for name in names:
        fn = src.get(name)
        if not is_fn(fn):
            continue
        arg = arg_names(fn)
        if arg is None:
            continue
        roles = [role_of(n) for n in arg]
        if "cache" in roles or "output" in roles or "dout" in roles:
            continue
        return name, fn
    return _stateful_step(src)


def _stateful_step(src: Source) -> tuple[str | None, Any]:
    """``forward(); backprop()`` for a net that holds its data: both take no argument."""
    if isinstance(src.obj, types.ModuleType):
        return None, None
    fname, fwd = src.first(FORWARD_NAMES, lambda v: is_fn(v) and not required_args(v))
    bname, back = src.first(STATEFUL_STEP_NAMES, lambda v: is_fn(v) and not required_args(v))
    if fwd is None or back is None:
        return None, None

    def step() -> None:
        fwd()
        back()

    step.__name__ = f"{fname}(); {bname}"
    return step.__name__, step


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
        f"{step_name}() an epochs argument (gradcheck sets it to 1), or check the gradient function it calls"
        f"{_pass_advice(_step(src)[1], {})}")


def _moves_something(run: _Run, rate: float) -> None:
    """An AdapterError when one call of the step leaves every parameter as it was: it updates arrays of its
    own (a ``train()`` that builds its parameters with an initializer, or returns new ones), and reading
    a gradient of zero off it would blame the user's backward pass for what is gradcheck's misreading."""
    try:
        moved = run.gradient(rate)
    except Exception:  # noqa: BLE001 - only a probe; the step's own errors show in the check
        return
    if moved and all(np.all(g == 0) for g in moved.values()):
        raise AdapterError(
            f"{run.step_name}() moved none of the parameters gradcheck found ({', '.join(run.params)}): it "
            f"updates arrays of its own (does it build its parameters, e.g. with an initializer, or return new "
            f"ones instead of updating these in place?), so no gradient can be read off it. Point gradcheck at "
            f"the functions that compute the gradients (docs/adapters.md lists the conventions), or make "
            f"{run.step_name}() update these arrays")


def _given(src: Source) -> dict[str, Any]:
    """The values the user gave with --set (``as_problem(values=...)``)."""
    nv = net_values_of(src)
    if nv is None:
        return {}
    return {n: nv.values[n] for n, o in nv.origins.items() if o == "--set" and n in nv.values}


def _vocabulary_passes(step: Any, given: dict[str, Any]) -> list[str]:
    """``num_passes = 1 (its pass count; default 20000)`` for a pass count known by its name."""
    try:
        ps = inspect.signature(step).parameters.values()
    except (TypeError, ValueError):
        return []
    return [f"{p.name} = 1 (its pass count; default {p.default})" for p in ps
            if role_of(p.name) == "epochs" and type(p.default) is int and p.default > 1 and p.name not in given]


def _pass_advice(step: Any, done: dict[str, Any]) -> str:
    """``; if num_loops counts passes, --set num_loops=1``: integer keywords left as they were."""
    left = [n for n in int_keywords(step) if n not in done]
    return f"; if {' or '.join(left)} counts passes, --set {left[0]}=1" if left else ""


def _examples(X: Any, y: Any) -> int:
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


def _learning_rate(src: Source, step_name: str, roles: set[str | None], lr: float | None) -> tuple[float, str | None, str]:
    """``(rate, attribute or None, description)``: the rate the step is run at and where it is set."""
    lr_attr = next((n for n in ROLES["lr"] if isinstance(src.get(n), (int, float)) and not isinstance(src.get(n), bool)),
                   None)
    if "lr" in roles:
        rate = 1.0 if lr is None else float(lr)
        return rate, None, f"lr = {rate:g} passed to {step_name}()"
    if lr_attr is not None and lr is None:
        return float(src.get(lr_attr)), lr_attr, f"lr = {float(src.get(lr_attr)):g} read from .{lr_attr}"
    if lr is not None:
        return float(lr), lr_attr, f"lr = {float(lr):g} as given" + (f" (set as .{lr_attr} for the step)" if lr_attr else "")
    return 1.0, None, (f"lr = 1 assumed ({step_name}() takes no learning rate; e.g. lr = 1/epoch is 1 at the first "
                       f"epoch, and a step that folds the rate into its update has rate 1; {_rate_line(src, step_name)})")


def _rate_line(src: Source, step_name: str) -> str:
    """Where a step sets a learning rate of its own, for the advice: ``train() line 31: lr = 0.5 / epoch``."""
    fn = src.get(step_name.split("(")[0]) if "(" not in step_name or ";" not in step_name else None
    if fn is None:
        return "pass --lr if it differs"
    try:
        lines, start = inspect.getsourcelines(fn)
    except (TypeError, OSError):
        return "pass --lr if it differs"
    pattern = re.compile(r"^\s*(self\.)?(" + "|".join(ROLES["lr"]) + r")\s*=", re.I)
    for i, line in enumerate(lines):
        if pattern.match(line):
            return (f"{step_name}() sets its own rate at line {start + i}: {line.strip()}; pass --lr with the value it "
                    f"has at the first epoch, or make it an argument of {step_name}()")
    return "pass --lr if it differs"


class _Run:
    """One call of the training step, with the parameters read before and after and put back."""

    def __init__(self, src: Source, step: Any, step_name: str, params: dict[str, np.ndarray], data: Any,
                 rate: float, lr_attr: str | None, roles: set[str | None]) -> None:
        self.src, self.step, self.step_name, self.params = src, step, step_name, params
        self.X, self.y = data
        self.rate, self.lr_attr, self.roles = rate, lr_attr, roles
        self.root = src.obj if not isinstance(src.obj, types.ModuleType) else params
        self.epoch_attrs = [n for n in ROLES["epochs"] if isinstance(src.get(n), int) and not isinstance(src.get(n), bool)]
        self.zeroed_args, self.zeroed_attrs, self.state_note = momentum_off(src, step, step_name)
        self.n_examples = examples_in(self.X, self.y)
        self.notes: list[str] = []
        self.used_rate: float | None = None  # the rate the step set for itself (read off .lr after the call)
        self.used_from = ""
        self.local_rate: dict[str, Any] = {}
        self.given = False  # a rate the user gave (--lr) is the rate, whatever the step computes
        self.overrides: dict[str, Any] = {}  # keyword arguments set for every call (a pass count at 1)
        self.rate_arg: str | None = None  # a keyword found by probing to be the learning rate (epsilon=0.01)

    def _prepare(self, rate: float) -> dict[str, Any]:
        if self.lr_attr is not None and "lr" not in self.roles:
            _set(self.src.obj, self.lr_attr, rate)
        for e in self.epoch_attrs:
            _set(self.src.obj, e, 1)
        for a in self.zeroed_attrs:
            _set(self.src.obj, a, 0.0)
        values = {"X": self.X, "y": self.y, "params": self.params, "lr": rate, "epochs": 1,
                  "batch_size": self.n_examples}
        values.update({f"arg:{a}": 0.0 for a in self.zeroed_args})
        values.update({f"arg:{a}": v for a, v in self.overrides.items()})
        if self.rate_arg is not None:
            values[f"arg:{self.rate_arg}"] = rate
        return values

    def moved(self, rate: float) -> Callable[[dict[str, Any]], dict[str, np.ndarray]]:
        """``move(overrides)``: the gradient of one call with some keyword arguments set (for probing)."""
        def move(over: dict[str, Any]) -> dict[str, np.ndarray]:
            saved = dict(self.overrides)
            self.overrides.update(over)
            try:
                return self.gradient(rate)
            finally:
                self.overrides = saved
        return move

    def probe(self, rate: float, lr: float | None, lr_desc: str) -> tuple[float, str]:
        """Set the step's pass counts to 1 and find its learning-rate keyword (module docstring of
        :mod:`._step_args`); ``(the rate to run at, what to say of it)``, the pass counts said too."""
        given = _given(self.src)
        passes = [n for n in pass_counts(self.step, self.moved(rate)) if n not in given]
        self.overrides.update({n: 1 for n in passes})
        said = [f"{n} = 1 ({self.step_name}() with {n} = 2 moves the weights otherwise: read as its pass count)"
                for n in passes] + _vocabulary_passes(self.step, given)
        if "lr" not in self.roles and self.lr_attr is None and self.used_rate is None:
            name, others = rate_argument(self.step, self.moved(rate))
            if name is not None:
                self.rate_arg = name
                self.roles.add("lr")
                rate = float(given[name]) if name in given and lr is None else 1.0 if lr is None else float(lr)
                lr_desc = (f"lr = {rate:g} passed as {name} (halving {name} halves the step: read as the learning "
                           f"rate{'; --set' if name in given and lr is None else ''})")
            elif others and lr is None:
                lr_desc += (f"; no learning rate among {self.step_name}()'s float arguments "
                            f"({', '.join(others)}: none moves the step in proportion)")
        return rate, lr_desc + "".join(f"; {p}" for p in said)

    def gradient(self, rate: float) -> dict[str, np.ndarray]:
        """``(old - new) / lr`` over one call at ``rate`` (or at the rate the step sets for itself)."""
        self.notes.clear()
        with restored_state(self.root, self.params):
            old = {k: v.copy() for k, v in self.params.items()}
            values = self._prepare(rate)
            recorded = self._call(values, old)
            used = self._rate_used(rate)
            after = _reread(self.src.obj, self.params, self.notes)
            out = {k: (old[k] - after[k]) / used for k in self.params}
            for k, ops in recorded.items():
                out[k] = -sum(ops) / used
                self.notes.append(f"{self.step_name}() could not apply its update to {k} {self.params[k].shape} in "
                                  f"place: the update has shape {out[k].shape}; that shape was compared")
            return out

    def _call(self, values: dict[str, Any], old: dict[str, np.ndarray]) -> dict[str, list[np.ndarray]]:
        try:
            with _local_rate(self.step) as self.local_rate:
                call(self.step, values, order=("X", "y"), extra=self.src, what=self.step_name)
            return {}
        except ValueError as exc:
            if "non-broadcastable output operand" not in str(exc):
                raise
        for k, v in self.params.items():  # the failed step may have moved some parameters already
            np.copyto(v, old[k])
        return _step_recording_updates(self.root, self.params,
                                       lambda: call(self.step, values, order=("X", "y"), extra=self.src))

    def _rate_used(self, rate: float) -> float:
        """The rate the step applied: the one set, unless the step set ``.lr`` itself (``self.lr = 1 / epoch``)
        or computed one of its own (``lr = 0.5 / epoch``, read off the step's locals when it returns)."""
        if "lr" in self.roles or self.given:
            return rate
        local = self.local_rate.get("value") if self.local_rate else None
        if self.lr_attr is None and local:
            self.used_rate, self.used_from = float(local), f"the local {self.local_rate['name']} of {self.step_name}()"
            return float(local)
        if self.lr_attr is None:
            return rate
        now = self.src.get(self.lr_attr)
        if isinstance(now, (int, float)) and not isinstance(now, bool) and now != rate and now != 0:
            self.used_rate, self.used_from = float(now), f".{self.lr_attr} after the call"
            return float(now)
        return rate


#: Names of a learning rate a step may compute for itself (``lr = 0.5 / epoch``).
_RATE_NAMES = frozenset(ROLES["lr"])


@contextlib.contextmanager
def _local_rate(step: Any) -> Iterator[dict[str, Any]]:
    """Record the learning-rate-named local of ``step`` when its frame returns: ``{"name", "value"}``."""
    code = getattr(getattr(step, "__func__", step), "__code__", None)
    found: dict[str, Any] = {}
    if code is None or not _RATE_NAMES & set(code.co_varnames):
        yield found
        return

    def profile(frame: Any, event: str, arg: Any) -> None:
        if event == "return" and frame.f_code is code:
            for name in code.co_varnames:
                v = frame.f_locals.get(name)
                if name.lower() in _RATE_NAMES and isinstance(v, (int, float)) and not isinstance(v, bool):
                    found.update(name=name, value=float(v))
                    break

    old = sys.getprofile()
    sys.setprofile(profile)
    try:
        yield found
    finally:
        sys.setprofile(old)


def _sets_local_rate(run: _Run, rate: float) -> bool:
    """One call at ``rate`` tells whether the step computed a rate of its own (then it is read, not probed)."""
    try:
        run.gradient(rate)
    except Exception:  # noqa: BLE001 - only a probe; the step's own errors show in the check
        return False
    return run.used_rate is not None


def _build(src: Source, data: Any, *, lr: float | None, loss: str | None) -> tuple[Problem, bool]:
    """The Problem, and whether the recovered gradient is the same at a much smaller learning rate."""
    found, step = _step(src)
    if step is None or found is None:
        raise AdapterError(f"expected {EXPECTED}; found {src.describe()} with {public_names(src)}")
    step_name = found
    params = discover(src.obj)
    if not params:
        raise AdapterError(f"found {step_name}() but no weight arrays on {src.describe()}")
    data = data if data is not None else find_data(src)[0]
    if data is None:
        raise AdapterError(f"found {step_name}() but no data: define X and y beside the net or pass them in")
    X, y = data
    attrs = data_attrs(src.obj, step, {"X": X, "y": y, "params": params, "lr": 1.0, "epochs": 1}, src)
    loss_fn, loss_desc = net_loss(src, params, data, loss, attrs)
    roles = {role_of(n) for n in (arg_names(step) or [])}
    rate, lr_attr, lr_desc = _learning_rate(src, step_name, roles, lr)
    if rate == 0:
        raise AdapterError("the learning rate is 0: a step that does not move cannot show a gradient")
    run = _Run(src, step, step_name, params, data, rate, lr_attr, roles)
    run.given = lr is not None
    rate, lr_desc = run.probe(rate, lr, lr_desc)
    _moves_something(run, rate)
    notes: list[str] = []
    linear = True
    if "lr" in roles or lr_attr is not None or _sets_local_rate(run, rate):
        linear, probe_notes = _linear(run, rate)
        notes.extend(probe_notes)
    if run.used_rate is not None:
        lr_desc = f"lr = {run.used_rate:g} read from {run.used_from} ({step_name}() sets its own learning rate)"
    step_notes = run.notes

    def grads() -> dict[str, np.ndarray]:
        out = run.gradient(rate)
        notes[:] = [n for n in notes if n not in step_notes] + list(step_notes)
        return out

    def loss_now() -> Any:
        with no_new_entries(src.obj):
            return loss_fn()

    return Problem(
        params=params, loss=loss_now, grads=grads, data=data,
        meta={"notes": notes, "recognized": f"training step: gradient recovered from one {step_name}() (W -= lr * dW) "
                                            f"with {lr_desc}; loss {loss_desc}; parameters [{', '.join(params)}], put "
                                            f"back after each step{run.state_note}"},
    ), linear


def _linear(run: _Run, rate: float) -> tuple[bool, list[str]]:
    """Whether one call is one update: the gradient recovered at a much smaller rate is the same. When only the
    layers below the output move, the step propagates through weights it has already updated: checked as it is."""
    try:
        g1 = run.gradient(rate)
        if run.used_rate is not None:
            return True, []  # the step sets its own rate: there is no other rate to compare with
        g2 = run.gradient(rate * LINEAR_PROBE)
    except Exception:  # noqa: BLE001 - only a probe; the step's own errors show in the check
        return True, []
    params = run.params
    moving = [k for k in params if g1[k].shape == g2[k].shape and not np.allclose(
        g1[k], g2[k], rtol=LINEAR_RTOL, atol=1e-9 * _scale(g1[k]), equal_nan=True)]
    if moving and _lower_layers_only(moving, list(params)):
        return True, [
            f"the update {run.step_name}() applies to {', '.join(moving)} changes with the learning rate while "
            f"the output layer's does not: its backward pass uses weights it has already updated in this "
            f"step (update the weights only after every gradient is computed); checked at lr = {rate:g}"]
    return not moving, []


def _lower_layers_only(moving: list[str], names: list[str]) -> bool:
    """True when every parameter of the output layer is outside ``moving`` (layer numbers in the names)."""
    numbers = {n: layer_number(n) for n in names}
    if any(v is None for v in numbers.values()):
        return False
    top = max(numbers.values())  # type: ignore[type-var]
    return all(numbers[n] != top for n in moving) and len(moving) < len(names)


class _Recorder(np.ndarray):
    """A view of a parameter whose in-place update (``W -= lr * dW``) is recorded when numpy
    cannot broadcast it into the parameter (a bias gradient with one column per example)."""

    def __isub__(self, other: Any) -> Any:  # type: ignore[misc]  # an update recorded, not an ndarray result
        return self._update(other, -1.0)

    def __iadd__(self, other: Any) -> Any:  # type: ignore[misc]  # an update recorded, not an ndarray result
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

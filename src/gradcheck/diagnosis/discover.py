"""Finding the data ``(X, y)`` a loss is computed on, when nobody passed it.

One set of rules pairs arrays into ``(X, y)`` by their names (``X, y``, ``inputs, labels``,
``training_data``, ...; :func:`candidate_pairs`). The CLI applies them to the names beside a net
(``gradcheck.adapters``); :func:`discover_data` applies them to what a ``loss`` callable reads:
its closure cells, the globals it names (and those of the functions it names), the attributes of
a bound ``self`` or of a callable object, a ``functools.partial``'s arguments, and the objects
reachable one level down from those (``self.data.X``, a ``net`` in the closure).

A pair is taken only when the loss's own output confirms it:

- ``"reproduced"``: a standard dense net (:func:`gradcheck.diagnosis.model.infer.infer_arch`) or a
  vanilla recurrent net (:func:`gradcheck.diagnosis.model.rnn.infer_rnn`) inferred on that data
  reproduces the loss value at the current and at nearby parameters; pairs found by their shapes
  alone (no telling names) must pass this test;
- ``"read"``: a pair found by its names, on a net no standard dense net reproduces: changing
  ``X`` changes the loss, and so does changing any one target (each is restored bit for bit at
  once). Such data give the diagnosis the batch size only.

Nothing is guessed silently: the report says where the data came from (``report.data_source``),
and the diagnosis uses it for naming only; the verdict never depends on it.

Example:
    >>> import numpy as np
    >>> def make_net(rng):
    ...     X, y = rng.normal(size=(8, 3)), rng.normal(size=(8, 1))
    ...     params = {"W": rng.normal(size=(3, 1)), "b": np.zeros(1)}
    ...     return params, lambda: float(0.5 * ((X @ params["W"] + params["b"] - y) ** 2).mean())
    >>> params, loss = make_net(np.random.default_rng(0))
    >>> found = discover_data(params, loss)
    >>> found.line, found.confirmed
    ("X (8, 3), y (8, 1) from loss's closure", 'reproduced')
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import re
import types
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from types import EllipsisType
from typing import Any

import numpy as np

from ..layers import Pairing, input_name
from ..problem import protected
from .model.infer import infer_arch
from .model.rnn import infer_rnn

__all__ = ["DATA_PAIRS", "DataSource", "candidate_pairs", "discover_data", "loss_states", "reachable", "with_found_data"]

#: (inputs, targets) names, most telling first.
DATA_PAIRS = (
    ("X", "y"), ("X", "Y"), ("x", "y"), ("inputs", "labels"), ("inputs", "targets"), ("X_train", "y_train"),
    ("X_train", "Y_train"), ("x_train", "y_train"), ("train_X", "train_Y"), ("train_x", "train_y"),
    ("features", "labels"), ("features", "targets"), ("data", "labels"), ("X_batch", "y_batch"),
)
#: Functions that build a data set when called without arguments (only beside a net, never from a loss).
DATA_FACTORIES = ("init_toy_data", "toy_data", "make_data", "load_data", "get_data", "generate_data",
                  "create_data", "make_dataset", "load_dataset", "get_batch", "sample_data")
#: Names of one object holding both halves: ``(X, y)`` or a list of ``(x, y)`` examples.
DATA_SINGLES = ("data", "batch", "training_data", "train_data", "dataset")
#: The most candidate pairs tested against the loss: each test runs the architecture inference.
MAX_PAIRS = 8
#: The most arrays of one namespace paired by shape alone (pairs grow as its square).
MAX_SHAPE_ARRAYS = 8
#: A changed input or target must move the loss by more than this (relative): the loss reads it.
READ_RTOL = 1e-9
#: How deep the functions a loss calls (and the functions they call) are followed.
CALL_DEPTH = 3
#: Examples changed one at a time (besides the first and the last) to confirm the loss reads them all.
READ_EXAMPLES = 6

_X_RE = re.compile(r"^(xs?|inputs?|features?|samples?)(_\w+)?$|^\w+_(xs?|inputs?|features?|samples?)$", re.I)
_Y_RE = re.compile(r"^(ys?|labels?|targets?|outputs?|t)(_\w+)?$|^\w+_(ys?|labels?|targets?|outputs?)$", re.I)


def _is_data(v: Any) -> bool:
    if isinstance(v, np.ndarray):
        return v.size > 0 and (np.issubdtype(v.dtype, np.number) or v.dtype == bool)
    return isinstance(v, list) and len(v) > 0 and not callable(v[0])


def _affix(name: str) -> str:
    return re.sub(r"(?i)^(x|y|inputs?|features?|samples?|labels?|targets?|outputs?|t)_?|_?(x|y|inputs?|features?|samples?|labels?|targets?|outputs?)$", "", name)


def _all_defaults(fn: Any) -> bool:
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return False
    return all(p.default is not p.empty or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) for p in sig.parameters.values())


def candidate_pairs(src: Any, *, factories: bool = True) -> Iterator[tuple[Any, str]]:
    """``((X, y), "names")`` pairs that ``src`` holds under telling names, most telling first.

    ``src`` answers ``get(name)`` and ``names()`` (a :class:`Namespace`, or an adapter's Source).
    ``factories``: also call ``init_toy_data()`` and the like (beside a net, not inside a loss).

    >>> ns = Namespace({"inputs": np.ones((4, 2)), "labels": np.zeros((4, 1)), "lr": 0.1})
    >>> [names for _, names in candidate_pairs(ns)]
    ['inputs, labels']
    """
    seen: set[tuple[int, int]] = set()
    finders = (_named_pairs, _singles, _factories if factories else None, _patterns)
    for finder in finders:
        if finder is None:
            continue
        for data, names in finder(src):
            key = (id(data[0]), id(data[1])) if isinstance(data, tuple) and len(data) == 2 else (id(data), id(data))
            if key not in seen:
                seen.add(key)
                yield data, names


def _named_pairs(src: Any) -> Iterator[tuple[Any, str]]:
    for xn, yn in DATA_PAIRS:
        x, y = src.get(xn), src.get(yn)
        if x is not None and y is not None and not callable(x) and not callable(y):
            yield (x, y), f"{xn}, {yn}"


def _singles(src: Any) -> Iterator[tuple[Any, str]]:
    for n in DATA_SINGLES:
        v = src.get(n)
        if isinstance(v, tuple) and len(v) == 2 and not callable(v[0]):
            yield v, n
        elif isinstance(v, list) and v and isinstance(v[0], tuple) and len(v[0]) == 2:
            yield v, n  # a list of (x, y) examples, Nielsen style


def _factories(src: Any) -> Iterator[tuple[Any, str]]:
    for n in DATA_FACTORIES:
        fn = src.get(n)
        if callable(fn) and not isinstance(fn, type) and _all_defaults(fn):
            try:
                v = fn()
            except Exception:  # noqa: BLE001 - a data function that fails is just not used
                continue
            if isinstance(v, tuple) and len(v) == 2:
                yield v, f"{n}()"


def _patterns(src: Any) -> Iterator[tuple[Any, str]]:
    names = [n for n in src.names() if not n.startswith("_")]
    xs = [n for n in names if _X_RE.match(n) and _is_data(src.get(n))]
    ys = [n for n in names if _Y_RE.match(n) and _is_data(src.get(n))]
    pairs = sorted(((xn, yn) for xn in xs for yn in ys if xn != yn), key=lambda p: _affix(p[0]) != _affix(p[1]))
    for xn, yn in pairs:
        yield (src.get(xn), src.get(yn)), f"{xn}, {yn}"


def shape_pairs(src: Any) -> Iterator[tuple[Any, str]]:
    """``((X, y), "names")`` for arrays of ``src`` that share their example axis (first or last),
    whatever their names; the wider array is taken as ``X`` (both orders when they are as wide).
    Only a reproduced loss confirms these.

    >>> ns = Namespace({"inp": np.ones((5, 3)), "tgt": np.zeros((5, 1))})
    >>> [names for _, names in shape_pairs(ns)]
    ['inp, tgt']
    """
    arrays = [(n, src.get(n)) for n in src.names() if not n.startswith("_")]
    arrays = [(n, v) for n, v in arrays if isinstance(v, np.ndarray) and v.ndim >= 1 and _is_data(v)][:MAX_SHAPE_ARRAYS]
    for (an, a), (bn, b) in ((p, q) for i, p in enumerate(arrays) for q in arrays[i + 1:]):
        if not (a.shape[0] == b.shape[0] or a.shape[-1] == b.shape[-1]):
            continue
        (xn, x), (yn, y) = ((an, a), (bn, b)) if a.size >= b.size else ((bn, b), (an, a))
        yield (x, y), f"{xn}, {yn}"
        if a.size == b.size:  # nothing tells inputs from targets (two token sequences): both orders
            yield (y, x), f"{yn}, {xn}"


class Namespace(dict):
    """Names a loss reads, as a dict answering ``names()`` like an adapter's Source; ``prefix``
    is the path to it (``"self."``, ``"net."``, ``"data["``).

    >>> Namespace({"X": 1}, "net.").qualify("X"), Namespace({"X": 1}, "data[").qualify("X")
    ('net.X', "data['X']")
    """

    def __init__(self, items: Mapping[str, Any], prefix: str = "") -> None:
        super().__init__(items)
        self.prefix = prefix

    def names(self) -> list[str]:
        return [k for k in self if isinstance(k, str)]

    def qualify(self, name: str) -> str:
        """``name`` with its path."""
        return f"{self.prefix}{name!r}]" if self.prefix.endswith("[") else f"{self.prefix}{name}"

    def pairs(self) -> Iterator[tuple[Any, str, bool]]:
        """``(data, qualified names, found by name)``: candidate pairs by name, then by shape."""
        for found, by_name in ((candidate_pairs(self, factories=False), True), (shape_pairs(self), False)):
            for data, names in found:
                yield data, ", ".join(self.qualify(n) for n in names.split(", ")), by_name


# -- what a loss reads -------------------------------------------------------------


def _code_names(code: types.CodeType) -> set[str]:
    """Global and attribute names used by ``code`` and the functions defined inside it."""
    out = set(code.co_names)
    for c in code.co_consts:
        if isinstance(c, types.CodeType):
            out |= _code_names(c)
    return out


def _closure(fn: types.FunctionType) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, cell in zip(fn.__code__.co_freevars, fn.__closure__ or ()):
        try:
            out[name] = cell.cell_contents
        except ValueError:  # an empty cell
            continue
    return out


def _globals(fn: types.FunctionType) -> dict[str, Any]:
    g = fn.__globals__
    return {n: g[n] for n in sorted(_code_names(fn.__code__)) if n in g and not isinstance(g[n], types.ModuleType)}


def _attributes(obj: Any) -> dict[str, Any]:
    try:
        return {k: v for k, v in vars(obj).items() if isinstance(k, str)}
    except TypeError:
        return {}


def _is_plain_object(v: Any) -> bool:
    """An object whose attributes may hold data: not an array, number, function, class or module."""
    if isinstance(v, (np.ndarray, np.generic, str, bytes, int, float, complex, bool, type, types.ModuleType,
                      types.FunctionType, types.BuiltinFunctionType, types.MethodType, functools.partial)):
        return False
    return v is not None and (isinstance(v, Mapping) or hasattr(v, "__dict__"))


def _unwrap(loss: Any) -> tuple[list[tuple[str, str, dict[str, Any]]], types.FunctionType | None]:
    """The namespaces around the function ``loss`` is (partial arguments, self) and that function."""
    spaces: list[tuple[str, str, dict[str, Any]]] = []
    fn = loss
    for _ in range(4):  # partial(partial(f)), a bound method inside a partial, ...
        if isinstance(fn, functools.partial):
            try:
                bound = inspect.signature(fn.func).bind_partial(*fn.args, **fn.keywords).arguments
            except (TypeError, ValueError):
                bound = dict(fn.keywords)
            spaces.append(("the partial's arguments", "", dict(bound)))
            fn = fn.func
        elif isinstance(fn, types.MethodType):
            spaces.append((f"the bound self ({type(fn.__self__).__name__})", "self.", _attributes(fn.__self__)))
            fn = fn.__func__
        elif not isinstance(fn, types.FunctionType) and callable(fn) and hasattr(fn, "__dict__"):
            spaces.append((f"the loss object ({type(fn).__name__})", "self.", _attributes(fn)))
            fn = type(fn).__call__
        else:
            break
    return spaces, fn if isinstance(fn, types.FunctionType) else None


def reachable(loss: Callable[[], Any]) -> list[tuple[str, Namespace]]:
    """``[(where, names)]``: what ``loss`` reads, nearest first, then one level down (whose
    namespaces know their path: ``net.X``, ``data['X']``).

    >>> X = np.ones((3, 2))
    >>> [where for where, ns in reachable(lambda: X.sum()) if "X" in ns]
    ["loss's globals"]
    """
    spaces, fn = _unwrap(loss)
    if fn is not None:
        cells, named = _closure(fn), _globals(fn)
        done = {id(fn)}
        for _ in range(CALL_DEPTH):  # the functions it calls: what they read is read by the loss
            callees = [v for v in list(named.values()) + list(cells.values())
                       if isinstance(v, types.FunctionType) and v.__module__ == fn.__module__ and id(v) not in done]
            for v in callees:
                done.add(id(v))
                cells.update({k: w for k, w in _closure(v).items() if k not in cells})
                named.update({k: w for k, w in _globals(v).items() if k not in named})
        spaces.insert(0, ("loss's closure", "", cells))
        spaces.append(("loss's globals", "", named))
    out = [(where, Namespace(ns, prefix)) for where, prefix, ns in spaces if ns]
    seen = {id(getattr(loss, "__self__", None))}
    for where, ns in list(out):
        for name, v in ns.items():
            if _is_plain_object(v) and id(v) not in seen:
                seen.add(id(v))
                mapping = isinstance(v, Mapping)
                inner = dict(v) if mapping else _attributes(v)
                if inner:
                    path = ns.qualify(name)
                    out.append((where, Namespace(inner, f"{path}[" if mapping else f"{path}.")))
    return out


# -- confirmation ---------------------------------------------------------------------


@dataclass
class DataSource:
    """Data found for a loss: the pair, the names it is held under, where, and how it was confirmed."""

    data: Any
    names: str
    where: str
    confirmed: str  # "reproduced" or "read"
    batch: int | None = None  # the number of examples, when the loss was seen to read each one

    @property
    def line(self) -> str:
        """What the report says: ``X (8, 3), y (8, 1) from loss's closure``."""
        return f"{_describe(self.data, self.names)} from {self.where}"


def _describe(data: Any, names: str) -> str:
    if isinstance(data, tuple) and len(data) == 2 and all(isinstance(d, np.ndarray) for d in data):
        parts = [n.strip() for n in names.split(",")]
        if len(parts) == 2:
            return f"{parts[0]} {_shape(data[0])}, {parts[1]} {_shape(data[1])}"
        return f"{names} (X {_shape(data[0])}, y {_shape(data[1])})"
    if isinstance(data, list):
        return f"{names} ({len(data)} (x, y) examples)"
    return names


def _shape(a: np.ndarray) -> str:
    return "(" + ", ".join(str(s) for s in a.shape) + ("," if a.ndim == 1 else "") + ")"


def _is_param(v: Any, params: Mapping[str, np.ndarray]) -> bool:
    return isinstance(v, np.ndarray) and any(v is p or np.shares_memory(v, p) for p in params.values())


def _usable(data: Any, params: Mapping[str, np.ndarray]) -> bool:
    if isinstance(data, tuple) and len(data) == 2:
        return not any(_is_param(d, params) for d in data) and all(_is_data(d) for d in data)
    return isinstance(data, list)


def _reproduces(params: Mapping[str, np.ndarray], loss: Callable[[], Any], data: Any, seed: int,
                states: list[tuple[str, np.ndarray]], pairing: Pairing | None | EllipsisType) -> bool:
    try:
        return (infer_arch(params, loss, data, seed=seed, pairing=pairing) is not None
                or infer_rnn(params, loss, data, states=states, seed=seed) is not None)
    except Exception:  # noqa: BLE001 - data of a form the inference cannot read
        return False


#: The largest array taken for a recurrent net's starting state (a hidden state is a vector).
MAX_STATE_SIZE = 4096


def loss_states(params: Mapping[str, np.ndarray], loss: Callable[[], Any]) -> list[tuple[str, np.ndarray]]:
    """``(name, vector)``: the float vectors (1-D, or one row or column) the loss reads that are no
    parameter: candidates for a recurrent net's starting state ``h_0``.

    >>> h0 = np.full((3, 1), 0.5)
    >>> [n for n, _ in loss_states({}, lambda: float(h0.sum()))]
    ['h0']
    """
    out: list[tuple[str, np.ndarray]] = []
    seen: set[int] = set()
    for _where, ns in reachable(loss):
        for name in ns.names():
            v = ns[name]
            if (isinstance(v, np.ndarray) and np.issubdtype(v.dtype, np.floating) and 0 < v.size <= MAX_STATE_SIZE
                    and (v.ndim == 1 or (v.ndim == 2 and 1 in v.shape)) and id(v) not in seen
                    and not _is_param(v, params)):
                seen.add(id(v))
                out.append((ns.qualify(name), v))
    return out


def _moved(loss: Callable[[], Any], f0: float, a: np.ndarray, where: tuple[Any, ...], rng: np.random.Generator) -> bool:
    """True when changing ``a[where]`` (in place, restored at once) changes the loss."""
    with protected({"a": a}):
        part = a[where]
        if np.issubdtype(a.dtype, np.floating):
            a[where] = part + (1e-3 * (float(np.abs(part).max()) + 1.0)) * rng.standard_normal(part.shape)
        elif a.dtype == bool:
            a[where] = ~part
        else:
            a[where] = (part + 1) % (int(a.max()) + 1) if a.min() >= 0 else part + 1
        try:
            f = float(np.asarray(loss(), dtype=np.float64).reshape(()))
        except Exception:  # noqa: BLE001 - the loss choked on the changed array: it reads it
            return True
    return not np.isfinite(f) or abs(f - f0) > READ_RTOL * (1.0 + abs(f0))


def _example_axes(X: np.ndarray, y: np.ndarray) -> list[tuple[int, int]]:
    """``(axis of X, axis of y)`` along which both hold the same number (> 1) of examples."""
    out = [(0, 0)] if X.shape[0] == y.shape[0] else []
    if X.ndim > 1 and y.ndim > 1 and X.shape[-1] == y.shape[-1] and (X.ndim - 1, y.ndim - 1) not in out:
        out.append((X.ndim - 1, y.ndim - 1))
    return [(ax, ay) for ax, ay in out if X.shape[ax] > 1]


def _read(params: Mapping[str, np.ndarray], loss: Callable[[], Any], data: Any, seed: int) -> int | None:
    """The number of examples m when the loss reads both arrays and every example of the targets:
    changing X changes the loss, and so does changing target k, for the first, the last and up to
    :data:`READ_EXAMPLES` targets between; None otherwise."""
    if not (isinstance(data, tuple) and len(data) == 2 and all(isinstance(d, np.ndarray) for d in data)):
        return None
    X, y = data
    if np.shares_memory(X, y) or not (X.flags.writeable and y.flags.writeable):
        return None
    rng = np.random.default_rng(seed)
    try:
        with protected(dict(params)):
            f0 = float(np.asarray(loss(), dtype=np.float64).reshape(()))
            for ax, ay in _example_axes(X, y):
                m = X.shape[ax]
                ks = sorted({0, m - 1, *rng.choice(m, size=min(m, READ_EXAMPLES), replace=False).tolist()})
                # every target counts; an input may not (a relu net can ignore a whole example)
                if (all(_moved(loss, f0, y, (slice(None),) * ay + (k,), rng) for k in ks)
                        and _moved(loss, f0, X, (Ellipsis,), rng)):
                    return m
    except Exception:  # noqa: BLE001 - a loss that fails at its own starting point confirms nothing
        return None
    return None


def discover_data(params: Mapping[str, np.ndarray], loss: Callable[[], Any], *, seed: int = 0,
                  pairing: Pairing | None | EllipsisType = ...) -> DataSource | None:
    """The ``(X, y)`` that ``loss`` reads, confirmed by its output, or None. ``pairing``:
    :func:`gradcheck.layers.structure` of ``params``, when the caller has it.

    Every parameter and every array tried holds its old bits afterwards.
    """
    named: list[tuple[Any, str, str]] = []
    shaped: list[tuple[Any, str, str]] = []
    for where, ns in reachable(loss):
        for d, n, by_name in ns.pairs():
            if _usable(d, params):
                (named if by_name else shaped).append((d, n, where))
    seen: set[tuple[int, int]] = set()
    tried = 0
    states = loss_states(params, loss) if named or shaped else []
    for data, names, where in named + shaped:
        key = (id(data[0]), id(data[1])) if isinstance(data, tuple) else (id(data), 0)
        if key in seen:
            continue
        seen.add(key)
        tried += 1
        if tried > MAX_PAIRS:
            break
        if _reproduces(params, loss, data, seed, states, pairing):
            return DataSource(data, names, where, "reproduced")
    for data, names, where in named[:MAX_PAIRS]:
        m = _read(params, loss, data, seed)
        if m is not None:
            return DataSource(data, names, where, "read", batch=m)
    return None


#: What the report says when the data were looked for and none was confirmed.
NOT_FOUND = ("none confirmed among the arrays the loss reads (closure, globals, self, partial arguments); "
             "pass data=(X, y) so the mistake can be recomputed")


def with_found_data(problem: Any, report: Any, *, pairing: Pairing | None | EllipsisType = ...) -> Any:
    """``problem`` with the data its loss reads, when it has none and a gradient is wrong; the
    report's ``data_source`` says where they came from (or that none was confirmed).

    The user's Problem is not changed (a copy carries the data). Never raises.
    """
    if problem.data is not None or not report.wrong or input_name(problem.params) is not None:
        return problem
    try:
        found = discover_data(problem.params, problem.loss, seed=report.seed or 0, pairing=pairing)
    except Exception:  # noqa: BLE001 - looking for data must never fail a check
        found = None
    if found is None:
        report.data_source = NOT_FOUND
        return problem
    if found.confirmed == "reproduced":
        report.data_source = found.line
        return dataclasses.replace(problem, data=found.data)
    report.data_source = (f"{found.line} (the loss reads them, each of their {found.batch} targets; no standard dense "
                          f"net reproduces it, so they give the batch size only)")
    hint = problem.hint if isinstance(problem.hint, Mapping) else {}
    return dataclasses.replace(problem, data=found.data, hint={**hint, "batch_size": found.batch})

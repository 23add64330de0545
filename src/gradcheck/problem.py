"""The one object every part of gradcheck speaks: a :class:`Problem`.

A Problem is a mapping of named parameter arrays (in forward order, input layer
first), a zero-argument ``loss()`` computed from their current contents, and a
zero-argument ``grads()`` returning the analytic gradients by the same names.
Optional: the data ``(X, y)`` and an architecture ``hint``, which the diagnosis
uses to name a mistake exactly.

:func:`protected` is the guarantee gradcheck gives about user arrays: whatever
happens inside it (an exception in the user's code, Ctrl-C), every parameter
holds exactly its old bits afterwards. An array the user's code made read-only
is restored all the same; one it reshaped or re-typed gets its bits back where
the memory allows, and a :class:`RestoreError` names it. Ctrl-C is held back
while the arrays are put back (on the main thread, where a handler can be set).

:func:`exclusive` serializes checks that share memory: a second check of the
same arrays, from another thread, waits until the first has put them back.

Example:
    >>> import numpy as np
    >>> from gradcheck.problem import Problem, protected
    >>> w = np.array([1.0, 2.0])
    >>> with protected({"w": w}):
    ...     w += 5.0
    >>> w
    array([1., 2.])
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

import numpy as np

from .errors import InvalidParameterError, RestoreError

try:
    from numpy.lib.array_utils import byte_bounds
except ImportError:  # pragma: no cover - numpy < 2
    from numpy import byte_bounds  # type: ignore[attr-defined,no-redef]

__all__ = ["Problem", "exclusive", "memory_spans", "protected", "same_bits", "sigint_deferred", "validate_params"]

GradsLike = Mapping[str, Any] | Callable[[], Mapping[str, Any]]


@dataclass
class Problem:
    """Parameters, a loss and its analytic gradients.

    Args:
        params: name -> float ndarray, in forward order. Perturbed in place, always restored.
        loss: zero-argument callable, the scalar loss at the current contents of ``params``.
        grads: zero-argument callable (or a ready mapping) of analytic gradients by name.
        data: optional ``(X, y)`` the loss is computed on (lets the diagnosis confirm a
            batch-size factor and name the exact mistake of a standard MLP).
        hint: optional architecture hint, e.g. ``{"activations": ["sigmoid", "sigmoid"],
            "loss": "bce", "layout": "cols"}`` (see :mod:`gradcheck.diagnosis`).
        name: a label for reports.
    """

    params: Mapping[str, np.ndarray]
    loss: Callable[[], Any]
    grads: GradsLike
    data: tuple[Any, Any] | None = None
    hint: Any = None
    name: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    def __repr__(self) -> str:
        shapes = ", ".join(f"{k}{tuple(np.shape(v))}" for k, v in self.params.items())
        extra = f" config={self.meta['config']}" if "config" in self.meta else ""
        label = f"{self.name!r} " if self.name else ""
        return f"<Problem {label}params=[{shapes}]{extra}>"

    def grads_now(self) -> Mapping[str, Any]:
        """The analytic gradients at the current parameters."""
        g = self.grads() if callable(self.grads) else self.grads
        return g


def validate_params(params: Any) -> dict[str, np.ndarray]:
    """Check that ``params`` is a non-empty mapping of writeable float arrays; return it as a dict.

    Raises:
        InvalidParameterError: naming the parameter at fault and what is wrong with it.
    """
    if not isinstance(params, Mapping):
        raise InvalidParameterError(
            f"params must be a mapping of name -> numpy array (e.g. {{'W1': W1, 'b1': b1}}), "
            f"got {type(params).__name__}"
        )
    if len(params) == 0:
        raise InvalidParameterError("params is empty: there is nothing to check")
    out: dict[str, np.ndarray] = {}
    for name, p in params.items():
        if not isinstance(name, str):
            raise InvalidParameterError(f"parameter names must be strings, got {name!r}")
        if not isinstance(p, np.ndarray):
            raise InvalidParameterError(
                f"parameter {name!r} is a {type(p).__name__}, not a numpy array: gradcheck perturbs "
                f"parameters in place, so it needs the very array your loss reads"
            )
        if isinstance(p, np.matrix):
            raise InvalidParameterError(
                f"parameter {name!r} is an np.matrix: its * is a matrix product and it stays 2-d when indexed, "
                f"so element-wise perturbation and gradients do not apply; use np.asarray({name}) in your net"
            )
        if p.dtype.kind != "f":  # np.floating, without issubdtype's cost
            hint = ""
            if np.issubdtype(p.dtype, np.integer) or p.dtype == bool:
                hint = (
                    " (an integer array cannot hold a small perturbation; create it with a float "
                    "dtype, e.g. np.array(..., dtype=float) or np.random.randn)"
                )
            raise InvalidParameterError(f"parameter {name!r} has dtype {p.dtype}, expected a float dtype{hint}")
        if p.size == 0:
            raise InvalidParameterError(f"parameter {name!r} is empty (shape {p.shape})")
        if not p.flags.writeable:
            raise InvalidParameterError(
                f"parameter {name!r} is read-only: gradcheck must perturb it in place "
                f"(pass the array itself, not a read-only view)"
            )
        if not np.isfinite(p).all():
            bad = tuple(int(i) for i in np.argwhere(~np.isfinite(p))[0])
            raise InvalidParameterError(f"parameter {name!r} holds a non-finite value at index {bad}: {p[bad]}")
        out[name] = p
    _refuse_shared_memory(out)
    return out


def memory_spans(arrays: Mapping[str, np.ndarray]) -> list[tuple[int, int, str]]:
    """``(first byte, end byte, name)`` of each array's memory, sorted by address.

    >>> a = np.zeros(4)
    >>> [(hi - lo, n) for lo, hi, n in memory_spans({"a": a, "half": a[:2]})]
    [(16, 'half'), (32, 'a')]
    """
    spans = []
    for name, p in arrays.items():
        lo, hi = byte_bounds(p)
        spans.append((lo, hi, name))
    spans.sort()
    return spans


def _refuse_shared_memory(arrays: Mapping[str, np.ndarray]) -> None:
    """Two parameters that share elements (one array under two names, overlapping views): an error naming both.

    Perturbing one would move the other, so each finite difference would measure both at once.
    Views that interleave without sharing an element (``W[::2]`` and ``W[1::2]``) are fine.
    """
    if len(arrays) < 2:
        return
    if all(p.base is None for p in arrays.values()) and len({id(p) for p in arrays.values()}) == len(arrays):
        return  # distinct arrays that each own their memory cannot overlap
    active: list[tuple[int, str]] = []  # (end byte, name) of the spans that may still overlap
    for lo, hi, name in memory_spans(arrays):
        active = [(end, other) for end, other in active if end > lo]
        for _, other in active:
            if np.shares_memory(arrays[other], arrays[name]):
                same = arrays[other] is arrays[name]
                what = "are the same array" if same else "share memory (overlapping views of one buffer)"
                raise InvalidParameterError(
                    f"parameters {other!r} and {name!r} {what}: perturbing one moves the other, so no "
                    f"finite difference could tell their gradients apart; pass each parameter once, as its own array"
                )
        active.append((hi, name))


def same_bits(a: np.ndarray, b: np.ndarray) -> bool:
    """True when ``a`` and ``b`` hold the same shape, dtype and bits (-0.0 differs from 0.0).

    >>> same_bits(np.array([0.0]), np.array([-0.0]))
    False
    """
    if a.shape != b.shape or a.dtype != b.dtype:
        return False
    if a.dtype.kind == "f" and a.dtype.itemsize > 8:  # longdouble: padding bytes that copies do not keep
        return bool(np.array_equal(a, b, equal_nan=True) and np.array_equal(np.signbit(a), np.signbit(b)))
    if a.size <= 4096:  # a byte string compare beats an elementwise one on small arrays
        return a.tobytes() == b.tobytes()
    as_int = np.dtype(f"u{a.dtype.itemsize}") if a.dtype.itemsize in (1, 2, 4, 8) else None
    if as_int is None:
        return a.tobytes() == b.tobytes()
    return bool((a.view(as_int) == b.view(as_int)).all())


class protected:  # noqa: N801 - used as a function: ``with protected(params) as saved``
    """Restore every array in ``params`` bit for bit on exit, whatever happens inside.

    Also restores the mapping itself when a method substituted an entry (complex step,
    float64 upcast). Ctrl-C during the block still restores before the interrupt propagates,
    and Ctrl-C during the restore waits until it is done (:func:`sigint_deferred`). An array
    that cannot be restored (user code reshaped it, or made it read-only and not writeable
    again) does not stop the others: all that can be are restored, then one
    :class:`RestoreError` names the rest, chained to the exception that ended the block.
    Yields the saved copies (name -> array), which the caller must not modify.
    """

    def __init__(self, params: Mapping[str, np.ndarray]) -> None:
        self.params = params

    def __enter__(self) -> dict[str, np.ndarray]:
        self.arrays = dict(self.params)
        self.saved = {name: p.copy() for name, p in self.arrays.items()}
        return self.saved

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        interrupted = kind is not None and issubclass(kind, KeyboardInterrupt)
        with sigint_deferred(reraise=not interrupted):
            failed = restore(self.params, self.arrays, self.saved)
        if failed:
            lines = "; ".join(f"{name!r}: {why}" for name, why in failed)
            raise RestoreError(
                f"gradcheck could not put back {len(failed)} parameter(s) after the check, because code run "
                f"during it changed them: {lines}. Every other parameter holds its old bits.",
                [name for name, _ in failed],
            ) from exc


def restore(
    params: Mapping[str, np.ndarray], arrays: Mapping[str, np.ndarray], saved: Mapping[str, np.ndarray]
) -> list[tuple[str, str]]:
    """Put ``saved`` back into ``arrays`` (and the arrays back into ``params``); return what could not be.

    Every array is attempted, whatever happens to the others. Returns ``(name, reason)`` pairs.
    """
    if isinstance(params, dict):
        for name, p in arrays.items():
            if params.get(name) is not p:
                params[name] = p
    failed = []
    for name, p in arrays.items():
        try:
            _restore_one(p, saved[name])
        except Exception as exc:  # noqa: BLE001 - each array is attempted; the reasons are reported together
            failed.append((name, str(exc)))
    return failed


def _restore_one(p: np.ndarray, old: np.ndarray) -> None:
    """Copy ``old`` into ``p``; through a temporarily writeable flag, or a same-size view, when needed."""
    if p.shape != old.shape or p.dtype != old.dtype:
        changed = f"its shape changed from {old.shape} to {p.shape}" if p.shape != old.shape else (
            f"its dtype changed from {old.dtype} to {p.dtype}"
        )
        if p.nbytes == old.nbytes and p.flags.c_contiguous and p.flags.writeable:
            np.copyto(p.reshape(-1).view(np.uint8), old.reshape(-1).view(np.uint8))
            raise ValueError(f"{changed}; its bytes were put back, its new shape and dtype were left as set")
        raise ValueError(f"{changed}; its old values could not be written back")
    if p.flags.writeable:
        np.copyto(p, old, casting="no")
        return
    try:
        p.flags.writeable = True
    except ValueError:
        raise ValueError("it was made read-only and cannot be made writeable again") from None
    try:
        np.copyto(p, old, casting="no")
    finally:
        p.flags.writeable = False


@contextlib.contextmanager
def sigint_deferred(*, reraise: bool = True) -> Iterator[None]:
    """Hold Ctrl-C (SIGINT) back for the duration of the block; deliver it after, if ``reraise``.

    Only the main thread can set a signal handler; elsewhere this does nothing (a signal is
    delivered to the main thread anyway).

    >>> with sigint_deferred():
    ...     pass
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    pending: list[int] = []
    try:
        previous = signal.signal(signal.SIGINT, lambda signum, frame: pending.append(signum))
    except (ValueError, OSError):  # pragma: no cover - not the main interpreter
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        if pending and reraise:
            if callable(previous):
                previous(signal.SIGINT, None)
            elif previous != signal.SIG_IGN:
                raise KeyboardInterrupt


# -- checks that share memory wait for each other --------------------------------------------

_LOCK = threading.Condition()


class _Holding:
    """The arrays of one running check and the thread running it; their memory spans computed on demand
    (only when two checks run at once is there anything to compare)."""

    def __init__(self, arrays: Mapping[str, np.ndarray]) -> None:
        self.arrays = arrays
        self.thread = threading.get_ident()
        self._spans: list[tuple[int, int, str]] | None = None

    @property
    def spans(self) -> list[tuple[int, int, str]]:
        if self._spans is None:
            self._spans = memory_spans(self.arrays)
        return self._spans


#: the checks running now
_IN_USE: list[_Holding] = []


def _clear_in_child() -> None:
    global _LOCK
    _LOCK = threading.Condition()
    _IN_USE.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_clear_in_child)  # a forked worker starts with no check running


def _overlap(a: list[tuple[int, int, str]], b: list[tuple[int, int, str]]) -> bool:
    """True when two sorted lists of byte spans overlap anywhere (one sweep over both)."""
    i = j = 0
    while i < len(a) and j < len(b):
        if a[i][0] < b[j][1] and b[j][0] < a[i][1]:
            return True
        if a[i][1] <= b[j][1]:
            i += 1
        else:
            j += 1
    return False


@contextlib.contextmanager
def exclusive(arrays: Mapping[str, np.ndarray]) -> Iterator[None]:
    """Wait until no check in another thread holds memory these arrays use; hold it until the block ends.

    Two threads checking the same net at once would each see the other's perturbations and
    restore the other's perturbed values: serialized, each measures and restores on its own.
    Checks of disjoint arrays run at once; a check nested in the same thread goes through.

    >>> w = np.zeros(3)
    >>> with exclusive({"w": w}):
    ...     pass
    """
    mine = _Holding(arrays)
    with _LOCK:
        while any(other.thread != mine.thread and _overlap(other.spans, mine.spans) for other in _IN_USE):
            _LOCK.wait()
        _IN_USE.append(mine)
    try:
        yield
    finally:
        with _LOCK:
            for k, entry in enumerate(_IN_USE):
                if entry is mine:
                    del _IN_USE[k]
                    break
            _LOCK.notify_all()

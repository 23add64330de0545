"""The one object every part of gradcheck speaks: a :class:`Problem`.

A Problem is a mapping of named parameter arrays (in forward order, input layer
first), a zero-argument ``loss()`` computed from their current contents, and a
zero-argument ``grads()`` returning the analytic gradients by the same names.
Optional: the data ``(X, y)`` and an architecture ``hint``, which the diagnosis
uses to name a mistake exactly.

:func:`protected` is the guarantee gradcheck gives about user arrays: whatever
happens inside it (an exception in the user's code, Ctrl-C), every parameter
holds exactly its old bits afterwards.

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
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .errors import InvalidParameterError

__all__ = ["Problem", "protected", "same_bits", "validate_params"]

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
    return out


def same_bits(a: np.ndarray, b: np.ndarray) -> bool:
    """True when ``a`` and ``b`` hold the same shape, dtype and bits (-0.0 differs from 0.0).

    >>> same_bits(np.array([0.0]), np.array([-0.0]))
    False
    """
    if a.shape != b.shape or a.dtype != b.dtype:
        return False
    if a.size <= 4096:  # a byte string compare beats an elementwise one on small arrays
        return a.tobytes() == b.tobytes()
    as_int = np.dtype(f"u{a.dtype.itemsize}") if a.dtype.itemsize in (1, 2, 4, 8) else None
    if as_int is None:
        return a.tobytes() == b.tobytes()
    return bool((a.view(as_int) == b.view(as_int)).all())


@contextlib.contextmanager
def protected(params: Mapping[str, np.ndarray]) -> Iterator[dict[str, np.ndarray]]:
    """Restore every array in ``params`` bit for bit on exit, whatever happens inside.

    Also restores the mapping itself when a method substituted an entry (complex step,
    float64 upcast). Ctrl-C during the block still restores before the interrupt propagates.
    Yields the saved copies (name -> array), which the caller must not modify.
    """
    arrays = dict(params)
    saved = {name: p.copy() for name, p in arrays.items()}
    try:
        yield saved
    finally:
        if isinstance(params, dict):
            for name, p in arrays.items():
                if params.get(name) is not p:
                    params[name] = p
        for name, p in arrays.items():
            np.copyto(p, saved[name], casting="no")

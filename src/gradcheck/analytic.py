"""The user's analytic gradients, taken in: names matched to parameters, shapes, repeat calls.

Gradients may be named like the parameters or ``dW1`` / ``grad_W1`` / ``W1_grad`` (the vocabulary of
:mod:`gradcheck.names`); a sequence in
parameter order is accepted too. A gradient that an update ``p -= lr * g`` would apply element
for element (a scalar for a (1, 1) bias) is taken in the parameter's shape; any other shape is
left as it is, for the comparison to report.

Example:
    >>> import numpy as np
    >>> from gradcheck.problem import Problem
    >>> w = np.ones(2)
    >>> collect_gradients(Problem({"W1": w}, lambda: 0.0, {"dW1": [1, 2]}), {"W1": w})
    {'W1': array([1., 2.])}
"""

from __future__ import annotations

import inspect
import types
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from .bugs import fix_for
from .errors import GradientSpecError
from .names import match
from .problem import Problem, same_bits
from .report import Finding

__all__ = ["collect_gradients", "repeat_call_findings", "require_no_arguments"]


def require_no_arguments(what: str, fn: Callable[..., Any]) -> None:
    """A clear error for ``check(params, loss_fn, grad_fn)`` where the functions take (params, X, y)."""
    if _plainly_no_arguments(fn):
        return
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return
    required = [
        p.name
        for p in sig.parameters.values()
        if p.default is p.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
    ]
    if required:
        args = ", ".join(required)
        raise TypeError(
            f"{what} must be callable with no arguments: gradcheck changes the parameters in place and calls "
            f"{what}() again; yours takes ({args}). Wrap it: {what}=lambda: {getattr(fn, '__name__', what)}({args}) "
            f"with your arrays, or let gradcheck.as_problem read the (params, X, y) convention"
        )


def _plainly_no_arguments(fn: Any) -> bool:
    """True for a plain Python function that visibly needs no argument (no inspect.signature needed).

    >>> _plainly_no_arguments(lambda: 0), _plainly_no_arguments(lambda x: 0)
    (True, False)
    """
    if type(fn) is not types.FunctionType or "__wrapped__" in fn.__dict__ or "__signature__" in fn.__dict__:
        return False
    code = fn.__code__
    return code.co_argcount == len(fn.__defaults__ or ()) and code.co_kwonlyargcount == len(fn.__kwdefaults__ or {})


def collect_gradients(problem: Problem, params: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    raw = problem.grads_now()
    if isinstance(raw, (list, tuple)):
        if len(raw) != len(params):
            raise GradientSpecError(
                f"grads() returned a sequence of {len(raw)} arrays for {len(params)} parameters {list(params)}"
            )
        raw = dict(zip(params, raw))
    if not isinstance(raw, Mapping):
        raise GradientSpecError(
            f"grads() must return a mapping name -> array with the names of params {list(params)}, "
            f"got {type(raw).__name__}"
        )
    keys = list(raw.keys())
    lookup: dict[str, Any] = match(list(params), keys)
    missing = [n for n in params if n not in lookup]
    extra = [k for k in keys if k not in set(lookup.values())]
    if missing:
        raise GradientSpecError(
            f"the analytic gradients have no entry for parameter(s) {missing}; "
            f"params are {list(params)}, the gradients name {keys}"
        )
    if extra:
        raise GradientSpecError(
            f"the analytic gradients name {extra}, which are not parameters; params are {list(params)}"
        )
    out: dict[str, np.ndarray] = {}
    for name, key in lookup.items():
        g = raw[key]
        if g is None:
            raise GradientSpecError(f"the analytic gradient of {name!r} is None (was it ever computed?)")
        g = _real_values(name, g)
        try:
            arr = np.array(g, dtype=np.float64)
        except (TypeError, ValueError):
            raise GradientSpecError(
                f"the analytic gradient of {name!r} is a {type(g).__name__}, not an array of numbers"
            ) from None
        out[name] = _harmless_reshape(arr, params[name].shape)
    return out


def _real_values(name: str, g: Any) -> Any:
    """``g`` itself, or its real part when every imaginary part is 0; complex values are an error.

    >>> _real_values("w", np.array([1 + 0j])).dtype
    dtype('float64')
    """
    if isinstance(g, np.ndarray) and g.dtype.kind != "c":
        return g
    try:
        is_complex = np.iscomplexobj(g)
    except (TypeError, ValueError):  # ragged or odd objects: the conversion below says what is wrong
        return g
    if not is_complex:
        return g
    imag = np.imag(g)
    if np.any(imag != 0):
        k = int(np.argmax(np.abs(imag).reshape(-1) != 0))
        raise GradientSpecError(
            f"the analytic gradient of {name!r} holds complex values (element {k} has imaginary part "
            f"{imag.reshape(-1)[k]:g}): a real loss has a real gradient; look for a complex intermediate "
            f"(np.sqrt or ** of a negative number, an FFT) in your backward pass"
        )
    return np.real(g)


def _harmless_reshape(g: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """``g`` in the parameter's shape when an update ``p -= lr * g`` would treat it so.

    A (5,) gradient for a (1, 5) bias, or a scalar for a (1, 1) one, broadcasts onto the parameter
    element for element: the values are right and so is the update. A (5,) gradient for a (5, 1)
    bias does not (it broadcasts to (5, 5)) and stays a wrong shape.
    """
    if g.shape == shape or g.size != int(np.prod(shape, dtype=np.int64)):
        return g
    try:
        if np.broadcast_shapes(shape, g.shape) == tuple(shape):
            return g.reshape(shape)
    except ValueError:
        pass
    return g


#: two calls of grads() that differ by less than this, relative to the gradient's size, agree: summing
#: in another order (a reshuffled batch) moves the last bits, while accumulation doubles the values
REPEAT_RTOL = 1e-10


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    """Equal shapes and values up to round-off, NaN equal to NaN."""
    if a.shape != b.shape:
        return False
    if same_bits(a, b) or bool((a == b).all()) or bool(np.array_equal(a, b, equal_nan=True)):
        return True
    with np.errstate(invalid="ignore"):
        scale = float(np.nanmax(np.abs(a))) if a.size and not np.isnan(a).all() else 0.0
        return bool(np.allclose(a, b, rtol=REPEAT_RTOL, atol=REPEAT_RTOL * scale, equal_nan=True))


def repeat_call_findings(first: Mapping[str, np.ndarray], second: Mapping[str, np.ndarray]) -> list[Finding]:
    changed = [n for n in first if not _same(first[n], second[n])]
    if not changed:
        return []
    doubled = all(
        first[n].shape == second[n].shape and np.allclose(second[n], 2 * first[n], rtol=1e-9, atol=0) for n in changed
    )
    if doubled:
        msg = (
            f"grads() returned twice the first result when called a second time for {changed}: the gradients "
            f"are accumulated (+=) into buffers that are never reset"
        )
    else:
        msg = f"grads() returned different gradients for {changed} when called twice at the same parameters"
    return [
        Finding(
            kind="gradient_accumulates",
            params=changed,
            message=msg,
            fix=fix_for("gradient_accumulates"),
            evidence={"doubled": doubled},
            confidence="confirmed",
        )
    ]

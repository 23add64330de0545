"""Numerical derivatives of a scalar loss with respect to one parameter array.

Every function here perturbs the array **in place** and puts each element back
after use; the caller (:func:`gradcheck.check`) additionally wraps the whole run
in :func:`gradcheck.problem.protected`, so an exception or Ctrl-C in the user's
loss cannot leave a perturbed value behind.

The loop over elements is the hot path of a full check: for a central difference
it does two stores, two loss calls and one restore per element, nothing else.
Validation of the loss values (finite, scalar) is done once, vectorised, after
the loop.

Methods:
    ``central``     (L(x+h) - L(x-h)) / 2h, h scaled to each element's magnitude. 2 evals/element.
    ``richardson``  central differences at h and h/2 combined to cancel the h^2 term. 4 evals/element.
    ``complex``     Im L(x + ih) / h; exact to rounding, needs a loss that carries complex values. 1 eval/element.
    ``directional`` the derivative along a random unit direction per tensor. 2 evals/tensor.

Example:
    >>> import numpy as np
    >>> from gradcheck.numeric import central
    >>> w = np.array([1.0, 2.0, 3.0])
    >>> res = central(w, lambda: float((w ** 3).sum()))
    >>> np.allclose(res.grad, 3 * w ** 2)
    True
"""

from __future__ import annotations

import contextlib
import functools
import math
from collections.abc import Callable, Iterable, MutableMapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from .errors import LossError, UnsupportedMethodError

__all__ = [
    "CHUNK",
    "METHODS",
    "EvalResult",
    "PairRunner",
    "central",
    "complex_step",
    "default_rel_step",
    "exact_items",
    "DirectionalResult",
    "directional",
    "directional_derivative",
    "flat_view",
    "loss_values",
    "pairs_serial",
    "perturb_each",
    "put_back",
    "require_finite",
    "richardson",
]

METHODS = ("central", "richardson", "complex")

#: loss evaluations per element of each method
EVALS_PER_ELEMENT = {"central": 2, "richardson": 4, "complex": 1}

Progress = Callable[[int], None] | None

#: elements per chunk of the hot loop: bounds the Python floats alive at once (memory)
#: and sets how often ``progress`` is called.
CHUNK = 256


@functools.cache
def _rel_step_for(dtype: np.dtype, method: str) -> float:
    eps = float(np.finfo(dtype).eps)
    if method == "richardson":
        return eps ** 0.2
    if method == "complex":
        return 1e-20
    return eps ** (1.0 / 3.0)


def default_rel_step(dtype: Any, method: str = "central") -> float:
    """The relative step that balances truncation and round-off for ``dtype``.

    Central differences err by O(h^2) + O(eps/h): best near eps^(1/3). Richardson
    errs by O(h^4) + O(eps/h): best near eps^(1/5).

    Example:
        >>> f"{default_rel_step(np.float64):.2e}"
        '6.06e-06'
    """
    return _rel_step_for(np.dtype(dtype), method)


@dataclass
class EvalResult:
    """The numerical gradient of one parameter at the requested elements.

    ``grad`` has the parameter's shape (NaN where not evaluated); ``indices`` are the
    flat indices evaluated; ``forward``/``backward`` are the one-sided derivatives at
    those indices (for kink detection; None for complex step); ``f_max`` is the largest
    |loss| seen, for the round-off estimate; ``step`` the per-element step used.
    """

    grad: np.ndarray
    indices: np.ndarray
    forward: np.ndarray | None
    backward: np.ndarray | None
    step: np.ndarray
    f_max: float
    n_evals: int


def flat_view(p: np.ndarray) -> Any:
    """A 1-d writeable handle on ``p`` that indexes its elements in C order."""
    if p.flags.c_contiguous:
        return p.reshape(-1)
    return p.flat  # a flatiter writes through for any layout


def loss_values(raw: list[Any], name: str, what: str) -> np.ndarray:
    """Turn the raw loss results of a loop into a float64 vector, or say what is wrong."""
    try:
        vals = np.asarray(raw, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise LossError(
            f"loss() did not return a real scalar while {what} parameter {name!r}: {exc}"
        ) from None
    if vals.ndim != 1:
        if vals.size == len(raw):
            vals = vals.reshape(len(raw))
        else:
            shape = np.shape(raw[0]) if raw else ()
            raise LossError(
                f"loss() returned an array of shape {shape} while {what} parameter {name!r}; "
                f"it must return one scalar (did you forget .sum() or .mean()?)"
            )
    return vals


def require_finite(vals: np.ndarray, indices: np.ndarray, shape: tuple[int, ...], name: str, sign: str) -> None:
    bad = ~np.isfinite(vals)
    if bad.any():
        k = int(np.argmax(bad))
        idx = tuple(int(i) for i in np.unravel_index(int(indices[k]), shape))
        raise LossError(
            f"loss() returned {vals[k]} when element {idx} of parameter {name!r} was moved by {sign}h; "
            f"the loss is finite at the starting point, so the loss overflows or takes log(0) nearby "
            f"(clip probabilities away from 0 and 1, or use a stable log-sigmoid)"
        )


def _indices(p: np.ndarray, indices: np.ndarray | None) -> np.ndarray:
    if indices is None:
        return np.arange(p.size, dtype=np.intp)
    idx = np.asarray(indices, dtype=np.intp).reshape(-1)
    if idx.size and (int(idx.min()) < 0 or int(idx.max()) >= p.size):
        raise IndexError(f"flat indices must lie in [0, {p.size}), got {int(idx.min())}..{int(idx.max())}")
    return idx


def _scatter(shape: tuple[int, ...], idx: np.ndarray | None, values: np.ndarray) -> np.ndarray:
    """An array of ``shape`` holding ``values`` at the flat ``idx`` (all when None) and NaN elsewhere."""
    if idx is None:
        return np.asarray(values, dtype=np.float64).reshape(shape)
    out = np.full(shape, np.nan)
    out.reshape(-1)[idx] = values
    return out


def _values(p: np.ndarray, idx: np.ndarray | None) -> np.ndarray:
    """A copy of the elements of ``p`` at the flat ``idx`` (all when None), in p's dtype, C order."""
    if idx is None:
        return p.ravel(order="C").copy() if not p.flags.c_contiguous else p.reshape(-1).copy()
    return np.array(flat_view(p)[idx], dtype=p.dtype)


def perturb_each(
    flat: Any,
    loss: Callable[[], Any],
    positions: Iterable[int],
    up: Iterable[float],
    down: Iterable[float],
    back: Iterable[float],
    out: list[Any],
) -> list[Any]:
    """The element loop every finite-difference pass runs: L(x + h) and L(x - h), one element at a time.

    For each position ``i`` of the 1-d writeable ``flat`` (see :func:`flat_view`), writes ``up``,
    calls ``loss()``, writes ``down``, calls ``loss()``, writes ``back``: three stores and two calls,
    nothing else. The raw loss values are appended to ``out`` as ``[L+, L-, L+, L-, ...]`` (validated
    afterwards, vectorised, by :func:`loss_values`); an exception leaves the element it was on put back.

    Example:
        >>> w = np.array([1.0, 2.0])
        >>> perturb_each(w, lambda: float(w @ w), [1], [2.5], [1.5], [2.0], [])
        [7.25, 3.25]
        >>> w
        array([1., 2.])
    """
    put = out.append
    i = back_i = None
    try:
        for i, u, d, back_i in zip(positions, up, down, back):
            flat[i] = u
            put(loss())
            flat[i] = d
            put(loss())
            flat[i] = back_i
    except BaseException:
        if i is not None:
            put_back(flat, i, back_i)
        raise
    return out


def put_back(flat: Any, where: Any, value: Any) -> None:
    """Write ``value`` at ``where`` on the way out of an exception, without hiding that exception.

    The user's code may have made the array read-only or resized it: then this does nothing, and
    :class:`gradcheck.problem.protected` restores what it can and names the rest.

    >>> w = np.zeros(2)
    >>> put_back(w, 0, 1.0); w
    array([1., 0.])
    """
    try:
        flat[where] = value
    except (ValueError, TypeError, IndexError):
        pass


def exact_items(values: np.ndarray) -> list[Any]:
    """The elements of a 1-d array as objects that write back exactly: Python floats up to float64
    (fast, and exact for float16/32/64), numpy scalars beyond (a Python float would round a longdouble).

    >>> type(exact_items(np.ones(1, dtype=np.float32))[0]).__name__
    'float'
    """
    return values.tolist() if values.dtype.itemsize <= 8 else list(values)


#: the element loop of :func:`central` and :func:`richardson`: ``runner(p, loss, idx, x, h, name,
#: progress) -> (fp, fm, up, down)``; serial by default, forked workers in :mod:`gradcheck.parallel`
PairRunner = Callable[..., tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]


def pairs_serial(
    p: np.ndarray,
    loss: Callable[[], Any],
    idx: np.ndarray,
    x: np.ndarray,
    h: np.ndarray,
    name: str,
    progress: Progress,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Evaluate L(x + h) and L(x - h) element by element at the flat ``idx`` of ``p`` (x holds their values).

    Returns fp, fm and the steps up and down as realised in p's dtype (float64). The inner
    loop does three stores and two calls per element and nothing else. Loss values are
    collected per chunk of :data:`CHUNK` elements and validated once per chunk,
    vectorised, so the Python objects alive at once stay bounded.
    """
    flat = flat_view(p)
    xp = (x + h).astype(p.dtype, copy=False)
    xm = np.subtract(x, h, out=h if h.dtype == np.float64 else None)  # h is the caller's scratch array
    xm = xm.astype(p.dtype, copy=False)
    n = idx.size
    fp = np.empty(n)
    fm = np.empty(n)
    for start in range(0, n, CHUNK):
        stop = min(n, start + CHUNK)
        out: list[Any] = []
        perturb_each(
            flat, loss, idx[start:stop].tolist(), exact_items(xp[start:stop]), exact_items(xm[start:stop]),
            exact_items(x[start:stop]), out,
        )
        vals = loss_values(out, name, "perturbing")
        if not math.isfinite(vals.sum()):  # cheap screen; the element test only when it trips
            require_finite(vals[0::2], idx[start:stop], p.shape, name, "+")
            require_finite(vals[1::2], idx[start:stop], p.shape, name, "-")
        fp[start:stop] = vals[0::2]
        fm[start:stop] = vals[1::2]
        if progress is not None:
            progress(stop - start)
    # realised steps, in float64: up = (x+h) - x, down = x - (x-h), written over x+h and x-h when they are float64
    up = np.subtract(xp, x, dtype=np.float64, out=xp if xp.dtype == np.float64 else None)
    down = np.subtract(x, xm, dtype=np.float64, out=xm if xm.dtype == np.float64 else None)
    return fp, fm, up, down


def _one_sided(fp: np.ndarray, fm: np.ndarray, up: np.ndarray, down: np.ndarray, f0: float | None) -> tuple[Any, ...]:
    """f0 (the median of the values when not given), f_max, forward and backward derivatives (in place)."""
    if fp.size == 0:
        return (0.0 if f0 is None else float(f0)), (0.0 if f0 is None else abs(float(f0))), fp, fm
    f_max = max(-float(fp.min()), float(fp.max()), -float(fm.min()), float(fm.max()))
    f0 = float(f0) if f0 is not None else float(np.median(np.concatenate([fp, fm])))
    fp -= f0
    fp /= up
    np.subtract(f0, fm, out=fm)
    fm /= down
    return f0, max(f_max, abs(f0)), fp, fm


def _scaled_steps(p: np.ndarray, sub: np.ndarray | None, rel: float) -> tuple[np.ndarray, np.ndarray]:
    """The values at ``sub`` (all when None) and their steps ``rel * max(|x|, 1)``."""
    x = _values(p, sub)
    h = np.abs(x, dtype=np.float64)
    np.maximum(h, 1.0, out=h)
    h *= rel
    return x, h


def central(
    p: np.ndarray,
    loss: Callable[[], Any],
    *,
    f0: float | None = None,
    indices: np.ndarray | None = None,
    rel_step: float | None = None,
    name: str = "param",
    progress: Progress = None,
    runner: PairRunner = pairs_serial,
) -> EvalResult:
    """Central differences at the given flat ``indices`` of ``p`` (all by default). 2 evals/element.

    ``runner`` runs the element loop (:func:`pairs_serial` here; forked workers in
    :mod:`gradcheck.parallel`); the numbers do not depend on it.

    Example:
        >>> w = np.array([0.5, -1.0])
        >>> central(w, lambda: float(np.sin(w).sum())).grad.round(6).tolist()
        [0.877583, 0.540302]
    """
    idx = _indices(p, indices)
    sub = None if indices is None else idx
    rel = default_rel_step(p.dtype) if rel_step is None else float(rel_step)
    x, h = _scaled_steps(p, sub, rel)
    fp, fm, up, down = runner(p, loss, idx, x, h, name, progress)  # the runner may reuse h's memory
    del h, x
    step = up + down
    d = fp - fm
    d /= step
    grad = _scatter(p.shape, sub, d)
    _, f_max, fwd, bwd = _one_sided(fp, fm, up, down, f0)
    return EvalResult(grad, idx, fwd, bwd, step, f_max, 2 * idx.size)


def richardson(
    p: np.ndarray,
    loss: Callable[[], Any],
    *,
    f0: float | None = None,
    indices: np.ndarray | None = None,
    rel_step: float | None = None,
    name: str = "param",
    progress: Progress = None,
    runner: PairRunner = pairs_serial,
) -> EvalResult:
    """Central differences at h and h/2 extrapolated: (4 D(h/2) - D(h)) / 3. 4 evals/element.

    ``runner`` runs the element loop, as in :func:`central`.

    Example:
        >>> w = np.array([0.5])
        >>> bool(abs(richardson(w, lambda: float(np.exp(w).sum())).grad[0] - np.exp(0.5)) < 1e-11)
        True
    """
    idx = _indices(p, indices)
    sub = None if indices is None else idx
    rel = default_rel_step(p.dtype, "richardson") if rel_step is None else float(rel_step)
    x, h = _scaled_steps(p, sub, rel)
    half = None if progress is None else (lambda k: progress(k / 2))
    h2 = h / 2
    fp1, fm1, up1, down1 = runner(p, loss, idx, x, h, name, half)  # the runner may reuse h's memory
    fp2, fm2, up2, down2 = runner(p, loss, idx, x, h2, name, half)
    del h, h2, x
    d1 = fp1 - fm1
    d1 /= up1 + down1
    step = up2 + down2
    d2 = fp2 - fm2
    d2 /= step
    d2 *= 4.0
    d2 -= d1
    d2 /= 3.0
    grad = _scatter(p.shape, sub, d2)
    f0, f_max, fwd, bwd = _one_sided(fp2, fm2, up2, down2, f0)
    _, f_max1, fwd1, bwd1 = _one_sided(fp1, fm1, up1, down1, f0)
    # one-sided derivatives extrapolated too (2 D(h/2) - D(h) cancels their O(h) error), so that the
    # side of a kink the step did not cross matches the analytic value at Richardson's larger step
    fwd *= 2.0
    fwd -= fwd1
    bwd *= 2.0
    bwd -= bwd1
    return EvalResult(grad, idx, fwd, bwd, step, max(f_max, f_max1), 4 * idx.size)


def complex_step(
    params: MutableMapping[str, np.ndarray],
    name: str,
    loss: Callable[[], Any],
    *,
    indices: np.ndarray | None = None,
    rel_step: float | None = None,
    progress: Progress = None,
) -> EvalResult:
    """Complex-step derivative Im L(x + ih) / h. 1 eval/element plus one probe, no cancellation error.

    The loss must read the parameter through ``params[name]`` (the entry is replaced by a
    complex copy for the duration) and must carry complex values through (no ``abs``,
    ``np.real``, ``float()``; ``np.maximum`` for relu is fine). Otherwise
    :class:`UnsupportedMethodError` says which of the two failed.

    Example:
        >>> ps = {"w": np.array([0.5])}
        >>> bool(abs(complex_step(ps, "w", lambda: np.exp(ps["w"]).sum()).grad[0] - np.exp(0.5)) < 1e-15)
        True
    """
    if not isinstance(params, MutableMapping):
        raise UnsupportedMethodError(
            "method='complex' replaces each parameter by a complex copy in the params mapping, "
            f"so params must be a dict the loss reads from; got {type(params).__name__}"
        )
    p = params[name]
    idx = _indices(p, indices)
    h = default_rel_step(np.float64, "complex") if rel_step is None else float(rel_step)
    c = p.astype(np.complex128)
    cflat = c.reshape(-1)
    vals = np.empty(idx.size, dtype=np.complex128)
    params[name] = c
    try:
        probe = _call_complex(loss, name)
        if not np.iscomplexobj(probe):
            raise UnsupportedMethodError(
                f"method='complex': loss() returned a real value after parameter {name!r} was replaced by a "
                f"complex array in params; the loss either reads the parameter from somewhere else than "
                f"params[{name!r}] or drops the imaginary part (float(), np.real, abs). Use method='central'."
            )
        for start in range(0, idx.size, CHUNK):
            stop = min(idx.size, start + CHUNK)
            out: list[Any] = []
            put = out.append
            for i, back in zip(idx[start:stop].tolist(), cflat[idx[start:stop]].tolist()):
                cflat[i] = back + 1j * h
                put(loss())
                cflat[i] = back
            try:
                vals[start:stop] = np.asarray(out, dtype=np.complex128).reshape(stop - start)
            except (TypeError, ValueError) as exc:
                raise LossError(f"loss() did not return one scalar while perturbing parameter {name!r}: {exc}") from None
            if progress is not None:
                progress(stop - start)
    finally:
        params[name] = p
    if not np.all(np.isfinite(vals)):
        require_finite(np.where(np.isfinite(vals), 0.0, np.nan), idx, p.shape, name, "+i")
    grad = _scatter(p.shape, indices if indices is None else idx, vals.imag / h)
    f_max = float(np.abs(vals.real).max(initial=0.0))
    return EvalResult(grad, idx, None, None, np.full(idx.size, h), f_max, idx.size + 1)


def _call_complex(loss: Callable[[], Any], name: str) -> Any:
    try:
        return loss()
    except (TypeError, ValueError) as exc:
        raise UnsupportedMethodError(
            f"method='complex': loss() failed when parameter {name!r} was complex ({type(exc).__name__}: {exc}); "
            f"use method='central' or 'richardson'"
        ) from exc


@dataclass
class DirectionalResult:
    """The derivative of the loss along one direction.

    ``derivative`` is the central difference; ``forward``/``backward`` the one-sided ones
    (present when ``f0`` was given; they differ when the direction crosses a kink);
    ``realised`` the direction actually taken after rounding to the parameter's dtype, which
    the analytic side must use in its dot product; ``step`` the step along it.
    """

    derivative: float
    realised: np.ndarray
    forward: float | None
    backward: float | None
    step: float
    f_max: float
    n_evals: int = 2


def directional_derivative(
    p: np.ndarray,
    loss: Callable[[], Any],
    direction: np.ndarray,
    *,
    indices: np.ndarray | None = None,
    f0: float | None = None,
    rel_step: float | None = None,
    name: str = "param",
) -> DirectionalResult:
    """The derivative of the loss along ``direction``, moving ``p`` (or its flat ``indices``). 2 evals.

    ``direction`` has ``p``'s shape, or one entry per index when ``indices`` is given (the other
    elements stay put). Only the moved elements are copied.

    Example:
        >>> w = np.array([1.0, 2.0])
        >>> r = directional_derivative(w, lambda: float((w ** 2).sum()), np.array([0.6, 0.8]))
        >>> round(r.derivative, 6)
        4.4
    """
    rel = default_rel_step(p.dtype) if rel_step is None else float(rel_step)
    if indices is None:
        x = p.copy()
        target = p
        put = lambda v: np.copyto(p, v, casting="unsafe")  # noqa: E731
        direction = np.asarray(direction, dtype=np.float64).reshape(p.shape)
    else:
        idx = _indices(p, indices)
        flat = flat_view(p)
        x = np.array(flat[idx], dtype=p.dtype)
        target = x

        def put(v: np.ndarray) -> None:
            flat[idx] = v

        direction = np.asarray(direction, dtype=np.float64).reshape(idx.shape)
    h = rel * max(1.0, float(np.abs(target).max(initial=0.0)))
    # x + h v and x - h v in p's dtype, built in place (no temporaries of the tensor's size)
    xp = np.multiply(direction, h)
    xp += x
    xp = xp.astype(p.dtype, copy=False)
    xm = np.multiply(direction, -h)
    xm += x
    xm = xm.astype(p.dtype, copy=False)
    try:
        put(xp)
        fp = loss()
        put(xm)
        fm = loss()
    except BaseException:
        with contextlib.suppress(ValueError, TypeError, IndexError):  # a read-only array: protected() restores it
            put(x)
        raise
    put(x)
    vals = loss_values([fp, fm], name, "moving")
    if not np.all(np.isfinite(vals)):
        raise LossError(
            f"loss() returned {vals} when parameter {name!r} was moved along a random direction by ±{h:.3g}"
        )
    del x
    realised = np.subtract(xp, xm, dtype=np.float64)
    del xp, xm
    realised /= 2 * h
    d = float((vals[0] - vals[1]) / (2 * h))
    fwd = bwd = None
    f_max = float(np.abs(vals).max())
    if f0 is not None:
        fwd = float((vals[0] - f0) / h)
        bwd = float((f0 - vals[1]) / h)
        f_max = max(f_max, abs(float(f0)))
    return DirectionalResult(d, realised, fwd, bwd, h, f_max)


def directional(
    p: np.ndarray,
    loss: Callable[[], Any],
    direction: np.ndarray,
    *,
    rel_step: float | None = None,
    name: str = "param",
) -> tuple[float, np.ndarray]:
    """The derivative of the loss along ``direction`` (same shape as ``p``). 2 evals.

    Returns ``(derivative, realised_direction)``: the direction actually taken after
    rounding the perturbed values to ``p``'s dtype, which the analytic side must use
    in its dot product. See :func:`directional_derivative` for the one-sided values.

    Example:
        >>> w = np.array([3.0])
        >>> round(directional(w, lambda: float((w ** 2).sum()), np.array([1.0]))[0], 6)
        6.0
    """
    r = directional_derivative(p, loss, direction, rel_step=rel_step, name=name)
    return r.derivative, r.realised.reshape(p.shape)

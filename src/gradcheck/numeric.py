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

from collections.abc import Callable, MutableMapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from .errors import LossError, UnsupportedMethodError

__all__ = [
    "METHODS",
    "EvalResult",
    "central",
    "complex_step",
    "default_rel_step",
    "directional",
    "richardson",
]

METHODS = ("central", "richardson", "complex")

#: loss evaluations per element of each method
EVALS_PER_ELEMENT = {"central": 2, "richardson": 4, "complex": 1}

Progress = Callable[[int], None] | None
_CHUNK = 512


def default_rel_step(dtype: Any, method: str = "central") -> float:
    """The relative step that balances truncation and round-off for ``dtype``.

    Central differences err by O(h^2) + O(eps/h): best near eps^(1/3). Richardson
    errs by O(h^4) + O(eps/h): best near eps^(1/5).
    """
    eps = float(np.finfo(dtype).eps)
    if method == "richardson":
        return eps ** 0.2
    if method == "complex":
        return 1e-20
    return eps ** (1.0 / 3.0)


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


def _flat_view(p: np.ndarray) -> Any:
    """A 1-d writeable handle on ``p`` that indexes its elements in C order."""
    if p.flags.c_contiguous:
        return p.reshape(-1)
    return p.flat  # a flatiter writes through for any layout


def _as_values(raw: list[Any], name: str, what: str) -> np.ndarray:
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


def _check_finite(vals: np.ndarray, indices: np.ndarray, shape: tuple[int, ...], name: str, sign: str) -> None:
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
    return np.asarray(indices, dtype=np.intp).reshape(-1)


def _pair(
    p: np.ndarray,
    loss: Callable[[], Any],
    idx: np.ndarray,
    h: np.ndarray,
    name: str,
    progress: Progress,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Evaluate L(x + h) and L(x - h) element by element. Returns fp, fm, x+h, x-h (as realised in p's dtype)."""
    flat = _flat_view(p)
    x = np.array(flat[idx], dtype=p.dtype)
    xp = (x + h).astype(p.dtype)
    xm = (x - h).astype(p.dtype)
    xs, xps, xms, ids = x.tolist(), xp.tolist(), xm.tolist(), idx.tolist()
    n = len(ids)
    fp: list[Any] = [None] * n
    fm: list[Any] = [None] * n
    start = 0
    while start < n:
        stop = min(n, start + _CHUNK)
        for k in range(start, stop):
            i = ids[k]
            flat[i] = xps[k]
            fp[k] = loss()
            flat[i] = xms[k]
            fm[k] = loss()
            flat[i] = xs[k]
        if progress is not None:
            progress(stop - start)
        start = stop
    fpv = _as_values(fp, name, "perturbing")
    fmv = _as_values(fm, name, "perturbing")
    _check_finite(fpv, idx, p.shape, name, "+")
    _check_finite(fmv, idx, p.shape, name, "-")
    return fpv, fmv, xp.astype(np.float64), xm.astype(np.float64)


def _steps(p: np.ndarray, idx: np.ndarray, rel_step: float) -> np.ndarray:
    x = np.array(_flat_view(p)[idx], dtype=np.float64)
    return rel_step * np.maximum(np.abs(x), 1.0)


def central(
    p: np.ndarray,
    loss: Callable[[], Any],
    *,
    f0: float | None = None,
    indices: np.ndarray | None = None,
    rel_step: float | None = None,
    name: str = "param",
    progress: Progress = None,
) -> EvalResult:
    """Central differences at the given flat ``indices`` of ``p`` (all by default). 2 evals/element."""
    idx = _indices(p, indices)
    rel = default_rel_step(p.dtype) if rel_step is None else float(rel_step)
    x = np.array(_flat_view(p)[idx], dtype=np.float64)
    h = rel * np.maximum(np.abs(x), 1.0)
    fp, fm, xp, xm = _pair(p, loss, idx, h, name, progress)
    grad = np.full(p.shape, np.nan)
    d = (fp - fm) / (xp - xm)
    grad.reshape(-1)[idx] = d
    f0 = float(f0) if f0 is not None else float(np.median(np.concatenate([fp, fm])))
    fwd = (fp - f0) / (xp - x)
    bwd = (f0 - fm) / (x - xm)
    f_max = float(max(abs(f0), np.abs(fp).max(initial=0.0), np.abs(fm).max(initial=0.0)))
    return EvalResult(grad, idx, fwd, bwd, xp - xm, f_max, 2 * idx.size)


def richardson(
    p: np.ndarray,
    loss: Callable[[], Any],
    *,
    f0: float | None = None,
    indices: np.ndarray | None = None,
    rel_step: float | None = None,
    name: str = "param",
    progress: Progress = None,
) -> EvalResult:
    """Central differences at h and h/2 extrapolated: (4 D(h/2) - D(h)) / 3. 4 evals/element."""
    idx = _indices(p, indices)
    rel = default_rel_step(p.dtype, "richardson") if rel_step is None else float(rel_step)
    x = np.array(_flat_view(p)[idx], dtype=np.float64)
    h = rel * np.maximum(np.abs(x), 1.0)
    half = None if progress is None else (lambda k: progress(k / 2))  # type: ignore[operator]
    fp1, fm1, xp1, xm1 = _pair(p, loss, idx, h, name, half)
    fp2, fm2, xp2, xm2 = _pair(p, loss, idx, h / 2, name, half)
    d1 = (fp1 - fm1) / (xp1 - xm1)
    d2 = (fp2 - fm2) / (xp2 - xm2)
    grad = np.full(p.shape, np.nan)
    grad.reshape(-1)[idx] = (4.0 * d2 - d1) / 3.0
    f0 = float(f0) if f0 is not None else float(np.median(np.concatenate([fp2, fm2])))
    fwd = (fp2 - f0) / (xp2 - x)
    bwd = (f0 - fm2) / (x - xm2)
    f_max = float(max(abs(f0), np.abs(fp1).max(initial=0.0), np.abs(fm1).max(initial=0.0)))
    return EvalResult(grad, idx, fwd, bwd, xp2 - xm2, f_max, 4 * idx.size)


def complex_step(
    params: MutableMapping[str, np.ndarray],
    name: str,
    loss: Callable[[], Any],
    *,
    indices: np.ndarray | None = None,
    rel_step: float | None = None,
    progress: Progress = None,
) -> EvalResult:
    """Complex-step derivative Im L(x + ih) / h. 1 eval/element, no cancellation error.

    The loss must read the parameter through ``params[name]`` (the entry is replaced by a
    complex copy for the duration) and must carry complex values through (no ``abs``,
    ``np.real``, ``float()``; ``np.maximum`` for relu is fine). Otherwise
    :class:`UnsupportedMethodError` says which of the two failed.
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
    xs = cflat[idx].tolist()
    out: list[Any] = [None] * idx.size
    params[name] = c
    try:
        probe = _call_complex(loss, name)
        if not np.iscomplexobj(probe):
            raise UnsupportedMethodError(
                f"method='complex': loss() returned a real value after parameter {name!r} was replaced by a "
                f"complex array in params; the loss either reads the parameter from somewhere else than "
                f"params[{name!r}] or drops the imaginary part (float(), np.real, abs). Use method='central'."
            )
        ids = idx.tolist()
        for k, i in enumerate(ids):
            cflat[i] = xs[k] + 1j * h
            out[k] = loss()
            cflat[i] = xs[k]
            if progress is not None and (k + 1) % _CHUNK == 0:
                progress(_CHUNK)
        if progress is not None and len(ids) % _CHUNK:
            progress(len(ids) % _CHUNK)
    finally:
        params[name] = p
    vals = np.asarray(out, dtype=np.complex128).reshape(len(out))
    if not np.all(np.isfinite(vals)):
        _check_finite(np.where(np.isfinite(vals), 0.0, np.nan), idx, p.shape, name, "+i")
    grad = np.full(p.shape, np.nan)
    grad.reshape(-1)[idx] = vals.imag / h
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
    in its dot product.
    """
    rel = default_rel_step(p.dtype) if rel_step is None else float(rel_step)
    x = p.copy()
    h = rel * max(1.0, float(np.abs(x).max()))
    xp = (x + h * direction).astype(p.dtype)
    xm = (x - h * direction).astype(p.dtype)
    try:
        np.copyto(p, xp)
        fp = loss()
        np.copyto(p, xm)
        fm = loss()
    finally:
        np.copyto(p, x)
    vals = _as_values([fp, fm], name, "moving")
    if not np.all(np.isfinite(vals)):
        raise LossError(
            f"loss() returned {vals} when parameter {name!r} was moved along a random direction by ±{h:.3g}"
        )
    realised = (xp.astype(np.float64) - xm.astype(np.float64)) / (2 * h)
    return float((vals[0] - vals[1]) / (2 * h)), realised

"""Comparing an analytic gradient with a numerical one.

An element matches when ``|a - n| <= max(atol_i, rtol * max(|a|, |n|))``: a relative
error with an absolute floor, so a true gradient of zero (numerically 1e-12) is not
a false alarm. The floor ``atol_i`` is the user's ``atol`` raised to the round-off
the finite difference itself carries for that element (``eps * |L| / h``).

Tolerances are data, keyed by dtype (:data:`TOLERANCES`).

An element whose one-sided derivatives disagree while the analytic value lies
between them (ReLU at 0, ``max``, ``abs``) is *on a kink*: reported, not counted
as a mismatch.

Example:
    >>> import numpy as np
    >>> from gradcheck.compare import relative_error
    >>> err = relative_error(np.array([1.0, 0.0]), np.array([1.1, 1e-12]), rtol=1e-5, atol=1e-8)
    >>> (err > 1e-5).tolist()     # 10% off is wrong; 1e-12 against a true 0 is not
    [True, False]
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

__all__ = ["TOLERANCES", "kink_mask", "machine_eps", "relative_error", "tolerances_for"]

#: default (rtol, atol) per parameter dtype
TOLERANCES: dict[Any, tuple[float, float]] = {
    np.dtype(np.float64): (1e-5, 1e-8),
    np.dtype(np.float32): (2e-2, 1e-4),
    np.dtype(np.float16): (1e-1, 1e-2),
}
if hasattr(np, "longdouble"):
    TOLERANCES.setdefault(np.dtype(np.longdouble), (1e-5, 1e-8))


def tolerances_for(dtypes: Any) -> tuple[float, float]:
    """The loosest default (rtol, atol) over the given dtypes."""
    pairs = [TOLERANCES.get(np.dtype(d), (1e-5, 1e-8)) for d in dtypes]
    return max(r for r, _ in pairs), max(a for _, a in pairs)


@functools.cache
def machine_eps(dtype: Any) -> float:
    """``np.finfo(dtype).eps`` as a float, cached (finfo costs microseconds a call).

    >>> machine_eps(np.dtype(np.float32))
    1.1920928955078125e-07
    """
    return float(np.finfo(dtype).eps)


def roundoff_floor(f_max: Any, step: np.ndarray, dtype: Any, loss_eps: Any = None) -> np.ndarray:
    """Per-element absolute error a central difference can carry from rounding the loss.

    ``f_max`` (the largest |loss| seen) and ``loss_eps`` may be scalars or per-element arrays.
    """
    eps = machine_eps(np.dtype(dtype)) if loss_eps is None else loss_eps
    return 8.0 * eps * np.maximum(f_max, 1e-300) / np.abs(step)


def relative_error(
    analytic: np.ndarray, numeric: np.ndarray, *, rtol: float, atol: Any
) -> np.ndarray:
    """``|a - n| / max(|a|, |n|, atol / rtol)`` element by element (0 where both are 0)."""
    a = np.asarray(analytic, dtype=np.float64)
    n = np.asarray(numeric, dtype=np.float64)
    scale = np.maximum(np.maximum(np.abs(a), np.abs(n)), np.asarray(atol, dtype=np.float64) / rtol)
    with np.errstate(divide="ignore", invalid="ignore"):
        err = np.abs(a - n) / scale
    return np.where(scale > 0, err, 0.0)


def kink_mask(
    analytic: np.ndarray, forward: np.ndarray, backward: np.ndarray, *, rtol: float, atol: Any
) -> np.ndarray:
    """Elements on a kink: one-sided derivatives disagree and the analytic value lies between them."""
    a = np.asarray(analytic, dtype=np.float64)
    lo = np.minimum(forward, backward)
    hi = np.maximum(forward, backward)
    floor = np.asarray(atol, dtype=np.float64)
    magnitude = np.maximum(np.abs(lo), np.abs(hi))
    # a one-sided difference divides the loss's rounding by h, not 2h: twice the central floor each,
    # so two of them differ by up to 4 floors from rounding alone; smooth curvature adds h * f''
    with np.errstate(invalid="ignore", over="ignore"):  # non-finite slopes: never a kink (nan compares False)
        disagree = (hi - lo) > np.maximum(np.maximum(4 * floor, 2 * rtol * magnitude), 1e-3 * magnitude)
        reach = np.maximum(2 * floor, rtol * magnitude)
        inside = (a >= lo - reach) & (a <= hi + reach)
    return disagree & inside

"""Generic signatures of a wrong gradient, read off one parameter's numbers alone.

No knowledge of the net is needed: a constant ratio analytic / numeric (and which
constant: the batch size m, 1/m, -1, 2, ...), a transpose, a shape with an extra batch
axis (a bias gradient not summed), zeros, NaN.

Example:
    >>> import numpy as np

from .thresholds import ROBUST_RTOL, near
    >>> n = np.array([[1.0, -2.0], [0.5, 3.0]])
    >>> fit_ratio(8 * n, n)[0]
    8.0
    >>> name_factor(8.0, batch=8)
    'missing_batch_mean'
    >>> shape_relation(np.ones((3, 8)), (3, 1), batch=8)[0]
    'bias_not_summed'
"""

from __future__ import annotations

import numpy as np

from .thresholds import ROBUST_RTOL, near

__all__ = ["fit_ratio", "name_factor", "robust_ratio", "shape_relation"]



def fit_ratio(analytic: np.ndarray, numeric: np.ndarray) -> tuple[float, float]:
    """Least-squares ``c`` in ``analytic ≈ c * numeric`` and the relative residual of the fit.

    Elements where ``numeric`` is NaN (not evaluated) are left out. Returns ``(nan, inf)``
    when nothing can be fitted.
    """
    a = np.asarray(analytic, dtype=np.float64).reshape(-1)
    n = np.asarray(numeric, dtype=np.float64).reshape(-1)
    if a.shape != n.shape:
        return float("nan"), float("inf")
    keep = np.isfinite(n) & np.isfinite(a)
    a, n = a[keep], n[keep]
    nn = float(n @ n)
    if a.size == 0 or nn == 0.0:
        return float("nan"), float("inf")
    c = float(a @ n) / nn
    scale = max(float(np.linalg.norm(a)), abs(c) * np.sqrt(nn), 1e-300)
    return c, float(np.linalg.norm(a - c * n)) / scale


def robust_ratio(analytic: np.ndarray, numeric: np.ndarray, *, rtol: float = ROBUST_RTOL) -> tuple[float, float, int]:
    """A constant ratio that most elements share though a few do not (a finite difference that
    straddles a relu kink is off on its element): ``(median ratio, share of elements that agree
    with it, number of elements)``; ``(nan, 0, 0)`` when nothing can be read.

    >>> n = np.arange(1.0, 21.0); a = 8 * n; a[3] = 5.0
    >>> c, share, count = robust_ratio(a, n)
    >>> float(c), share, count
    (8.0, 0.95, 20)
    """
    a = np.asarray(analytic, dtype=np.float64).reshape(-1)
    n = np.asarray(numeric, dtype=np.float64).reshape(-1)
    if a.shape != n.shape:
        return float("nan"), 0.0, 0
    keep = np.isfinite(n) & np.isfinite(a)
    a, n = a[keep], n[keep]
    if a.size == 0:
        return float("nan"), 0.0, 0
    big = np.abs(n) > 1e-3 * np.abs(n).max() if np.abs(n).max() > 0 else np.zeros(n.shape, bool)
    if not big.any():
        return float("nan"), 0.0, 0
    c = float(np.median(a[big] / n[big]))
    agree = np.abs(a - c * n) <= rtol * np.maximum(np.abs(a), np.abs(c * n)) + 1e-12 * np.abs(c * n).max()
    return c, float(agree.mean()), int(a.size)


def name_factor(c: float, *, batch: int | None) -> str:
    """The kind id of a constant factor ``c`` (analytic = c * numeric).

    ``missing_batch_mean`` / ``extra_batch_mean`` only when the batch size is known.
    """
    if batch is not None and batch > 1:
        if near(c, batch):
            return "missing_batch_mean"
        if near(c, 1.0 / batch):
            return "extra_batch_mean"
    if near(c, -1.0):
        return "sign_flipped"
    return "constant_factor"


def shape_relation(g: np.ndarray, shape: tuple[int, ...], *, batch: int | None) -> tuple[str, np.ndarray | None]:
    """How a gradient of the wrong shape relates to the parameter's ``shape``.

    Returns ``(kind, repaired)``: ``("bias_not_summed", g summed over the batch axis)``,
    ``("transposed", g.T)`` or ``("wrong_shape", None)``.
    """
    g = np.asarray(g)
    shape = tuple(shape)
    size = int(np.prod(shape)) if shape else 1
    is_bias = len(shape) == 1 or (len(shape) == 2 and 1 in shape)
    if g.ndim == 2 and len(shape) == 2 and g.shape == shape[::-1]:
        return "transposed", g.T
    if is_bias and g.ndim == 2 and g.size != size:
        # a column bias (n, 1) goes with examples as columns: sum over axis 1 first
        for axis in ((1, 0) if shape[-1] == 1 and len(shape) == 2 and shape[0] != 1 else (0, 1)):
            other = g.shape[1 - axis]
            if other == size and (batch is None or g.shape[axis] == batch or batch == 1):
                return "bias_not_summed", g.sum(axis=axis).reshape(shape)
    if g.size == size:
        # e.g. (n,) for (n, 1) or (1, n): the same numbers; compared as they are
        return "reshaped", g.reshape(shape)
    return "wrong_shape", None

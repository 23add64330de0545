"""Whether a directional derivative disagrees with the analytic one, judged by its measured noise.

A central difference along a direction errs by truncation (``c h^2``) and by the round-off of the
loss (about ``eps |loss| / h``). Its tolerance follows that error as measured for this very
derivative, not a fraction of ``|g . v|``:

1. an error within :data:`NOISE_SAFETY` times the round-off estimate ``eps |loss| / h`` (plus the
   rounding of the analytic dot product) passes at once: no measurement can show less noise;
2. an error above the tolerance of a relative comparison (``rtol`` times the scale of the gradient
   it projects) disagrees at once, as it always did;
3. in between, the derivative is measured again at half the step (2 loss evaluations). The two
   measurements' disagreements with the analytic value differ by the change of the noise (a wrong
   gradient adds the same amount to both), so ``|e(h) - e(h/2)|`` measures the noise, and the
   error must stay within :data:`NOISE_SAFETY` times it.

The tolerance is never looser than the relative comparison's, so no wrong gradient passes more
easily than with it.

Example:
    >>> import numpy as np
    >>> from gradcheck.measure import Settings
    >>> from gradcheck.numeric import directional_derivative
    >>> w = np.linspace(-1.0, 1.0, 1000); loss = lambda: float(np.tanh(w).sum()) / 1000
    >>> g = (1 - np.tanh(w) ** 2) / 1000
    >>> v = np.random.default_rng(0).standard_normal(1000); v /= np.linalg.norm(v)
    >>> s = Settings(loss, loss(), rtol=1e-5, atol=1e-8)
    >>> d = directional_derivative(w, loss, v, f0=s.f0)
    >>> judge(s, w, g, d, v).disagrees
    False
    >>> g[7] += 1e-7        # moves g . v by 3e-9: a relative comparison allows rtol * 1e-3 = 1e-8
    >>> d = directional_derivative(w, loss, v, f0=s.f0)
    >>> j = judge(s, w, g, d, v)
    >>> j.disagrees, j.tol < 1e-9
    (True, True)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from . import numeric
from .compare import machine_eps, roundoff_floor
from .measure import Settings

__all__ = ["NOISE_SAFETY", "TRUNCATION_FACTOR", "Judged", "judge", "relative_scale"]

#: The tolerance is this many times the estimated noise. The estimate is one draw of the round-off
#: (|e(h) - e(h/2)| can be small by chance: a ratio of two Gaussians has Cauchy tails), and the
#: round-off of a loss summed over millions of terms runs ~20x ``eps |loss| / h`` (measured on the
#: 1e7-parameter benchmark): a factor 10 keeps false alarms on correct nets rare, and a false
#: alarm only costs a drill-down (only element evidence makes a tensor wrong).
NOISE_SAFETY = 10.0
#: ``D(h) - D(h/2)`` holds 3/4 of the truncation error ``c h^2`` of ``D(h)``: scaled by 4/3 it
#: estimates all of it.
TRUNCATION_FACTOR = 4.0 / 3.0


@dataclass(frozen=True)
class Judged:
    """The verdict on one directional derivative.

    ``error`` is ``|analytic - numeric|``, ``tol`` the tolerance it was held to, ``noise`` the
    estimated error of the numeric value (the round-off estimate when it was not measured), ``scale``
    the relative comparison's scale and ``n_evals`` the loss evaluations the judgement added (0 or 2).
    """

    disagrees: bool
    error: float
    tol: float
    noise: float
    scale: float
    n_evals: int = 0


def relative_scale(dd_an: float, d: numeric.DirectionalResult, g_flat: np.ndarray, dtype: Any, rtol: float,
                   atol: float) -> float:
    """The scale a relative comparison divides by: the derivatives, the gradient's rms element, the floor."""
    floor = float(roundoff_floor(d.f_max, np.array([2 * d.step]), dtype)[0])
    typical = float(np.linalg.norm(g_flat)) / np.sqrt(max(g_flat.size, 1))
    return max(abs(dd_an), abs(d.derivative), typical, max(atol, floor) / rtol, 1e-300)


def judge(
    s: Settings,
    p: np.ndarray,
    g_flat: np.ndarray,
    d: numeric.DirectionalResult,
    direction: np.ndarray,
    *,
    indices: np.ndarray | None = None,
    name: str = "param",
) -> Judged:
    """Hold the directional derivative ``d`` (of ``p``, or of its flat ``indices``) to its measured noise.

    ``g_flat`` is the analytic gradient of the moved elements, flat; ``direction`` the direction ``d``
    was taken along (measured again at half the step when the error is in between).
    """
    g_flat = np.asarray(g_flat, dtype=np.float64).reshape(-1)
    dd_an = float(np.dot(g_flat, d.realised.reshape(-1)))
    error = abs(dd_an - d.derivative)
    scale = relative_scale(dd_an, d, g_flat, p.dtype, s.rtol, s.atol)
    relative_tol = s.rtol * scale
    floor = _roundoff(d, g_flat, p.dtype)
    if error > relative_tol:
        return Judged(True, error, relative_tol, floor, scale)
    if error <= NOISE_SAFETY * floor:
        return Judged(False, error, float(min(relative_tol, NOISE_SAFETY * floor)), floor, scale)
    rel = numeric.default_rel_step(p.dtype) if s.rel_step is None else s.rel_step
    half = numeric.directional_derivative(p, s.loss, direction, indices=indices, f0=s.f0, rel_step=rel / 2, name=name)
    e1 = dd_an - d.derivative
    e2 = float(np.dot(g_flat, half.realised.reshape(-1))) - half.derivative
    noise = float(TRUNCATION_FACTOR * abs(e1 - e2) + floor)
    tol = float(min(relative_tol, NOISE_SAFETY * noise))
    return Judged(bool(error > tol), error, tol, noise, scale, half.n_evals)


def _roundoff(d: numeric.DirectionalResult, g_flat: np.ndarray, dtype: Any) -> float:
    """The round-off a directional check cannot avoid: the loss's last bit over the step (``eps |loss| / h``),
    and the rounding of the analytic dot product (``eps sqrt(n) sum |g_i v_i|``)."""
    eps = machine_eps(np.dtype(dtype))
    dot = float(np.dot(np.abs(g_flat), np.abs(d.realised.reshape(-1))))
    return float(eps * d.f_max / d.step + machine_eps(np.float64) * np.sqrt(g_flat.size) * dot)

"""Detector: a returned gradient that carries an optimizer's state (a momentum velocity, a running
average, a previous step's gradient): ``analytic = a * gradient + s`` with ``s`` fixed while the
parameters move.

State kept between steps does not follow the parameters of this call: ``velocity = momentum * v + dW``
returned as the gradient is ``dW + momentum * v`` with ``v`` stored, and an average
``beta * m + (1 - beta) * dW`` is ``(1 - beta) * dW`` plus a stored term. One look at the parameters
cannot tell such a term from any other error; two can. The parameters left unexplained are moved
(seeded, by :data:`STATE_MOVE` of their spread), the user's gradient and the numerical one are taken
again there, and ``a`` is fitted to the change: ``analytic - analytic' = a * (numeric - numeric')``. When
that fits and the rest ``s = analytic - a * numeric`` is more than noise, the gradient holds a term that
did not move with the parameters. It is named when ``s`` points along the gradient (a velocity or an
average is a sum of past gradients, close to the present one for small steps), which tells stored
gradients from a constant typed into the backward pass.

It costs one more numerical gradient of those parameters (two loss calls per element) and one
``grads()`` call, so it runs only for :data:`MAX_STATE_PROBE` elements or fewer, with ``grads`` a
callable and a full numerical gradient (not a sampled one). The parameters hold their old bits after.

Example:
    >>> import numpy as np
    >>> n, n2 = np.array([1.0, -2.0, 0.5]), np.array([0.8, -1.0, 0.7])
    >>> stored = 0.9 * np.array([1.1, -2.4, 0.4])
    >>> a, s = state_fit(n + stored, n2 + stored, n, n2)
    >>> round(a, 6), np.allclose(s, stored)
    (1.0, True)
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from ...layers import forward_order
from ...numeric import central
from ...problem import protected
from ...report import Finding
from ..catalogue import fix_for
from ..evidence import Evidence, Explanation
from ..findings import join_names
from ..thresholds import DIFFERENCE_RTOL

__all__ = ["MAX_STATE_PROBE", "MIN_ALIGNMENT", "MIN_CHANGE", "MIN_SLOPE", "STATE_MOVE", "detect", "state_fit"]

#: The most elements probed: the probe costs two loss calls per element, as much as the check itself did.
MAX_STATE_PROBE = 5000
#: How far each parameter is moved, as a share of its spread (root mean square; 1 for a tensor of
#: zeros, such as biases at their start): enough to change a gradient by far more than the finite
#: differences' noise, little enough to stay in the same region of the loss.
STATE_MOVE = 0.1
#: The numerical gradient must change by at least this share of its size under the move, or the move
#: says nothing (a loss linear in the parameters has one gradient everywhere).
MIN_CHANGE = 1e-2
#: A slope ``a`` below this is no gradient at all: a gradient that does not follow the parameters is
#: stale, not a gradient with state added. An average with ``beta = 0.999`` (Adam's second-moment
#: default, the slowest in use) still keeps ``1 - beta = 1e-3`` of the gradient, so this is a tenth of it.
MIN_SLOPE = 1e-4
#: The stored term must point along the gradient at least this much (cosine): past gradients do;
#: a constant written into the backward pass need not.
MIN_ALIGNMENT = 0.5
#: The stored term must be larger than this share of the gradient: below it, it is the fit's noise.
MIN_OFFSET = 10 * DIFFERENCE_RTOL


def state_fit(a1: np.ndarray, a2: np.ndarray, n1: np.ndarray, n2: np.ndarray) -> tuple[float, np.ndarray] | None:
    """``(a, s)`` with ``a1 = a * n1 + s`` and ``a2 = a * n2 + s`` (flat arrays: the user's gradient and the
    numerical one at two points) to :data:`~gradcheck.diagnosis.thresholds.DIFFERENCE_RTOL`, or None."""
    dn, da = n1 - n2, a1 - a2
    if float(np.linalg.norm(dn)) < MIN_CHANGE * float(np.linalg.norm(n1)):
        return None
    a = float(da @ dn) / float(dn @ dn)
    if float(np.linalg.norm(da - a * dn)) > DIFFERENCE_RTOL * max(float(np.linalg.norm(da)), 1e-300):
        return None
    return a, a1 - a * n1


def detect(ev: Evidence, unexplained: list[str]) -> Explanation:
    """The optimizer-state finding over the names left, when a second point shows a term fixed in them."""
    names = _probed(ev, unexplained)
    if not names:
        return Explanation()
    try:
        moved = _at_moved_point(ev, names)
    except Exception:  # noqa: BLE001 - the user's code failing at another point: no reading
        return Explanation()
    if moved is None:
        return Explanation()
    a2, n2 = moved
    a1 = np.concatenate([ev.grads[n].ravel() for n in names])  # type: ignore[union-attr]
    n1 = np.concatenate([np.asarray(ev.report[n].numeric, float).ravel() for n in names])
    fit = state_fit(a1, a2, n1, n2)
    if fit is None:
        return Explanation()
    a, s = fit
    size, norm_n = float(np.linalg.norm(s)), float(np.linalg.norm(n1))
    cosine = float(s @ n1) / max(size * norm_n, 1e-300)
    if abs(a) < MIN_SLOPE or size < MIN_OFFSET * float(np.linalg.norm(a1)) or cosine < MIN_ALIGNMENT:
        return Explanation()
    return Explanation.of([_finding(ev, forward_order(names), a, size / norm_n, cosine)])


def _probed(ev: Evidence, unexplained: list[str]) -> list[str]:
    """The names the probe can take: a gradient and a full numerical one each, few elements, callable grads."""
    if not callable(ev.problem.grads):
        return []
    names = [n for n in unexplained if ev.grads.get(n) is not None and (num := ev.report[n].numeric) is not None
             and n in ev.params and n not in ev.reshaped and np.all(np.isfinite(num))]
    if sum(int(np.size(ev.params[n])) for n in names) > MAX_STATE_PROBE:
        return []
    return names


def _at_moved_point(ev: Evidence, names: list[str]) -> tuple[np.ndarray, np.ndarray] | None:
    """The user's gradient and the numerical one of ``names``, flat, with those parameters moved (then restored)."""
    rng = np.random.default_rng(ev.report.seed or 0)
    params: Mapping[str, np.ndarray] = ev.params
    with protected(params):
        for n in names:
            p = params[n]
            spread = float(np.sqrt(np.mean(np.asarray(p, float) ** 2))) or 1.0
            p += (STATE_MOVE * spread * rng.normal(size=p.shape)).astype(p.dtype)
        grads = ev.problem.grads_now()
        a2 = [np.asarray(grads[n], dtype=np.float64) for n in names]
        if any(g.shape != params[n].shape or not np.all(np.isfinite(g)) for g, n in zip(a2, names)):
            return None
        n2 = [central(params[n], ev.problem.loss, name=n).grad for n in names]
    flat_n2 = np.concatenate([np.asarray(g, float).ravel() for g in n2])
    if not np.all(np.isfinite(flat_n2)):
        return None
    return np.concatenate([g.ravel() for g in a2]), flat_n2


def _finding(ev: Evidence, names: list[str], a: float, share: float, cosine: float) -> Finding:
    label = join_names(names)
    scaled = "the gradient" if abs(a - 1.0) <= DIFFERENCE_RTOL else f"{a:.4g} x the gradient"
    msg = (f"the gradient of {label} is {scaled} plus a term that stays fixed when the parameters move (its size "
           f"{share:.3g} x the gradient's, along it: cosine {cosine:.3f}): state kept between calls, such as a "
           f"momentum velocity (momentum * v + dW), a running average or a previous step's gradient, is returned "
           f"with the gradient (found by taking both gradients again with {label} moved)")
    return Finding(kind="optimizer_state_in_gradient", params=names, message=msg,
                   fix=fix_for("optimizer_state_in_gradient"),
                   evidence={"slope": a, "offset_share": share, "cosine": cosine},
                   layer=ev.layer(names), confidence="likely")

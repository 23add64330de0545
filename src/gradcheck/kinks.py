"""Kinks within the step, told apart from wrong gradients by steps that do not cross them.

A central difference whose step crosses a kink (ReLU at 0, ``max``, ``abs``, a clip) measures
neither one-sided slope; in a deep ReLU net with small weights many pre-activations sit within
a step of 0, and a correct gradient looks wrong. A wrong verdict must not rest on such elements,
and a kink must not excuse a wrong gradient either, so every suspect element (relative error
above ``rtol``) is re-measured, never waved through on the first measurement alone:

1. shrink the step by :data:`SHRINK` at a time (at most :data:`MAX_LEVELS` times) until two
   successive steps each have one-sided differences that agree, and agree with each other: they
   cross no kink, and their central difference decides.
   It agrees with the analytic value: the element is *on a kink* (within the original step).
   It does not: the element is wrong;
2. an element whose one-sided differences keep disagreeing as the step shrinks sits on a kink
   at the point itself. It is on a kink when both one-sided slopes have settled (the last two
   steps give the same ones) and the analytic value equals one of them (ReLU's convention at 0
   picks a side) or lies between them (a subgradient); otherwise it is wrong;
3. a step is shrunk no further once the loss's round-off at that step could no longer tell the
   analytic value from its negative (:data:`UNINFORMATIVE`). Elements left there are
   *unresolved*: not counted, and said so, unless they, together with the elements explained
   only by lying between the one-sided slopes, make up more than :data:`DOUBT_FRACTION` of the
   checked elements, which is a reason to doubt the measurement, not to pass: they count then.

Example:
    >>> import numpy as np
    >>> from gradcheck import numeric
    >>> from gradcheck.measure import Settings, compare
    >>> w = np.array([1e-9, 2.0])                      # relu(w[0]) has its kink within a step
    >>> loss = lambda: float(max(w[0], 0.0) + w[1] ** 2)
    >>> s = Settings(loss=loss, f0=loss())
    >>> ev = numeric.central(w, loss, f0=s.f0)
    >>> g = np.array([1.0, 4.0])
    >>> res, extra = settle(s, "w", w, g, ev, compare("w", w, g, ev, s.rtol, s.atol))
    >>> res.status, res.n_kinks, extra > 0             # a step that does not cross the kink agrees
    ('ok', 1, True)
    >>> g = np.array([-1.0, 4.0])                      # a sign flip is not excused by the kink
    >>> settle(s, "w", w, g, ev, compare("w", w, g, ev, s.rtol, s.atol))[0].status
    'mismatch'
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from . import numeric
from .compare import roundoff_floor
from .report import ParamResult

if TYPE_CHECKING:  # measure imports this module
    from .measure import Settings

__all__ = ["DOUBT_FRACTION", "MAX_LEVELS", "RESOLVE_MAX_ELEMENTS", "SHRINK", "UNINFORMATIVE", "settle"]

#: each re-measurement divides the step by this: a kink at distance d from the point is out of
#: reach after log_4(h / d) levels, and two successive steps (which must agree before one decides)
#: differ in round-off by no more than this factor
SHRINK = 4.0
#: at most this many re-measurements per element (float64's default step 6e-6 comes down to
#: 4e-13); in practice :data:`UNINFORMATIVE` stops the shrinking first
MAX_LEVELS = 12
#: a step is informative while the round-off floor of its central difference is at most this
#: fraction of the gradient's size: beyond it the difference could not tell ``a`` from ``-a``
UNINFORMATIVE = 0.5
#: a wrong verdict needs more: the round-off model (8 ulps of the loss) is optimistic for losses
#: that round worse (a clipped log, a large sum), so an element is called wrong only at a step whose
#: floor is at most this fraction of the gradient's size; beyond it, it is left unresolved
DECISIVE = 0.01
#: elements on a kink only by the weakest explanations (unresolved, or lying between the
#: one-sided slopes) count as wrong when they are more than this fraction of the checked ones
DOUBT_FRACTION = 0.5
#: at most this many suspect elements per tensor are re-measured (the rest stay mismatches)
RESOLVE_MAX_ELEMENTS = 4096


@dataclass
class _Sides:
    """One measurement of some elements: central, forward and backward differences, and the floor."""

    central: np.ndarray
    forward: np.ndarray
    backward: np.ndarray
    floor: np.ndarray


def _floor(f_max: float, step: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """The round-off of a central difference (not the user's atol: that is a tolerance on the
    result, while the one-sided differences are told apart by the noise they carry)."""
    return roundoff_floor(f_max, step, dtype)


def _crossing(sd: _Sides, rtol: float) -> np.ndarray:
    """One-sided differences that disagree beyond round-off and curvature: a kink inside the step."""
    lo, hi = np.minimum(sd.forward, sd.backward), np.maximum(sd.forward, sd.backward)
    magnitude = np.maximum(np.abs(lo), np.abs(hi))
    # a one-sided difference carries twice the central floor from rounding: two differ by up to 4.
    # Smooth curvature also separates them (by h f''), but that gap shrinks with the step, so a
    # smooth element comes out clear a level or two down: no allowance for it here
    return (hi - lo) > np.maximum(4 * sd.floor, 2 * rtol * magnitude)


def _close(a: np.ndarray, b: np.ndarray, floor: np.ndarray, rtol: float, atol: float = 0.0) -> np.ndarray:
    return np.abs(a - b) <= np.maximum(np.maximum(2 * floor, atol), rtol * np.maximum(np.abs(a), np.abs(b)))


def _first(ev: numeric.EvalResult, flat: np.ndarray, dtype: np.dtype) -> _Sides:
    """The original measurement at the flat indices ``flat`` (a subset of ``ev.indices``)."""
    order = np.argsort(ev.indices, kind="stable")
    pos = order[np.searchsorted(ev.indices, flat, sorter=order)]
    return _Sides(
        ev.grad.reshape(-1)[flat], ev.forward[pos], ev.backward[pos], _floor(ev.f_max, ev.step[pos], dtype)  # type: ignore[index]
    )


def settle(
    s: Settings, name: str, p: np.ndarray, g: np.ndarray, ev: numeric.EvalResult, res: ParamResult
) -> tuple[ParamResult, int]:
    """Re-measure the suspect elements of ``res`` until a kink explains them or they are shown wrong.

    ``s`` is the check's :class:`gradcheck.measure.Settings`. Returns the recounted result and the
    extra loss evaluations. Elements the first measurement marked as kinks are re-checked too.
    """
    a_flat = g.reshape(-1)
    assert res.rel_error is not None  # set by compare() for a measured tensor
    rel = res.rel_error.reshape(-1)
    suspects = np.flatnonzero((rel > s.rtol) & np.isfinite(rel) & np.isfinite(a_flat))
    if suspects.size == 0 or ev.forward is None:
        return res, 0
    todo = suspects[:RESOLVE_MAX_ELEMENTS]
    first = _first(ev, todo, p.dtype)
    explained, unresolved, weak, used = _resolve(s, name, p, a_flat[todo], todo, first)
    kinks = np.zeros(p.size, dtype=bool)
    kinks[todo[explained]] = True
    doubt = todo[unresolved | weak]
    doubted = doubt.size > DOUBT_FRACTION * res.n_checked
    if not doubted:
        kinks[doubt] = True
    res.kinks = kinks.reshape(p.shape)
    res.n_kinks = int(np.count_nonzero(kinks))
    res.status = "mismatch"
    _recount(res, ev.indices, g, ev.grad, s.rtol)
    notes = []
    n_strong = int(np.count_nonzero(explained))
    if n_strong:
        notes.append(
            f"{n_strong} element(s) on a kink: a smaller step that does not cross it agrees, or the analytic "
            f"value is one of its one-sided slopes"
        )
    n_weak = int(np.count_nonzero(weak))
    n_open = int(np.count_nonzero(unresolved))
    if doubted:
        notes.append(
            f"{doubt.size} of {res.n_checked} elements sit on kinks no step could resolve or lie only between "
            f"the one-sided slopes: too many to excuse, so they count"
        )
    else:
        if n_weak:
            notes.append(f"{n_weak} element(s) lie between the one-sided slopes of a kink and were not counted")
        if n_open:
            notes.append(
                f"{n_open} element(s) whose numerical derivative no step could pin down (a kink within every "
                f"step fine enough to measure, or round-off) were not counted"
            )
    if notes:
        res.message = "; ".join([res.message, *notes]) if res.message else "; ".join(notes)
    return res, used


_OPEN, _KINK, _WRONG, _STOPPED = 0, 1, 2, 3


def _resolve(
    s: Settings, name: str, p: np.ndarray, a: np.ndarray, todo: np.ndarray, first: _Sides
) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """Per element of ``todo``: explained by a kink, unresolved, explained only by lying between
    the one-sided slopes; and the evaluations spent. Elements in none of the three are wrong.

    A step decides when it and the previous informative step both cross no kink and agree with
    each other: kinks on both sides of the point (a unit alive only within a sliver around it)
    can make the one-sided differences of one step agree by accident, not those of two steps.
    """
    n = todo.size
    state = np.full(n, _OPEN)
    last = _Sides(*(x.copy() for x in _fields(first)))
    # Richardson's one-sided differences are extrapolated: not comparable with a plain step's
    last_ok = np.full(n, s.method == "central") & _useful(a, first)
    last_clear = last_ok & ~_crossing(first, s.rtol)
    weak = np.zeros(n, dtype=bool)
    base = numeric.default_rel_step(p.dtype, s.method) if s.rel_step is None else float(s.rel_step)
    used = 0
    for level in range(1, MAX_LEVELS + 1):
        live = np.flatnonzero(state == _OPEN)
        if live.size == 0:
            break
        fine = numeric.central(p, s.loss, f0=s.f0, indices=todo[live], rel_step=base / SHRINK**level, name=name)
        used += fine.n_evals
        sd = _Sides(fine.grad.reshape(-1)[todo[live]], fine.forward, fine.backward,  # type: ignore[arg-type]
                    _floor(fine.f_max, fine.step, p.dtype))
        useful = _useful(a[live], sd)
        clear = useful & ~_crossing(sd, s.rtol)
        steady = clear & last_clear[live] & _close(last.central[live], sd.central, np.maximum(last.floor[live], sd.floor), s.rtol)
        agrees = _close(a[live], sd.central, sd.floor, s.rtol, s.atol)
        decisive = _useful(a[live], sd, DECISIVE)
        state[live[~useful]] = _STOPPED  # a smaller step could tell even less
        state[live[steady]] = np.where(agrees[steady], _KINK, np.where(decisive[steady], _WRONG, _STOPPED))
        # a kink at the point: one-sided slopes that settled from one step to the next decide now
        at_side, between, settled = _at_point(a[live], _take(last, live), sd, s.rtol, s.atol)
        point = useful & ~clear & settled & last_ok[live]
        state[live[point & at_side]] = _KINK
        state[live[point & ~at_side & ~between]] = np.where(decisive[point & ~at_side & ~between], _WRONG, _STOPPED)
        weak_now = point & between & ~at_side
        state[live[weak_now]] = _STOPPED
        weak[live[weak_now]] = True
        moved = live[useful]  # remember the last informative measurement
        for new, cur in zip(_fields(last), _fields(sd)):
            new[moved] = cur[useful]
        last_clear[moved] = clear[useful]
        last_ok[moved] = True
    unresolved = ((state == _OPEN) | (state == _STOPPED)) & ~weak
    return state == _KINK, unresolved, weak, used


def _take(sd: _Sides, idx: np.ndarray) -> _Sides:
    return _Sides(*(x[idx] for x in _fields(sd)))


def _useful(a: np.ndarray, sd: _Sides, fraction: float = UNINFORMATIVE) -> np.ndarray:
    """Measurements whose round-off floor is within ``fraction`` of the gradient's size (at the
    default, it could still tell the analytic value from its negative)."""
    return sd.floor <= fraction * np.maximum(np.abs(a), np.abs(sd.central))


def _fields(sd: _Sides) -> tuple[np.ndarray, ...]:
    return sd.central, sd.forward, sd.backward, sd.floor


def _at_point(a: np.ndarray, prev: _Sides, last: _Sides, rtol: float, atol: float) -> tuple[np.ndarray, ...]:
    """A kink at the point itself: one-sided slopes that settled between the last two informative
    steps (``settled``), and the analytic value at one of them (``at_point``) or between them."""
    informative = _useful(a, last)
    with np.errstate(invalid="ignore"):
        settled = (
            informative
            & _close(prev.forward, last.forward, last.floor, rtol)
            & _close(prev.backward, last.backward, last.floor, rtol)
        )
        side = _close(a, last.forward, 2 * last.floor, rtol, atol) | _close(a, last.backward, 2 * last.floor, rtol, atol)
        lo, hi = np.minimum(last.forward, last.backward), np.maximum(last.forward, last.backward)
        reach = np.maximum(np.maximum(4 * last.floor, atol), rtol * np.maximum(np.abs(lo), np.abs(hi)))
        inside = (a >= lo - reach) & (a <= hi + reach)
    return settled & side, settled & inside, settled


def _recount(res: ParamResult, idx: np.ndarray, g: np.ndarray, num: np.ndarray, rtol: float) -> None:
    """Recount mismatches and the worst element once ``res.kinks`` holds the settled kinks."""
    assert res.rel_error is not None and res.kinks is not None  # set by compare() for a measured tensor
    rel = res.rel_error.reshape(-1)[idx]
    kinks = res.kinks.reshape(-1)[idx]
    counted = np.where(kinks | ~np.isfinite(rel), -1.0, rel) if np.isfinite(g).all() else np.where(kinks, -1.0, rel)
    mismatch = ~(rel <= rtol) & ~kinks
    res.n_mismatched = int(np.count_nonzero(mismatch))
    k = int(np.argmax(counted))
    res.max_rel_error = max(float(counted[k]), 0.0)
    res.message = ""
    if res.n_mismatched:
        flat = int(idx[k])
        res.worst_index = tuple(int(i) for i in np.unravel_index(flat, res.shape))
        res.analytic_at_worst = float(g.reshape(-1)[flat])
        res.numeric_at_worst = float(num.reshape(-1)[flat])
        res.message = (
            f"{res.n_mismatched} of {idx.size} checked elements differ; worst at {res.worst_index}: "
            f"analytic {res.analytic_at_worst:.6g}, numeric {res.numeric_at_worst:.6g}"
        )
    else:
        res.status = "ok"
        res.worst_index = res.analytic_at_worst = res.numeric_at_worst = None

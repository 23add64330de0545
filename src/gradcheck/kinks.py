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
   It does not, with round-off at most :data:`DECISIVE` of the gradient: the element is wrong;
2. a one-sided difference that stays the same from one step to the next crosses no kink on its
   side: it measures the one-sided derivative at the point. The analytic value equal to it is
   right (the derivative where the loss is smooth; a one-sided slope, ReLU's convention, at a kink
   at the point itself): the element is *on a kink*;
3. an element whose one-sided differences keep disagreeing as the step shrinks sits on a kink
   at the point itself. It is on a kink when both one-sided slopes have settled (the last two
   steps give the same ones) and the analytic value equals one of them; outside both it is
   wrong; between them (a subgradient, or half a slope: no measurement tells which) it is
   *unverifiable*. Slopes that settled between two steps may still lie beyond a kink closer than
   both (the stacked kinks of a deep net with small weights): a verdict taken from one-sided
   slopes (2. and 3.) is measured once more at the finest step that can tell (:data:`VERIFY`),
   and slopes that moved there leave the element unverifiable;
4. a step is shrunk no further once the loss's round-off at that step could no longer tell the
   analytic value from its negative, nor stays within ``atol`` (:data:`UNINFORMATIVE`). Elements
   left there are *unverifiable* too: no finite difference at this point can be trusted.

Unverifiable elements are neither wrong nor right: a tensor with some and no wrong element has
the status ``"unverifiable"`` (not ok), so a wrong verdict never rests on them and they never pass
as a match either.

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
    >>> w = np.array([0.0, 2.0])                       # relu(w[0]) at its kink; 0.25 lies between its slopes
    >>> s, g = Settings(loss=loss, f0=loss()), np.array([0.25, 4.0])
    >>> ev = numeric.central(w, loss, f0=s.f0)
    >>> res = settle(s, "w", w, g, ev, compare("w", w, g, ev, s.rtol, s.atol))[0]
    >>> res.status, res.n_unverifiable
    ('unverifiable', 1)
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

__all__ = ["DECISIVE", "VERIFY", "MAX_LEVELS", "RESOLVE_MAX_ELEMENTS", "SHRINK", "UNINFORMATIVE", "settle"]

#: each re-measurement divides the step by this: a kink at distance d from the point is out of
#: reach after log_4(h / d) levels, and two successive steps (which must agree before one decides)
#: differ in round-off by no more than this factor
SHRINK = 4.0
#: at most this many re-measurements per element (float64's default step 6e-6 comes down to
#: 4e-13); in practice :data:`UNINFORMATIVE` stops the shrinking first
MAX_LEVELS = 12
#: a step is informative while the round-off floor of its central difference is at most this
#: fraction of the gradient's size (beyond it the difference could not tell ``a`` from ``-a``), or
#: within ``atol`` (the bound every element is compared with: a zero gradient is measured to it)
UNINFORMATIVE = 0.5
#: a wrong verdict needs more: the round-off model (8 ulps of the loss) is optimistic for losses
#: that round worse (a clipped log, a large sum), so an element is called wrong only at a step whose
#: floor is at most this fraction of the gradient's size; beyond it, it is unverifiable
DECISIVE = 0.01
#: a verdict taken from one-sided slopes is checked again at the smallest step whose floor is at
#: most this fraction of the slopes' size (or within ``atol``): a slope that moved by 10% there sat
#: beyond a kink closer than the step it was taken at
VERIFY = 0.05
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
    open_ = np.zeros(p.size, dtype=bool)
    open_[todo[unresolved | weak]] = True
    res.kinks = kinks.reshape(p.shape)
    res.unverifiable = open_.reshape(p.shape)
    res.n_kinks = int(np.count_nonzero(kinks))
    res.n_unverifiable = int(np.count_nonzero(open_))
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
    if n_weak:
        notes.append(
            f"{n_weak} element(s) sit on a kink with the analytic value between its one-sided slopes: "
            f"unverifiable (no step tells a subgradient from a wrong value)"
        )
    if n_open:
        notes.append(
            f"{n_open} element(s) unverifiable: every step that avoids their kink leaves the loss's round-off "
            f"above the gradient, so no finite difference can check them"
        )
    if notes:
        res.message = "; ".join([res.message, *notes]) if res.message else "; ".join(notes)
    return res, used


_OPEN, _KINK, _WRONG, _STOPPED, _WEAK, _HELD = 0, 1, 2, 3, 4, 5
#: the one-sided slopes a decision rests on (bits)
_FWD, _BWD = 1, 2


def _resolve(
    s: Settings, name: str, p: np.ndarray, a: np.ndarray, todo: np.ndarray, first: _Sides
) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """Per element of ``todo``: explained by a kink, unresolved, explained only by lying between
    the one-sided slopes; and the evaluations spent. Elements in none of the three are wrong.

    A step decides when it and the previous informative step both cross no kink and agree with
    each other: kinks on both sides of the point (a unit alive only within a sliver around it)
    can make the one-sided differences of one step agree by accident, not those of two steps.
    A decision from one-sided slopes is held and checked once more at a finer step (:func:`_verify`).
    """
    n = todo.size
    state = np.full(n, _OPEN)
    last = _Sides(*(x.copy() for x in _fields(first)))
    # Richardson's one-sided differences are extrapolated: not comparable with a plain step's
    last_ok = np.full(n, s.method == "central") & _useful(a, first, UNINFORMATIVE, s.atol)
    last_clear = last_ok & ~_crossing(first, s.rtol)
    weak = np.zeros(n, dtype=bool)
    held = np.full(n, _OPEN)  # a verdict from one-sided slopes, checked at a finer step after the loop
    basis = np.zeros(n, dtype=int)  # the slopes it rests on
    level_of = np.zeros(n, dtype=int)  # the level it was taken at
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
        prev = _take(last, live)
        useful = _useful(a[live], sd, UNINFORMATIVE, s.atol)
        clear = useful & ~_crossing(sd, s.rtol)
        steady = clear & last_clear[live] & _close(prev.central, sd.central, np.maximum(prev.floor, sd.floor), s.rtol)
        now, sided = _decide(s, a[live], prev, sd, useful, clear, steady, last_ok[live])
        hold = (sided != 0) & ((now == _KINK) | (now == _WRONG))
        held[live[hold]], basis[live[hold]], level_of[live[hold]] = now[hold], sided[hold], level
        state[live] = np.where(hold, _HELD, now)
        weak[live] = now == _WEAK
        moved = live[useful]  # remember the last informative measurement
        for new, cur in zip(_fields(last), _fields(sd)):
            new[moved] = cur[useful]
        last_clear[moved] = clear[useful]
        last_ok[moved] = True
    pending = np.flatnonzero(state == _HELD)
    if pending.size:
        state[pending], extra = _verify(s, name, p, a[pending], todo[pending], _take(last, pending), held[pending],
                                        basis[pending], base / SHRINK ** level_of[pending].astype(float))
        used += extra
    unresolved = (state == _OPEN) | (state == _STOPPED)
    return state == _KINK, unresolved, weak, used


def _verify(
    s: Settings, name: str, p: np.ndarray, a: np.ndarray, idx: np.ndarray, sd: _Sides, held: np.ndarray,
    basis: np.ndarray, rel_step: np.ndarray,
) -> tuple[np.ndarray, int]:
    """Check verdicts taken from one-sided slopes at the finest step that can still tell.

    Slopes that settled between two steps may still sit beyond a kink closer than both (the stacked
    kinks of a deep net with small weights sit 1e-10 from the point): the slope there is not the one
    at the point. A kink at distance d moves a one-sided difference of step h by about d/h of the
    slopes' gap, so it shows best at the smallest step whose round-off still leaves the verdict's
    margin (:data:`VERIFY` of the slopes' size, or ``atol`` for an excuse).
    Measured once there, a verdict stands when its slopes did not move, else the element is
    unverifiable. Returns the states and the evaluations spent.
    """
    state = held.copy()
    size = np.maximum(np.abs(a), np.maximum(np.abs(sd.forward), np.abs(sd.backward)))
    budget = np.maximum(VERIFY * size, np.where(held == _WRONG, 0.0, s.atol))
    with np.errstate(divide="ignore", invalid="ignore"):
        more = np.floor(np.log(budget / sd.floor) / np.log(SHRINK))  # the floor grows by SHRINK a level
    more = np.clip(np.nan_to_num(more, nan=0.0), 0, MAX_LEVELS).astype(int)
    used = 0
    for k in np.unique(more[more > 0]):
        group = np.flatnonzero(more == k)
        for step in np.unique(rel_step[group]):
            sub = group[rel_step[group] == step]
            fine = numeric.central(p, s.loss, f0=s.f0, indices=idx[sub], rel_step=float(step) / SHRINK**k, name=name)
            used += fine.n_evals
            now = _Sides(fine.grad.reshape(-1)[idx[sub]], fine.forward, fine.backward,  # type: ignore[arg-type]
                         _floor(fine.f_max, fine.step, p.dtype))
            moved = _moved(_take(sd, sub), now, s.rtol) & basis[sub]
            state[sub[moved != 0]] = _STOPPED
    return state, used


def _decide(
    s: Settings, a: np.ndarray, prev: _Sides, sd: _Sides, useful: np.ndarray, clear: np.ndarray,
    steady: np.ndarray, prev_ok: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """The state of each live element after the measurement ``sd`` (``prev``: the last informative one).

    An element is excused (on a kink) at an informative step (:data:`UNINFORMATIVE`, or round-off
    within ``atol``), and called wrong only where the round-off is at most :data:`DECISIVE` of it. Anything else at a step no smaller one can improve
    on is left open (unverifiable).
    """
    state = np.where(useful, _OPEN, _STOPPED)  # past UNINFORMATIVE a smaller step could tell even less
    confirm = useful
    decisive = _useful(a, sd, DECISIVE)
    agrees = _close(a, sd.central, sd.floor, s.rtol, s.atol)
    state[steady] = np.where((agrees & confirm)[steady], _KINK,
                             np.where((~agrees & decisive)[steady], _WRONG, _STOPPED))
    # one side that did not move from the last step to this one crosses no kink: it is the one-sided
    # derivative at the point, and an analytic value equal to it is right
    sides = np.where(useful & prev_ok & confirm & ~steady, _one_side(a, prev, sd, s.rtol, s.atol), 0)
    side = sides != 0
    state[side] = _KINK
    # a kink at the point: one-sided slopes that settled from one step to the next decide now
    at_side, between, settled = _at_point(a, prev, sd, s.rtol, s.atol)
    point = useful & ~clear & settled & prev_ok & ~side
    state[point & at_side] = np.where(confirm[point & at_side], _KINK, _STOPPED)
    outside = point & ~at_side & ~between
    state[outside] = np.where(decisive[outside], _WRONG, _STOPPED)
    state[point & between & ~at_side] = _WEAK
    return state, np.where(point, _FWD | _BWD, sides)


def _one_side(a: np.ndarray, prev: _Sides, sd: _Sides, rtol: float, atol: float) -> np.ndarray:
    """Which one-sided difference (:data:`_FWD`, :data:`_BWD`, both or 0) stayed put from the previous
    step and equals the analytic value."""
    with np.errstate(invalid="ignore"):
        fwd = _close(prev.forward, sd.forward, sd.floor, rtol) & _close(a, sd.forward, sd.floor, rtol, atol)
        bwd = _close(prev.backward, sd.backward, sd.floor, rtol) & _close(a, sd.backward, sd.floor, rtol, atol)
    return np.where(fwd, _FWD, 0) | np.where(bwd, _BWD, 0)


def _moved(prev: _Sides, sd: _Sides, rtol: float) -> np.ndarray:
    """Which one-sided differences moved beyond round-off from the previous step (bits as :func:`_one_side`)."""
    with np.errstate(invalid="ignore"):
        fwd = ~_close(prev.forward, sd.forward, sd.floor, rtol)
        bwd = ~_close(prev.backward, sd.backward, sd.floor, rtol)
    return np.where(fwd, _FWD, 0) | np.where(bwd, _BWD, 0)


def _take(sd: _Sides, idx: np.ndarray) -> _Sides:
    return _Sides(*(x[idx] for x in _fields(sd)))


def _useful(a: np.ndarray, sd: _Sides, fraction: float = UNINFORMATIVE, atol: float = 0.0) -> np.ndarray:
    """Measurements whose round-off floor is within ``fraction`` of the gradient's size (at the
    default, it could still tell the analytic value from its negative) or within ``atol``."""
    return sd.floor <= np.maximum(fraction * np.maximum(np.abs(a), np.abs(sd.central)), atol)


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
    """Recount mismatches and the worst element once ``res.kinks`` and ``res.unverifiable`` hold the
    settled kinks and the elements no step could check; set the status from them."""
    assert res.rel_error is not None and res.kinks is not None  # set by compare() for a measured tensor
    rel = res.rel_error.reshape(-1)[idx]
    kinks = res.kinks.reshape(-1)[idx]
    if res.unverifiable is not None:
        kinks = kinks | res.unverifiable.reshape(-1)[idx]  # neither counted nor matched
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
        res.status = "unverifiable" if res.n_unverifiable else "ok"
        res.worst_index = res.analytic_at_worst = res.numeric_at_worst = None

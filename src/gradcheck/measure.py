"""Measuring one parameter: its numerical gradient, compared with the analytic one.

:func:`evaluate` runs the finite differences of the chosen method; :func:`compare` turns them
into a :class:`~gradcheck.report.ParamResult` (relative errors, kinks, the worst element);
:func:`compare_settled` also re-measures the suspect elements with steps that do not cross a kink
before calling them wrong or excusing them (:mod:`gradcheck.kinks`), so a kink within the step
(ReLU, max, clip; float32's large steps) is not reported as a mistake, nor a mistake as a kink.

Example:
    >>> import numpy as np
    >>> w = np.array([1.0, 2.0])
    >>> ev = evaluate(Settings(loss=lambda: float(w @ w), f0=5.0), "w", w, None)
    >>> compare("w", w, 2 * w, ev, 1e-5, 1e-8).status
    'ok'
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import numeric
from .compare import kink_mask, relative_error, roundoff_floor
from .errors import InvalidOptionError, NondeterministicLossError
from .kinks import settle
from .report import ParamResult, dtype_name

__all__ = ["DEFAULT_SAMPLE", "Settings", "compare", "compare_settled", "evaluate"]

#: elements per tensor in sampled mode, and in the drill-down of a fast check
DEFAULT_SAMPLE = 32


@dataclass(frozen=True)
class Settings:
    """What every measurement in one check shares: the loss, its value at the start, the method,
    the tolerances and step, the params mapping (for complex step) and an optional worker pool."""

    loss: Callable[[], Any]
    f0: float
    method: str = "central"
    rtol: float = 1e-5
    atol: float = 1e-8
    rel_step: float | None = None
    mapping: Any = None
    pool: Any = None
    #: the user chose ``atol`` (not the dtype default): a value that leaves a tensor unresolved is refused
    user_atol: bool = False
    #: seconds of the fastest loss evaluation at the start (0: not timed), for the cost estimates
    t_eval: float = 0.0

    @property
    def user_options(self) -> bool:
        """True when the user chose the step or the absolute tolerance."""
        return self.rel_step is not None or self.user_atol


#: an element is resolved when its absolute floor (atol, or the round-off of its finite difference)
#: is below this fraction of its analytic value: an error of that size would show above the floor
RESOLVE_FRACTION = 0.1


def require_resolved(s: Settings, name: str, a: np.ndarray, floor: np.ndarray) -> None:
    """Refuse user options under which no nonzero gradient value of a tensor stands above the floor.

    With ``rel_step`` so small that round-off swamps the difference, or ``atol`` larger than the
    gradient, every comparison passes whatever the gradient: such options are an error, not a pass.
    """
    nonzero = np.abs(a) > 0
    if not s.user_options or not nonzero.any():
        return
    if (floor[nonzero] < RESOLVE_FRACTION * np.abs(a[nonzero])).any():
        return
    big = float(np.abs(a[nonzero]).max())
    if s.user_atol and s.atol >= RESOLVE_FRACTION * big:
        why = f"atol={s.atol:g} is not below {RESOLVE_FRACTION:g} x the largest gradient value of {name!r} ({big:.3g})"
        fix = "use a smaller atol"
    else:
        why = (
            f"with rel_step={s.rel_step:g} the round-off of the finite differences (down to {float(floor.min()):.3g}) "
            f"swamps every gradient value of {name!r} (the largest is {big:.3g})"
        )
        fix = "use a larger rel_step, or leave it out for the default"
    raise InvalidOptionError(f"{why}: no wrong gradient could be told from a right one; {fix}")


def evaluate(
    s: Settings, name: str, p: np.ndarray, idx: np.ndarray | None, tick: Callable[[float], None] | None = None
) -> numeric.EvalResult:
    """The numerical gradient of ``p`` at the flat indices ``idx`` (all when None)."""
    if s.pool is not None and s.method in ("central", "richardson"):
        return getattr(s.pool, s.method)(name, f0=s.f0, indices=idx, rel_step=s.rel_step, progress=tick)
    if s.method == "central":
        return numeric.central(p, s.loss, f0=s.f0, indices=idx, rel_step=s.rel_step, name=name, progress=tick)
    if s.method == "richardson":
        return numeric.richardson(p, s.loss, f0=s.f0, indices=idx, rel_step=s.rel_step, name=name, progress=tick)
    return numeric.complex_step(s.mapping, name, s.loss, indices=idx, rel_step=s.rel_step, progress=tick)


def compare(name: str, p: np.ndarray, g: np.ndarray, ev: numeric.EvalResult, rtol: float, atol: float) -> ParamResult:
    idx = ev.indices
    res = ParamResult(
        name=name,
        shape=p.shape,
        dtype=dtype_name(p.dtype),
        status="ok",
        max_rel_error=0.0,
        n_checked=idx.size,
        grad_shape=g.shape,
        analytic=g,
        numeric=ev.grad,
    )
    if g.shape != p.shape:
        res.status = "wrong_shape"
        res.max_rel_error = float("inf")
        res.n_mismatched = int(idx.size)
        res.message = f"the analytic gradient has shape {g.shape}, the parameter {p.shape}"
        return res
    # a full check evaluates every element in C order: use flat views, no gathers or scatters
    everything = idx.size == p.size and (idx.size < 2 or (idx[0] == 0 and idx[-1] == p.size - 1 and idx[1] == 1))
    num = ev.grad.reshape(-1) if everything else ev.grad.reshape(-1)[idx]
    a = g.reshape(-1) if everything else g.reshape(-1)[idx]
    floor = roundoff_floor(ev.f_max, ev.step, p.dtype)
    np.maximum(floor, atol, out=floor)
    rel = relative_error(a, num, rtol=rtol, atol=floor)
    bad = rel > rtol
    unmeasured = ~np.isfinite(num)  # an overflowing difference (inf - inf) is never a match
    if unmeasured.any():
        rel[unmeasured] = np.inf
        bad |= unmeasured
    kinks = None
    if bad.any():
        if ev.forward is not None and ev.backward is not None:
            kinks = bad & kink_mask(a, ev.forward, ev.backward, rtol=rtol, atol=floor)
    finite = bool(np.isfinite(a).all())
    if not finite:
        nonfinite = ~np.isfinite(a)
        rel[nonfinite] = np.inf
        bad |= nonfinite
    mismatch = bad if kinks is None else bad & ~kinks
    if everything:
        res.rel_error = rel.reshape(p.shape)
        res.kinks = np.zeros(p.shape, dtype=bool) if kinks is None else kinks.reshape(p.shape)
    else:
        res.rel_error = np.full(p.shape, np.nan)
        res.rel_error.reshape(-1)[idx] = rel
        res.kinks = np.zeros(p.shape, dtype=bool)
        if kinks is not None:
            res.kinks.reshape(-1)[idx] = kinks
    res.n_kinks = 0 if kinks is None else int(np.count_nonzero(kinks))
    res.n_mismatched = int(np.count_nonzero(mismatch))
    counted = rel if kinks is None else np.where(kinks, -1.0, rel)
    k = int(np.argmax(counted))
    res.max_rel_error = max(float(counted[k]), 0.0)
    if res.n_mismatched:
        res.worst_index = tuple(int(i) for i in np.unravel_index(int(idx[k]), p.shape))
        res.analytic_at_worst = float(a[k])
        res.numeric_at_worst = float(num[k])
        res.status = "nonfinite" if not finite else "mismatch"
        res.message = (
            f"{res.n_mismatched} of {idx.size} checked elements differ; worst at {res.worst_index}: "
            f"analytic {a[k]:.6g}, numeric {num[k]:.6g}"
        )
    if res.n_kinks:
        note = f"{res.n_kinks} element(s) sit on a kink (one-sided derivatives differ) and were not counted"
        res.message = f"{res.message}; {note}" if res.message else note
    return res



def compare_settled(
    s: Settings, name: str, p: np.ndarray, g: np.ndarray, ev: numeric.EvalResult
) -> tuple[ParamResult, int]:
    """:func:`compare`, then :func:`gradcheck.kinks.settle` the suspects (mismatches and kinks): each
    is re-measured with steps that do not cross a kink before it is called wrong or excused; then a
    few kink elements are replayed (:func:`_replay`). Returns the result and the extra evaluations."""
    res = compare(name, p, g, ev, s.rtol, s.atol)
    if s.user_options and res.status in ("ok", "mismatch"):
        idx = ev.indices
        require_resolved(s, name, g.reshape(-1)[idx], np.maximum(s.atol, roundoff_floor(ev.f_max, ev.step, p.dtype)))
    extra = 0
    if (res.status == "mismatch" or res.n_kinks) and s.method != "complex":
        res, extra = settle(s, name, p, g, ev, res)
    if ev.forward is None or res.kinks is None or res.n_kinks == 0:
        return res, extra
    kinked = np.flatnonzero(res.kinks.reshape(-1))
    pick = kinked[np.unique(np.linspace(0, kinked.size - 1, min(KINK_RECHECK, kinked.size)).astype(np.intp))]
    order = np.argsort(ev.indices, kind="stable")
    pos = order[np.searchsorted(ev.indices[order], pick)]
    return res, extra + _replay(s, name, p, ev, pick, pos)


#: at most this many kink elements of a tensor are replayed
KINK_RECHECK = 16


def _replay(s: Settings, name: str, p: np.ndarray, ev: numeric.EvalResult, pick: np.ndarray, pos: np.ndarray) -> int:
    """Measure kink elements again at the same step: a kink is a property of the loss, so it replays bit for bit.

    A loss that gave a different value once (a transient write into a parameter, a value that drifts
    and comes back) can make one element look like a kink; replayed, it does not give the same
    one-sided values, and the check stops. Returns the evaluations spent.
    """
    again = evaluate(s, name, p, pick)
    assert ev.forward is not None and ev.backward is not None  # a replay follows one-sided values
    same = (again.forward == ev.forward[pos]) & (again.backward == ev.backward[pos])
    if not same.all():
        k = int(pick[int(np.argmin(same))])
        where = tuple(int(i) for i in np.unravel_index(k, p.shape))
        raise NondeterministicLossError(
            f"loss() gave different values at the same perturbed point (element {where} of parameter {name!r}, "
            f"measured twice): the loss changes as it is called or writes into the parameters now and then, so no "
            f"finite difference can be trusted. Make loss() a pure function of the parameters."
        )
    return again.n_evals

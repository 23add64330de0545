"""Fast checks for large nets: one random direction per tensor, then drill down.

A directional check costs 2 loss evaluations per tensor, whatever its size. Only a
tensor whose directional derivative disagrees is then looked at element by element,
and only element evidence makes it wrong:

1. tensors of at most :data:`FAST_FULL_DRILLDOWN_MAX` elements (and a full check estimated
   within :data:`FAST_FULL_DRILLDOWN_SECONDS`) are checked in full; others at ``sample``
   random elements;
2. when every sampled element agrees, the error is either sparse (a few wrong elements
   the sample missed) or no error at all (the direction crossed a ReLU kink). The
   directional check is then bisected: each half of the failing index set gets its own
   directional check, the failing halves (at most :data:`BISECT_WIDTH` per level) are
   split again, and the sets of at most :data:`BISECT_LEAF` elements that still fail are
   checked element by element. A wrong element is found in about
   ``4 * BISECT_WIDTH * log2(size)`` evaluations;
3. if no element disagrees, the tensor passes, and its message says why the direction
   disagreed (one-sided derivatives that differ: a kink along the direction).

So a net with a million parameters gets a localized verdict for a number of loss
evaluations that grows with the number of tensors, not of parameters.

Example:
    >>> import numpy as np, gradcheck
    >>> from gradcheck.nn import MLP
    >>> net = MLP([20, 50, 1], activations="tanh", loss="mse")
    >>> X, y = net.random_data(8)
    >>> grads = lambda: {**net.gradients(X, y), "b1": 2 * net.gradients(X, y)["b1"]}
    >>> r = gradcheck.check(net.params, lambda: net.loss(X, y), grads, mode="fast")
    >>> r.first_wrong, r.n_loss_evals < 2 * sum(p.size for p in net.params.values())
    ('b1', True)
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from . import numeric
from .compare import roundoff_floor
from .dirnoise import NOISE_SAFETY, Judged, judge
from .measure import DEFAULT_SAMPLE, Settings, compare_settled, evaluate, require_resolved
from .report import ParamResult

__all__ = [
    "BISECT_ATTEMPTS",
    "BISECT_LEAF",
    "BISECT_WIDTH",
    "FAST_FULL_DRILLDOWN_MAX",
    "FAST_FULL_DRILLDOWN_SECONDS",
    "REACH_QUANTILE",
    "Reach",
    "fast_check_one",
    "rules_out",
]

#: tensors that fail their directional check and have at most this many elements are
#: then checked in full (larger ones by a sample) so the diagnosis has every element ...
FAST_FULL_DRILLDOWN_MAX = 4096
#: ... as long as that full check is estimated to take at most this many seconds.
FAST_FULL_DRILLDOWN_SECONDS = 2.0
#: at most this many failing index sets are followed at each level of the bisection.
BISECT_WIDTH = 4
#: index sets of at most this many elements are checked element by element.
BISECT_LEAF = 32
#: bisections (each along a fresh direction) before a disagreement without element evidence is let go.
BISECT_ATTEMPTS = 3
#: what an "ok" rules out is stated for 9 in 10 elements: an error at element k moves the directional
#: derivative by error * |v_k|, and a random unit direction has components near 0 at a few elements
#: (no single direction rules out an error at every element); this quantile of |v_k| sets the size.
REACH_QUANTILE = 0.1


@dataclass(frozen=True)
class Reach:
    """What the fast check of one tensor rules out.

    ``threshold``: a single-element error above it, at 9 in 10 of the tensor's elements, would have
    made the direction disagree (the tolerance from the measured noise, plus that noise, over the 10th
    percentile of the direction's components); None when the direction did disagree. ``rms`` is the
    tensor's rms analytic gradient element, ``in_full`` says every element was checked.
    """

    name: str
    threshold: float | None
    rms: float
    in_full: bool = False


def fast_check_one(
    s: Settings,
    name: str,
    p: np.ndarray,
    g: np.ndarray,
    sample: int | None,
    rng: np.random.Generator,
    tick: Callable[[float], None],
) -> tuple[ParamResult, int, Reach]:
    """Directional check of one tensor; drill down into it only when it fails.

    Returns the tensor's result, the number of loss evaluations spent on it and what its check rules out.
    """
    if g.shape != p.shape or not np.all(np.isfinite(g)):
        res, used = _drill_down(s, name, p, g, sample, rng, tick)
        return res, used, Reach(name, None, 0.0, res.n_checked == p.size)
    v = rng.standard_normal(p.size)
    v /= np.linalg.norm(v)
    t0 = time.perf_counter()
    d = numeric.directional_derivative(p, s.loss, v.reshape(p.shape), f0=s.f0, rel_step=s.rel_step, name=name)
    t_eval = (time.perf_counter() - t0) / 2
    if s.t_eval > 0:  # the fastest of the timings: a busy machine only ever slows one down
        t_eval = min(t_eval, s.t_eval)
    g_flat = g.reshape(-1)
    rms = float(np.linalg.norm(g_flat)) / np.sqrt(max(g.size, 1))
    dd_an = float(np.dot(g_flat, d.realised.reshape(-1)))
    j = judge(s, p, g_flat, d, v.reshape(p.shape), name=name)
    rel = j.error / j.scale
    if s.user_options:
        floor = max(s.atol, float(roundoff_floor(d.f_max, np.array([2 * d.step]), p.dtype)[0]))
        require_resolved(s, name, np.array([dd_an]), np.array([floor]))
    if not j.disagrees:
        tick(min(p.size, sample or DEFAULT_SAMPLE))
        res = ParamResult(
            name=name, shape=tuple(p.shape), dtype=str(p.dtype), status="ok", max_rel_error=rel,
            n_checked=0, grad_shape=tuple(g.shape), analytic=g, numeric=None,
            message=(f"directional derivative matches (analytic {dd_an:.6g}, numeric {d.derivative:.6g}, "
                     f"within {j.tol:.2g} from its measured noise)"),
        )
        return res, 2 + j.n_evals, Reach(name, _threshold(j, d.realised), rms)
    why = (
        f"the directional derivative disagrees (analytic {dd_an:.6g}, numeric {d.derivative:.6g}, "
        f"difference {j.error:.2g} above its tolerance {j.tol:.2g})"
    )
    res, used = _drill_down(s, name, p, g, sample, rng, tick, v, why, t_eval)
    if res.ok and _crosses_kink(dd_an, d, s.rtol):
        res.message += (
            f"; the one-sided directional derivatives differ ({d.forward:.6g} vs {d.backward:.6g}): "
            f"the direction crosses a kink (ReLU, max, abs)"
        )
    return res, used + 2 + j.n_evals, Reach(name, None, rms, res.n_checked == p.size)


def _threshold(j: Judged, realised: np.ndarray) -> float:
    """The single-element error that moves the directional derivative past its tolerance (and its noise)
    at 9 in 10 elements: an error ``e`` at element ``k`` moves it by ``e * |v_k|``."""
    component = float(np.quantile(np.abs(realised.reshape(-1)), REACH_QUANTILE))
    return (j.tol + j.tol / NOISE_SAFETY) / max(component, 1e-300)


def rules_out(reach: list[Reach]) -> str:
    """One line: what an "ok" from the fast check rules out, and what it does not.

    >>> rules_out([Reach("W", 2e-6, 0.01), Reach("b", 1e-7, 0.1)])  # doctest: +NORMALIZE_WHITESPACE
    "fast check: its 'ok' rules out a single-element error above ~2e-06 (0.0002x the rms gradient element
    of W, the least sensitive tensor) at 9 in 10 elements of each tensor, from the measured
    finite-difference noise of its random direction; smaller errors, errors at the elements a direction
    barely moves, and errors that cancel along the directions are not ruled out"
    """
    passed = [r for r in reach if r.threshold is not None]
    parts = []
    if passed:
        worst = max(passed, key=lambda r: r.threshold or 0.0)
        x = worst.threshold or 0.0
        ratio = f"{x / worst.rms:.2g}x the rms gradient element of {worst.name}" if worst.rms > 0 else worst.name
        parts.append(
            f"fast check: its 'ok' rules out a single-element error above ~{x:.2g} ({ratio}, the least sensitive "
            f"tensor) at 9 in 10 elements of each tensor, from the measured finite-difference noise of its random "
            f"direction; smaller errors, errors at the elements a direction barely moves, and errors that cancel "
            f"along the directions are not ruled out"
        )
    full = [r.name for r in reach if r.threshold is None and r.in_full]
    if full:
        parts.append(f"{', '.join(full)}: checked element by element")
    partial = [r.name for r in reach if r.threshold is None and not r.in_full]
    if partial:
        parts.append(
            f"{', '.join(partial)}: the direction disagreed and only a sample and a bisection were checked "
            f"element by element, so only the elements checked are ruled out"
        )
    return "; ".join(parts) if passed else ("fast check: " + "; ".join(parts) if parts else "")


def _crosses_kink(dd_an: float, d: numeric.DirectionalResult, rtol: float) -> bool:
    """One-sided derivatives that disagree, with the analytic value between them."""
    if d.forward is None or d.backward is None:
        return False
    lo, hi = min(d.forward, d.backward), max(d.forward, d.backward)
    slack = rtol * max(abs(lo), abs(hi), abs(dd_an))
    return (hi - lo) > 10 * slack and lo - slack <= dd_an <= hi + slack


def _unexplained(dd_an: float, d: numeric.DirectionalResult, scale: float) -> float:
    """How far the analytic value lies outside the one-sided derivatives, relative to ``scale``.

    A correct gradient across kinks lies between the one-sided derivatives (0 here); a wrong
    one usually does not.
    """
    if d.forward is None or d.backward is None:
        return abs(dd_an - d.derivative) / scale
    lo, hi = min(d.forward, d.backward, d.derivative), max(d.forward, d.backward, d.derivative)
    return max(lo - dd_an, dd_an - hi, 0.0) / scale


def _drill_down(
    s: Settings,
    name: str,
    p: np.ndarray,
    g: np.ndarray,
    sample: int | None,
    rng: np.random.Generator,
    tick: Callable[[float], None],
    v: np.ndarray | None = None,
    why: str = "",
    t_eval: float = 0.0,
) -> tuple[ParamResult, int]:
    """Element evidence for a tensor: full when small, else a sample, then a bisection if needed."""
    idx = None
    per_element = numeric.EVALS_PER_ELEMENT.get(s.method, 2)
    if p.size > FAST_FULL_DRILLDOWN_MAX or per_element * p.size * t_eval > FAST_FULL_DRILLDOWN_SECONDS:
        k = min(p.size, sample or DEFAULT_SAMPLE)
        idx = np.sort(rng.choice(p.size, size=k, replace=False))
    ev = evaluate(s, name, p, idx, tick)
    res, extra = compare_settled(s, name, p, g, ev)
    used = ev.n_evals + extra
    if idx is None or not res.ok or v is None:
        if why:
            tail = "element evidence confirms it" if res.wrong else "no element is shown wrong"
            res.message = f"{why}; {tail}" + (f"; {res.message}" if res.message else "")
        return res, used
    # the direction disagreed but no sampled element did: bisect to find the elements
    for attempt in range(BISECT_ATTEMPTS):
        if attempt:  # kinks may have hidden the error along the first direction: try another
            v = rng.standard_normal(p.size)
            v /= np.linalg.norm(v)
        suspects, spent = _bisect(s, p, g, v, name)
        used += spent
        suspects = np.setdiff1d(suspects, ev.indices)
        if suspects.size:
            ev2 = evaluate(s, name, p, suspects, tick)
            used += ev2.n_evals
            ev = _merge(ev, ev2)
            res, extra = compare_settled(s, name, p, g, ev)
            used += extra
        if res.wrong:
            break
    if not res.wrong:
        res.message = (
            f"{why}, but none of {res.n_checked} elements checked (a sample, then the elements a bisection "
            f"of the direction pointed at) disagrees: no wrong element found"
        ) + (f"; {res.message}" if res.message else "")
    else:
        res.message = (
            f"{why}; no sampled element disagreed, and bisecting the direction found the wrong elements: "
            f"{res.message}"
        )
    return res, used


def _bisect(s: Settings, p: np.ndarray, g: np.ndarray, v: np.ndarray, name: str) -> tuple[np.ndarray, int]:
    """Flat indices of the small index sets whose directional derivative still disagrees."""
    g_flat = g.reshape(-1)
    frontier = [np.arange(p.size, dtype=np.intp)]
    leaves: list[np.ndarray] = []
    used = 0
    while frontier:
        scored: list[tuple[float, float, np.ndarray]] = []
        for part in frontier:
            if part.size <= BISECT_LEAF:
                leaves.append(part)
                continue
            for half in (part[: part.size // 2], part[part.size // 2 :]):
                vh = v[half]
                norm = float(np.linalg.norm(vh))
                if norm == 0.0:
                    continue
                vh = vh / norm
                d = numeric.directional_derivative(p, s.loss, vh, indices=half, f0=s.f0, rel_step=s.rel_step, name=name)
                gh = g_flat[half]
                j = judge(s, p, gh, d, vh, indices=half, name=name)
                used += 2 + j.n_evals
                if j.disagrees:
                    dd_an = float(np.dot(gh, d.realised))
                    scored.append((_unexplained(dd_an, d, j.scale), j.error / max(j.tol, 1e-300), half))
        # sets whose disagreement a kink cannot explain first, then by the disagreement over its tolerance
        scored.sort(key=lambda t: (-t[0], -t[1]))
        frontier = [part for _, _, part in scored[:BISECT_WIDTH]]
    if not leaves:
        return np.empty(0, dtype=np.intp), used
    return np.unique(np.concatenate(leaves[:BISECT_WIDTH])), used


def _merge(a: numeric.EvalResult, b: numeric.EvalResult) -> numeric.EvalResult:
    """One EvalResult for the union of two disjoint sets of evaluated elements."""
    grad = a.grad.copy()
    grad.reshape(-1)[b.indices] = b.grad.reshape(-1)[b.indices]
    fwd = bwd = None
    if a.forward is not None and b.forward is not None:
        fwd = np.concatenate([a.forward, b.forward])
        bwd = np.concatenate([a.backward, b.backward])
    return numeric.EvalResult(
        grad=grad,
        indices=np.concatenate([a.indices, b.indices]),
        forward=fwd,
        backward=bwd,
        step=np.concatenate([a.step, b.step]),
        f_max=max(a.f_max, b.f_max),
        n_evals=a.n_evals + b.n_evals,
    )

"""The full central check of every parameter in one pass.

A full check of a small net is dominated by fixed costs per tensor: building steps, converting
loss values, one-sided derivatives, the comparison. :func:`central_all` treats the parameters as
one long vector instead: one set of steps, one element loop (three stores and two loss calls per
element, as in :func:`gradcheck.numeric.central`), one vectorised pass for the derivatives; and
:func:`compare_all` compares every tensor in one vectorised pass, handing a tensor to the
element-level :func:`gradcheck.measure.compare_settled` only when it has a mismatch or a wrong
shape. The numbers are the same, element for element, as tensor by tensor.

Example:
    >>> import numpy as np
    >>> from gradcheck.measure import Settings
    >>> w, b = np.array([1.0, 2.0]), np.array([0.5])
    >>> loss = lambda: float(w @ w + 3 * b[0])
    >>> s = Settings(loss=loss, f0=loss())
    >>> run = central_all(s, {"w": w, "b": b})
    >>> [(r.name, r.status) for r, _ in compare_all(s, run, {"w": 2 * w, "b": np.array([3.0])})]
    [('w', 'ok'), ('b', 'ok')]
    >>> [(r.name, r.status) for r, _ in compare_all(s, run, {"w": w, "b": np.array([3.0])})]
    [('w', 'mismatch'), ('b', 'ok')]
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from .compare import machine_eps, relative_error, roundoff_floor
from .errors import LossError
from .measure import Settings, compare_settled, require_resolved
from .numeric import CHUNK, EvalResult, default_rel_step, flat_view, loss_values, perturb_each, require_finite
from .report import ParamResult, dtype_name

__all__ = ["FUSABLE_DTYPES", "FullPass", "central_all", "compare_all", "fusable"]


#: dtypes whose values float64 holds exactly, so one float64 vector can carry every tensor
FUSABLE_DTYPES = (np.dtype(np.float64), np.dtype(np.float32), np.dtype(np.float16))


def fusable(arrays: Mapping[str, np.ndarray]) -> bool:
    """True when :func:`central_all` can take these arrays (float64, float32 or float16)."""
    return all(p.dtype in FUSABLE_DTYPES for p in arrays.values())


@dataclass
class FullPass:
    """The central differences of every parameter, as vectors over all elements in order.

    ``grad``, ``step``, ``forward`` and ``backward`` hold tensor after tensor (``starts`` and
    ``ends`` delimit each); ``f_max`` is the largest |loss| seen per tensor.
    """

    names: list[str]
    arrays: list[np.ndarray]
    starts: np.ndarray
    ends: np.ndarray
    grad: np.ndarray
    step: np.ndarray
    forward: np.ndarray
    backward: np.ndarray
    f_max: np.ndarray

    def result(self, t: int) -> EvalResult:
        """Tensor ``t`` as :func:`gradcheck.numeric.central` would give it for that array alone."""
        a, b, p = int(self.starts[t]), int(self.ends[t]), self.arrays[t]
        return EvalResult(
            self.grad[a:b].reshape(p.shape),
            np.arange(b - a),
            self.forward[a:b],
            self.backward[a:b],
            self.step[a:b],
            float(self.f_max[t]),
            2 * (b - a),
        )


def central_all(
    s: Settings, arrays: Mapping[str, np.ndarray], tick: Callable[[float], None] | None = None
) -> FullPass:
    """Central differences of every element of every array, in one loop. 2 evals per element."""
    names = list(arrays)
    ps = [arrays[n] for n in names]
    sizes = [p.size for p in ps]
    ends = np.array(list(itertools.accumulate(sizes)), dtype=np.intp)
    starts = ends - sizes
    x = np.concatenate([p.reshape(-1) for p in ps], dtype=np.float64)
    h = np.abs(x)
    np.maximum(h, 1.0, out=h)
    dtypes = {p.dtype for p in ps}
    if s.rel_step is not None or len(dtypes) == 1:
        h *= default_rel_step(ps[0].dtype) if s.rel_step is None else float(s.rel_step)
    else:  # each tensor's step relative to its own dtype
        for p, a, b in zip(ps, starts.tolist(), ends.tolist()):
            h[a:b] *= default_rel_step(p.dtype)
    xp = x + h
    xm = x - h
    if dtypes != {np.dtype(np.float64)}:  # the steps as each parameter's dtype realises them
        for p, a, b in zip(ps, starts.tolist(), ends.tolist()):
            if p.dtype != np.float64:
                xp[a:b] = xp[a:b].astype(p.dtype)
                xm[a:b] = xm[a:b].astype(p.dtype)
    del h
    n = x.size
    fp = np.empty(n)
    fm = np.empty(n)
    pending: list[Any] = []  # loss values not yet validated, from global position `flushed` on
    flushed = 0
    loss = s.loss
    for p, a, b in zip(ps, starts.tolist(), ends.tolist()):
        flat = flat_view(p)
        for lo in range(a, b, CHUNK):
            hi = min(b, lo + CHUNK)
            perturb_each(flat, loss, range(lo - a, hi - a), xp[lo:hi].tolist(), xm[lo:hi].tolist(), x[lo:hi].tolist(), pending)
            if len(pending) >= 2 * CHUNK or hi == n:
                _flush(pending, flushed, fp, fm, names, ps, starts)
                if tick is not None:
                    tick(hi - flushed)
                flushed = hi
                pending = []
    # a loss that overflows gives inf/nan differences: the comparison judges those (never a match),
    # so numpy's warnings about them would only repeat, from inside gradcheck, what the report says
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        up = np.subtract(xp, x, out=xp)
        down = np.subtract(x, xm, out=xm)
        step = up + down
        d = fp - fm
        d /= step
        # one-sided derivatives, for kinks, and the largest |loss| per tensor, for the round-off floor
        f0 = float(s.f0)
        f_max = np.maximum(np.maximum.reduceat(np.abs(fp), starts), np.maximum.reduceat(np.abs(fm), starts))
        np.maximum(f_max, abs(f0), out=f_max)
        fp -= f0
        fp /= up
        np.subtract(f0, fm, out=fm)
        fm /= down
    return FullPass(names, ps, starts, ends, d, step, fp, fm, f_max)


def _flush(
    pending: list[Any], at: int, fp: np.ndarray, fm: np.ndarray, names: list[str], ps: list[np.ndarray], starts: np.ndarray
) -> None:
    """Validate the loss values of elements ``at`` onwards and store them; errors name the element."""
    k = len(pending) // 2
    try:
        vals = loss_values(pending, "", "")
    except LossError:
        bad = next(j for j, v in enumerate(pending) if np.size(v) != 1 or not _is_real(v))
        t = int(np.searchsorted(starts, at + bad // 2, side="right")) - 1
        loss_values([pending[bad]], names[t], "perturbing")  # raises, naming the parameter
        raise  # pragma: no cover - the line above always raises
    if not np.isfinite(vals.sum()):  # cheap screen; the element test only when it trips
        for t, name in enumerate(names):
            a = max(int(starts[t]), at)
            b = min(int(starts[t]) + ps[t].size, at + k)
            if a >= b:
                continue
            local = np.arange(a - int(starts[t]), b - int(starts[t]))
            require_finite(vals[2 * (a - at) : 2 * (b - at) : 2], local, ps[t].shape, name, "+")
            require_finite(vals[2 * (a - at) + 1 : 2 * (b - at) : 2], local, ps[t].shape, name, "-")
    fp[at : at + k] = vals[0::2]
    fm[at : at + k] = vals[1::2]


def _is_real(v: Any) -> bool:
    try:
        float(np.asarray(v).reshape(()))
    except (TypeError, ValueError):
        return False
    return not np.iscomplexobj(v)


def compare_all(s: Settings, run: FullPass, analytic: Mapping[str, np.ndarray]) -> list[tuple[ParamResult, int]]:
    """Compare every tensor in one vectorised pass: (result, extra evaluations) per tensor, in order.

    A tensor whose elements all match gets its result here; one with a mismatch, a non-finite
    analytic value or a wrong shape goes through :func:`gradcheck.measure.compare_settled`.
    """
    names, ps, starts = run.names, run.arrays, run.starts
    shaped = [analytic[n].shape == p.shape for n, p in zip(names, ps)]
    a = np.concatenate(
        [analytic[n].reshape(-1) if ok else np.zeros(p.size) for n, p, ok in zip(names, ps, shaped)],
        dtype=np.float64,
    )
    # the measures of gradcheck.measure.compare, per element over all tensors at once
    sizes = run.ends - starts
    eps = np.repeat([machine_eps(p.dtype) for p in ps], sizes)
    floor = roundoff_floor(np.repeat(run.f_max, sizes), run.step, None, loss_eps=eps)
    np.maximum(floor, s.atol, out=floor)
    rel = relative_error(a, run.grad, rtol=s.rtol, atol=floor)
    suspect = ~(rel <= s.rtol)
    suspect |= ~np.isfinite(a)  # relative_error gives 0 where the analytic value is NaN
    suspect |= ~np.isfinite(run.grad)  # ... or the numerical one (an overflowing difference)
    flagged = np.logical_or.reduceat(suspect, starts).tolist()
    worst = np.maximum.reduceat(rel, starts).tolist()
    no_kinks = np.zeros(run.grad.size, dtype=bool)
    out: list[tuple[ParamResult, int]] = []
    for t, (name, p, lo, hi) in enumerate(zip(names, ps, starts.tolist(), run.ends.tolist())):
        g = analytic[name]
        if flagged[t] or not shaped[t]:
            out.append(compare_settled(s, name, p, g, run.result(t)))
            continue
        if s.user_options:
            require_resolved(s, name, a[lo:hi], floor[lo:hi])
        res = ParamResult(
            name=name,
            shape=p.shape,
            dtype=dtype_name(p.dtype),
            status="ok",
            max_rel_error=max(worst[t], 0.0),
            n_checked=hi - lo,
            grad_shape=g.shape,
            analytic=g,
            numeric=run.grad[lo:hi].reshape(p.shape),
            rel_error=rel[lo:hi].reshape(p.shape),
            kinks=no_kinks[lo:hi].reshape(p.shape),
        )
        out.append((res, 0))
    return out

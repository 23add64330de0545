"""``gradcheck.check``: the entry point every door and adapter ends in.

Example:
    >>> import numpy as np, gradcheck
    >>> rng = np.random.default_rng(0)
    >>> X, y = rng.normal(size=(8, 3)), rng.normal(size=(8, 1))
    >>> W = rng.normal(size=(3, 1))
    >>> loss = lambda: float(((X @ W - y) ** 2).mean())
    >>> grads = lambda: {"W": 2 * X.T @ (X @ W - y)}          # forgot to divide by m
    >>> report = gradcheck.check({"W": W}, loss, grads, data=(X, y))
    >>> report.ok, report.first_wrong
    (False, 'W')
"""

from __future__ import annotations

import contextlib
import time
import warnings
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from . import numeric
from .compare import kink_mask, relative_error, roundoff_floor, tolerances_for
from .errors import (
    GradientSpecError,
    InvalidParameterError,
    LossError,
    NondeterministicLossError,
    UnsupportedMethodError,
)
from .problem import Problem, protected, validate_params
from .report import Finding, ParamResult, Report

__all__ = ["check", "MODES"]

MODES = ("auto", "full", "sampled", "fast")

#: "auto" picks a full check up to this many scalar parameters ...
AUTO_FULL_MAX_PARAMS = 20_000
#: ... or while a full check is estimated to take at most this many seconds.
AUTO_FULL_MAX_SECONDS = 10.0
DEFAULT_SAMPLE = 32

ProgressCallback = Callable[[int, int], None]


def check(
    params: Mapping[str, np.ndarray] | Problem,
    loss: Callable[[], Any] | None = None,
    grads: Mapping[str, Any] | Callable[[], Mapping[str, Any]] | None = None,
    *,
    method: str = "central",
    mode: str = "auto",
    rtol: float | None = None,
    atol: float | None = None,
    rel_step: float | None = None,
    sample: int | None = None,
    seed: int = 0,
    data: tuple[Any, Any] | None = None,
    hint: Any = None,
    diagnose: bool = True,
    upcast: bool = False,
    progress: ProgressCallback | None = None,
    workers: int | None = None,
) -> Report:
    """Compare each parameter's analytic gradient with a numerical one.

    Args:
        params: name -> float ndarray in forward order (input layer first), or a :class:`Problem`.
            The arrays are perturbed in place and always restored bit for bit.
        loss: zero-argument callable returning the scalar loss at the current ``params``.
        grads: name -> analytic gradient, or a zero-argument callable returning that mapping.
            Names may also be ``dW1`` / ``grad_W1`` / ``W1_grad`` for a parameter ``W1``.
        method: ``"central"`` (default), ``"richardson"`` or ``"complex"`` (complex step; the loss
            must read params through this dict and carry complex values).
        mode: ``"full"`` (every element), ``"sampled"`` (``sample`` random elements per tensor),
            ``"fast"`` (a random direction per tensor, then drill down into the failing ones) or
            ``"auto"`` (full for small nets, fast for large ones; the report says which).
        rtol, atol: tolerances; defaults depend on the dtype (see ``gradcheck.compare.TOLERANCES``).
        rel_step: the finite-difference step relative to ``max(|x|, 1)``; default from the dtype.
        sample: elements per tensor in sampled mode (default 32).
        seed: seeds the random directions and samples, so a failure replays.
        data: the ``(X, y)`` the loss uses; lets the diagnosis confirm a batch-size factor.
        hint: an architecture hint for the diagnosis (see :mod:`gradcheck.diagnose`).
        diagnose: run the diagnosis (findings, localization). On by default.
        upcast: check float32 parameters in float64 (the loss must read params through this dict).
        progress: called as ``progress(done, total)`` with element counts while the check runs.
        workers: spread a full or sampled central/Richardson check over this many forked processes
            (POSIX only, see :mod:`gradcheck.parallel`). Pays when one loss evaluation takes about
            50 µs or more and does not already use every core; off by default.

    Returns:
        A :class:`Report`: ``report.ok``, ``report.first_wrong``, ``report.params``, ``report.findings``.

    Raises:
        InvalidParameterError, GradientSpecError, LossError, NondeterministicLossError,
        UnsupportedMethodError: on bad input, each naming what is wrong.
    """
    t_start = time.perf_counter()
    problem = _as_problem(params, loss, grads, data, hint)
    if method not in numeric.METHODS:
        raise ValueError(f"method must be one of {numeric.METHODS}, got {method!r}")
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    if sample is not None and (not isinstance(sample, (int, np.integer)) or sample < 1):
        raise ValueError(f"sample must be a positive integer, got {sample!r}")
    arrays = validate_params(problem.params)
    mapping = problem.params
    notes: list[str] = []

    with protected(mapping) as saved:
        if upcast:
            arrays = _upcast(mapping, arrays, problem.loss, notes)
        work = arrays
        user_loss = problem.loss

        t0 = time.perf_counter()
        f0 = _scalar_loss(user_loss(), "at the starting parameters")
        t_eval = time.perf_counter() - t0
        _check_untouched(work, saved if not upcast else None, "loss()")
        t0 = time.perf_counter()
        f0_again = _scalar_loss(user_loss(), "at the starting parameters (second call)")
        t_eval = min(t_eval, time.perf_counter() - t0)
        if f0_again != f0:
            raise NondeterministicLossError(
                f"loss() returned {f0!r} and then {f0_again!r} for the same parameters. A gradient check "
                f"needs a deterministic loss: fix the random seed of dropout or of batch sampling inside "
                f"the loss, and make sure loss() does not update any state (running averages, caches, "
                f"the parameters themselves)."
            )
        analytic = _collect_grads(problem, work)
        _check_untouched(work, saved if not upcast else None, "grads()")
        findings: list[Finding] = []
        if callable(problem.grads):
            again = _collect_grads(problem, work)
            _check_untouched(work, saved if not upcast else None, "grads()")
            findings.extend(_repeat_call_findings(analytic, again))

        dtypes = [p.dtype for p in work.values()]
        d_rtol, d_atol = tolerances_for(dtypes)
        rtol = d_rtol if rtol is None else float(rtol)
        atol = d_atol if atol is None else float(atol)
        low = sorted({str(d) for d in dtypes if np.finfo(d).bits < 64})
        if low:
            notes.append(
                f"parameters in {', '.join(low)}: tolerances loosened to rtol={rtol:g}, atol={atol:g}; "
                f"pass upcast=True to check in float64"
            )
            warnings.warn(notes[-1], stacklevel=2)

        total = sum(p.size for p in work.values())
        mode_used = _resolve_mode(mode, total, t_eval, notes)
        if method == "complex" and mode_used == "fast":
            mode_used = "sampled"
        rng = np.random.default_rng(seed)
        results: list[ParamResult] = []
        n_evals = 2  # the two calls at the starting point
        done = [0]
        total_work = total if mode_used == "full" else sum(min(p.size, sample or DEFAULT_SAMPLE) for p in work.values())

        def tick(k: float) -> None:
            if progress is not None:
                done[0] += int(k)
                progress(min(done[0], total_work), total_work)

        pool = None
        if workers is not None and workers > 1 and mode_used in ("full", "sampled") and method != "complex":
            from .parallel import WorkerPool

            pool = WorkerPool(work, user_loss, workers=workers)
            notes.append(f"loss evaluations spread over {workers} forked worker processes")
        with pool if pool is not None else contextlib.nullcontext():
            for name, p in work.items():
                g = analytic[name]
                if mode_used == "fast":
                    from .fast import fast_check_one

                    res, used = fast_check_one(name, p, g, user_loss, f0, method, rtol, atol, rel_step, sample, rng, mapping, tick)
                else:
                    if mode_used == "sampled":
                        k = min(p.size, sample or DEFAULT_SAMPLE)
                        idx = np.sort(rng.choice(p.size, size=k, replace=False)) if k < p.size else None
                    else:
                        idx = None
                    ev = _evaluate(method, mapping, name, p, user_loss, f0, idx, rel_step, tick if progress else None, pool)
                    res, extra = _compare_settled(name, p, g, ev, user_loss, f0, method, rtol, atol, rel_step)
                    used = ev.n_evals + extra
                n_evals += used
                results.append(res)

        _check_loss_sees_params(results, notes)
        report = Report(
            params=results,
            findings=findings,
            method=method,
            mode=mode_used,
            rtol=rtol,
            atol=atol,
            seed=seed,
            loss_value=f0,
            n_loss_evals=n_evals,
            notes=notes,
        )
        if diagnose:
            from .diagnose import diagnose as run_diagnosis

            run_diagnosis(report, problem)
    report.elapsed = time.perf_counter() - t_start
    return report


# -- input handling ------------------------------------------------------------


def _as_problem(params: Any, loss: Any, grads: Any, data: Any, hint: Any) -> Problem:
    if isinstance(params, Problem):
        problem = params
        if data is not None:
            problem.data = data
        if hint is not None:
            problem.hint = hint
        return problem
    if loss is None or grads is None:
        raise TypeError("check(params, loss, grads): loss and grads are required unless params is a Problem")
    if not callable(loss):
        raise TypeError(f"loss must be a zero-argument callable returning a scalar, got {type(loss).__name__}")
    if not (callable(grads) or isinstance(grads, Mapping)):
        raise TypeError(f"grads must be a mapping or a zero-argument callable, got {type(grads).__name__}")
    for what, fn in (("loss", loss), ("grads", grads)):
        if callable(fn):
            _require_no_arguments(what, fn)
    return Problem(params=params, loss=loss, grads=grads, data=data, hint=hint)


def _require_no_arguments(what: str, fn: Callable[..., Any]) -> None:
    """A clear error for ``check(params, loss_fn, grad_fn)`` where the functions take (params, X, y)."""
    import inspect

    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return
    required = [
        p.name
        for p in sig.parameters.values()
        if p.default is p.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
    ]
    if required:
        args = ", ".join(required)
        raise TypeError(
            f"{what} must be callable with no arguments: gradcheck changes the parameters in place and calls "
            f"{what}() again; yours takes ({args}). Wrap it: {what}=lambda: {getattr(fn, '__name__', what)}({args}) "
            f"with your arrays, or let gradcheck.as_problem read the (params, X, y) convention"
        )


def _scalar_loss(value: Any, where: str) -> float:
    arr = np.asarray(value)
    if arr.size != 1:
        raise LossError(
            f"loss() returned an array of shape {arr.shape} {where}; it must return one scalar "
            f"(did you forget .sum() or .mean() over the batch?)"
        )
    if np.iscomplexobj(arr):
        raise LossError(f"loss() returned a complex value {arr.item()!r} {where}")
    try:
        f = float(arr.reshape(()))
    except (TypeError, ValueError):
        raise LossError(f"loss() returned {value!r} {where}, which is not a real number") from None
    if not np.isfinite(f):
        raise LossError(
            f"loss() is {f} {where}: check for log(0) (clip probabilities away from 0 and 1) or an overflow "
            f"(large initial weights saturate the activations)"
        )
    return f


def _check_untouched(arrays: Mapping[str, np.ndarray], saved: Mapping[str, np.ndarray] | None, who: str) -> None:
    if saved is None:
        return
    for name, p in arrays.items():
        if not np.array_equal(p, saved[name]):
            np.copyto(p, saved[name])
            raise InvalidParameterError(
                f"{who} changed parameter {name!r}. It must only read the parameters; a training step "
                f"(W -= lr * dW) inside it would make every finite difference meaningless. For a net whose "
                f"gradient lives only in its training step, use gradcheck.adapters.from_train_step."
            )


_PREFIXES = ("d", "d_", "grad_", "grad", "g_", "dL_d", "dL_")
_SUFFIXES = ("_grad", "_g", "grad")


def _name_candidates(name: str) -> list[str]:
    return [pre + name for pre in _PREFIXES] + [name + suf for suf in _SUFFIXES]


def _collect_grads(problem: Problem, params: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    raw = problem.grads_now()
    if isinstance(raw, (list, tuple)):
        if len(raw) != len(params):
            raise GradientSpecError(
                f"grads() returned a sequence of {len(raw)} arrays for {len(params)} parameters {list(params)}"
            )
        raw = dict(zip(params, raw))
    if not isinstance(raw, Mapping):
        raise GradientSpecError(
            f"grads() must return a mapping name -> array with the names of params {list(params)}, "
            f"got {type(raw).__name__}"
        )
    keys = list(raw.keys())
    lookup: dict[str, Any] = {}
    for name in params:
        if name in raw:
            lookup[name] = name
            continue
        found = [c for c in _name_candidates(name) if c in raw]
        if len(found) == 1:
            lookup[name] = found[0]
    missing = [n for n in params if n not in lookup]
    extra = [k for k in keys if k not in set(lookup.values())]
    if missing:
        raise GradientSpecError(
            f"the analytic gradients have no entry for parameter(s) {missing}; "
            f"params are {list(params)}, the gradients name {keys}"
        )
    if extra:
        raise GradientSpecError(
            f"the analytic gradients name {extra}, which are not parameters; params are {list(params)}"
        )
    out: dict[str, np.ndarray] = {}
    for name, key in lookup.items():
        g = raw[key]
        if g is None:
            raise GradientSpecError(f"the analytic gradient of {name!r} is None (was it ever computed?)")
        try:
            arr = np.array(g, dtype=np.float64)
        except (TypeError, ValueError):
            raise GradientSpecError(
                f"the analytic gradient of {name!r} is a {type(g).__name__}, not an array of numbers"
            ) from None
        out[name] = _harmless_reshape(arr, params[name].shape)
    return out


def _harmless_reshape(g: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """``g`` in the parameter's shape when an update ``p -= lr * g`` would treat it so.

    A (5,) gradient for a (1, 5) bias, or a scalar for a (1, 1) one, broadcasts onto the parameter
    element for element: the values are right and so is the update. A (5,) gradient for a (5, 1)
    bias does not (it broadcasts to (5, 5)) and stays a wrong shape.
    """
    if g.shape == shape or g.size != int(np.prod(shape, dtype=np.int64)):
        return g
    try:
        if np.broadcast_shapes(shape, g.shape) == tuple(shape):
            return g.reshape(shape)
    except ValueError:
        pass
    return g


def _repeat_call_findings(first: Mapping[str, np.ndarray], second: Mapping[str, np.ndarray]) -> list[Finding]:
    changed = [
        n for n in first if first[n].shape != second[n].shape or not np.array_equal(first[n], second[n], equal_nan=True)
    ]
    if not changed:
        return []
    doubled = all(
        first[n].shape == second[n].shape and np.allclose(second[n], 2 * first[n], rtol=1e-9, atol=0) for n in changed
    )
    from .bugs import fix_for

    if doubled:
        msg = (
            f"grads() returned twice the first result when called a second time for {changed}: the gradients "
            f"are accumulated (+=) into buffers that are never reset"
        )
    else:
        msg = f"grads() returned different gradients for {changed} when called twice at the same parameters"
    return [
        Finding(
            kind="gradient_accumulates",
            params=changed,
            message=msg,
            fix=fix_for("gradient_accumulates"),
            evidence={"doubled": doubled},
            confidence="confirmed",
        )
    ]


def _upcast(mapping: Any, arrays: dict[str, np.ndarray], loss: Callable[[], Any], notes: list[str]) -> dict[str, np.ndarray]:
    if not isinstance(mapping, dict):
        raise UnsupportedMethodError("upcast=True substitutes float64 copies into params, which must then be a dict")
    low = [n for n, p in arrays.items() if p.dtype != np.float64]
    if not low:
        return arrays
    for n in low:
        mapping[n] = np.full(arrays[n].shape, np.nan)
    try:
        probe = np.asarray(loss(), dtype=np.float64)
    except Exception:  # noqa: BLE001 - any failure means the loss saw the NaN arrays
        probe = np.array(np.nan)
    if np.all(np.isfinite(probe)):
        for n in low:
            mapping[n] = arrays[n]
        raise UnsupportedMethodError(
            "upcast=True: the loss did not react when the parameters in params were replaced, so it reads them "
            "from elsewhere (e.g. attributes of your net); it cannot be upcast from outside. Build the net in float64."
        )
    out = dict(arrays)
    for n in low:
        out[n] = arrays[n].astype(np.float64)
        mapping[n] = out[n]
    notes.append(f"float32 parameters {low} were checked as float64 copies (upcast=True)")
    return out


def _resolve_mode(mode: str, total: int, t_eval: float, notes: list[str]) -> str:
    if mode != "auto":
        return mode
    estimate = 2 * total * max(t_eval, 1e-7)
    if total <= AUTO_FULL_MAX_PARAMS or estimate <= AUTO_FULL_MAX_SECONDS:
        return "full"
    notes.append(
        f"{total:,} parameters: a full check would take about {estimate:.0f} s, so a fast check was run "
        f"(a random direction per tensor; a tensor that disagrees is checked element by element: in full when "
        f"small, else by a sample and a bisection of the direction); pass mode='full' to force it"
    )
    return "fast"


# -- numerics and comparison -----------------------------------------------------


def _evaluate(
    method: str,
    mapping: Any,
    name: str,
    p: np.ndarray,
    loss: Callable[[], Any],
    f0: float,
    idx: np.ndarray | None,
    rel_step: float | None,
    tick: Callable[[float], None] | None,
    pool: Any = None,
) -> numeric.EvalResult:
    if pool is not None and method in ("central", "richardson"):
        return getattr(pool, method)(name, f0=f0, indices=idx, rel_step=rel_step, progress=tick)
    if method == "central":
        return numeric.central(p, loss, f0=f0, indices=idx, rel_step=rel_step, name=name, progress=tick)
    if method == "richardson":
        return numeric.richardson(p, loss, f0=f0, indices=idx, rel_step=rel_step, name=name, progress=tick)
    return numeric.complex_step(mapping, name, loss, indices=idx, rel_step=rel_step, progress=tick)


def _compare(name: str, p: np.ndarray, g: np.ndarray, ev: numeric.EvalResult, rtol: float, atol: float) -> ParamResult:
    idx = ev.indices
    res = ParamResult(
        name=name,
        shape=p.shape,
        dtype=p.dtype.name,
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
    kinks = None
    if bad.any():
        if ev.forward is not None:
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


def _compare_settled(
    name: str,
    p: np.ndarray,
    g: np.ndarray,
    ev: numeric.EvalResult,
    loss: Callable[[], Any],
    f0: float,
    method: str,
    rtol: float,
    atol: float,
    rel_step: float | None,
) -> tuple[ParamResult, int]:
    """:func:`_compare`, then :func:`_refine` the mismatches. Returns the result and the extra evaluations."""
    res = _compare(name, p, g, ev, rtol, atol)
    if res.status != "mismatch" or method == "complex":
        return res, 0
    return _refine(name, p, g, ev, res, loss, f0, method, rtol, atol, rel_step)


#: a mismatch is re-measured with a smaller step when it concerns at most this fraction of the
#: elements checked (a wrong formula usually spoils most of them) ...
REFINE_MAX_FRACTION = 0.25
#: ... or at most this many elements
REFINE_MAX_ELEMENTS = 2
#: the smaller step is the original one divided by this
REFINE_STEP_DIVISOR = 4.0


def _refine(
    name: str,
    p: np.ndarray,
    g: np.ndarray,
    ev: numeric.EvalResult,
    res: ParamResult,
    loss: Callable[[], Any],
    f0: float,
    method: str,
    rtol: float,
    atol: float,
    rel_step: float | None,
) -> tuple[ParamResult, int]:
    """Re-measure a few mismatched elements with a smaller step before calling them wrong.

    A kink (ReLU, max, clip) within the step but not at the point itself spoils a central
    difference, and more so in float32 where the step is large and the loss is rounded coarsely.
    An element stays a mismatch only when the two steps agree with each other and not with the
    analytic value: a wrong formula gives the same wrong answer at every step. Elements where
    the smaller step agrees with the analytic value, or where the two steps disagree with each
    other (the numerical value is not to be trusted there), are counted as kinks.
    """
    flat_rel = res.rel_error.reshape(-1)
    flat_kinks = res.kinks.reshape(-1)
    suspects = np.flatnonzero((flat_rel > rtol) & np.isfinite(flat_rel) & ~flat_kinks)
    if suspects.size == 0 or suspects.size > max(REFINE_MAX_ELEMENTS, REFINE_MAX_FRACTION * res.n_checked):
        return res, 0
    base = numeric.default_rel_step(p.dtype, method) if rel_step is None else float(rel_step)
    fine = numeric.central(p, loss, f0=f0, indices=suspects, rel_step=base / REFINE_STEP_DIVISOR, name=name)
    values = fine.grad.reshape(-1)[suspects]
    coarse = ev.grad.reshape(-1)[suspects]
    floor = np.maximum(atol, roundoff_floor(fine.f_max, fine.step, p.dtype))
    agrees = relative_error(g.reshape(-1)[suspects], values, rtol=rtol, atol=floor) <= rtol
    unsteady = relative_error(coarse, values, rtol=rtol, atol=floor) > rtol
    on_kink = kink_mask(g.reshape(-1)[suspects], fine.forward, fine.backward, rtol=rtol, atol=floor)
    settled = agrees | unsteady | on_kink
    if not settled.any():
        return res, fine.n_evals
    resolved = suspects[settled]
    ev.grad.reshape(-1)[suspects[agrees]] = values[agrees]
    res = _compare(name, p, g, ev, rtol, atol)
    res.rel_error.reshape(-1)[resolved] = np.minimum(res.rel_error.reshape(-1)[resolved], rtol)
    newly = ~res.kinks.reshape(-1)[resolved]
    res.kinks.reshape(-1)[resolved] = True
    res.n_kinks += int(newly.sum())
    _summarize(res, ev.indices, g, ev.grad, rtol)
    note = (
        f"{resolved.size} element(s) whose numerical derivative changed with a {REFINE_STEP_DIVISOR:g}x smaller "
        f"step (a kink within the step, or round-off) were not counted"
    )
    res.message = f"{res.message}; {note}" if res.message else note
    return res, fine.n_evals


def _summarize(res: ParamResult, idx: np.ndarray, g: np.ndarray, num: np.ndarray, rtol: float) -> None:
    """Recount mismatches and the worst element after kinks were added to ``res.kinks``."""
    rel = res.rel_error.reshape(-1)[idx]
    kinks = res.kinks.reshape(-1)[idx]
    counted = np.where(kinks, -1.0, rel)
    mismatch = (rel > rtol) & ~kinks
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


def _check_loss_sees_params(results: list[ParamResult], notes: list[str]) -> None:
    """Flag the case where no perturbation moved the loss at all (the loss reads copies)."""
    numerics = [r.numeric for r in results if r.numeric is not None]
    if not numerics:
        return
    all_zero = not any((np.abs(n) > 0).any() for n in numerics)  # NaN: not evaluated, counts as 0
    any_analytic = any(r.analytic is not None and np.any(r.analytic != 0) for r in results)
    if all_zero and any_analytic:
        notes.append(
            "the loss did not change when any parameter was perturbed: does loss() read the very arrays in "
            "params, or copies of them (e.g. computed once and cached)?"
        )

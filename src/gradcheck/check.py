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
import math
import time
import warnings
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from . import numeric
from .analytic import collect_gradients, repeat_call_findings, require_no_arguments
from .compare import tolerances_for
from .full import central_all, compare_all, fusable
from .errors import InvalidParameterError, LossError, NondeterministicLossError, UnsupportedMethodError
from .measure import DEFAULT_SAMPLE, Settings, compare_settled, evaluate
from .problem import Problem, protected, same_bits, validate_params
from .report import Finding, ParamResult, Report

__all__ = ["check", "MODES"]

MODES = ("auto", "full", "sampled", "fast")

#: "auto" picks a full check up to this many scalar parameters ...
AUTO_FULL_MAX_PARAMS = 20_000
#: ... or while a full check is estimated to take at most this many seconds.
AUTO_FULL_MAX_SECONDS = 10.0

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
        hint: an architecture hint for the diagnosis (see :mod:`gradcheck.diagnosis`).
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
        t0 = time.perf_counter()
        f0_again = _scalar_loss(user_loss(), "at the starting parameters (second call)")
        t_eval = min(t_eval, time.perf_counter() - t0)
        analytic = collect_gradients(problem, work)
        again = collect_gradients(problem, work) if callable(problem.grads) else None
        if not upcast:
            _check_untouched(problem, work, saved)
        if f0_again != f0:
            raise NondeterministicLossError(
                f"loss() returned {f0!r} and then {f0_again!r} for the same parameters. A gradient check "
                f"needs a deterministic loss: fix the random seed of dropout or of batch sampling inside "
                f"the loss, and make sure loss() does not update any state (running averages, caches, "
                f"the parameters themselves)."
            )
        findings: list[Finding] = [] if again is None else repeat_call_findings(analytic, again)

        dtypes = [p.dtype for p in work.values()]
        d_rtol, d_atol = tolerances_for(dtypes)
        rtol = d_rtol if rtol is None else float(rtol)
        atol = d_atol if atol is None else float(atol)
        low = sorted({str(d) for d in dtypes if d.itemsize < 8})
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
        rng = None if mode_used == "full" else np.random.default_rng(seed)  # a full check draws nothing
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
        settings = Settings(user_loss, f0, method, rtol, atol, rel_step, mapping, pool)
        with pool if pool is not None else contextlib.nullcontext():
            if mode_used == "full" and method == "central" and pool is None and fusable(work):
                # every element in one loop, every tensor in one comparison pass (gradcheck.full):
                # the same numbers as tensor by tensor, without a fixed cost per tensor
                run = central_all(settings, work, tick if progress else None)
                for res, extra in compare_all(settings, run, analytic):
                    n_evals += 2 * res.n_checked + extra
                    results.append(res)
            else:
                for name, p in work.items():
                    g = analytic[name]
                    if mode_used == "fast":
                        from .fast import fast_check_one

                        res, used = fast_check_one(settings, name, p, g, sample, rng, tick)
                    else:
                        if mode_used == "sampled":
                            k = min(p.size, sample or DEFAULT_SAMPLE)
                            idx = np.sort(rng.choice(p.size, size=k, replace=False)) if k < p.size else None
                        else:
                            idx = None
                        ev = evaluate(settings, name, p, idx, tick if progress else None)
                        res, extra = compare_settled(settings, name, p, g, ev)
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
            from .diagnosis import diagnose as run_diagnosis

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
            require_no_arguments(what, fn)
    return Problem(params=params, loss=loss, grads=grads, data=data, hint=hint)


def _scalar_loss(value: Any, where: str) -> float:
    if isinstance(value, float) and math.isfinite(value):  # float and np.float64: nothing to convert
        return float(value)
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


def _check_untouched(problem: Problem, arrays: Mapping[str, np.ndarray], saved: Mapping[str, np.ndarray]) -> None:
    """Raise when the calls at the start (loss(), grads()) wrote into a parameter; say which call did.

    All four calls are checked at once, bit for bit; only when something changed are the
    parameters restored and the calls replayed one at a time to name the culprit.
    """
    changed = [n for n, p in arrays.items() if not same_bits(p, saved[n])]
    if not changed:
        return
    who = "loss() or grads()"
    for call, fn in (("loss()", problem.loss), ("grads()", problem.grads_now)):
        for n, p in arrays.items():
            np.copyto(p, saved[n])
        with contextlib.suppress(Exception):
            fn()
        moved = [n for n, p in arrays.items() if not same_bits(p, saved[n])]
        if moved:
            who, changed = call, moved
            break
    for n, p in arrays.items():
        np.copyto(p, saved[n])
    raise InvalidParameterError(
        f"{who} changed parameter {changed[0]!r}. It must only read the parameters; a training step "
        f"(W -= lr * dW) inside it would make every finite difference meaningless. For a net whose "
        f"gradient lives only in its training step, use gradcheck.adapters.from_train_step."
    )


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


def _check_loss_sees_params(results: list[ParamResult], notes: list[str]) -> None:
    """Flag the case where no perturbation moved the loss at all (the loss reads copies)."""
    numerics = [r.numeric for r in results if r.numeric is not None]
    if not numerics:
        return
    if any((np.abs(n) > 0).any() for n in numerics):  # NaN: not evaluated, counts as 0
        return
    if any(r.analytic is not None and np.any(r.analytic != 0) for r in results):
        notes.append(
            "the loss did not change when any parameter was perturbed: does loss() read the very arrays in "
            "params, or copies of them (e.g. computed once and cached)?"
        )

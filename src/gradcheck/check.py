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
from dataclasses import dataclass
from typing import Any

import numpy as np

from .analytic import collect_gradients, repeat_call_findings, require_no_arguments
from .compare import tolerances_for
from .errors import InvalidParameterError, LossError, NondeterministicLossError, UnsupportedMethodError
from .measure import Settings
from .modes import Mode, choose_mode, estimate_full
from .numeric import EVALS_PER_ELEMENT
from .options import MODES, Options, check_rel_step, validate_options
from .problem import Problem, exclusive, protected, same_bits, validate_params
from .report import Finding, ParamResult, Report
from .watch import Watch

__all__ = ["check", "MODES"]

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
        params: name -> float ndarray in forward order (input layer first), a :class:`Problem`, or
            the mapping ``{"params", "loss", "grads"[, "data"]}`` a factory returns (then leave out
            ``loss`` and ``grads``). The arrays are perturbed in place and always restored bit for bit.
        loss: zero-argument callable returning the scalar loss at the current ``params``.
        grads: name -> analytic gradient, or a zero-argument callable returning that mapping.
            Names may also be ``dW1`` / ``grad_W1`` / ``W1_grad`` for a parameter ``W1``.
        method: ``"central"`` (default), ``"richardson"`` or ``"complex"`` (complex step; the loss
            must read params through this dict and carry complex values).
        mode: ``"full"`` (every element), ``"sampled"`` (``sample`` random elements per tensor),
            ``"fast"`` (a random direction per tensor, then drill down into the failing ones) or
            ``"auto"`` (full for small nets, fast for large ones; the report says which).
        rtol, atol: tolerances; defaults depend on the dtype (see ``gradcheck.compare.TOLERANCES``).
            ``rtol`` lies in (0, 0.1], ``atol`` is finite and >= 0.
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
        UnsupportedMethodError, InvalidOptionError: on bad input, each naming what is wrong.
    """
    t_start = time.perf_counter()
    problem = _as_problem(params, loss, grads, data, hint)
    opts = validate_options(
        method=method, mode=mode, rtol=rtol, atol=atol, rel_step=rel_step, sample=sample, seed=seed,
        workers=workers, progress=progress, diagnose=diagnose, upcast=upcast,
    )
    arrays = validate_params(problem.params)
    check_rel_step(opts.rel_step, opts.method, [p.dtype for p in arrays.values()])
    # a check of the same arrays in another thread waits (exclusive); the arrays keep their bits (protected)
    with exclusive(arrays), protected(problem.params) as saved:
        report = _measure(problem, arrays, saved, opts)
        if opts.diagnose:
            from .diagnosis import diagnose as run_diagnosis  # lazy: the diagnosis loads only when one is asked for

            run_diagnosis(report, problem)
    report.elapsed = time.perf_counter() - t_start
    return report


def _measure(problem: Problem, arrays: dict[str, np.ndarray], saved: Mapping[str, np.ndarray], opts: Options) -> Report:
    """Everything between validation and diagnosis: the start point, the mode's run, the report."""
    notes: list[str] = []
    work = _upcast(problem.params, arrays, problem.loss, notes) if opts.upcast else arrays
    start = _start(problem, work, saved, check_writes=not opts.upcast)
    rtol, atol = _tolerances(work, opts, notes)
    total = sum(p.size for p in work.values())
    estimate = estimate_full(problem.loss, total, start.t_eval) if opts.mode == "auto" else None
    strategy = choose_mode(
        opts.mode, opts.method, total=total, t_eval=start.t_eval, sample=opts.sample, seed=opts.seed, notes=notes,
        estimate=estimate,
    )
    reference = saved if not opts.upcast else {n: p.copy() for n, p in work.items()}
    watch = Watch(
        problem.loss, start.f0, work, reference, _progress(opts.progress, strategy.elements(work)),
        per_element=EVALS_PER_ELEMENT[opts.method], probing=opts.method != "complex",
    )
    pool = _pool(opts, strategy, work, problem.loss, notes)
    settings = Settings(
        problem.loss, start.f0, opts.method, rtol, atol, opts.rel_step, problem.params, pool,
        user_atol=opts.atol is not None, t_eval=start.t_eval,
    )
    with pool if pool is not None else contextlib.nullcontext():
        measured = strategy.run(settings, work, start.analytic, watch.tick)
    watch.finish()  # the loss still gives its first value, and no parameter was written to
    results = [res for res, _ in measured]
    _check_loss_sees_params(results, notes)
    return Report(
        params=results,
        findings=start.findings,
        method=opts.method,
        mode=strategy.name,
        rtol=rtol,
        atol=atol,
        seed=opts.seed,
        loss_value=start.f0,
        n_loss_evals=start.n_evals + (estimate.n_evals if estimate else 0) + watch.n_probes + getattr(pool, "n_probes", 0)
        + sum(n for _, n in measured),
        notes=notes,
        rules_out=strategy.rules_out(),
    )


@dataclass
class Start:
    """The loss and the analytic gradients at the starting point, and what their repeat calls showed."""

    f0: float
    t_eval: float
    analytic: dict[str, np.ndarray]
    findings: list[Finding]
    n_evals: int = 2  # loss() is called twice at the start


def _start(problem: Problem, work: Mapping[str, np.ndarray], saved: Mapping[str, np.ndarray], *, check_writes: bool) -> Start:
    """Call loss() and grads() twice each at the start; refuse a loss that differs or writes."""
    t0 = time.perf_counter()
    f0 = _scalar_loss(problem.loss(), "at the starting parameters")
    t_eval = time.perf_counter() - t0
    t0 = time.perf_counter()
    f0_again = _scalar_loss(problem.loss(), "at the starting parameters (second call)")
    t_eval = min(t_eval, time.perf_counter() - t0)
    analytic = collect_gradients(problem, work)
    again = collect_gradients(problem, work) if callable(problem.grads) else None
    if check_writes:
        _check_untouched(problem, work, saved)
    if f0_again != f0:
        raise NondeterministicLossError(
            f"loss() returned {f0!r} and then {f0_again!r} for the same parameters. A gradient check "
            f"needs a deterministic loss: fix the random seed of dropout or of batch sampling inside "
            f"the loss, and make sure loss() does not update any state (running averages, caches, "
            f"the parameters themselves)."
        )
    findings: list[Finding] = [] if again is None else repeat_call_findings(analytic, again)
    return Start(f0, t_eval, analytic, findings)


def _tolerances(work: Mapping[str, np.ndarray], opts: Options, notes: list[str]) -> tuple[float, float]:
    """The user's rtol and atol, or the dtype defaults; a warning when low precision loosened them."""
    dtypes = [p.dtype for p in work.values()]
    d_rtol, d_atol = tolerances_for(dtypes)
    rtol = d_rtol if opts.rtol is None else opts.rtol
    atol = d_atol if opts.atol is None else opts.atol
    low = sorted({str(d) for d in dtypes if d.itemsize < 8})
    if low:
        notes.append(
            f"parameters in {', '.join(low)}: tolerances loosened to rtol={rtol:g}, atol={atol:g}; "
            f"pass upcast=True to check in float64"
        )
        warnings.warn(notes[-1], stacklevel=5)
    return rtol, atol


def _progress(progress: ProgressCallback | None, total_work: int) -> Callable[[float], None] | None:
    """A tick(k) that adds k elements done and reports ``progress(done, total)``; None without a callback."""
    if progress is None:
        return None
    done = [0]

    def tick(k: float) -> None:
        done[0] += int(k)
        progress(min(done[0], total_work), total_work)

    return tick


def _pool(opts: Options, strategy: Mode, work: Mapping[str, np.ndarray], loss: Callable[[], Any], notes: list[str]) -> Any:
    """A pool of forked workers when asked for and the mode and method can use one; else None."""
    if opts.workers is None or opts.workers < 2 or not strategy.parallel or opts.method == "complex":
        return None
    from .parallel import WorkerPool  # lazy: only a check with workers loads the pool

    notes.append(f"loss evaluations spread over {opts.workers} forked worker processes")
    return WorkerPool(work, loss, workers=opts.workers)


# -- input handling ------------------------------------------------------------


def _as_problem(params: Any, loss: Any, grads: Any, data: Any, hint: Any) -> Problem:
    if loss is None and grads is None and _is_problem_mapping(params):
        # what a factory returns: {"params", "loss", "grads"[, "data", "hint", "name"]}
        params = Problem(params=params["params"], loss=params["loss"], grads=params["grads"],
                         data=params.get("data"), hint=params.get("hint"), name=params.get("name"))
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


def _is_problem_mapping(obj: Any) -> bool:
    """A mapping with ``params`` (a mapping), a callable ``loss`` and ``grads``, not a dict of arrays."""
    return (isinstance(obj, Mapping) and {"params", "loss", "grads"} <= set(obj)
            and isinstance(obj["params"], Mapping) and callable(obj["loss"]))


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

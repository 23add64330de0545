"""Optional process parallelism for full and sampled checks (opt-in, POSIX only).

The element loop of a central difference is spread over forked worker processes. Each
worker is a copy of this process made by ``fork``, so it holds its own copy of every
parameter array and of the loss closure: it perturbs its copy in place and calls the loss,
and the user's arrays in the parent are never touched. Nothing needs to be picklable but
the indices sent and the loss values returned.

It pays only when one loss evaluation is expensive compared with the cost of sending a
chunk of work to a process (tens of microseconds) and when the loss does not already keep
every core busy (large BLAS calls do): measure with ``benchmarks/bench_parallel.py``.

Example:
    >>> import numpy as np
    >>> from gradcheck.parallel import WorkerPool, fork_available
    >>> w = np.linspace(-1, 1, 50)
    >>> loss = lambda: float(np.sin(w).sum())
    >>> if fork_available():
    ...     with WorkerPool({"w": w}, loss, workers=2) as pool:
    ...         res = pool.central("w")
    ...     print(bool(np.allclose(res.grad, np.cos(w))))
    ... else:
    ...     print(True)
    True
"""

from __future__ import annotations

import math
import multiprocessing as mp
import os
import pickle
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

import numpy as np

from . import numeric
from .errors import NondeterministicLossError, UnsupportedMethodError, WorkerError

__all__ = ["WorkerPool", "fork_available"]

#: the state a forked worker inherits: the parameter arrays by name, the loss, its value at the
#: start, and the shared table where each worker writes the task it is running
_STATE: dict[str, Any] = {}
_FORKING = threading.Lock()


def fork_available() -> bool:
    """True where processes can be forked (Linux, macOS); False on Windows."""
    return "fork" in mp.get_all_start_methods()


def _init_worker(counter: Any) -> None:
    with counter.get_lock():  # this worker's row in the table of running tasks
        _STATE["slot"] = counter.value
        counter.value += 1
    # one BLAS thread per worker: the workers already take the cores
    try:
        import threadpoolctl  # lazy: an optional dependency

        threadpoolctl.threadpool_limits(1)
    except ImportError:  # pragma: no cover - optional
        pass
    # the loss at the start, as this process computes it (its own BLAS threads, its own rounding)
    _STATE["f_start"] = _as_float(_STATE["loss"]())


def _ready() -> int:
    return os.getpid()


def _run_chunk(task: int, name: str, idx: np.ndarray, xp: np.ndarray, xm: np.ndarray, x: np.ndarray) -> np.ndarray:
    """In a worker: L(x+h), L(x-h) for each element of the chunk, on this process's copy, then L at the start again."""
    running = _STATE["running"]
    running[_STATE["slot"]] = task + 1
    p = _STATE["params"][name]
    loss = _STATE["loss"]
    flat = numeric.flat_view(p)
    try:
        raw = numeric.perturb_each(
            flat, loss, idx.tolist(), numeric.exact_items(xp), numeric.exact_items(xm), numeric.exact_items(x), []
        )
        vals = numeric.loss_values(raw, name, "perturbing")
        _same_as_at_start(_as_float(loss()), name, idx)  # every element is back: the loss must give its first value
    except BaseException as exc:  # noqa: BLE001 - sent back to the parent in a form it can receive
        numeric.put_back(flat, idx, x)
        raise _sendable(exc, name, idx) from None
    finally:
        running[_STATE["slot"]] = 0
    return vals


def _same_as_at_start(again: float, name: str, idx: np.ndarray) -> None:
    first = _STATE["f_start"]
    if again == first and math.copysign(1.0, again) == math.copysign(1.0, first):
        return
    raise NondeterministicLossError(
        f"in a worker process, loss() returned {again!r} at the starting parameters after evaluating parameter "
        f"{name!r} elements {int(idx.min())}..{int(idx.max())}, where it first returned {first!r}: the loss changes "
        f"as it is called (a hidden call counter, a cache that fills, a running average), so the finite "
        f"differences measure that change, not the gradient"
    )


def _as_float(value: Any) -> float:
    try:
        return float(np.asarray(value).reshape(()))
    except (TypeError, ValueError):
        return math.nan


def _sendable(exc: BaseException, name: str, idx: np.ndarray) -> BaseException:
    """``exc`` when it survives pickling and is an ordinary exception; otherwise a WorkerError saying what it was."""
    where = f"while evaluating parameter {name!r} elements {int(idx.min())}..{int(idx.max())} in a worker process"
    if isinstance(exc, SystemExit):
        return WorkerError(f"loss() called sys.exit({exc.code!r}) {where}")
    if isinstance(exc, Exception):
        try:
            pickle.loads(pickle.dumps(exc))
            return exc
        except Exception as why:  # noqa: BLE001 - any failure to round-trip
            return WorkerError(
                f"loss() raised {type(exc).__name__}: {exc} {where}; the exception could not be sent back to the "
                f"main process as it is ({type(why).__name__}: {why}). Run without workers= to see it in full."
            )
    return WorkerError(f"loss() was interrupted by {type(exc).__name__} {where}")


class WorkerPool:
    """Forked workers that evaluate finite differences of ``loss`` over ``params``.

    Use as a context manager. The workers are forked on entry and see the parameters as they
    are then; the parent must not change them while the pool is open. Built on
    :class:`concurrent.futures.ProcessPoolExecutor`: a worker that dies (``os._exit``, a signal,
    a crash in native code) breaks the pool at once, and the error names the elements it held.
    Each worker evaluates the loss at the starting point when it starts and again after each
    chunk; a value that differs, bit for bit, is a :class:`NondeterministicLossError`.

    Args:
        params: name -> parameter array, the arrays ``loss`` reads.
        loss: zero-argument callable returning the scalar loss.
        workers: number of processes (default: the number of cores).
        chunk: elements per task (default: enough for about 4 tasks per worker per tensor).
    """

    def __init__(
        self,
        params: Mapping[str, np.ndarray],
        loss: Callable[[], Any],
        *,
        workers: int | None = None,
        chunk: int | None = None,
    ) -> None:
        if not fork_available():
            raise UnsupportedMethodError("workers= needs processes started by fork, which this platform lacks")
        n = (os.cpu_count() or 1) if workers is None else int(workers)
        if n < 1:
            raise ValueError(f"workers must be a positive integer, got {workers!r}")
        self.params = dict(params)
        self.loss = loss
        self.workers = n
        self.chunk = chunk
        #: loss evaluations the workers made at the starting point (one as each starts, one per chunk)
        self.n_probes = 0
        self._pool: ProcessPoolExecutor | None = None
        self._tasks: dict[int, tuple[str, int, int]] = {}

    def __enter__(self) -> WorkerPool:
        ctx = mp.get_context("fork")
        self._running = ctx.RawArray("q", self.workers)
        counter = ctx.Value("i", 0)
        _FORKING.acquire()  # _STATE is the one channel to the children: one pool forks at a time
        _STATE.update(params=self.params, loss=self.loss, running=self._running)
        try:
            self._pool = ProcessPoolExecutor(self.workers, mp_context=ctx, initializer=_init_worker, initargs=(counter,))
            self._pool.submit(_ready).result()  # with fork, every worker is started by the first task
        except BaseException:
            self.__exit__(None, None, None)
            raise
        finally:
            for key in ("params", "loss"):
                _STATE.pop(key, None)  # the children hold their copies; the parent keeps no reference
            _FORKING.release()
        self.n_probes += self.workers
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    # -- the element loop, spread over the workers -----------------------------------

    def _pairs(
        self,
        p: np.ndarray,
        loss: Callable[[], Any],
        idx: np.ndarray,
        x: np.ndarray,
        h: np.ndarray,
        name: str,
        progress: numeric.Progress,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        if self._pool is None:
            raise RuntimeError("WorkerPool is not open: use it in a with-block")
        xp = (x + h).astype(p.dtype, copy=False)
        xm = (x - h).astype(p.dtype, copy=False)
        n = idx.size
        size = self.chunk or max(16, -(-n // (4 * self.workers)))
        bounds = [(s, min(n, s + size)) for s in range(0, n, size)]
        first = len(self._tasks)
        futures: list[Future[Any]] = []
        for k, (a, b) in enumerate(bounds):
            self._tasks[first + k] = (name, int(idx[a]), int(idx[b - 1]))
            futures.append(self._pool.submit(_run_chunk, first + k, name, idx[a:b], xp[a:b], xm[a:b], x[a:b]))
        fp = np.empty(n)
        fm = np.empty(n)
        try:
            for (a, b), fut in zip(bounds, futures):
                vals = fut.result()
                self._received(vals, idx[a:b], p.shape, name)
                fp[a:b] = vals[0::2]
                fm[a:b] = vals[1::2]
                if progress is not None:
                    progress(b - a)
        except BrokenProcessPool as exc:
            raise WorkerError(self._dead(name)) from exc
        finally:
            for fut in futures:
                fut.cancel()
        up = np.subtract(xp, x, dtype=np.float64)
        down = np.subtract(x, xm, dtype=np.float64)
        return fp, fm, up, down

    def _received(self, vals: np.ndarray, idx: np.ndarray, shape: tuple[int, ...], name: str) -> None:
        """Check one chunk's values (finite), counting the probe its worker made."""
        self.n_probes += 1
        if not np.isfinite(vals).all():
            numeric.require_finite(vals[0::2], idx, shape, name, "+")
            numeric.require_finite(vals[1::2], idx, shape, name, "-")

    def _dead(self, name: str) -> str:
        """What a broken pool was doing: the elements the workers held when one died."""
        held = [self._tasks[t - 1] for t in list(self._running) if t and (t - 1) in self._tasks]
        spans = ", ".join(f"parameter {n!r} elements {a}..{b}" for n, a, b in held) or f"parameter {name!r}"
        which = "one of the workers evaluating " if len(held) > 1 else "the worker evaluating "
        return (
            f"a worker process died while the loss was evaluated ({which}{spans}): user code ended the process "
            f"(os._exit, a signal, a crash in native code). Run without workers= to see where."
        )

    def central(
        self,
        name: str,
        *,
        f0: float | None = None,
        indices: np.ndarray | None = None,
        rel_step: float | None = None,
        progress: numeric.Progress = None,
    ) -> numeric.EvalResult:
        """:func:`gradcheck.numeric.central` of parameter ``name``, its elements spread over the workers."""
        return numeric.central(
            self.params[name], self.loss, f0=f0, indices=indices, rel_step=rel_step, name=name, progress=progress,
            runner=self._pairs,
        )

    def richardson(
        self,
        name: str,
        *,
        f0: float | None = None,
        indices: np.ndarray | None = None,
        rel_step: float | None = None,
        progress: numeric.Progress = None,
    ) -> numeric.EvalResult:
        """:func:`gradcheck.numeric.richardson` of parameter ``name``, spread over the workers."""
        return numeric.richardson(
            self.params[name], self.loss, f0=f0, indices=indices, rel_step=rel_step, name=name, progress=progress,
            runner=self._pairs,
        )

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

import multiprocessing as mp
import os
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from . import numeric
from .errors import UnsupportedMethodError

__all__ = ["WorkerPool", "fork_available"]

#: the state a forked worker inherits: the parameter arrays by name and the loss
_STATE: dict[str, Any] = {}


def fork_available() -> bool:
    """True where processes can be forked (Linux, macOS); False on Windows."""
    return "fork" in mp.get_all_start_methods()


def _init_worker() -> None:
    # one BLAS thread per worker: the workers already take the cores
    try:
        import threadpoolctl

        threadpoolctl.threadpool_limits(1)
    except ImportError:  # pragma: no cover - optional
        pass


def _run_chunk(name: str, idx: np.ndarray, xp: np.ndarray, xm: np.ndarray, x: np.ndarray) -> list[Any]:
    """In a worker: L(x+h), L(x-h) for each element of the chunk, on this process's copy."""
    p = _STATE["params"][name]
    loss = _STATE["loss"]
    flat = numeric.flat_view(p)
    try:
        return numeric.perturb_each(flat, loss, idx.tolist(), xp.tolist(), xm.tolist(), x.tolist(), [])
    finally:
        flat[idx] = x


class WorkerPool:
    """Forked workers that evaluate finite differences of ``loss`` over ``params``.

    Use as a context manager. The workers are forked on entry and see the parameters as they
    are then; the parent must not change them while the pool is open.

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
        self._pool: Any = None

    def __enter__(self) -> WorkerPool:
        _STATE["params"] = self.params
        _STATE["loss"] = self.loss
        try:
            self._pool = mp.get_context("fork").Pool(self.workers, initializer=_init_worker)
        finally:
            _STATE.clear()  # the children hold their copies; the parent keeps no reference
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._pool is not None:
            if exc[0] is None:
                self._pool.close()
            else:
                self._pool.terminate()
            self._pool.join()
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
        tasks = [(name, idx[a:b], xp[a:b], xm[a:b], x[a:b]) for a, b in bounds]
        fp = np.empty(n)
        fm = np.empty(n)
        for (a, b), raw in zip(bounds, self._pool.starmap(_run_chunk, tasks, chunksize=1)):
            vals = numeric.loss_values(raw, name, "perturbing")
            if not np.isfinite(vals).all():
                numeric.require_finite(vals[0::2], idx[a:b], p.shape, name, "+")
                numeric.require_finite(vals[1::2], idx[a:b], p.shape, name, "-")
            fp[a:b] = vals[0::2]
            fm[a:b] = vals[1::2]
            if progress is not None:
                progress(b - a)
        up = np.subtract(xp, x, dtype=np.float64)
        down = np.subtract(x, xm, dtype=np.float64)
        return fp, fm, up, down

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

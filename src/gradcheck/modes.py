"""The modes of a check as strategy objects, chosen once by :func:`choose_mode`.

A mode decides which elements of each tensor are measured, and how:

- :class:`Full`: every element (all tensors in one loop through :mod:`gradcheck.full` when it can);
- :class:`Sampled`: ``sample`` random elements per tensor;
- :class:`Fast`: one random direction per tensor, element evidence only where it disagrees
  (:mod:`gradcheck.fast`).

Each has ``run(settings, arrays, analytic, tick) -> [(ParamResult, loss evaluations), ...]`` and
``elements(arrays)``, the work the ``tick`` callback counts towards. :func:`gradcheck.check`
chooses a mode once and calls it; nothing downstream tests a mode's name.

Example:
    >>> import numpy as np
    >>> from gradcheck.measure import Settings
    >>> w = np.array([1.0, 2.0])
    >>> mode = choose_mode("auto", "central", total=2, t_eval=1e-6, sample=None, seed=0, notes=[])
    >>> mode.name, [(r.status, n) for r, n in mode.run(Settings(lambda: float(w @ w), 5.0), {"w": w}, {"w": 2 * w})]
    ('full', [('ok', 4)])
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from .fast import Reach, fast_check_one, rules_out
from .full import central_all, compare_all, fusable
from .measure import DEFAULT_SAMPLE, Settings, compare_settled, evaluate
from .report import ParamResult

__all__ = ["AUTO_FULL_MAX_PARAMS", "AUTO_FULL_MAX_SECONDS", "Estimate", "Fast", "Full", "Mode", "Sampled", "choose_mode",
           "estimate_full"]

#: "auto" picks a full check up to this many scalar parameters ...
AUTO_FULL_MAX_PARAMS = 20_000
#: ... or while a full check is estimated to take at most this many seconds.
AUTO_FULL_MAX_SECONDS = 10.0
#: A full check is estimated from this many batches of loss evaluations (after the two at the start,
#: which pay first-call costs: allocation, caches) ...
TIMING_BATCHES = 5
#: ... each evaluating the loss until it has run this long: several of the OS scheduler's time slices,
#: so that a loaded machine's share of the CPU shows in the time as it will over a long check (a burst of
#: a few fast evaluations runs at full speed and underestimates a long check several times over) ...
TIMING_BATCH_SECONDS = 0.05
#: ... stopping once the batches took this long (a slow loss: one batch of one evaluation at least).
TIMING_BUDGET = 1.0
#: The estimate of a full check is stated only when the batches agree within this factor: then it is
#: within this factor of the truth as long as the machine keeps that pace.
ESTIMATE_SPREAD = 2.0


@dataclass(frozen=True)
class Estimate:
    """How long a full check would take: ``seconds`` (2 evaluations per parameter at the median time per
    evaluation of the timed batches, ``n_evals`` evaluations in all), and whether the batches agreed within
    :data:`ESTIMATE_SPREAD` (``steady``)."""

    seconds: float
    steady: bool
    n_evals: int = 0
    fastest: float = 0.0
    slowest: float = 0.0


def estimate_full(
    loss: Callable[[], object], total: int, t_eval: float, clock: Callable[[], float] = time.perf_counter
) -> Estimate:
    """Time a few more loss evaluations when auto mode might pick the fast check, and estimate a full one.

    Nets that a full check clearly suits (few parameters, or an estimate from the start's evaluations
    well below :data:`AUTO_FULL_MAX_SECONDS`) cost nothing: no evaluation is added.

    >>> est = estimate_full(lambda: 0.0, total=10, t_eval=1e-6)
    >>> est.n_evals, est.steady, round(est.seconds, 9)
    (0, True, 2e-05)
    """
    first = 2 * total * max(t_eval, 1e-7)
    if total <= AUTO_FULL_MAX_PARAMS or first * ESTIMATE_SPREAD <= AUTO_FULL_MAX_SECONDS:
        return Estimate(first, True, 0, t_eval, t_eval)
    per_eval: list[float] = []  # seconds per evaluation, one entry per batch
    n_evals, spent = 0, 0.0
    while len(per_eval) < TIMING_BATCHES and spent < TIMING_BUDGET:
        t0, n = clock(), 0
        while True:
            loss()
            n += 1
            took = clock() - t0
            if took >= TIMING_BATCH_SECONDS or spent + took >= TIMING_BUDGET:
                break
        per_eval.append(took / n)
        n_evals, spent = n_evals + n, spent + took
    samples = per_eval if len(per_eval) > 1 else per_eval + [t_eval]  # one slow evaluation: the start's too
    fastest, slowest = min(samples), max(samples)
    median = float(np.median(per_eval))
    return Estimate(2 * total * max(median, 1e-7), slowest <= ESTIMATE_SPREAD * max(fastest, 1e-9), n_evals,
                    fastest, slowest)


Tick = Callable[[float], None]
Results = list[tuple[ParamResult, int]]


class Mode(Protocol):
    """What :func:`gradcheck.check` asks of a mode."""

    name: str
    #: True when the element loop may be spread over worker processes
    parallel: bool

    def elements(self, arrays: Mapping[str, np.ndarray]) -> int:
        """The element count ``tick`` reports progress against."""

    def run(self, s: Settings, arrays: Mapping[str, np.ndarray], analytic: Mapping[str, np.ndarray], tick: Tick | None = None) -> Results:
        """Measure and compare every tensor: (result, loss evaluations spent) per tensor, in order."""

    def rules_out(self) -> str:
        """After ``run``: one line on what an "ok" of this mode does and does not rule out ('' when every
        element was compared, or nothing needs saying)."""


def measure_one(s: Settings, name: str, p: np.ndarray, g: np.ndarray, idx: np.ndarray | None, tick: Tick | None) -> tuple[ParamResult, int]:
    """Evaluate the elements ``idx`` of ``p`` (all when None) and compare them with ``g``."""
    ev = evaluate(s, name, p, idx, tick)
    res, extra = compare_settled(s, name, p, g, ev)
    return res, ev.n_evals + extra


@dataclass
class Full:
    """Every element of every tensor."""

    name: str = "full"
    parallel: bool = True

    def elements(self, arrays: Mapping[str, np.ndarray]) -> int:
        return sum(p.size for p in arrays.values())

    def run(self, s: Settings, arrays: Mapping[str, np.ndarray], analytic: Mapping[str, np.ndarray], tick: Tick | None = None) -> Results:
        if s.method == "central" and s.pool is None and fusable(arrays):
            # every element in one loop, every tensor in one comparison pass (gradcheck.full):
            # the same numbers as tensor by tensor, without a fixed cost per tensor
            run = central_all(s, arrays, tick)
            return [(res, 2 * res.n_checked + extra) for res, extra in compare_all(s, run, analytic)]
        return [measure_one(s, n, p, analytic[n], None, tick) for n, p in arrays.items()]

    def rules_out(self) -> str:
        return ""


@dataclass
class Sampled:
    """``sample`` random elements of each tensor (all of a smaller tensor), drawn from ``rng``."""

    sample: int | None
    rng: np.random.Generator
    name: str = "sampled"
    parallel: bool = True

    def elements(self, arrays: Mapping[str, np.ndarray]) -> int:
        return sum(min(p.size, self.sample or DEFAULT_SAMPLE) for p in arrays.values())

    def run(self, s: Settings, arrays: Mapping[str, np.ndarray], analytic: Mapping[str, np.ndarray], tick: Tick | None = None) -> Results:
        out = []
        for n, p in arrays.items():
            k = min(p.size, self.sample or DEFAULT_SAMPLE)
            idx = np.sort(self.rng.choice(p.size, size=k, replace=False)) if k < p.size else None
            out.append(measure_one(s, n, p, analytic[n], idx, tick))
        return out

    def rules_out(self) -> str:
        return ""


@dataclass
class Fast:
    """A random direction per tensor; element evidence (full, sampled, bisected) where it disagrees."""

    sample: int | None
    rng: np.random.Generator
    name: str = "fast"
    parallel: bool = False
    #: what each tensor's check ruled out, filled by ``run``
    reach: list[Reach] = field(default_factory=list)

    def elements(self, arrays: Mapping[str, np.ndarray]) -> int:
        return sum(min(p.size, self.sample or DEFAULT_SAMPLE) for p in arrays.values())

    def run(self, s: Settings, arrays: Mapping[str, np.ndarray], analytic: Mapping[str, np.ndarray], tick: Tick | None = None) -> Results:
        count = tick or _ignore
        out: Results = []
        self.reach = []
        for n, p in arrays.items():
            res, used, reach = fast_check_one(s, n, p, analytic[n], self.sample, self.rng, count)
            out.append((res, used))
            self.reach.append(reach)
        return out

    def rules_out(self) -> str:
        return rules_out(self.reach)


def _ignore(k: float) -> None:
    """A tick that counts nothing."""


def choose_mode(
    mode: str, method: str, *, total: int, t_eval: float, sample: int | None, seed: int, notes: list[str],
    estimate: Estimate | None = None,
) -> Full | Sampled | Fast:
    """The strategy for ``mode`` ("auto" resolved by size and the time of a full check: ``estimate``, or
    2 evaluations per parameter at ``t_eval`` each).

    Complex step has no directional form: a fast check with it samples instead. A note says
    what "auto" chose and why.
    """
    if mode == "auto":
        mode = _auto(total, estimate or Estimate(2 * total * max(t_eval, 1e-7), True), notes)
    if method == "complex" and mode == "fast":
        mode = "sampled"
    if mode == "full":
        return Full()  # a full check draws nothing
    rng = np.random.default_rng(seed)
    return Sampled(sample, rng) if mode == "sampled" else Fast(sample, rng)


def _auto(total: int, estimate: Estimate, notes: list[str]) -> str:
    if total <= AUTO_FULL_MAX_PARAMS or estimate.seconds <= AUTO_FULL_MAX_SECONDS:
        return "full"
    if estimate.steady:
        how_long = f"about {estimate.seconds:.0f} s"
    else:  # the evaluations' times disagree by more than 2x: no number that could be that far off
        how_long = (f"long ({2 * total:,} loss evaluations; timed ones took {estimate.fastest:.2g} to "
                    f"{estimate.slowest:.2g} s each)")
    notes.append(
        f"{total:,} parameters: a full check would take {how_long}, so a fast check was run "
        f"(a random direction per tensor; a tensor that disagrees is checked element by element: in full when "
        f"small, else by a sample and a bisection of the direction); pass mode='full' to force it"
    )
    return "fast"

"""One net of a search: build it from a configuration, check it, remember what was built.

A :class:`Trial` keeps the configuration, the verdict and the shapes the factory actually
built (parameters and data), so that what a search says about widths and batch sizes comes
from the nets checked, not from the values requested. :class:`Runner` caches trials by
configuration and logs the ones the search judged.

Example:
    >>> import numpy as np
    >>> from gradcheck.vary import plan_factory
    >>> def build(n_hidden=1):
    ...     w = np.ones((2, n_hidden))
    ...     return {"params": {"W": w}, "loss": lambda: float((w ** 2).sum()), "grads": lambda: {"W": 2 * w}}
    >>> t = Runner(plan_factory(build), {}).run({"n_hidden": 3})
    >>> t.ok, t.shapes
    (True, {'W': (2, 3)})
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .check import check
from .errors import AdapterError, LossError
from .problem import protected
from .report import Report
from .vary import FactoryPlan

__all__ = ["BIAS_NAME", "SECOND_LOOK_MAX_ERROR", "Runner", "Trial", "config_key"]

#: A failure whose relative errors all stay below this is measured again with Richardson extrapolation
#: before it counts: kinks straddled by a step give errors of 1e-5 to 1e-3, real mistakes of 1e-1 and more.
SECOND_LOOK_MAX_ERROR = 1e-2

#: A parameter named like this is a bias (b1, b_out, fc1.bias), not a weight matrix, even when 2-D.
BIAS_NAME = re.compile(r"(^b\d*$|^b_|bias|^beta)", re.IGNORECASE)


@dataclass
class Trial:
    """A configuration and what came of it; ``rejected`` when the factory raised or the loss at
    the starting point was not finite (no net to judge), ``error`` when the check raised; ``net``
    a digest of what the check saw (arrays built, loss value, analytic gradients)."""

    config: dict[str, Any]
    ok: bool
    report: Report | None = None
    error: str | None = None
    shapes: dict[str, tuple[int, ...]] = field(default_factory=dict)
    data_shapes: tuple[tuple[int, ...], ...] = ()
    rejected: bool = False
    batch_size: int | None = None
    negative_inputs: int | None = None
    net: str | None = None

    @property
    def weight_shapes(self) -> list[tuple[int, ...]]:
        """The shapes of the weight matrices built: the 2-D parameters not named as a bias."""
        return [s for n, s in self.shapes.items() if len(s) == 2 and not BIAS_NAME.search(n)]

    @property
    def all_square(self) -> bool | None:
        ws = self.weight_shapes
        return all(a == b for a, b in ws) if ws else None

    @property
    def all_width_one(self) -> bool:
        ws = self.weight_shapes
        return bool(ws) and all(s == (1, 1) for s in ws)

    def naming(self) -> frozenset[str]:
        """The kinds of mistake the check named here."""
        return frozenset(self.report.kinds()) if self.report is not None else frozenset()


def config_key(config: Mapping[str, Any]) -> tuple:
    """A hashable key of a configuration (arrays by shape and bytes)."""
    out = []
    for k in sorted(config):
        v = config[k]
        if isinstance(v, np.ndarray):
            v = (v.shape, v.tobytes())
        elif isinstance(v, list):
            v = tuple(v)
        out.append((k, v))
    return tuple(out)


def _data_shapes(data: Any) -> tuple[tuple[int, ...], ...]:
    if isinstance(data, (tuple, list)):
        return tuple(tuple(np.shape(d)) for d in data if hasattr(d, "shape"))
    return ()


def _arrays_digest(problem: Any) -> Any:
    """A running digest of the parameters (names, shapes, values) and data arrays a factory built."""
    h = hashlib.blake2b(digest_size=16)
    data = problem.data if isinstance(problem.data, (tuple, list)) else ()
    for name, a in [*problem.params.items(), *((f"data{i}", d) for i, d in enumerate(data))]:
        if isinstance(a, np.ndarray):
            h.update(f"{name}{a.shape}{a.dtype}".encode())
            h.update(np.ascontiguousarray(a).tobytes())
    return h


def _net_digest(built: Any, report: Report) -> str:
    """What a check of the net saw: the arrays built, the loss value and the analytic gradients. Two
    configurations with the same digest are one net to the check, whatever their keywords say."""
    built.update(repr(report.loss_value).encode())
    for p in report.params:
        if p.analytic is not None:
            built.update(np.ascontiguousarray(p.analytic).tobytes())
    return str(built.hexdigest())


def _negative_inputs(data: Any) -> int | None:
    """How many inputs of the data the factory returned are negative (None without data)."""
    X = data[0] if isinstance(data, (tuple, list)) and data else None
    if not isinstance(X, np.ndarray) or X.dtype.kind != "f":
        return None
    return int((X < 0).sum())


class Runner:
    """Builds and checks the nets of one search; ``log`` holds the judged trials in order."""

    def __init__(self, plan: FactoryPlan, options: dict[str, Any], layout: str = "rows") -> None:
        self.plan = plan
        self.options = options
        self.layout = layout
        self.cache: dict[tuple, Trial] = {}
        self.log: list[Trial] = []
        self.rejected: list[Trial] = []
        self.n_checks = 0
        self.fingerprints: dict[tuple, str | None] = {}

    def batch_size(self, config: Mapping[str, Any]) -> int | None:
        from .factories import batch_of  # lazy: factories loads hypothesis, which importing search must not

        return batch_of(self.plan, config, self.layout)

    def run(self, config: Mapping[str, Any], *, diagnose: bool = False, log: bool = True) -> Trial:
        """The trial of ``config`` (cached); ``diagnose`` also names the mistakes."""
        key = (config_key(config), diagnose)
        if key in self.cache:
            return self.cache[key]
        from .factories import call_factory  # lazy: factories loads hypothesis, which importing search must not

        config = dict(config)
        m = self.batch_size(config)
        try:
            problem = call_factory(self.plan.factory, config)
        except AdapterError:
            raise
        except Exception as exc:  # noqa: BLE001 - the factory cannot build this net: skip it
            return self._reject(key, Trial(config, False, error=f"{type(exc).__name__}: {exc}", rejected=True,
                                           batch_size=m))
        shapes = {n: tuple(np.shape(p)) for n, p in problem.params.items()}
        built = _arrays_digest(problem)
        trial = Trial(config, False, shapes=shapes, data_shapes=_data_shapes(problem.data), batch_size=m,
                      negative_inputs=_negative_inputs(problem.data))
        self.n_checks += 1
        try:
            trial.report = check(problem, diagnose=diagnose, **self.options)
            trial.net = _net_digest(built, trial.report)
            # a net no finite difference could check everywhere is not a failing one: nothing was shown wrong
            trial.ok = trial.report.status != "wrong" or self._second_look(problem, trial.report)
            zero = None if trial.ok else self._undefined_at_zero(config, trial.report)
            if zero is not None:
                trial.error, trial.rejected = (f"the gradient is not finite at {zero}=0, where the factory's own "
                                               f"arithmetic breaks (a division by {zero}?)"), True
                return self._reject(key, trial)
        except LossError as exc:  # a loss that is not finite here: no net to judge at this configuration
            trial.error, trial.rejected = f"{type(exc).__name__}: {exc}", True
            return self._reject(key, trial)
        except Exception as exc:  # noqa: BLE001 - a crash in the user's loss or grads is a failure to report
            trial.error = f"{type(exc).__name__}: {exc}"
        self.cache[key] = trial
        if log:
            self.log.append(trial)
        return trial

    def fingerprint(self, config: Mapping[str, Any]) -> str | None:
        """A digest of the net ``config`` builds (arrays, loss value, analytic gradients), without a
        gradient check; None when the factory, the loss or the gradients raise."""
        key = config_key(config)
        if key not in self.fingerprints:
            from .factories import call_factory  # lazy: factories loads hypothesis, which importing search must not

            try:
                problem = call_factory(self.plan.factory, dict(config))
                h = _arrays_digest(problem)
                with protected(problem.params):
                    h.update(repr(float(problem.loss())).encode())
                    grads = problem.grads_now()
                items = grads.items() if isinstance(grads, Mapping) else enumerate(grads)
                for name, g in items:
                    h.update(f"{name}".encode())
                    h.update(np.ascontiguousarray(np.asarray(g, dtype=np.float64)).tobytes())
                self.fingerprints[key] = h.hexdigest()
            except Exception:  # noqa: BLE001 - a net that cannot be built or evaluated tells nothing
                self.fingerprints[key] = None
        return self.fingerprints[key]

    def _second_look(self, problem: Any, report: Report) -> bool:
        """Whether a near miss passes a second, more accurate measurement (Richardson extrapolation).

        A finite difference that straddles a kink (a clip, an abs, a relu) near a drawn value is off by
        a little, and only at some step sizes; a wrong gradient stays wrong at every step. So a failure
        whose errors are all small is counted only when Richardson's measurement agrees with it."""
        wrong = [report[n] for n in report.wrong]
        if self.options.get("method", "central") != "central" or not wrong or any(
            p.grad_shape not in (None, p.shape) or not p.max_rel_error < SECOND_LOOK_MAX_ERROR for p in wrong
        ):
            return False
        try:
            return check(problem, diagnose=False, **{**self.options, "method": "richardson"}).status != "wrong"
        except Exception:  # noqa: BLE001 - the first verdict stands
            return False

    def _undefined_at_zero(self, config: Mapping[str, Any], report: Report) -> str | None:
        """The setting drawn at 0 (off its default) when the only thing wrong is a non-finite gradient:
        the factory is not defined there (it divides by the setting), which says nothing of its backprop."""
        wrong = [report[n] for n in report.wrong]
        if not wrong or not all(p.analytic is not None and not np.all(np.isfinite(p.analytic)) for p in wrong):
            return None
        return next((kw.name for kw in self.plan.settings if isinstance(config.get(kw.name), float)
                     and config[kw.name] == 0.0 and kw.default not in (0, 0.0, None)), None)

    def _reject(self, key: tuple, trial: Trial) -> Trial:
        self.cache[key] = trial
        self.rejected.append(trial)
        return trial

    def fails(self, config: Mapping[str, Any]) -> bool:
        """The property for hypothesis: True when the gradients of this net are wrong."""
        from hypothesis import assume  # lazy: importing search must not load hypothesis

        trial = self.run(config)
        assume(not trial.rejected)
        return not trial.ok

    def judged(self) -> list[Trial]:
        """The logged trials whose check ran to its end."""
        return [t for t in self.log if t.error is None]

"""What the smallest failing net of a search depends on: probes of its neighbours.

:class:`Explainer` changes one thing at a time in the smallest failing configuration (one
example fewer, square or 1x1 weights, positive inputs, one layer fewer, other seeds, each
drawn setting back at its default) and states a fact only when the probe and every net
tried so far agree with it. Facts about widths and batch sizes are read from the shapes the
factory actually built, never from the values requested.

Example:
    >>> import numpy as np
    >>> from gradcheck.trials import Runner
    >>> from gradcheck.vary import plan_factory
    >>> def build(reg=0.0):                          # the L2 term is left out of the gradient
    ...     w = np.array([1.0, -2.0])
    ...     return {"params": {"w": w}, "loss": lambda: float(w @ w + reg * w @ w), "grads": lambda: {"w": 2 * w}}
    >>> runner = Runner(plan_factory(build), {})
    >>> final = runner.run({"reg": 1.0}, diagnose=True)
    >>> facts, implications = Explainer(runner, final).explain()
    >>> facts[0]
    'passes at the default reg=0.0 (1 tried), fails at reg=1.0'
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from .trials import BIAS_NAME, Runner, Trial


def fmt_value(v: Any) -> str:
    """A drawn value for a sentence: floats to 4 significant digits.

    >>> fmt_value(0.5 * 1.37 * 1.37), fmt_value(1.0), fmt_value(3)
    ('0.9385', '1.0', '3')
    """
    if not isinstance(v, float):
        return repr(v)
    text = f"{v:.4g}"
    return text if any(c in text for c in ".einf") else f"{text}.0"

__all__ = ["Explainer", "SETTING_IMPLICATIONS", "batch_changes"]

#: How many seeds next to the smallest failing one are probed.
N_SEED_PROBES = 2

#: What a mistake that only negative inputs show points to.
NEGATIVE_INPUTS = (
    "a derivative that is wrong only for negative pre-activations, such as a relu mask that lets negative "
    "values through (z != 0 or sign(z) instead of z > 0) or a leaky slope applied on the wrong side"
)

#: What a mistake hidden at a setting's default points to, by the setting's role.
SETTING_IMPLICATIONS = {
    "penalty": "the regularization term's gradient is wrong or missing: at {name}={default} the penalty adds "
               "nothing, so a mistake in it cannot show",
    "keep": "the dropout backward pass is wrong (the mask or the 1/{name} scaling): at {name}={default} dropout "
            "does nothing",
    "drop": "the dropout backward pass is wrong (the mask or the 1/(1 - {name}) scaling): at {name}={default} "
            "dropout does nothing",
    "rate": "{name} reaches the gradient: at {name}={default} nothing moves, which hides e.g. weights updated "
            "before the delta is sent down (the delta must use the weights of the forward pass)",
    "momentum": "{name} reaches the gradient (a velocity or a running average returned as the gradient): "
                "at {name}={default} it has no effect",
    "flag": "the mistake is in the code that {name}={value} switches on",
    "choice": "the mistake is in the code that {name}={value} selects",
    "size": "the mistake shows only when {name} is at least {value} (a sum or mean over that axis, or a "
            "transpose that a size of {default} hides)",
    "sizes": "the mistake shows only at other sizes {name}={value} (a transpose or an axis that the "
             "default sizes hide)",
    "float": "the mistake shows only away from {name}={default} (saturated units, a kink, or a term that "
             "{name} scales)",
    "int": "the mistake shows only away from {name}={default}",
}


class Explainer:
    """Probes around ``final`` (the smallest failing trial) with ``runner``; :meth:`explain` returns
    the facts and what they imply."""

    def __init__(self, runner: Runner, final: Trial) -> None:
        self.runner = runner
        self.plan = runner.plan
        self.layout = runner.layout
        self.final = final
        self.cfg = final.config
        self.report = final.report
        self.kinds = set(self.report.kinds()) if self.report is not None else set()

    def probe(self, **changes: Any) -> Trial:
        cfg = dict(self.cfg)
        cfg.update(changes)
        return self.runner.run(cfg)

    def explain(self) -> tuple[list[str], list[str]]:
        facts: list[str] = []
        implications: list[str] = []
        self._batch(facts, implications)
        self._square(facts, implications)
        self._inputs(facts, implications)
        self._depth(facts, implications)
        self._settings(facts, implications)
        self._seeds(facts)
        return facts, implications

    # a probe adds a fact only when every net tried so far (search and probes) agrees with it
    def _observed(self, pred: Callable[[Trial], bool]) -> tuple[int, int]:
        sel = [t for t in self.runner.judged() if pred(t)]
        return len(sel), sum(not t.ok for t in sel)

    # -- batch size ----------------------------------------------------------------------

    def with_batch(self, m: int) -> dict[str, Any]:
        return batch_changes(self.runner, self.cfg, m)

    def _batch_built(self, trial: Trial, m: int) -> bool:
        """Whether the net of ``trial`` was built with ``m`` examples (as far as its data tell)."""
        return not trial.data_shapes or any(m in s for s in trial.data_shapes)

    def _batch(self, facts: list[str], implications: list[str]) -> None:
        m = self.final.batch_size
        if m is None or m < 2 or not self._batch_built(self.final, m):
            return
        probes = [self.probe(**self.with_batch(k)) for k in range(1, m)]
        if not all(p.ok and p.error is None and self._batch_built(p, p.batch_size or 0) for p in probes):
            return
        n, bad = self._observed(lambda t: (t.batch_size or 0) < m)
        if bad:
            return
        below = "batch size 1" if m == 2 else f"batch size below {m}"
        facts.append(f"passes for every net with {below} ({n} tried), fails from batch size {m}")
        implications.append(self._batch_implication(m))

    def _batch_implication(self, m: int) -> str:
        report = self.report
        if report is None:
            return "a mistake that a single example hides"
        wrong = [report[n] for n in report.wrong]
        if "bias_not_summed" in self.kinds or (
            wrong and all(p.grad_shape is not None and p.grad_shape != p.shape for p in wrong)
        ):
            shaped = [p.name for p in wrong if p.grad_shape is not None and p.grad_shape != p.shape]
            names = ", ".join(shaped or [p.name for p in wrong])
            keeps = "keeps" if len(shaped) == 1 else "keep"
            return f"the bias gradient is not summed over the batch ({names} {keeps} one delta per example)"
        ratios = [
            p.analytic_at_worst / p.numeric_at_worst
            for p in wrong
            if p.analytic_at_worst is not None and p.numeric_at_worst not in (None, 0.0)
        ]
        if ratios and all(abs(r - m) < 1e-3 * m for r in ratios):
            return f"the gradient is not divided by the batch size (a missing 1/m: analytic / numeric = {m})"
        if ratios and all(abs(r - 1.0 / m) < 1e-3 / m for r in ratios):
            return f"the gradient is divided by the batch size once too often (analytic / numeric = 1/{m})"
        return (
            "a mistake that a single example hides: a missing 1/m, a bias gradient not summed over the batch, "
            "or a sum or mean over the wrong axis"
        )

    # -- widths: read from the shapes built ---------------------------------------------------

    def _with_widths(self, widths: list[int]) -> dict[str, Any]:
        """The smallest config with other widths; a drawn X gets its feature columns cycled to fit."""
        name = self.plan.widths
        out: dict[str, Any] = {name: widths} if name else {}
        X = self.cfg.get(self.plan.inputs or "X")
        if isinstance(X, np.ndarray) and widths[0] != X.shape[1 if self.layout == "rows" else 0]:
            idx = np.arange(widths[0]) % (X.shape[1] if self.layout == "rows" else X.shape[0])
            out[self.plan.inputs or "X"] = X[:, idx] if self.layout == "rows" else X[idx, :]
        return out

    def _shown(self) -> str:
        nonsquare = [(n, s) for n, s in self.final.shapes.items()
                     if len(s) == 2 and s[0] != s[1] and not BIAS_NAME.search(n)]
        bad = [(n, s) for n, s in nonsquare if not self._ok_param(n)] or nonsquare
        return ", ".join(f"{n} of shape {s}" for n, s in bad[:3])

    def _square(self, facts: list[str], implications: list[str]) -> None:
        if self.final.all_square is not False:
            return
        widths = self.cfg.get(self.plan.widths) if self.plan.widths else None
        if widths is not None:
            square = [max(widths)] * len(widths)
            self.probe(**self._with_widths(square))
        n, nbad = self._observed(lambda t: bool(t.all_square) and not t.all_width_one)
        n_big, _ = self._observed(lambda t: bool(t.all_square) and not t.all_width_one and self._big_batch(t))
        if n_big and not nbad:
            facts.append(f"passes on every net built with square weight matrices only ({n} tried); "
                         f"fails for {self._shown()}")
            implications.append(
                "a weight gradient laid out as W.T, which only a square matrix accepts without a shape error "
                "(rows: dW = A_prev.T @ dZ; cols: dW = dZ @ A_prev.T)"
            )
            return
        if widths is not None:
            self.probe(**self._with_widths([1] * len(widths)))
        n, nbad = self._observed(lambda t: t.all_width_one)
        n_big, _ = self._observed(lambda t: t.all_width_one and self._big_batch(t))
        if not n_big or nbad:
            return
        facts.append(
            f"passes on every net built with 1x1 weight matrices only ({n} tried: a 1x1 matrix hides a transpose "
            f"or a wrong axis), fails for {self._shown()}"
        )
        if "transposed" in self.kinds:
            implications.append(
                "the weight gradient is transposed (it has the shape of W.T): on a square layer numpy would accept "
                "it silently, yet its values would still be wrong (rows: dW = A_prev.T @ dZ; cols: dW = dZ @ A_prev.T)"
            )

    def _ok_param(self, name: str) -> bool:
        try:
            return self.report is not None and self.report[name].ok
        except KeyError:
            return True

    def _depth(self, facts: list[str], implications: list[str]) -> None:
        widths = self.cfg.get(self.plan.widths) if self.plan.widths else None
        n_layers = len(self.final.weight_shapes)
        if widths is None or len(widths) < 3 or n_layers < 2:
            return
        self.probe(**self._with_widths([widths[0], widths[-1]]))
        n, bad = self._observed(lambda t: len(t.weight_shapes) == 1)
        if not n or bad:
            return
        facts.append(f"passes on every net built with one weight matrix ({n} tried), fails with {n_layers}")
        implications.append(
            "the mistake is in what is sent down between layers (the delta through W, or a hidden activation's "
            "derivative), not in the output layer's own gradient"
        )

    # -- inputs, settings, seeds ----------------------------------------------------------------

    def _inputs(self, facts: list[str], implications: list[str]) -> None:
        name = self.plan.inputs
        X = self.cfg.get(name) if name else None
        if not isinstance(X, np.ndarray):
            self._built_inputs(facts, implications)
            return
        if not (X < 0).any():
            return
        assert name is not None  # X was read under it
        if not self.probe(**{name: np.abs(X)}).ok:
            return
        n, bad = self._observed(lambda t: isinstance(t.config.get(name), np.ndarray) and bool((t.config[name] >= 0).all()))
        if bad:
            return
        k = int((X < 0).sum())
        facts.append(
            f"passes while every input is positive ({n} tried, among them the same net on |{name}|), "
            f"fails with {k} negative input{'s' if k > 1 else ''}"
        )
        implications.append(NEGATIVE_INPUTS)

    def _built_inputs(self, facts: list[str], implications: list[str]) -> None:
        """The same fact read off the data the factory returned, when it does not take X."""
        k = self.final.negative_inputs
        if not k:
            return
        n, bad = self._observed(lambda t: t.negative_inputs == 0)
        # only nets as large as the smallest failing one tell: a smaller one may pass for another reason
        n_alike, _ = self._observed(lambda t: t.negative_inputs == 0 and self._as_large(t))
        if not n_alike or bad:
            return
        facts.append(f"passes on every net whose data had no negative input ({n} tried), fails with "
                     f"{k} negative input{'s' if k > 1 else ''}")
        implications.append(NEGATIVE_INPUTS)

    def _big_batch(self, t: Trial) -> bool:
        """Whether ``t`` had as many examples as the smallest failing net (a smaller batch hides other things)."""
        return (t.batch_size or 0) >= (self.final.batch_size or 0)

    def _as_large(self, t: Trial) -> bool:
        """Whether ``t`` built the same parameter shapes as the smallest failing net, with as many examples."""
        return t.shapes == self.final.shapes and self._big_batch(t)

    def _settings(self, facts: list[str], implications: list[str]) -> None:
        for kw in self.plan.settings:
            if not kw.has_default or kw.name not in self.cfg or _same(self.cfg[kw.name], kw.default):
                continue
            if not self.probe(**{kw.name: kw.default}).ok:
                continue
            n, bad = self._observed(functools.partial(_keeps_default, kw))
            if bad:
                continue
            value = self.cfg[kw.name]
            facts.append(f"passes at the default {kw.name}={kw.default!r} ({n} tried), fails at "
                         f"{kw.name}={fmt_value(value)}")
            template = SETTING_IMPLICATIONS.get(kw.role)
            if template:
                implications.append(template.format(name=kw.name, default=kw.default, value=fmt_value(value)))

    def _seeds(self, facts: list[str]) -> None:
        name = self.plan.seed
        s = self.cfg.get(name) if name else None
        if not isinstance(s, (int, np.integer)):
            return
        others = [s + i for i in range(1, N_SEED_PROBES + 1)]
        assert name is not None  # the seed was read under it
        passing = [o for o in others if self.probe(**{name: o}).ok]
        if not passing:
            facts.append(f"fails for every seed tried ({', '.join(str(v) for v in [s, *others])})")
        else:
            facts.append(
                f"fails for seed {s} but passes for seed {', '.join(map(str, passing))}: the mistake shows only for "
                f"some values (a kink, a branch or a saturated unit)"
            )


def batch_changes(runner: Runner, cfg: Mapping[str, Any], m: int) -> dict[str, Any]:
    """The changes that give ``cfg`` ``m`` examples (a drawn X loses rows, or repeats its first ones)."""
    plan = runner.plan
    out: dict[str, Any] = {}
    if plan.batch is not None and plan.batch in cfg:
        out[plan.batch] = m
    X = cfg.get(plan.inputs or "X")
    if isinstance(X, np.ndarray) and X.ndim == 2:
        axis = 0 if runner.layout == "rows" else 1
        idx = np.arange(m) % X.shape[axis]
        out[plan.inputs or "X"] = X[idx] if axis == 0 else X[:, idx]
    return out


def _keeps_default(kw: Any, t: Trial) -> bool:
    """The trial ran with the keyword ``kw`` at its default."""
    return _same(t.config.get(kw.name), kw.default)


def _same(a: Any, b: Any) -> bool:
    """Equal values (arrays never are: an X drawn is never a default)."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return False
    try:
        return bool(a == b)
    except Exception:  # noqa: BLE001 - values that do not compare are different
        return False

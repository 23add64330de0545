"""Search for the smallest net on which a hand-written gradient is wrong.

:func:`search` runs the property "the analytic gradients match" over nets built
by a user factory (varied widths, batch sizes, seeds and inputs; see
:mod:`gradcheck.strategies`), lets hypothesis shrink the first failure to the
smallest failing configuration, then probes its neighbours (one example fewer,
square weights, positive inputs, one layer fewer, other seeds) to say what the
failure depends on and what that implies.

Example:
    >>> import numpy as np
    >>> from gradcheck.search import search
    >>> def build(batch_size, seed=0):          # forgets the 1/m of the mean
    ...     rng = np.random.default_rng(seed)
    ...     X, y, w = rng.normal(size=(batch_size, 2)), rng.normal(size=batch_size), rng.normal(size=2)
    ...     return {"params": {"w": w},
    ...             "loss": lambda: float(((X @ w - y) ** 2).mean()),
    ...             "grads": lambda: {"w": 2 * X.T @ (X @ w - y)}}
    >>> result = search(build, seed=1, max_examples=20)
    >>> result.found, result.smallest["batch_size"]
    (True, 2)
    >>> print(result.facts[0])
    passes for every net with batch size 1 (... tried), fails from batch size 2
"""

from __future__ import annotations

import random as _random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .check import check
from .errors import AdapterError, TargetError
from .report import Report

__all__ = ["SearchResult", "search"]

#: How many seeds next to the smallest failing one are probed.
N_SEED_PROBES = 2


@dataclass
class SearchResult:
    """What :func:`search` found.

    ``found`` is the verdict; ``smallest`` the factory keywords of the smallest failing net
    (``widths``, ``batch_size``, ``seed``, ``X``); ``report`` the full check at it (None when the
    factory or the check raised, see ``error``); ``facts`` what the probes of its neighbours showed;
    ``implications`` what those facts point to; ``n_skipped`` counts the configurations the factory
    raised for (they are skipped, not judged); ``seed`` replays the search with ``search(..., seed=seed)``.
    """

    found: bool
    smallest: dict[str, Any] | None
    report: Report | None
    explanation: str
    seed: int
    n_examples: int
    n_failing: int = 0
    n_probes: int = 0
    n_skipped: int = 0
    facts: list[str] = field(default_factory=list)
    implications: list[str] = field(default_factory=list)
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able data (the inputs X as nested lists)."""
        smallest = None
        if self.smallest is not None:
            smallest = {k: (v.tolist() if isinstance(v, np.ndarray) else v) for k, v in self.smallest.items()}
        return {
            "found": self.found,
            "smallest": smallest,
            "seed": self.seed,
            "n_examples": self.n_examples,
            "n_failing": self.n_failing,
            "n_probes": self.n_probes,
            "n_skipped": self.n_skipped,
            "facts": list(self.facts),
            "implications": list(self.implications),
            "explanation": self.explanation,
            "error": self.error,
            "report": self.report.to_dict() if self.report is not None else None,
        }

    def __str__(self) -> str:
        if self.report is None:
            return self.explanation
        return f"{self.explanation}\n\n{self.report}"

    def __rich_console__(self, console: Any, options: Any) -> Any:
        from rich.text import Text

        style = "bold red" if self.found else "bold green"
        lines = self.explanation.splitlines()
        yield Text(lines[0], style=style)
        if len(lines) > 1:
            yield Text("\n".join(lines[1:]))
        if self.report is not None:
            yield Text("")
            yield self.report


# -- one trial: build, check, remember ---------------------------------------------------


@dataclass
class _Trial:
    config: dict[str, Any]
    ok: bool
    report: Report | None = None
    error: str | None = None
    shapes: dict[str, tuple[int, ...]] = field(default_factory=dict)
    rejected: bool = False  # the factory itself raised: not a net to judge

    layout: str = "rows"

    @property
    def batch_size(self) -> int | None:
        return _batch_size(self.config, self.layout)

    @property
    def weight_shapes(self) -> list[tuple[int, ...]]:
        return [s for s in self.shapes.values() if len(s) == 2]

    @property
    def all_square(self) -> bool | None:
        ws = self.weight_shapes
        return all(a == b for a, b in ws) if ws else None


def _batch_size(config: Mapping[str, Any], layout: str) -> int | None:
    """The batch size of a configuration: its ``batch_size``, or the examples in its X."""
    if "batch_size" in config:
        return int(config["batch_size"])
    X = config.get("X")
    if isinstance(X, np.ndarray) and X.ndim == 2:
        return int(X.shape[0] if layout == "rows" else X.shape[1])
    return None


def _key(config: Mapping[str, Any]) -> tuple:
    out = []
    for k in sorted(config):
        v = config[k]
        if isinstance(v, np.ndarray):
            v = (v.shape, v.tobytes())
        elif isinstance(v, list):
            v = tuple(v)
        out.append((k, v))
    return tuple(out)


class _Runner:
    def __init__(self, factory: Callable[..., Any], options: dict[str, Any], layout: str = "rows") -> None:
        self.factory = factory
        self.options = options
        self.layout = layout
        self.cache: dict[tuple, _Trial] = {}
        self.log: list[_Trial] = []
        self.rejected: list[_Trial] = []

    def run(self, config: Mapping[str, Any], *, diagnose: bool = False, log: bool = True) -> _Trial:
        key = (_key(config), diagnose)
        if key in self.cache:
            return self.cache[key]
        from .strategies import call_factory

        config = dict(config)
        try:
            problem = call_factory(self.factory, config)
        except AdapterError:
            raise
        except Exception as exc:  # noqa: BLE001 - the factory cannot build this net: skip it
            trial = _Trial(config, False, error=f"{type(exc).__name__}: {exc}", rejected=True, layout=self.layout)
            self.cache[key] = trial
            self.rejected.append(trial)
            return trial
        shapes = {n: tuple(np.shape(p)) for n, p in problem.params.items()}
        try:
            report = check(problem, diagnose=diagnose, **self.options)
            trial = _Trial(config, report.ok, report=report, shapes=shapes, layout=self.layout)
        except Exception as exc:  # noqa: BLE001 - a crash in the user's loss or grads is a failure to report
            trial = _Trial(config, False, error=f"{type(exc).__name__}: {exc}", shapes=shapes, layout=self.layout)
        self.cache[key] = trial
        if log:
            self.log.append(trial)
        return trial

    def fails(self, config: Mapping[str, Any]) -> bool:
        """The property for hypothesis: True when the gradients of this net are wrong."""
        from hypothesis import assume

        trial = self.run(config)
        assume(not trial.rejected)
        return not trial.ok


# -- the search -------------------------------------------------------------------------


def search(
    factory: Callable[..., Any],
    *,
    max_examples: int | None = None,
    seed: int | None = None,
    widths: Any = None,
    batch_sizes: Any = None,
    seeds: Any = None,
    inputs: Any = None,
    layout: str = "rows",
    method: str = "central",
    rtol: float | None = None,
    atol: float | None = None,
    explain: bool = True,
) -> SearchResult:
    """Find the smallest net built by ``factory`` whose analytic gradients do not match.

    Args:
        factory: called with any subset of ``widths``, ``batch_size``, ``seed`` and ``X``
            (``x`` / ``inputs``) that it accepts; returns a :class:`gradcheck.Problem` or a
            mapping with ``params``, ``loss`` and ``grads``.
        max_examples: nets to try before shrinking; default: the current hypothesis profile's.
        seed: seeds the search; the result records it, and the same seed replays the same search.
        widths, batch_sizes, seeds: strategies (or fixed values) overriding the defaults of
            :func:`gradcheck.strategies.configs`.
        inputs: options for :func:`gradcheck.strategies.input_batches`, e.g. ``{"kink_margin": 0.1}``.
        layout: ``"rows"`` (X is (m, n)) or ``"cols"`` (X is (n, m)), for factories that take X.
        method, rtol, atol: passed to :func:`gradcheck.check`.
        explain: probe the neighbours of the smallest failing net to explain it.

    Returns:
        A :class:`SearchResult`.
    """
    from hypothesis import HealthCheck, Phase, Verbosity, find, settings
    from hypothesis.errors import NoSuchExample, Unsatisfiable

    from .strategies import configs

    if seed is None:
        seed = _random.SystemRandom().randrange(2**32)
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed={seed!r} must be a non-negative integer")
    seed = int(seed)
    if max_examples is None:
        max_examples = settings.default.max_examples
    if isinstance(max_examples, bool) or not isinstance(max_examples, (int, np.integer)) or max_examples < 1:
        raise ValueError(f"max_examples={max_examples!r} must be a positive integer")
    inputs_opts = {"kink_margin": 0.05} if inputs is None else inputs
    strategy = configs(factory, widths=widths, batch_sizes=batch_sizes, seeds=seeds, inputs=inputs_opts, layout=layout)
    options: dict[str, Any] = {"method": method, "rtol": rtol, "atol": atol}
    runner = _Runner(factory, options, layout)
    run_settings = settings(
        settings.default,
        max_examples=int(max_examples),
        deadline=None,
        database=None,
        derandomize=False,
        phases=(Phase.generate, Phase.shrink),
        suppress_health_check=list(HealthCheck),
        verbosity=Verbosity.quiet,
        print_blob=False,
    )
    try:
        smallest = find(
            strategy,
            runner.fails,
            settings=run_settings,
            random=_random.Random(seed),
        )
    except (NoSuchExample, Unsatisfiable):
        smallest = None
    if not runner.log and runner.rejected:
        first = runner.rejected[0]
        raise TargetError(
            f"the factory raised for every net tried ({len(runner.rejected)}), e.g. for "
            f"{describe_config(first.config)}: {first.error}. If it builds nets of one depth or shape only, "
            f"say so with widths=gradcheck.strategies.layer_widths(min_layers=..., max_layers=..., n_in=..., n_out=...)"
        )
    n_examples = len(runner.log)
    n_failing = sum(not t.ok for t in runner.log)
    if smallest is None:
        text = _passing_text(runner.log, seed, runner.rejected)
        return SearchResult(False, None, None, text, seed, n_examples, n_skipped=len(runner.rejected))

    final = runner.run(smallest, diagnose=True, log=False)
    facts: list[str] = []
    implications: list[str] = []
    if explain and final.error is None:
        _Explainer(runner, final, layout).explain(facts, implications)
    n_probes = len(runner.log) - n_examples
    text = _failing_text(final, facts, implications, seed, n_examples, n_failing, runner.rejected)
    return SearchResult(
        True,
        dict(smallest),
        final.report,
        text,
        seed,
        n_examples,
        n_failing=n_failing,
        n_probes=n_probes,
        n_skipped=len(runner.rejected),
        facts=facts,
        implications=implications,
        error=final.error,
    )


# -- explaining the smallest failure --------------------------------------------------------


class _Explainer:
    def __init__(self, runner: _Runner, final: _Trial, layout: str) -> None:
        self.runner = runner
        self.layout = layout
        self.final = final
        self.cfg = final.config
        self.report = final.report
        self.kinds = set(self.report.kinds()) if self.report is not None else set()

    def probe(self, **changes: Any) -> _Trial:
        cfg = dict(self.cfg)
        cfg.update(changes)
        return self.runner.run(cfg)

    def _with_batch(self, m: int) -> dict[str, Any]:
        out: dict[str, Any] = {"batch_size": m} if "batch_size" in self.cfg else {}
        X = self.cfg.get("X")
        if isinstance(X, np.ndarray):
            out["X"] = X[:m] if self.layout == "rows" else X[:, :m]
        return out

    def _with_widths(self, widths: list[int]) -> dict[str, Any]:
        """The smallest config with other widths; a drawn X gets its feature columns cycled to fit."""
        out: dict[str, Any] = {"widths": widths}
        X = self.cfg.get("X")
        if isinstance(X, np.ndarray) and widths[0] != X.shape[1 if self.layout == "rows" else 0]:
            idx = np.arange(widths[0]) % (X.shape[1] if self.layout == "rows" else X.shape[0])
            out["X"] = X[:, idx] if self.layout == "rows" else X[idx, :]
        return out

    def explain(self, facts: list[str], implications: list[str]) -> None:
        self._batch(facts, implications)
        self._square(facts, implications)
        self._inputs(facts, implications)
        self._depth(facts, implications)
        self._seeds(facts)
        self._findings(implications)

    # a probe adds a fact only when every net tried so far (search and probes) agrees with it
    def _observed(self, pred: Callable[[_Trial], bool]) -> tuple[int, int]:
        sel = [t for t in self.runner.log if t.error is None and pred(t)]
        return len(sel), sum(not t.ok for t in sel)

    def _batch(self, facts: list[str], implications: list[str]) -> None:
        m = _batch_size(self.cfg, self.layout)
        if m is None or m < 2:
            return
        if not all(self.probe(**self._with_batch(k)).ok for k in range(1, m)):
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
            names = ", ".join(p.name for p in wrong)
            return f"the bias gradient is not summed over the batch ({names} keeps one delta per example)"
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

    def _square(self, facts: list[str], implications: list[str]) -> None:
        widths = self.cfg.get("widths")
        if widths is None or self.final.all_square is not False:
            return
        nonsquare = [(n, s) for n, s in self.final.shapes.items() if len(s) == 2 and s[0] != s[1]]
        bad = [(n, s) for n, s in nonsquare if not self._ok_param(n)] or nonsquare
        shown = ", ".join(f"{n} of shape {s}" for n, s in bad[:3])
        square = [max(widths)] * len(widths)  # at least 2 wide, since some layer is not square
        if self.probe(**self._with_widths(square)).ok:
            n, nbad = self._observed(lambda t: bool(t.all_square) and any(s != (1, 1) for s in t.weight_shapes))
            if not nbad:
                facts.append(
                    f"passes while every weight matrix is square ({n} tried, e.g. widths {square}); "
                    f"fails for {shown}"
                )
                implications.append(
                    "a weight gradient laid out as W.T, which only a square matrix accepts without a shape error "
                    "(rows: dW = A_prev.T @ dZ; cols: dW = dZ @ A_prev.T)"
                )
                return
        if not self.probe(**self._with_widths([1] * len(widths))).ok:
            return
        n, nbad = self._observed(lambda t: bool(t.weight_shapes) and all(s == (1, 1) for s in t.weight_shapes))
        if nbad:
            return
        facts.append(
            f"passes while every layer has width 1 ({n} tried: a 1x1 weight matrix hides a transpose or a "
            f"wrong axis), fails for {shown}"
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

    def _inputs(self, facts: list[str], implications: list[str]) -> None:
        X = self.cfg.get("X")
        if not isinstance(X, np.ndarray) or not (X < 0).any():
            return
        if not self.probe(X=np.abs(X)).ok:
            return
        n, bad = self._observed(lambda t: isinstance(t.config.get("X"), np.ndarray) and bool((t.config["X"] >= 0).all()))
        if bad:
            return
        k = int((X < 0).sum())
        facts.append(
            f"passes while every input is positive ({n} tried, among them the same net on |X|), "
            f"fails with {k} negative input{'s' if k > 1 else ''}"
        )
        implications.append(
            "a derivative that is wrong only for negative pre-activations, such as a relu mask that lets "
            "negative values through (z != 0 or sign(z) instead of z > 0) or a leaky slope applied on the wrong side"
        )

    def _depth(self, facts: list[str], implications: list[str]) -> None:
        widths = self.cfg.get("widths")
        if widths is None or len(widths) < 3:
            return
        if not self.probe(**self._with_widths([widths[0], widths[-1]])).ok:
            return
        n, bad = self._observed(lambda t: t.config.get("widths") is not None and len(t.config["widths"]) == 2)
        if bad:
            return
        facts.append(f"passes for every one-layer net ({n} tried), fails with {len(widths) - 1} layers")
        implications.append(
            "the mistake is in what is sent down between layers (the delta through W, or a hidden activation's "
            "derivative), not in the output layer's own gradient"
        )

    def _seeds(self, facts: list[str]) -> None:
        s = self.cfg.get("seed")
        if s is None:
            return
        others = [s + i for i in range(1, N_SEED_PROBES + 1)]
        passing = [o for o in others if self.probe(seed=o).ok]
        if not passing:
            facts.append(f"fails for every seed tried ({', '.join(str(v) for v in [s, *others])})")
        else:
            facts.append(
                f"fails for seed {s} but passes for seed {', '.join(map(str, passing))}: the mistake shows only for "
                f"some values (a kink, a branch or a saturated unit)"
            )

    def _findings(self, implications: list[str]) -> None:
        if self.report is None:
            return
        named: dict[str, list[str]] = {}
        for f in self.report.findings:
            named.setdefault(f.kind, []).extend(p for p in f.params if p not in named.get(f.kind, []))
        if named:
            parts = [f"{kind} ({', '.join(ps)})" for kind, ps in named.items()]
            implications.append("the check at the smallest net names: " + "; ".join(parts))
        elif self.report.wrong:
            implications.append(f"the first wrong gradient in backprop order is {self.report.first_wrong}")


# -- text ----------------------------------------------------------------------------------


def describe_config(config: Mapping[str, Any]) -> str:
    """One line for a factory configuration: ``widths [1, 2], batch size 2, seed 0, X [[-0.05]]``.

    >>> describe_config({"widths": [1, 2], "batch_size": 2, "seed": 0})
    'widths [1, 2], batch size 2, seed 0'
    """
    parts = []
    for k, v in config.items():
        if k == "X" and isinstance(v, np.ndarray):
            with np.printoptions(precision=3, suppress=True, threshold=12):
                parts.append(f"X {np.array2string(v, separator=', ')}".replace("\n", ""))
        else:
            parts.append(f"{k.replace('_', ' ')} {v}")
    return ", ".join(parts)


def _rejected_line(rejected: list[_Trial]) -> list[str]:
    if not rejected:
        return []
    one = len(rejected) == 1
    return [f"  {len(rejected)} configuration{'' if one else 's'} skipped: the factory raised for "
            f"{'it' if one else 'them'} ({'' if one else 'e.g. '}{rejected[0].error})"]


def _failing_text(
    final: _Trial,
    facts: list[str],
    implications: list[str],
    seed: int,
    n_examples: int,
    n_failing: int,
    rejected: list[_Trial],
) -> str:
    lines = [
        f"✘ smallest failing net: {describe_config(final.config)}",
        f"  {n_failing} of {n_examples} nets tried failed (search seed {seed}; search(..., seed={seed}) replays it)",
        *_rejected_line(rejected),
    ]
    if final.error is not None:
        lines.append(f"  the check raised {final.error}")
    elif final.report is not None and final.report.wrong:
        lines.append(f"  wrong gradients: {', '.join(final.report.wrong)}")
    if facts:
        lines.append("what varied:")
        lines += [f"  - {f}" for f in facts]
    if implications:
        lines.append("what it implies:")
        lines += [f"  - {i}" for i in implications]
    return "\n".join(lines)


def _passing_text(log: list[_Trial], seed: int, rejected: list[_Trial]) -> str:
    lines = [f"✔ gradients match on all {len(log)} nets tried (search seed {seed})", *_rejected_line(rejected)]
    widths = [t.config["widths"] for t in log if "widths" in t.config]
    if widths:
        depths = sorted({len(w) - 1 for w in widths})
        sizes = sorted({x for w in widths for x in w})
        lines.append(f"  layers {depths[0]}-{depths[-1]}, widths {sizes[0]}-{sizes[-1]}")
    ms = sorted({t.batch_size for t in log if t.batch_size is not None})
    if ms:
        lines.append(f"  batch sizes {ms[0]}-{ms[-1]}")
    xs = [t.config["X"] for t in log if isinstance(t.config.get("X"), np.ndarray)]
    if xs:
        neg = sum(bool((x < 0).any()) for x in xs)
        lines.append(f"  inputs: {neg} of {len(xs)} batches had negative values")
    return "\n".join(lines)

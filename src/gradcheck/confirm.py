"""Name at the smallest failing net only what holds there.

Shrinking lands on values that coincide: a keep probability of 0.5 and 1/m at m = 2, a
mean over k = 2 outputs and the 2 of a square. A factor the diagnosis reads at such a
configuration has two readings, and it may pick the wrong one. :func:`confirm_naming`
checks again at a second configuration where every drawn number is moved off its value
(integers of 2 and more to the next free integer, other numbers by :data:`MOVE_FACTOR`),
names the mistake only when both agree, and otherwise finds the smallest configuration
whose naming holds when moved again. When the factor the diagnosis reads follows one of
the drawn keywords, it says so (``analytic / numeric equals keep_prob``).

Example:
    >>> import numpy as np
    >>> from gradcheck.trials import Runner
    >>> from gradcheck.vary import plan_factory
    >>> def build(m=1, keep_prob=1.0):      # the dropout backward pass forgets the 1/keep_prob
    ...     rng = np.random.default_rng(0)
    ...     X, w = rng.normal(size=(m, 3)), rng.normal(size=3)
    ...     D = np.ones(3)
    ...     return {"params": {"w": w},
    ...             "loss": lambda: float(((X @ (w * D / keep_prob)) ** 2).mean()),
    ...             "grads": lambda: {"w": 2 * X.T @ (X @ (w * D / keep_prob)) * D / m}}
    >>> runner = Runner(plan_factory(build), {})
    >>> naming = confirm_naming(runner, runner.run({"m": 2, "keep_prob": 0.5}, diagnose=True))
    >>> naming.confirmed, sorted(naming.kinds)
    (False, ['constant_factor'])
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .bugs import fix_for
from .explain import batch_changes, fmt_value
from .report import Finding, Report
from .trials import Runner, Trial
from .vary import short_value

__all__ = ["MOVE_FACTOR", "Naming", "confirm_naming"]

#: A drawn float is moved by this factor (by its reciprocal where it must stay at or below 1):
#: 1.37 is no ratio of small integers, so the moved value coincides with no count or 1/count.
MOVE_FACTOR = 1.37
#: Roles whose values lie in [0, 1].
BOUNDED_ROLES = ("keep", "drop", "momentum")
#: Two numbers coincide when they agree to this relative tolerance.
COINCIDE_RTOL = 1e-6
#: Roles whose integers are counts that a factor can equal.
COUNT_ROLES = ("batch", "size")


@dataclass
class Naming:
    """What a search names: ``kinds`` at ``at`` (the smallest configuration whose naming is
    unambiguous; the smallest failing one when it is), with ``report`` the check there.
    ``confirmed`` is True when the smallest failing net names the same as a second configuration
    (``second``) where no drawn value coincides. ``lines`` say it in words."""

    kinds: list[str]
    at: dict[str, Any] | None
    report: Report | None
    confirmed: bool
    second: dict[str, Any] | None = None
    lines: list[str] = field(default_factory=list)
    tracked: list[Tracked] = field(default_factory=list)


Move = dict[str, Any]


def _moves(runner: Runner, cfg: Mapping[str, Any], shapes: list[tuple[int, ...]] | None = None) -> list[Move]:
    """The changes that move every drawn value that could coincide, one change set each: floats
    first (they do not grow the net), then inputs of one sign, then counts of 2 and more, then a
    layer added where the net built (``shapes``) has a square weight matrix."""
    plan = runner.plan
    used = {v for v in _numbers(runner, cfg).values() if isinstance(v, int)}
    used |= {w for w in (cfg.get(plan.widths) or []) if isinstance(w, int)} if plan.widths else set()
    floats: list[Move] = []
    ints: list[Move] = []
    signs = _sign_move(runner, cfg)
    for kw in plan.keywords.values():
        v = cfg.get(kw.name)
        if isinstance(v, bool) or v is None:
            continue
        if isinstance(v, float) and v != 0.0:
            moved = v * MOVE_FACTOR
            if kw.role in BOUNDED_ROLES and moved > 1.0:
                moved = v / MOVE_FACTOR
            floats.append({kw.name: moved})
        elif isinstance(v, (int, np.integer)) and kw.role in COUNT_ROLES and v >= 2:
            if kw.role == "batch" and signs:
                continue  # the inputs' move grows the batch already
            new = int(v) + 1
            while new in used:
                new += 1
            used.add(new)
            ints.append(batch_changes(runner, cfg, new) if kw.role == "batch" else {kw.name: new})
    return floats + signs + ints + _unsquare_move(runner, cfg, shapes or [], used)


def _unsquare_move(runner: Runner, cfg: Mapping[str, Any], shapes: list[tuple[int, ...]],
                   used: set[int]) -> list[Move]:
    """A square weight matrix (side 2 or more) makes ``W``, ``W.T`` and ``W.reshape(W.T.shape)`` the
    same shape, so mistakes between them coincide: give repeated widths new values and add a layer of
    a width no drawn count has (appending also moves factories that read one entry twice).

    Example: ``[1, 2, 2]`` becomes ``[1, 2, 3, 4]``."""
    name = runner.plan.widths
    widths = cfg.get(name) if name else None
    if not isinstance(widths, (list, tuple)) or not all(isinstance(w, (int, np.integer)) for w in widths):
        return []
    if not any(len(s) == 2 and s[0] == s[1] >= 2 for s in shapes):
        return []
    fresh = max([*used, *(int(w) for w in widths)]) + 1
    moved: list[int] = []
    for w in (int(w) for w in widths):
        if w >= 2 and w in moved:
            w, fresh = fresh, fresh + 1
        moved.append(w)
    assert name is not None  # widths were read under it
    return [{name: [*moved, fresh]}]


def _sign_move(runner: Runner, cfg: Mapping[str, Any]) -> list[Move]:
    """Drawn inputs of one sign get their negatives appended (a flipped sign and a derivative that is
    -1 for negative inputs coincide while every input is negative)."""
    name = runner.plan.inputs
    X = cfg.get(name) if name else None
    if not isinstance(X, np.ndarray) or X.ndim != 2 or not ((X < 0).all() or (X > 0).all()):
        return []
    axis = 0 if runner.layout == "rows" else 1
    assert name is not None  # X was read under it
    move: Move = {name: np.concatenate([X, -X], axis=axis)}
    if runner.plan.batch is not None and runner.plan.batch in cfg:
        move[runner.plan.batch] = 2 * X.shape[axis]
    return [move]


def _numbers(runner: Runner, cfg: Mapping[str, Any]) -> dict[str, float | int]:
    out: dict[str, float | int] = {}
    for kw in runner.plan.keywords.values():
        v = cfg.get(kw.name)
        if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)):
            continue
        if kw.role in (*COUNT_ROLES, "penalty", "keep", "drop", "rate", "momentum", "float", "int"):
            out[kw.name] = v.item() if isinstance(v, np.generic) else v
    return out


def _apply(cfg: Mapping[str, Any], moves: list[Move]) -> dict[str, Any]:
    out = dict(cfg)
    for changes in moves:
        out.update(changes)
    return out


def _fails(t: Trial) -> bool:
    return not t.ok and not t.rejected and t.report is not None


def _named(t: Trial) -> str:
    if t.report is None:
        return "nothing"
    parts: dict[str, list[str]] = {}
    for f in t.report.findings:
        parts.setdefault(f.kind, []).extend(p for p in f.params if p not in parts.get(f.kind, []))
    if not parts:
        return f"no kind (first wrong gradient: {t.report.first_wrong})"
    return "; ".join(f"{k} ({', '.join(ps)})" for k, ps in parts.items())


def _changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> str:
    diff = [f"{k}={short_value(after[k]) if isinstance(after[k], np.ndarray) else fmt_value(after[k])}"
            for k in after if k in before and not _equal(before[k], after[k])]
    return ", ".join(diff) or "the same configuration"


def _equal(a: Any, b: Any) -> bool:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and a.shape == b.shape and bool((a == b).all())
    return bool(a == b)


def coincidences(numbers: Mapping[str, float | int]) -> list[str]:
    """The drawn numbers that coincide: equal, reciprocal, or a 2 (or 1/2) like the square of a loss.

    >>> coincidences({"batch_size": 2, "keep_prob": 0.5})
    ['keep_prob=0.5 = 1/batch_size']
    >>> coincidences({"batch_size": 1, "n_out": 2})
    ['n_out=2 = the 2 of a square']
    """
    out = []
    names = list(numbers)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            va, vb = float(numbers[a]), float(numbers[b])
            if va in (0.0, 1.0) or vb in (0.0, 1.0):
                continue
            if abs(va - vb) <= COINCIDE_RTOL * abs(va):
                out.append(f"{a}={numbers[a]!r} = {b}")
            elif abs(va * vb - 1.0) <= COINCIDE_RTOL:
                first, second = (b, a) if abs(vb) < abs(va) else (a, b)
                out.append(f"{first}={numbers[first]!r} = 1/{second}")
    if not out:
        out += [f"{n}={v!r} = the 2 of a square" for n, v in numbers.items() if float(v) in (2.0, 0.5)]
    return out


@dataclass
class Tracked:
    """A factor that equals a drawn keyword (``power`` 1) or its reciprocal (-1) wherever it was read."""

    name: str
    power: int
    params: list[str]
    seen: list[str]

    def line(self) -> str:
        what = (f"equals {self.name}: a division by {self.name} is missing" if self.power == 1 else
                f"equals 1/{self.name}: {self.name} divides the gradient once too often (or a multiplication "
                f"by {self.name} is missing)")
        return f"analytic / numeric {what} ({'; '.join(self.seen)})"


def _factors(t: Trial) -> list[tuple[float, list[str]]]:
    return [(f.evidence["factor"], list(f.params)) for f in (t.report.findings if t.report else [])
            if isinstance(f.evidence.get("factor"), (int, float))]


def tracked_factors(runner: Runner, trials: list[Trial]) -> list[Tracked]:
    """The drawn keywords that the factor of the findings follows over ``trials`` (which differ in it)."""
    out = []
    for name in _numbers(runner, trials[0].config):
        if len({float(t.config.get(name, 0.0)) for t in trials}) < 2:
            continue
        for power in (1, -1):
            seen, params = [], []
            for t in trials:
                v = float(t.config[name])
                fs = _factors(t)
                if v == 0.0 or not fs or not all(abs(f - v ** power) <= 1e-3 * abs(v ** power) for f, _ in fs):
                    break
                seen.append(f"{fs[0][0]:.4g} at {name}={fmt_value(t.config[name])}")
                params = [p for _, ps in fs for p in ps]
            else:
                out.append(Tracked(name, power, params, seen))
    return out


def dropout_findings(runner: Runner, tracked: list[Tracked]) -> list[Finding]:
    """A factor that follows a keep (or drop) probability the search varied is the dropout scaling of
    the backward pass: a conclusion only two configurations allow, so the search draws it itself."""
    out = []
    for t in tracked:
        kw = runner.plan.keywords.get(t.name)
        if kw is None or kw.role not in ("keep", "drop"):
            continue
        scale = f"1/{t.name}" if kw.role == "keep" else f"1/(1 - {t.name})"
        out.append(Finding(
            kind="dropout_backward_wrong", params=t.params,
            message=(f"analytic / numeric follows {t.name} ({'; '.join(t.seen)}): the backward pass does not scale "
                     f"by {scale} as the forward pass does (found by varying {t.name})"),
            fix=fix_for("dropout_backward_wrong"), evidence={"follows": t.name, "power": t.power},
        ))
    return out


def confirm_naming(runner: Runner, final: Trial) -> Naming:
    """Confirm the kinds named at ``final`` (a diagnosed failing trial) at a second configuration."""
    if final.report is None:
        return Naming([], None, None, False)
    cfg = final.config
    moves = _moves(runner, cfg, final.weight_shapes)
    named = sorted(final.naming())
    if not moves:
        return Naming(named, cfg, final.report, True, None, [f"the check at the smallest net names: {_named(final)}"])
    second = _failing(runner, cfg, [moves, *[[m] for m in moves]])
    if second is None:
        line = (f"the check at the smallest net names: {_named(final)} (not confirmed: every configuration with "
                f"its drawn numbers moved passes)")
        return Naming(named, cfg, final.report, False, None, [line])
    tracked = tracked_factors(runner, [final, second])
    factor = [t.line() for t in tracked]
    if second.naming() == final.naming():
        line = (f"the check names {_named(final)} at the smallest net, and the same at "
                f"{_changes(cfg, second.config)}, where no drawn value coincides")
        return Naming(named, cfg, final.report, True, second.config, [line, *factor], tracked)
    third = runner.run(_apply(second.config, _moves(runner, second.config, second.weight_shapes)),
                       diagnose=True, log=False)
    if _fails(third) and third.naming() == final.naming():  # the second configuration was the odd one
        line = (f"the check names {_named(final)} at the smallest net and at {_changes(cfg, third.config)}, "
                f"but {_named(second)} at {_changes(cfg, second.config)}")
        return Naming(named, cfg, final.report, True, second.config, [line, *factor], tracked)
    coincide = coincidences(_numbers(runner, cfg))
    if _sign_move(runner, cfg):
        coincide.append(f"every input in {runner.plan.inputs} has the same sign")
    why = f": at the smallest net {', '.join(coincide)}" if coincide else ""
    head = (f"at the smallest failing net the check names {_named(final)}, but at {_changes(cfg, second.config)} "
            f"it names {_named(second)}{why}")
    if not (_fails(third) and third.naming() == second.naming()):
        return Naming(named, cfg, final.report, False, second.config,
                      [head, f"the naming is not confirmed: at {_changes(cfg, third.config)} the check names "
                             f"{_named(third)}", *factor], tracked)
    at = _failing(runner, cfg, [[m] for m in moves], want=second.naming()) or second
    line = (f"the smallest configuration whose naming is unambiguous: {runner.plan.call_label(at.config)}, "
            f"where the check names {_named(at)}")
    return Naming(sorted(at.naming()), at.config, at.report, False, second.config, [head, line, *factor], tracked)


def _failing(runner: Runner, cfg: Mapping[str, Any], candidates: list[list[Move]],
             want: frozenset[str] | None = None) -> Trial | None:
    """The diagnosed trial of the first candidate move set that fails (and names ``want``, if given)."""
    for moves in candidates:
        t = runner.run(_apply(cfg, moves), diagnose=True, log=False)
        if _fails(t) and (want is None or t.naming() == want):
            return t
    return None

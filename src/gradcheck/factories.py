"""Strategies over everything a problem factory takes: :func:`configs`, :func:`problems`.

A factory is a function that builds a net and returns a :class:`gradcheck.Problem` (or a
mapping ``{"params", "loss", "grads"[, "data"]}``). Every keyword it takes is drawn: the
widths, batch size, seed and inputs as in :mod:`gradcheck.strategies`, and each other
keyword by its default and its name (see :mod:`gradcheck.vary`): a regularization strength
around its default and at 0, a keep probability at 1 and below, a learning rate at 0 and
above, a flag both ways, a size from 1 up. Each drawn setting shrinks towards its default
first, then towards the values where it is special, so the smallest failing configuration
keeps every keyword that does not matter at the value the author wrote.

Everything here is re-exported by :mod:`gradcheck.strategies`; the strategies of the widths, batch
size, seed and inputs come from :mod:`gradcheck.net_strategies`.

Example:
    >>> from gradcheck import strategies as gst
    >>> def build(batch_size, reg=0.0, keep_prob=1.0, use_bias=True): ...
    >>> cfg = gst.configs(build).example()
    >>> sorted(cfg)
    ['batch_size', 'keep_prob', 'reg', 'use_bias']
    >>> 0.0 <= cfg["reg"] and 0.0 < cfg["keep_prob"] <= 1.0
    True
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from . import net_strategies as nst
from .adapters import as_problem
from .problem import Problem
from .vary import FactoryPlan, Keyword, plan_factory

__all__ = ["call_factory", "configs", "factory_keywords", "factory_plan", "keyword_strategy", "problems",
           "with_strategies"]

#: Largest size drawn for an integer keyword (a width, a number of outputs): each net is a full check.
MAX_DRAWN_SIZE = 5
#: A float setting is drawn up to this many times its default (and at least up to FLOAT_SPAN) ...
FLOAT_STRETCH = 10.0
#: ... so that "away from the default" reaches saturated units and large penalties.
FLOAT_SPAN = 4.0
#: A positive float setting is also drawn this many times its default, and at least FAR_FLOAT, and in
#: between: a weight or input scale far from its default saturates sigmoids and reaches clips (z of 10
#: and more). The far value is a range of one value next to the range that leads back to the default,
#: so a failure drawn there shrinks towards the default (drawn as a lone value, it stayed there).
FAR_STRETCH = 100.0
FAR_FLOAT = 10.0
#: A penalty strength or a learning rate is drawn up to this many times its default, and at least up to 1:
#: beyond, one step of training blows the weights up and saturates the units, where finite differences
#: of the loss stop being reliable on nets that are right.
STRENGTH_STRETCH = 2.0
#: Keep probabilities are drawn down to this (below it a net is mostly switched off).
MIN_KEEP_PROB = 0.1
#: Drop probabilities are drawn up to this.
MAX_DROP_PROB = 0.9
#: Names of a size keyword that fixes the number of input features of a drawn X.
N_FEATURES_NAMES = ("n_in", "n_features", "input_dim", "in_features", "d_in", "n_x", "D")


def _floats(lo: float, hi: float) -> st.SearchStrategy[float]:
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False, allow_subnormal=False)


def _first(values: list[Any]) -> list[Any]:
    """``values`` without repeats, in order (the first shrinks best)."""
    out: list[Any] = []
    for v in values:
        if v is not None and v not in out:
            out.append(v)
    return out


def _setting(role: str, d: float | None) -> st.SearchStrategy[float]:
    """A float setting: its default and its special values first, then a range around and away from it."""
    hi = max(FLOAT_SPAN, FLOAT_STRETCH * abs(d or 0.0))
    strength = max(1.0, STRENGTH_STRETCH * abs(d or 0.0))
    if role == "penalty":
        special, rng = [d, 0.0, 1.0, 0.5], _floats(0.0, strength)
    elif role == "keep":
        special, rng = [d, 1.0, 0.5], _floats(MIN_KEEP_PROB, 1.0)
    elif role == "drop":
        special, rng = [d, 0.0, 0.5], _floats(0.0, MAX_DROP_PROB)
    elif role == "rate":
        special, rng = [d, 0.0, 1.0, 0.1], _floats(0.0, strength)
    elif role == "momentum":
        special, rng = [d, 0.0, 0.9, 0.5], _floats(0.0, 0.99)
    elif d is not None and d > 0:
        far = max(FAR_FLOAT, FAR_STRETCH * d)  # where units saturate and clips bite
        # each branch holds the first value of the next one, so shrinking walks from far to near
        return st.one_of(st.sampled_from(_first([float(d), 1.0])), _floats(d / FLOAT_STRETCH, hi),
                         _floats(hi, far), _floats(far, far))
    else:
        special, rng = [d, 0.0, 1.0, -1.0], _floats(-hi, hi)
    return st.one_of(st.sampled_from(_first([None if v is None else float(v) for v in special])), rng)


def keyword_strategy(kw: Keyword, plan: FactoryPlan | None = None) -> st.SearchStrategy[Any]:
    """The strategy a search draws keyword ``kw`` from (the widths, batch, seed and inputs are
    drawn by :func:`configs` itself; a declared strategy wins over every role).

    >>> from gradcheck.vary import Keyword
    >>> s = keyword_strategy(Keyword("keep_prob", "keep", 1.0))
    >>> all(0.1 <= s.example() <= 1.0 for _ in range(5))
    True
    """
    if plan is not None and kw.name in plan.declared:
        v = plan.declared[kw.name]
        return v if isinstance(v, st.SearchStrategy) else st.just(v)
    d = kw.default if kw.has_default else None
    if kw.role == "choice":
        return st.sampled_from(_first([d, *kw.choices]))
    if kw.role == "flag":
        return st.sampled_from([bool(d), not d]) if d is not None else st.booleans()
    if kw.role == "size":
        lo = 0 if d == 0 else 1
        return st.integers(lo, max(4, min(int(d or 0), MAX_DRAWN_SIZE)))
    if kw.role == "int":
        return st.integers(min(int(d or 0), -4), max(4, -int(d or 0)))
    if kw.role == "sizes":
        return st.lists(st.integers(1, MAX_DRAWN_SIZE - 1), min_size=kw.length, max_size=kw.length)
    if kw.role in ("penalty", "keep", "drop", "rate", "momentum", "float"):
        return _setting(kw.role, None if d is None else float(d))
    raise InvalidArgument(f"no strategy for keyword {kw.name!r} of role {kw.role!r}")


def with_strategies(**strategies: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorate a factory with the strategies (or fixed values) of some of its keywords.

    >>> from hypothesis import strategies as st
    >>> @with_strategies(activation=st.sampled_from(["relu", "tanh"]))
    ... def build(batch_size, activation="relu"): ...
    >>> factory_plan(build).keywords["activation"].role
    'declared'
    """

    def decorate(factory: Callable[..., Any]) -> Callable[..., Any]:
        factory.__gradcheck_strategies__ = dict(strategies)  # type: ignore[attr-defined]
        plan_factory(factory)  # a name the factory does not take fails here, at decoration
        return factory

    return decorate


def factory_plan(factory: Callable[..., Any], strategies: Mapping[str, Any] | None = None) -> FactoryPlan:
    """:func:`gradcheck.vary.plan_factory`, raising ``InvalidArgument`` for a bad factory or strategy."""
    try:
        return plan_factory(factory, strategies)
    except (TypeError, ValueError) as exc:
        raise InvalidArgument(str(exc)) from None


def factory_keywords(factory: Callable[..., Any], strategies: Mapping[str, Any] | None = None) -> tuple[str, ...]:
    """The keywords of ``factory`` a search draws, under the factory's own names.

    A factory with ``**kwargs`` also gets widths, batch_size and seed.

    >>> factory_keywords(lambda widths, seed=0, reg=0.0, name="net": None)
    ('widths', 'seed', 'reg')
    """
    return tuple(factory_plan(factory, strategies).keywords)


def _fixed_widths(v: Any) -> list[int]:
    v = list(v)
    if len(v) < 2:
        raise InvalidArgument(f"widths={v!r} must list at least two layer sizes")
    return [nst.check_int("widths[i]", w, minimum=1) for w in v]


def _role_strategies(plan: FactoryPlan, widths: Any, batch_sizes: Any, seeds: Any) -> dict[str, Any]:
    def pick(role: str, given: Any, default: Callable[[], Any], convert: Callable[[Any], Any]) -> None:
        name = plan.role_name(role)
        if name is not None:
            if name in plan.declared:
                out[name] = keyword_strategy(plan.keywords[name], plan)
            else:
                out[name] = default() if given is None else nst.as_strategy(role, given, convert)

    out: dict[str, Any] = {}
    pick("widths", widths, nst.layer_widths, _fixed_widths)
    pick("batch", batch_sizes, nst.batch_sizes, lambda v: nst.check_int("batch_sizes", v, minimum=1))
    pick("seed", seeds, nst.seeds, lambda v: nst.check_int("seeds", v, minimum=0))
    return out


def _input_options(inputs: Any, layout: str) -> dict[str, Any]:
    if inputs is None:
        return {}
    if not isinstance(inputs, Mapping):
        raise InvalidArgument(f"inputs={inputs!r} must be a dict of input_batches options")
    opts = dict(inputs)
    bad = set(opts) & {"n_features", "batch_size", "layout"}
    if bad:
        raise InvalidArgument(f"inputs options {sorted(bad)} are set by the search itself")
    nst.input_batches(n_features=1, batch_size=1, layout=layout, **opts)  # validate eagerly
    return opts


def configs(
    factory: Callable[..., Any],
    *,
    widths: Any = None,
    batch_sizes: Any = None,
    seeds: Any = None,
    inputs: Any = None,
    layout: str = "rows",
    strategies: Mapping[str, Any] | None = None,
) -> st.SearchStrategy[dict[str, Any]]:
    """The keyword arguments to call ``factory`` with, under its own names: one dict per example.

    Every keyword the factory takes is drawn (see :mod:`gradcheck.vary` for the roles).
    ``widths``, ``batch_sizes``, ``seeds`` may be strategies or fixed values; ``inputs`` a dict
    of :func:`gradcheck.strategies.input_batches` options (X depends on the widths and the
    batch size, e.g. ``{"allow_negative": False}``); ``strategies`` maps any keyword to a
    strategy or a fixed value, and wins over what the factory declares.

    >>> cfg = configs(lambda widths, batch_size: None, widths=[2, 1], batch_sizes=3).example()
    >>> cfg
    {'widths': [2, 1], 'batch_size': 3}
    """
    layout = nst.check_layout(layout)
    plan = factory_plan(factory, strategies)
    if plan.required:
        raise InvalidArgument(
            f"{plan.name}() takes {', '.join(plan.required)} without a default, and gradcheck cannot draw "
            f"{'it' if len(plan.required) == 1 else 'them'}: give a default or a strategy "
            f"(strategies={{{plan.required[0]!r}: st.sampled_from([...])}})"
        )
    if not plan.keywords:
        raise InvalidArgument(f"{plan.name}() takes no keyword gradcheck can draw: there is nothing to vary")
    roles = _role_strategies(plan, widths, batch_sizes, seeds)
    others = {k.name: keyword_strategy(k, plan) for k in plan.keywords.values() if k.name not in roles
              and k.role != "inputs"}
    x_name = plan.inputs
    x_declared = x_name is not None and x_name in plan.declared
    input_opts = _input_options(inputs, layout) if x_name else {}
    order = list(plan.keywords)

    @st.composite
    def build(draw: Any) -> dict[str, Any]:
        cfg: dict[str, Any] = {name: draw(s) for name, s in roles.items()}
        for name, s in others.items():
            cfg[name] = draw(s)
        if x_name is not None:
            if x_declared:
                cfg[x_name] = draw(keyword_strategy(plan.keywords[x_name], plan))
            else:
                m = cfg[plan.batch] if plan.batch else draw(nst.batch_sizes())
                n = _n_features(plan, cfg)
                cfg[x_name] = draw(nst.input_batches(n_features=n if n else st.integers(1, 4), batch_size=m,
                                                 layout=layout, **input_opts))
        return {k: cfg[k] for k in order if k in cfg}

    return build()


def _n_features(plan: FactoryPlan, cfg: Mapping[str, Any]) -> int | None:
    if plan.widths is not None:
        return int(cfg[plan.widths][0])
    name = next((n for n in N_FEATURES_NAMES if n in cfg and isinstance(cfg[n], int)), None)
    return cfg[name] if name else None


def call_factory(factory: Callable[..., Any], config: Mapping[str, Any]) -> Problem:
    """Call ``factory`` with ``config`` and normalise what it returns to a :class:`Problem`;
    ``problem.meta["config"]`` holds the config. A key ``"X"`` is passed under the factory's own
    input keyword (``x``, ``inputs``); the drawn batch size reaches the diagnosis as a hint.

    >>> import numpy as np
    >>> def build(widths):
    ...     w = np.ones(widths[0])
    ...     return {"params": {"w": w}, "loss": lambda: float(w @ w), "grads": lambda: {"w": 2 * w}}
    >>> call_factory(build, {"widths": [3, 1]}).params["w"].shape
    (3,)
    """
    plan = plan_factory(factory)
    kwargs = dict(config)
    if "X" in kwargs and "X" not in plan.keywords and plan.inputs is not None:
        kwargs[plan.inputs] = kwargs.pop("X")
    problem = as_problem(factory(**kwargs))
    problem.meta = dict(problem.meta or {})
    problem.meta["config"] = dict(config)
    m = batch_of(plan, config, None)
    if problem.data is None and m is not None and (problem.hint is None or isinstance(problem.hint, dict)):
        # the drawn batch size lets the diagnosis tell a missing 1/m from any other factor
        problem.hint = {"batch_size": m, **(problem.hint or {})}
    return problem


def batch_of(plan: FactoryPlan, config: Mapping[str, Any], layout: str | None = "rows") -> int | None:
    """The batch size of a configuration: its batch keyword, or (given the layout) the examples in its X."""
    if plan.batch is not None and isinstance(config.get(plan.batch), (int, np.integer)):
        return int(config[plan.batch])
    X = config.get(plan.inputs or "X")
    if layout is not None and isinstance(X, np.ndarray) and X.ndim == 2:
        return int(X.shape[0] if layout == "rows" else X.shape[1])
    return None


def problems(
    factory: Callable[..., Any],
    *,
    widths: Any = None,
    batch_sizes: Any = None,
    seeds: Any = None,
    inputs: Any = None,
    layout: str = "rows",
    strategies: Mapping[str, Any] | None = None,
) -> st.SearchStrategy[Problem]:
    """Problems built by ``factory`` over every keyword it takes (options as in :func:`configs`).

    The drawn keywords are in ``problem.meta["config"]``; a failing example is shown as the
    call that rebuilds it, ``problem=build(batch_size=2, seed=0)``.

    >>> import numpy as np
    >>> def build(widths, seed=0):
    ...     w = np.random.default_rng(seed).normal(size=widths[0])
    ...     return {"params": {"w": w}, "loss": lambda: float(w @ w), "grads": lambda: {"w": 2 * w}}
    >>> p = problems(build, widths=[3, 1]).example()
    >>> p.params["w"].shape, sorted(p.meta["config"])
    ((3,), ['seed', 'widths'])
    """
    config_st = configs(factory, widths=widths, batch_sizes=batch_sizes, seeds=seeds, inputs=inputs,
                        layout=layout, strategies=strategies)
    name = plan_factory(factory, strategies).name

    @st.composite
    def build(draw: Any) -> Problem:
        cfg = draw(config_st)
        problem = call_factory(factory, cfg)
        _label(problem, name, cfg)
        return problem

    return build()


def _label(obj: object, name: str, config: Mapping[str, Any]) -> None:
    """Have hypothesis show ``obj`` as the call ``name(**config)`` in a failing example."""
    try:
        from hypothesis.control import current_build_context

        context = current_build_context()
        def call(**kw: Any) -> None: ...
        call.__name__ = call.__qualname__ = name
        context.record_call(obj, call, args=[], kwargs=dict(config))
    except Exception:  # noqa: BLE001 - an older hypothesis without call records shows the Problem itself
        return

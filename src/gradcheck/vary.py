"""What a problem factory takes, and how a search varies each keyword of it.

:func:`plan_factory` reads a factory's signature and gives every keyword a *role*:
the layer widths, the batch size (``batch_size``, ``m``, ``N``, ``n_samples``,
``batch``), the seed, the inputs (``X``, ``x``, ``inputs``), or a setting drawn by its
default and its name: a regularization strength (0 hides a missing L2 term), a dropout
keep probability (1 hides the dropout backward pass), a learning rate (0 hides weights
updated before the delta is sent down), a momentum, a flag, a size, any other number.
Keywords it cannot draw (a ``**kwargs``, a string without a ``Literal`` annotation, a
``None`` default) are listed with the reason, so a search never claims to have varied them.

A factory may declare its own strategies (or fixed values), which win over the roles:
an argument (``search(build, strategies={"lr": st.floats(0, 1)})``), the decorator
:func:`gradcheck.strategies.with_strategies`, or a mapping ``GRADCHECK_STRATEGIES`` in the
factory's module (``{"lr": ...}`` for every factory there, or ``{"build": {"lr": ...}}``).

This module imports neither hypothesis nor numpy; :mod:`gradcheck.strategies` turns a
plan into strategies.

Example:
    >>> def build(widths, m=8, seed=0, reg=0.0, keep_prob=1.0, activation="relu", **kw): ...
    >>> plan = plan_factory(build)
    >>> [(k.name, k.role) for k in plan.keywords.values()]
    [('widths', 'widths'), ('m', 'batch'), ('seed', 'seed'), ('reg', 'penalty'), ('keep_prob', 'keep')]
    >>> plan.not_varied
    {'activation': "a str default ('relu'): give a strategy to vary it", 'kw': 'a **kw catch-all: the keywords it reads are unknown'}
"""

from __future__ import annotations

import functools
import inspect
import re
import sys
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "BATCH_NAMES",
    "INPUT_NAMES",
    "SEED_NAMES",
    "WIDTHS_NAMES",
    "FactoryPlan",
    "Keyword",
    "declared_strategies",
    "factory_name",
    "plan_factory",
]

#: Names of the batch-size keyword (the number of examples m).
BATCH_NAMES = ("batch_size", "m", "N", "n_samples", "batch")
#: Names of the input keyword (a drawn X, whose signs a search can flip).
INPUT_NAMES = ("X", "x", "inputs")
#: Names of the layer-widths keyword (input first: ``[n_in, hidden..., n_out]``).
WIDTHS_NAMES = ("widths", "layer_dims", "layers_dims", "layer_sizes", "sizes")
#: Names of a seed keyword.
SEED_NAMES = ("seed", "random_state", "rng_seed", "random_seed")

#: Roles of keywords without a default that the search still draws.
ROLES_WITHOUT_DEFAULT = ("widths", "batch", "seed", "inputs")

# a setting's role from its name: the first pattern that matches the whole name wins
_NAME_ROLES = (
    ("penalty", r"(reg|regularization|reg_strength|reg_lambda|l2|l2_reg|l2_lambda|lambd|lambda_?|lam|lmbda|"
                r"weight_decay|wd|penalty)"),
    ("keep", r"(keep_prob|keep_probability|keep|p_keep|keep_rate)"),
    ("drop", r"(drop_prob|dropout|dropout_rate|drop_rate|p_drop|drop)"),
    ("rate", r"(lr|learning_rate|eta|step_size|alpha_lr)"),
    ("momentum", r"(momentum|beta|beta1|mu|rho)"),
)

_NO_DEFAULT = inspect.Parameter.empty


@dataclass(frozen=True)
class Keyword:
    """One keyword a search draws: its ``name`` in the factory, its ``role`` and its ``default``.

    ``choices`` holds the values of a ``Literal`` annotation; ``length`` the length of a
    fixed-length list of sizes.
    """

    name: str
    role: str
    default: Any = None
    has_default: bool = True
    choices: tuple[Any, ...] = ()
    length: int = 0


@dataclass
class FactoryPlan:
    """How a search calls ``factory``: the keywords it draws, those it cannot, the strategies declared.

    ``batch``, ``inputs``, ``widths`` and ``seed`` name the factory's keyword of that role (or None).
    ``declared`` maps a keyword to the strategy or fixed value the user gave for it; ``required``
    lists the keywords without a default that cannot be drawn (the factory cannot be called).
    """

    factory: Callable[..., Any]
    name: str
    keywords: dict[str, Keyword] = field(default_factory=dict)
    not_varied: dict[str, str] = field(default_factory=dict)
    declared: dict[str, Any] = field(default_factory=dict)
    var_kw: bool = False
    required: list[str] = field(default_factory=list)

    def role_name(self, role: str) -> str | None:
        """The factory's keyword of ``role`` ("widths", "batch", "seed", "inputs"), if any."""
        return next((k.name for k in self.keywords.values() if k.role == role), None)

    @property
    def batch(self) -> str | None:
        return self.role_name("batch")

    @property
    def inputs(self) -> str | None:
        return self.role_name("inputs")

    @property
    def widths(self) -> str | None:
        return self.role_name("widths")

    @property
    def seed(self) -> str | None:
        return self.role_name("seed")

    @property
    def settings(self) -> list[Keyword]:
        """The drawn keywords that are not widths, batch, seed or inputs (reg, keep_prob, lr, ...)."""
        return [k for k in self.keywords.values() if k.role not in ROLES_WITHOUT_DEFAULT]

    def call_label(self, config: Mapping[str, Any]) -> str:
        """``build(batch_size=2, seed=0)``: the call that rebuilds the net of ``config``.

        >>> plan_factory(lambda batch_size, seed=0: None).call_label({"batch_size": 2, "seed": 0})
        '<lambda>(batch_size=2, seed=0)'
        """
        args = ", ".join(f"{k}={short_value(v)}" for k, v in config.items())
        return f"{self.name}({args})"


def short_value(v: Any) -> str:
    """A value as written in a call; an array in short (a few digits, ``...`` past a dozen elements)."""
    if getattr(v, "ndim", 0):
        import numpy as np  # lazy: numpy loads only when an array is shown

        with np.printoptions(precision=3, suppress=True, threshold=12):
            return " ".join(np.array2string(v, separator=", ").split())
    if hasattr(v, "item") and getattr(v, "ndim", None) == 0:
        v = v.item()
    return repr(v)


def factory_name(factory: Callable[..., Any]) -> str:
    """The name a factory is shown under (a partial shows its function's name).

    >>> def build(): ...
    >>> factory_name(functools.partial(build))
    'build'
    """
    inner = factory.func if isinstance(factory, functools.partial) else factory
    return getattr(inner, "__name__", type(inner).__name__)


def declared_strategies(factory: Callable[..., Any]) -> dict[str, Any]:
    """The strategies a factory declares for its keywords: the decorator's, else its module's
    ``GRADCHECK_STRATEGIES`` (a mapping of keyword -> strategy, or of factory name -> such a mapping).

    >>> def build(lr=0.0): ...
    >>> build.__gradcheck_strategies__ = {"lr": 0.5}
    >>> declared_strategies(build)
    {'lr': 0.5}
    """
    inner = factory.func if isinstance(factory, functools.partial) else factory
    own = getattr(inner, "__gradcheck_strategies__", None)
    if isinstance(own, Mapping):
        return dict(own)
    module = sys.modules.get(getattr(inner, "__module__", "") or "")
    table = getattr(module, "GRADCHECK_STRATEGIES", None)
    if not isinstance(table, Mapping):
        return {}
    name = getattr(inner, "__name__", None)
    if name in table and isinstance(table[name], Mapping):
        return dict(table[name])
    return {k: v for k, v in table.items() if not isinstance(v, Mapping)}


def plan_factory(factory: Callable[..., Any], strategies: Mapping[str, Any] | None = None) -> FactoryPlan:
    """The :class:`FactoryPlan` of ``factory``; ``strategies`` (keyword -> strategy or fixed value)
    wins over what the factory declares, which wins over the roles.

    Raises:
        TypeError: ``factory`` is not callable or its signature cannot be read.
        ValueError: a strategy is given for a keyword the factory does not take.

    >>> plan = plan_factory(lambda N, lambd=0.1, use_bias=True: None)
    >>> {k.name: k.role for k in plan.keywords.values()}
    {'N': 'batch', 'lambd': 'penalty', 'use_bias': 'flag'}
    """
    if not callable(factory):
        raise TypeError(f"factory={factory!r} is not callable")
    try:
        sig = inspect.signature(factory)
    except (TypeError, ValueError):
        raise TypeError(f"cannot read the signature of factory {factory!r}") from None
    hints = _annotations(factory)
    plan = FactoryPlan(factory, factory_name(factory))
    plan.declared = {**declared_strategies(factory), **dict(strategies or {})}
    taken: set[str] = set()
    for p in sig.parameters.values():
        if p.kind is p.VAR_KEYWORD:
            plan.var_kw = True
            plan.not_varied[p.name] = f"a **{p.name} catch-all: the keywords it reads are unknown"
            continue
        if p.kind in (p.VAR_POSITIONAL, p.POSITIONAL_ONLY):
            plan.not_varied[p.name] = "positional only: a search passes keywords"
            continue
        taken.add(p.name)
        kw, why = _keyword(p, hints.get(p.name), plan)
        if kw is not None:
            plan.keywords[p.name] = kw
        elif p.name not in plan.declared:
            plan.not_varied[p.name] = why
            if p.default is _NO_DEFAULT:
                plan.required.append(p.name)
    for name in plan.declared:
        if name not in taken and not plan.var_kw:
            raise ValueError(f"a strategy is given for {name!r}, which {plan.name}() does not take")
        if name not in plan.keywords:
            plan.keywords[name] = Keyword(name, "declared", has_default=False)
            plan.not_varied.pop(name, None)
    if plan.var_kw:  # as before: a **kwargs factory gets widths, a batch size and a seed
        for name, role in (("widths", "widths"), ("batch_size", "batch"), ("seed", "seed")):
            if plan.role_name(role) is None and name not in plan.keywords:
                plan.keywords[name] = Keyword(name, role, has_default=False)
    return plan


def _annotations(factory: Callable[..., Any]) -> dict[str, Any]:
    inner = factory.func if isinstance(factory, functools.partial) else factory
    try:
        return typing.get_type_hints(inner)
    except Exception:  # noqa: BLE001 - an annotation that does not resolve is no annotation
        return {}


def _named_role(name: str, roles: FactoryPlan) -> str | None:
    if name in WIDTHS_NAMES and roles.widths is None:
        return "widths"
    if name in BATCH_NAMES and roles.batch is None:
        return "batch"
    if name in SEED_NAMES and roles.seed is None:
        return "seed"
    if name in INPUT_NAMES and roles.inputs is None:
        return "inputs"
    return None


def _keyword(p: inspect.Parameter, annotation: Any, plan: FactoryPlan) -> tuple[Keyword | None, str]:
    """The keyword of parameter ``p`` and its role, or None and why it cannot be drawn."""
    has_default = p.default is not _NO_DEFAULT
    default = p.default if has_default else None
    role = _named_role(p.name, plan)
    if role is not None:
        return Keyword(p.name, role, default, has_default), ""
    choices = _literal_choices(annotation)
    if choices:
        return Keyword(p.name, "choice", default, has_default, choices=choices), ""
    value_type = type(default) if has_default and default is not None else _plain_type(annotation)
    if value_type is int and _float_role(p.name, default) != "float" and p.name.lower() != "p":
        value_type = float  # reg=0 or lr=1 written as an int is still a strength or a rate
    if value_type is bool:
        return Keyword(p.name, "flag", default, has_default), ""
    if value_type is int:
        if has_default and default is not None and default < 0:
            return Keyword(p.name, "int", default, has_default), ""
        return Keyword(p.name, "size", default, has_default), ""
    if value_type is float:
        return Keyword(p.name, _float_role(p.name, default), default, has_default), ""
    if has_default and isinstance(default, (list, tuple)) and default and all(
        type(v) is int and v >= 1 for v in default
    ):
        return Keyword(p.name, "sizes", default, has_default, length=len(default)), ""
    if not has_default:
        return None, "no default and no role gradcheck knows: give a strategy or a default"
    if default is None:
        return None, "a None default: give a strategy to vary it"
    return None, f"a {type(default).__name__} default ({default!r}): give a strategy to vary it"


def _float_role(name: str, default: Any) -> str:
    low = name.lower()
    for role, pattern in _NAME_ROLES:
        if re.fullmatch(pattern, low):
            return role
    if low == "p":  # a dropout probability: a keep probability when above one half
        return "keep" if default is not None and default > 0.5 else "drop"
    return "float"


def _literal_choices(annotation: Any) -> tuple[Any, ...]:
    if typing.get_origin(annotation) is typing.Literal:
        return tuple(typing.get_args(annotation))
    return ()


def _plain_type(annotation: Any) -> type | None:
    if annotation in (bool, int, float):
        return annotation
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    if len(args) == 1 and args[0] in (bool, int, float):
        return args[0]
    return None

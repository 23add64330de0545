"""One value per hyper-parameter across the whole net: ``keep_prob``, ``lambd``, ``reg``, ``lmbda``.

A net's functions take hyper-parameters by name: a forward pass ``keep_prob=0.5`` by default, a
backward pass ``keep_prob`` without one, a cs231n ``loss(X, y, reg=0.0)``. Checking the forward
pass at one value and the backward pass at another calls a correct gradient wrong; checking an
L2 strength at 0 lets a missing L2 gradient pass. So every function of the net that takes a
name gets the same value, chosen once, in this order:

1. a value given by the user (``--set reg=0.05``, ``as_problem(..., values={"reg": 0.05})``);
2. a module-level variable of that name (``keep_prob = 0.86``), or of that name in another case
   (``KEEP_PROB``, ``NN_ARCHITECTURE`` for ``nn_architecture``); a list or dict of settings (a layer
   list, a dict of activations) counts as a setting;
3. the default one of the net's functions gives it (the first found, when they agree or not);
4. for a regularization strength that is 0 or has no value: :data:`REG_PROBE`; for a keep
   probability with no value: :data:`KEEP_PROBE`.

The recognized line says each value and where it came from.

Example:
    >>> import types
    >>> m = types.ModuleType("net"); m.keep_prob = 0.86
    >>> def forward(X, parameters, keep_prob=0.5): ...
    >>> def loss(X, y, reg=0.0): ...
    >>> v = NetValues.collect([forward, loss], context=m)
    >>> v.values
    {'keep_prob': 0.86, 'reg': 0.1}
    >>> v.describe()
    'keep_prob = 0.86 (module variable), reg = 0.1 (no value given: a nonzero strength exercises the L2 term; --set reg=VALUE)'
"""

from __future__ import annotations

import ast
import inspect
import numbers
import os
import sys
import types
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from ..errors import AdapterError
from ._access import role_of

__all__ = ["KEEP_NAMES", "KEEP_PROBE", "REG_NAMES", "REG_PROBE", "NetValues", "module_variable", "net_functions", "parse_set"]

#: Names of an L2 (weight decay) strength.
REG_NAMES = ("reg", "lambd", "lmbda", "lambda_", "lam", "lamda", "l2", "l2_lambda", "l2_reg", "reg_lambda",
             "reg_strength", "weight_decay", "lambda_reg", "regularization", "reg_param", "lmbda_")
#: Names of a dropout keep probability.
KEEP_NAMES = ("keep_prob", "keep_probability", "p_keep", "keep_rate", "keepprob")
#: A regularization strength nobody set is checked at this value, not at 0: at 0 an L2 term missing from
#: the gradient vanishes from the loss too and passes unseen; 0.1 shows it beside weights of size 0.01-1
#: (the term reg * W is then 1e-3 to 1e-1 of the gradient, far above the check's tolerance).
REG_PROBE = 0.1
#: A keep probability nobody set: below 1 so that the mask and its 1/keep_prob scaling are exercised.
KEEP_PROBE = 0.8


#: How deep a setting may nest (a list of per-layer dicts is two levels): deeper is data, not a setting.
SETTING_DEPTH = 3


def _is_setting(v: Any, depth: int = 0) -> bool:
    """A number, flag or string, or a list / tuple / dict of them (a layer list, a dict of activations):
    what a hyper-parameter holds (arrays are data or weights, not settings).

    >>> _is_setting([{"input_dim": 2, "activation": "relu"}]), _is_setting([1.0, b"raw bytes"])
    (True, False)
    """
    if isinstance(v, (list, tuple)) and depth < SETTING_DEPTH:
        return all(_is_setting(x, depth + 1) for x in v)
    if isinstance(v, dict) and depth < SETTING_DEPTH:
        return all(_is_setting(k, depth + 1) and _is_setting(x, depth + 1) for k, x in v.items())
    return isinstance(v, (numbers.Number, str)) and not isinstance(v, complex) or v is None


def _structured(v: Any) -> bool:
    return isinstance(v, (list, tuple, dict))


def module_variable(context: Any, name: str) -> str | None:
    """The module-level variable holding the setting ``name``: the same name, else the one name that
    matches it case-insensitively (``NN_ARCHITECTURE`` for ``nn_architecture``); None when none does.

    >>> m = types.ModuleType("net"); m.KEEP_PROB = 0.7
    >>> module_variable(m, "keep_prob"), module_variable(m, "reg")
    ('KEEP_PROB', None)
    """
    if not isinstance(context, types.ModuleType):
        return None
    own = vars(context)
    if name in own and _is_setting(own[name]):
        return name
    same = [k for k, v in own.items() if k.lower() == name.lower() and not k.startswith("__") and _is_setting(v)]
    return same[0] if len(same) == 1 else None


def net_functions(obj: Any, context: Any = None) -> list[Callable[..., Any]]:
    """The functions of a net: a module's own functions, an object's methods (its layers' too), and
    the functions of the module it lives in."""
    out: list[Callable[..., Any]] = []
    seen: set[int] = set()

    def add(fn: Any) -> None:
        if callable(fn) and not isinstance(fn, type) and id(getattr(fn, "__func__", fn)) not in seen:
            seen.add(id(getattr(fn, "__func__", fn)))
            out.append(fn)

    for o in (obj, context):
        if o is None:
            continue
        if isinstance(o, types.ModuleType):
            for v in vars(o).values():
                if isinstance(v, types.FunctionType) and (v.__module__ == o.__name__ or _sibling(v, o)):
                    add(v)
        elif isinstance(o, Mapping):
            for v in o.values():
                if isinstance(v, types.FunctionType):
                    add(v)
        else:
            for holder in [o, *_layers(o)]:
                for name in dir(type(holder)):
                    if not name.startswith("__"):
                        attr = inspect.getattr_static(holder, name, None)
                        if isinstance(attr, (types.FunctionType, staticmethod, classmethod)):
                            add(getattr(holder, name, None))
    return out


def _sibling(fn: types.FunctionType, module: types.ModuleType) -> bool:
    """A function the module imported from a file beside it (``from net_utils import *``): the user's own."""
    here = getattr(module, "__file__", None)
    there = getattr(sys.modules.get(fn.__module__), "__file__", None)
    if not isinstance(here, str) or not isinstance(there, str):
        return False
    return os.path.dirname(os.path.abspath(here)) == os.path.dirname(os.path.abspath(there))


def _layers(o: Any) -> list[Any]:
    layers = getattr(o, "layers", None) if not isinstance(o, type) else None
    return [v for v in layers if hasattr(v, "__dict__")] if isinstance(layers, (list, tuple)) else []


class NetValues:
    """The value of each hyper-parameter name of the net, and where it came from."""

    def __init__(self, values: dict[str, Any], origins: dict[str, str], context: Any = None) -> None:
        self.values = values
        self.origins = origins
        self.used: set[str] = set()
        self.context = context  # the module whose variables may fill an argument named like a data role

    def from_module(self, name: str) -> bool:
        """Take the module's setting for ``name`` (an argument named like a data role, ``activations``, that
        nothing else fills); False when the module has none."""
        var = module_variable(self.context, name)
        if var is None:
            return False
        self.values[name] = vars(self.context)[var]
        self.origins[name] = "module variable" + ("" if var == name else f" {var}")
        return True

    @classmethod
    def collect(
        cls, functions: Iterable[Callable[..., Any]], *, context: Any = None, given: Mapping[str, Any] | None = None,
    ) -> NetValues:
        """Values for every hyper-parameter (an argument playing no data role) of ``functions``."""
        given = dict(given or {})
        defaults: dict[str, Any] = {}
        names: list[str] = []
        differ: set[str] = set()  # names some function takes without a default, or with another one
        for fn in functions:
            try:
                ps = inspect.signature(fn).parameters.values()
            except (TypeError, ValueError):
                continue
            for p in ps:
                if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) or p.name == "self" or role_of(p.name) is not None:
                    continue
                names.append(p.name)
                if p.default is p.empty or (p.name in defaults and defaults[p.name] != p.default):
                    differ.add(p.name)
                elif _is_setting(p.default) and p.name not in defaults:
                    defaults[p.name] = p.default
        values: dict[str, Any] = {}
        origins: dict[str, str] = {}
        for name in list(dict.fromkeys(names)) + [n for n in given if n not in names]:
            value, origin = cls._choose(name, given, context, defaults)
            if origin is not None:
                values[name] = value
                if origin or name in differ:
                    origins[name] = origin or "the default of the function that has one"
        return cls(values, origins, context)

    @staticmethod
    def _choose(name: str, given: Mapping[str, Any], context: Any, defaults: Mapping[str, Any]) -> tuple[Any, str | None]:
        """``(value, origin)``; origin "" for a default every function shares, None when there is no value."""
        low = name.lower()
        if name in given:
            return given[name], "--set"
        var = module_variable(context, name)
        if var is not None:
            return vars(context)[var], "module variable" + ("" if var == name else f" {var}")
        default = defaults.get(name)
        if low in REG_NAMES and (default is None or default == 0):
            return REG_PROBE, f"no value given: a nonzero strength exercises the L2 term; --set {name}=VALUE"
        if low in KEEP_NAMES and default is None:
            return KEEP_PROBE, f"no value given: below 1 the dropout mask is exercised; --set {name}=VALUE"
        if name in defaults:
            return default, ""
        return None, None

    def get(self, name: str, default: Any = None) -> Any:
        if name in self.values:
            self.used.add(name)
            return self.values[name]
        return default

    def __contains__(self, name: str) -> bool:
        return name in self.values

    def describe(self, only_used: bool = False) -> str:
        names = [n for n in self.values if n in self.origins and (not only_used or n in self.used)]
        return ", ".join(self._say(n) for n in names)

    def _say(self, name: str) -> str:
        """``keep_prob = 0.7 (module variable KEEP_PROB)``; a list or dict read from the module by its
        variable's name: ``nn_architecture = NN_ARCHITECTURE (module variable)``."""
        origin = self.origins[name]
        if origin.startswith("module variable") and _structured(self.values[name]):
            var = origin[len("module variable"):].strip() or name
            return f"{name} = {var} (module variable)"
        return f"{name} = {self.values[name]!r} ({origin})"

    def to_dict(self) -> dict[str, dict[str, Any]]:
        """The values worth saying (given, read from the module, chosen by gradcheck, or a default another
        function lacks), JSON-ready.

        >>> import numpy as np
        >>> NetValues({"reg": np.float64(0.5), "seed": 0}, {"reg": "--set"}).to_dict()
        {'reg': {'value': 0.5, 'from': '--set'}}
        """
        return {n: {"value": _plain(self.values[n]), "from": o} for n, o in self.origins.items() if n in self.values}


def _plain(v: Any) -> Any:
    """A JSON-ready copy of a setting: numpy numbers as Python numbers, anything odd as its repr."""
    if isinstance(v, bool) or v is None or isinstance(v, str):
        return v
    if isinstance(v, (list, tuple)):
        return [_plain(x) for x in v]
    if isinstance(v, dict):
        return {str(k): _plain(x) for k, x in v.items()}
    if isinstance(v, numbers.Integral):
        return int(v)
    if isinstance(v, numbers.Real):
        f = float(v)
        return f if f == f and abs(f) != float("inf") else repr(v)
    return repr(v)


def parse_set(items: Iterable[str] | None) -> dict[str, Any]:
    """``["reg=0.05", "keep_prob=0.8"]`` -> ``{"reg": 0.05, "keep_prob": 0.8}`` (numbers, True/False/None, text).

    >>> parse_set(["reg=0.05", "use_bias=False", "act=relu"])
    {'reg': 0.05, 'use_bias': False, 'act': 'relu'}
    """
    out: dict[str, Any] = {}
    for item in items or ():
        name, sep, text = item.partition("=")
        name = name.strip()
        if not sep or not name.isidentifier() or not text.strip():
            raise AdapterError(f"--set {item!r}: expected NAME=VALUE, e.g. --set reg=0.05")
        try:
            value = ast.literal_eval(text.strip())
        except (ValueError, SyntaxError):
            value = text.strip()
        out[name] = value
    return out

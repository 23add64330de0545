"""Helpers the adapters share: reading names off any object (:class:`Source`), filling a
function's arguments by the role their names say (:func:`bind`), reading ``dW1`` as ``W1``.

Example:
    >>> import numpy as np
    >>> src = Source({"X": np.ones((3, 2)), "y": np.zeros(3)})
    >>> src.first(["inputs", "X"])[0]
    'X'
    >>> bind(lambda params, X, y: 0, {"params": {}, "X": 1, "y": 2})
    (({}, 1, 2), {})
"""

from __future__ import annotations

import difflib
import inspect
import re
import types
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from ..errors import AdapterError
from ..names import match

#: Names that look like a weight or a bias (``W1``, ``b2``, ``kernel``, ``self.weights``); shared with ``_params``.
PARAM_RE = re.compile(
    r"^(w|b|u|v|weights?|bias(es)?|kernel|theta|gamma|beta|coef|intercept|wei)(_?[a-z]{0,3})?\d*$"
    r"|weight|bias|kernel|synap", re.I
)

_MISSING = object()

#: Argument names that mean one role. ``bind`` fills a function's arguments from them.
ROLES: dict[str, tuple[str, ...]] = {
    "X": ("x", "inputs", "input", "features", "x_batch", "x_train", "data_x", "a0", "xs", "train_x"),
    "y": ("y", "labels", "label", "targets", "target", "y_true", "y_batch", "y_train", "ys", "train_y", "t"),
    "params": ("params", "parameters", "theta", "weights_dict", "param", "model_params", "p", "w_dict"),
    "cache": ("cache", "caches", "cache_list", "memory", "store", "stored", "memo", "tape"),
    "output": ("al", "a_l", "y_hat", "yhat", "output", "outputs", "out", "a", "scores", "probs",
               "y_pred", "ypred", "predictions", "preds", "prediction", "output_activations", "a_out",
               "activations"),
    "lr": ("lr", "learning_rate", "eta", "alpha", "step_size", "learningrate", "rate", "l_rate", "lrate"),
    "epochs": ("epochs", "epocs", "epoch", "n_epochs", "num_epochs", "iterations", "num_iterations",
               "n_iter", "iters", "iter", "iteration", "steps", "n_steps", "epoches", "max_iter", "n_epoch",
               "passes", "n_passes"),
    "dout": ("dout", "grad_output", "dy", "upstream", "delta", "dvalues", "d_out", "grad", "dz", "da",
             "grad_out", "output_gradient", "gradient", "dl_dy", "dl_dout"),
    "batch_size": ("batch_size", "mini_batch_size", "minibatch_size", "bs", "batchsize"),
    "quiet": ("print_cost", "verbose", "print_loss", "debug", "plot", "show", "log"),
}
_OUTPUT_RE = re.compile(r"^a\d+$")
#: The gradient a layer's backward pass receives, however it is named: ``dLdy``, ``dL_dout``,
#: ``output_error``, ``error``, ``grad_output``, ``upstream_grad``, ``accum_grad``.
_DOUT_RE = re.compile(r"^(dl_?d\w+|d_?l_?d_?\w+|(output_|out_|upstream_|top_|accum_)?(error|err|delta)"
                      r"|(output_|out_|upstream_|top_|accum_)(grads?|gradient)"
                      r"|grad_?(out|output|y|top|upstream)\w*|d_?(y|out|output|top)\w*)$", re.I)


_PREFIX_RE = re.compile(r"^(training_|train_|num_|n_|number_of_|max_|total_|input_)")
_SUFFIX_RE = re.compile(r"(_list|_batch|_data|_arr|_array|_vec|_matrix|_set|_mat|_values|_dict)$")


def role_of(arg: str) -> str | None:
    """The role an argument name plays: ``"X"``, ``"y"``, ``"output"`` (e.g. ``AL``, ``A2``), ...

    >>> role_of("inputs_list"), role_of("training_outputs"), role_of("num_iterations"), role_of("AL")
    ('X', 'y', 'epochs', 'output')
    >>> role_of("params_values"), role_of("num_passes"), role_of("memory")
    ('params', 'epochs', 'cache')
    """
    low = arg.lower()
    for role, names in ROLES.items():
        if low in names:
            return role
    if _OUTPUT_RE.match(low) and low != "a0":
        return "output"
    if _DOUT_RE.match(low):
        return "dout"
    stripped = _SUFFIX_RE.sub("", _PREFIX_RE.sub("", low))
    if stripped != low:
        if low.startswith(("training_", "train_")) and stripped in ("outputs", "output", "answers"):
            return "y"
        return role_of(stripped)
    return None


def arg_names(fn: Callable[..., Any]) -> list[str] | None:
    """Names of the arguments ``fn`` takes (self excluded), or None when it has no signature."""
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return None
    return [
        p.name for p in sig.parameters.values() if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
    ]


def required_args(fn: Callable[..., Any]) -> list[str]:
    """Names of the arguments ``fn`` cannot be called without (no default; ``*args``, ``**kw`` aside).

    >>> required_args(lambda x, y, lr=0.1, *rest: None)
    ['x', 'y']
    """
    try:
        ps = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return []
    return [p.name for p in ps if p.default is p.empty and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]


def bind(
    fn: Callable[..., Any],
    values: Mapping[str, Any],
    *,
    order: Sequence[str] = (),
    extra: Source | None = None,
    what: str = "",
) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """Fill ``fn``'s arguments by role (``values`` is role -> value, or ``"arg:NAME"`` -> value for
    the argument ``NAME`` itself) and return ``(args, kwargs)``.

    Arguments whose names play no known role take their default, or a same-named attribute of
    ``extra`` (e.g. a module's ``lambd``), or -- when no argument name says anything -- the
    roles in ``order``, positionally. Raises AdapterError naming the argument it cannot fill.
    """
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return tuple(values[r] for r in order if r in values), {}
    params = [p for p in sig.parameters.values() if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
    roles = _roles_of(params, values, order, extra)
    if order and not any(r in values for r in roles if r):
        positional = [values[r] for r in order if r in values]
        required = [p for p in params if p.default is p.empty]
        if len(required) <= len(positional) <= len(params):
            return tuple(positional), {}
    args: list[Any] = []
    kwargs: dict[str, Any] = {}
    skipped = False
    net_values = net_values_of(extra)
    taken: set[str] = set()
    for p, role in zip(params, roles):
        found, value = _value_for(p, role, values, extra, net_values, taken=role in taken)
        if role is not None:
            taken.add(role)
        if not found and p.default is not p.empty:
            skipped = True
            continue
        if not found:
            raise AdapterError(_cannot_fill(fn, p.name, what))
        if p.kind == p.KEYWORD_ONLY or (skipped and p.kind != p.POSITIONAL_ONLY):
            kwargs[p.name] = value
        else:
            args.append(value)
    return tuple(args), kwargs


def _roles_of(params: list[inspect.Parameter], values: Mapping[str, Any], order: Sequence[str],
              extra: Source | None) -> list[str | None]:
    """The role of each argument; in ``loss(w, X, y)`` the first unnamed argument, where the parameters go,
    holds them."""
    roles = [role_of(p.name) for p in params]
    if "params" in values and "params" not in roles and order[:1] == ("params",):
        for i, (p, r) in enumerate(zip(params, roles)):
            if r is None and p.default is p.empty and not (extra is not None and p.name in extra and i > 0):
                roles[i] = "params"
                break
    return roles


def _cannot_fill(fn: Any, name: str, what: str) -> str:
    label = what or getattr(fn, "__name__", "the function")
    return (f"{label}{plain_signature(fn)}: gradcheck cannot tell what to pass as {name!r}. It fills arguments "
            f"by name (X/inputs, y/labels, params/parameters, cache(s), AL/A2/Y_hat, lr, epochs); give "
            f"{name!r} a default value, define a module-level variable {name!r}, or pass --set {name}=VALUE.")


def _value_for(p: inspect.Parameter, role: str | None, values: Mapping[str, Any], extra: Source | None,
               net_values: Any, *, taken: bool = False) -> tuple[bool, Any]:
    """``(found, value)`` for one argument: its own value, its role's, the net-wide value of its name
    (:mod:`gradcheck.adapters._values`), or a module variable of its name when it has no default.
    ``taken``: an earlier argument already took the role (then a module setting of this name comes first)."""
    if f"arg:{p.name}" in values:  # a value for this very argument (momentum = 0 for a step)
        return True, values[f"arg:{p.name}"]
    if role == "quiet" and p.default is not p.empty:
        return True, False
    if role is not None and role in values and not taken:
        return True, values[role]
    if net_values is not None and (p.name in net_values or net_values.from_module(p.name)):
        # a setting of the module for an argument whose role has no value here, or whose role an earlier
        # argument already took (ACTIVATIONS for forward(X, params, activations))
        return True, net_values.get(p.name)
    if role is not None and role in values:
        return True, values[role]
    if extra is not None and p.name in extra and p.default is p.empty:
        return True, extra.get(p.name)
    return False, None


def net_values_of(extra: Any) -> Any:
    """The net-wide hyper-parameter values a Source (or the Source it falls back to) carries."""
    while extra is not None:
        nv = getattr(extra, "values", None)
        if nv is not None:
            return nv
        extra = getattr(extra, "context", None) if isinstance(extra, Source) else None
    return None


def call(fn: Callable[..., Any], values: Mapping[str, Any], **kw: Any) -> Any:
    """``fn(*args, **kwargs)`` with the arguments :func:`bind` finds."""
    args, kwargs = bind(fn, values, **kw)
    return fn(*args, **kwargs)


def plain_signature(fn: Any) -> str:
    """``(X, y, reg=0.0)``: the argument names and short defaults, without type hints.

    >>> def f(x: "np.ndarray", n: int = 3, *rest: float) -> float: ...
    >>> plain_signature(f)
    '(x, n=3, *rest)'
    """
    try:
        ps = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return "(...)"
    parts = []
    for p in ps:
        prefix = "*" if p.kind == p.VAR_POSITIONAL else "**" if p.kind == p.VAR_KEYWORD else ""
        default = "" if p.default is p.empty else "=" + _short(p.default)
        parts.append(prefix + p.name + default)
    return "(" + ", ".join(parts) + ")"


def _short(v: Any) -> str:
    text = repr(v) if isinstance(v, (int, float, str, bool, type(None))) else "..."
    return text if len(text) <= 12 else "..."


class Source:
    """Read names off an object, a mapping or a module, falling back to a context (its module)."""

    def __init__(self, obj: Any, context: Any = None) -> None:
        self.obj = obj
        self.context = context
        self.values: Any = None  # the net-wide hyper-parameter values (a _values.NetValues), once collected
        self.prefer: str | None = None  # a function of the net the user pointed at (net.py:backward_propagation_n)
        self.step_name: str | None = None  # a method another convention found to be the net's training step

    @staticmethod
    def _get(o: Any, name: str) -> Any:
        if o is None:
            return _MISSING
        if isinstance(o, Source):
            return o.get(name, _MISSING)
        if isinstance(o, Mapping):
            return o.get(name, _MISSING)
        try:
            return getattr(o, name, _MISSING)
        except Exception:  # noqa: BLE001 - a property raising is just "not there"
            return _MISSING

    def get(self, name: str, default: Any = None) -> Any:
        v = self._get(self.obj, name)
        if v is _MISSING:
            v = self._get(self.context, name)
        return default if v is _MISSING else v

    def __contains__(self, name: str) -> bool:
        return self._get(self.obj, name) is not _MISSING or self._get(self.context, name) is not _MISSING

    def first(self, names: Sequence[str], test: Callable[[Any], bool] = lambda v: True) -> tuple[str | None, Any]:
        """The first of ``names`` present (and passing ``test``), as ``(name, value)``."""
        for n in names:
            v = self.get(n, _MISSING)
            if v is not _MISSING and test(v):
                return n, v
        return None, None

    def names(self) -> list[str]:
        out: list[str] = []
        for o in (self.obj, self.context):
            if o is None:
                continue
            keys = list(o.keys()) if isinstance(o, Mapping) else [n for n in dir(o) if not n.startswith("__")]
            out.extend(k for k in keys if isinstance(k, str) and k not in out)
        return out

    def describe(self) -> str:
        o = self.obj
        if isinstance(o, types.ModuleType):
            path = getattr(o, "__gradcheck_path__", None)  # a file the user pointed at (its module name is internal)
            if path:
                return f"the file {path}"
            return f"module {o.__name__}"
        if isinstance(o, Mapping):
            return f"a {type(o).__name__} with keys {sorted(map(str, o))[:12]}"
        return f"a {type(o).__name__} object{_members(o)}"

    def close_to(self, wanted: Sequence[str]) -> list[str]:
        """Names on the object that look like misspellings of ``wanted``."""
        have = self.names()
        lower = {h.lower(): h for h in have}
        found: list[str] = []
        for w in wanted:
            for m in difflib.get_close_matches(w.lower(), list(lower), n=2, cutoff=0.75):
                if lower[m] not in found and lower[m] not in wanted:
                    found.append(lower[m])
        return found


def _members(o: Any) -> str:
    """`` with methods loss(x, y), backward() and attributes layers, W1``: what an object offers."""
    methods, attrs = [], []
    for name in dir(o):
        if name.startswith("_"):
            continue
        try:
            v = getattr(o, name)
        except Exception:  # noqa: BLE001 - a property that raises is left out
            continue
        if inspect.ismethod(v):
            methods.append(f"{name}{plain_signature(v)}")
        elif not callable(v) and not isinstance(v, types.ModuleType):
            attrs.append(name)
    parts = []
    if methods:
        parts.append("methods " + ", ".join(methods[:10]) + (", ..." if len(methods) > 10 else ""))
    if attrs:
        parts.append("attributes " + ", ".join(attrs[:12]) + (", ..." if len(attrs) > 12 else ""))
    return f" with {' and '.join(parts)}" if parts else ""


def is_fn(v: Any) -> bool:
    return callable(v) and not isinstance(v, type)


def is_float_array(v: Any) -> bool:
    return isinstance(v, np.ndarray) and np.issubdtype(v.dtype, np.floating) and v.size > 0


def is_numeric_array(v: Any) -> bool:
    """A float or integer array: integer weights are still weights (the check then names their dtype)."""
    return isinstance(v, np.ndarray) and v.size > 0 and (
        np.issubdtype(v.dtype, np.floating) or np.issubdtype(v.dtype, np.integer))


def is_array_dict(v: Any) -> bool:
    """A dict of named numeric arrays, at least one of them float (a params or grads dict)."""
    return isinstance(v, Mapping) and len(v) > 0 and all(isinstance(k, str) for k in v) and all(
        is_numeric_array(a) for a in v.values()
    ) and any(is_float_array(a) for a in v.values()) or _all_int_weights(v)


def _all_int_weights(v: Any) -> bool:
    """Integer arrays under weight-like names only (``{"W1": np.array([[1, 2]])}``): a params dict."""
    return isinstance(v, Mapping) and len(v) > 0 and all(
        isinstance(k, str) and PARAM_RE.search(k) and is_numeric_array(a) for k, a in v.items())


# -- gradient names --------------------------------------------------------------------


def pick_grads(params: Mapping[str, Any], raw: Any) -> Any:
    """``raw`` restricted to the parameters (``dW1`` read as ``W1``; ``dA1``, ``dZ1`` dropped), by the
    one vocabulary of :mod:`gradcheck.names`.

    When a parameter has no gradient at all, ``raw`` is returned as it is, so the check's own
    message lists what the user's code returned.

    >>> pick_grads({"W1": 0}, {"dW1": 1, "dA0": 2})
    {'W1': 1}
    """
    if not isinstance(raw, Mapping):
        return raw
    found = match(list(params), list(raw))
    if len(found) < len(params):
        return raw
    return {name: raw[key] for name, key in found.items()}

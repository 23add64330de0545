"""One vocabulary of gradient names: which key of a user's gradients belongs to which parameter.

People name the gradient of ``W1`` as ``dW1``, ``d_W1``, ``grad_W1``, ``gradW1``, ``W1_grad``,
``g_W1``, ``dL_dW1``, ``delta_W1`` or ``nabla_W1``; the gradient of ``self.weights1`` as
``d_weights1``; of a layer's ``weights`` as ``dweights`` or ``dW``; of Nielsen's ``weights``
list as ``nabla_w``. The core's intake (:mod:`gradcheck.analytic`), the diagnosis and every
adapter read gradients through :func:`gradient_keys` and :func:`match`, so they agree.

Example:
    >>> gradient_keys("W1")[:4]
    ['W1', 'dW1', 'd_W1', 'grad_W1']
    >>> match(["W1", "b1"], ["dW1", "db1", "dA0"])
    {'W1': 'dW1', 'b1': 'db1'}
    >>> match(["weights", "bias"], ["dW", "db"])
    {'weights': 'dW', 'bias': 'db'}
    >>> is_intermediate("dZ2"), is_intermediate("dW2")
    (True, False)
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from .layers import forward_order

__all__ = ["GRAD_PREFIXES", "GRAD_SUFFIXES", "SHORT_FORMS", "gradient_keys", "is_intermediate", "lookup", "match",
           "match_by_position", "param_of", "stem_of"]

#: What people put before a parameter's name to name its gradient, most common first.
GRAD_PREFIXES = ("d", "d_", "grad_", "grad", "g_", "g", "dL_d", "dL_", "dJ_d", "delta_", "nabla_", "dl_d")
#: What people put after it.
GRAD_SUFFIXES = ("_grad", "grad", "_g", "_gradient", "_deriv", "_d")
#: Long parameter names and the short letter their gradients are often named by
#: (a layer's ``weights`` with ``dW``, ``biases`` with ``db``; Nielsen's ``nabla_w``).
SHORT_FORMS: dict[str, tuple[str, ...]] = {
    "weights": ("W", "w"), "weight": ("W", "w"), "biases": ("b",), "bias": ("b",),
    "kernel": ("W", "K", "k"), "gamma": ("g",), "beta": ("b",),
}
#: Gradients of activations and pre-activations (``dA1``, ``dZ2``, ``dX``): returned beside the
#: parameters' gradients by many backward passes, never a parameter's own.
_INTERMEDIATE_RE = re.compile(r"^(d_?|grad_?)(a|z|h|x|out|input|s|scores|y_?hat|al)(_?prev|_?next)?_?\d*$", re.I)
_NUMBER_RE = re.compile(r"^(?P<stem>[A-Za-z_]*?)_?(?P<num>\d*)$")


def _stems(param: str) -> list[str]:
    """``param`` and its short forms: ``weights1`` -> ``weights1``, ``W1``, ``w1``."""
    out = [param]
    m = _NUMBER_RE.match(param)
    if m:
        stem, num = m.group("stem"), m.group("num")
        for short in SHORT_FORMS.get(stem.lower(), ()):
            out.append(short + num)
    return out


def gradient_keys(param: str) -> list[str]:
    """The keys that may hold the gradient of ``param``, in order of preference.

    >>> gradient_keys("b")[:3]
    ['b', 'db', 'd_b']
    """
    keys: list[str] = []
    for stem in _stems(param):
        keys.append(stem)
        keys.extend(pre + stem for pre in GRAD_PREFIXES)
        keys.extend(stem + suf for suf in GRAD_SUFFIXES)
    return list(dict.fromkeys(keys))


def is_intermediate(key: str) -> bool:
    """``dA1``, ``dZ2``, ``dX``: the gradient of an activation, not of a parameter."""
    return bool(_INTERMEDIATE_RE.match(key))


def match(params: Sequence[str], keys: Iterable[Any]) -> dict[str, str]:
    """``param -> key`` for every parameter whose gradient one key of ``keys`` names unambiguously.

    Exact names first; then each parameter's :func:`gradient_keys` (one key only); then the same
    without regard to case (``dw1`` for ``W1``). A key is given to at most one parameter.

    >>> match(["W", "w"], ["dW", "dw"])
    {'W': 'dW', 'w': 'dw'}
    """
    names = [k for k in keys if isinstance(k, str)]
    out: dict[str, str] = {p: p for p in params if p in names}
    for lower in (False, True):
        taken = set(out.values())
        index: dict[str, list[str]] = {}
        for k in names:
            if k not in taken:
                index.setdefault(k.lower() if lower else k, []).append(k)
        for p in params:
            if p in out:
                continue
            found = [k for c in gradient_keys(p) for k in index.get(c.lower() if lower else c, [])]
            found = list(dict.fromkeys(found))
            if len(found) == 1 and found[0] not in out.values():
                out[p] = found[0]
    return {p: out[p] for p in params if p in out}


def param_of(key: str, params: Sequence[str]) -> str | None:
    """The parameter whose gradient ``key`` names, or None.

    >>> param_of("grad_W2", ["W1", "W2"])
    'W2'
    """
    for p, k in match(params, [key]).items():
        if k == key:
            return p
    return None


def lookup(grads: Mapping[str, Any], param: str) -> Any:
    """The gradient of ``param`` in ``grads`` (by any of its names); KeyError when absent.

    >>> lookup({"grad_W": 1}, "W")
    1
    """
    for key in gradient_keys(param):
        if key in grads:
            return grads[key]
    raise KeyError(param)


_BIAS_RE = re.compile(r"^(b|bias|biases|beta|intercept|bh|by|bo|bi)(_?[a-z]{0,3})?\d*$", re.I)
_KEY_PREFIX_RE = re.compile(r"^(" + "|".join(sorted((re.escape(p) for p in GRAD_PREFIXES), key=len, reverse=True))
                            + r")(?=[A-Za-z])")
_KEY_SUFFIX_RE = re.compile(r"(" + "|".join(sorted((re.escape(s) for s in GRAD_SUFFIXES), key=len, reverse=True))
                            + r")$")


def stem_of(key: str) -> str:
    """The parameter name a gradient key is formed from: ``dW1`` -> ``W1``, ``b2_grad`` -> ``b2``.

    >>> stem_of("dW1"), stem_of("grad_b2"), stem_of("W3_grad"), stem_of("nabla_w")
    ('W1', 'b2', 'W3', 'w')
    """
    out = _KEY_SUFFIX_RE.sub("", key) if _KEY_SUFFIX_RE.search(key) and len(key) > 4 else key
    return _KEY_PREFIX_RE.sub("", out, count=1) if out == key else out


def _is_bias(name: str) -> bool:
    last = re.split(r"[.\[\]'\"]+", name.strip(".[]'\""))
    leaf = [p for p in last if p and not p.isdigit()]
    return bool(_BIAS_RE.match(leaf[-1] if leaf else name))


def match_by_position(params: Sequence[str], keys: Iterable[Any]) -> dict[str, str]:
    """``param -> key`` pairing the weights with the weight gradients and the biases with the bias
    gradients, each in forward order (layer numbers decide), when their counts agree; else ``{}``.
    Shapes play no part: a gradient of the wrong shape is still that parameter's (and a finding).

    >>> match_by_position(["layer1.weights", "layer1.bias", "layer2.weights", "layer2.bias"],
    ...                   ["dW2", "db2", "dW1", "db1", "dA1"])
    {'layer1.weights': 'dW1', 'layer1.bias': 'db1', 'layer2.weights': 'dW2', 'layer2.bias': 'db2'}
    """
    grads = forward_order([k for k in keys if isinstance(k, str) and not is_intermediate(k)])
    ordered = forward_order(list(params))
    pw = [p for p in ordered if not _is_bias(p)]
    pb = [p for p in ordered if _is_bias(p)]
    gw = [k for k in grads if not _is_bias(stem_of(k))]
    gb = [k for k in grads if _is_bias(stem_of(k))]
    if len(pw) != len(gw) or len(pb) != len(gb):
        if len(ordered) == len(grads):  # no telling weights from biases: one gradient per parameter, in order
            return dict(zip(ordered, grads))
        return {}
    out = dict(zip(pw, gw)) | dict(zip(pb, gb))
    return {p: out[p] for p in params}

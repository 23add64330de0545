"""Layers: which parameters make up a layer, and in which order the layers come.

Parameters are given in forward order (input layer first), but people build their
dicts in other orders too (all weights, then all biases). When every name carries a
layer number (``W1``, ``b1``, ``layer2.weight``, ``weights[0]``), that number decides
the order; otherwise the given order stands.

:func:`structure` pairs the parameters of a stack of dense layers (a weight matrix and its bias),
:func:`layer_groups` groups any parameters into layers (by the pairing, else by the numbers in their
names); the input of a layer check (:func:`input_name`) belongs to no layer.

Example:
    >>> forward_order(["W1", "W2", "b1", "b2"])
    ['W1', 'b1', 'W2', 'b2']
    >>> layer_number("fc3.bias")
    3
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from types import EllipsisType
from typing import Any

import numpy as np

__all__ = ["INPUT_NAMES", "Pairing", "forward_order", "input_name", "known_structure", "layer_groups", "layer_number",
           "structure"]

#: Names under which a layer check passes the layers' input as a parameter.
INPUT_NAMES = ("input", "x", "X", "inputs")

_NUMBER = re.compile(r"(\d+)")

#: The dense layers :func:`structure` finds: ``(weight name, bias name or None)`` in forward order.
Pairing = list[tuple[str, str | None]]


def layer_number(name: str) -> int | None:
    """The last number in ``name`` (``"W12"`` -> 12), or None."""
    found = _NUMBER.findall(name)
    return int(found[-1]) if found else None


def forward_order(names: Iterable[str]) -> list[str]:
    """``names`` sorted by layer number when every name has one (stable); else as given."""
    names = list(names)
    numbers = [layer_number(n) for n in names]
    if any(n is None for n in numbers):
        return names
    return [name for _, _, name in sorted((num, i, name) for i, (num, name) in enumerate(zip(numbers, names)))]


def input_name(params: Mapping[str, np.ndarray]) -> str | None:
    """The parameter that is the input of a layer check (``input``, ``x``, ``X``), when there is one
    beside other parameters; None otherwise.

    >>> input_name({"input": np.ones((4, 3)), "W": np.ones((3, 2)), "b": np.zeros(2)})
    'input'
    """
    for n in INPUT_NAMES:
        if n in params and len(params) > 1 and np.ndim(params[n]) in (1, 2):
            return n
    return None


def _is_vector_like(shape: tuple[int, ...]) -> bool:
    return len(shape) == 1 or (len(shape) == 2 and 1 in shape)


def structure(params: Mapping[str, np.ndarray]) -> list[tuple[str, str | None]] | None:
    """Pair the parameters into dense layers ``[(W name, b name or None), ...]`` in forward order.

    Returns None when the parameters do not look like a stack of dense layers.

    >>> import numpy as np
    >>> structure({"W1": np.ones((2, 3)), "b1": np.ones(3), "W2": np.ones((3, 1)), "b2": np.ones(1)})
    [('W1', 'b1'), ('W2', 'b2')]
    """
    names = forward_order(list(params))
    shapes = {n: tuple(np.shape(params[n])) for n in names}
    if any(len(s) > 2 for s in shapes.values()):
        return None
    # a weight vector (n,) is a matrix with one output unit; a scalar bias has one unit
    shapes = {n: (s if s else (1,)) for n, s in shapes.items()}
    if len(names) <= 2 and len(shapes[names[0]]) == 1 and (len(names) == 1 or shapes[names[1]] == (1,)):
        return [(names[0], names[1] if len(names) == 2 else None)]
    if all(layer_number(n) is not None for n in names):
        return _pair_by_number(names, shapes)
    return _pair_in_order(names, shapes)


def known_structure(params: Mapping[str, np.ndarray], pairing: Pairing | None | EllipsisType) -> Pairing | None:
    """``pairing`` when the caller has computed :func:`structure` of ``params`` already (None included:
    no dense pairing), else ``structure(params)``; ``...`` stands for "not computed".

    >>> known_structure({"W": np.ones((2, 3))}, ...), known_structure({"W": np.ones((2, 3))}, None)
    ([('W', None)], None)
    """
    return structure(params) if isinstance(pairing, EllipsisType) else pairing


def _pair_by_number(names: list[str], shapes: dict[str, tuple[int, ...]]) -> list[tuple[str, str | None]] | None:
    """Layers of the parameters that share a number (``W1``, ``b1``): one or two per number."""
    groups: dict[int, list[str]] = {}
    for name in names:
        groups.setdefault(layer_number(name), []).append(name)  # type: ignore[arg-type]
    last = max(groups)
    layers: list[tuple[str, str | None]] = []
    for num in sorted(groups):
        group = groups[num]
        if len(group) == 1:
            if len(shapes[group[0]]) != 2 and num != last:
                return None  # a weight vector (one output unit) can only be the output layer's
            layers.append((group[0], None))
            continue
        w, bias = _pick_weight(group[0], group[1], shapes) if len(group) == 2 else (None, None)
        if w is None:
            return None
        layers.append((w, bias))
    return layers


def _pair_in_order(names: list[str], shapes: dict[str, tuple[int, ...]]) -> list[tuple[str, str | None]] | None:
    """Layers read in the given order: a matrix, then its bias when the next vector fits it."""
    layers: list[tuple[str, str | None]] = []
    i = 0
    while i < len(names):
        w = names[i]
        if len(shapes[w]) != 2:
            rest = names[i + 1 :]
            # a weight vector can only be the output layer (one unit), with at most a one-unit bias
            if len(rest) == 0 or (len(rest) == 1 and shapes[rest[0]] == (1,)):
                layers.append((w, rest[0] if rest else None))
                return layers
            return None
        nxt = names[i + 1] if i + 1 < len(names) else None
        after = names[i + 2] if i + 2 < len(names) else None
        if (nxt is not None and _is_vector_like(shapes[nxt]) and int(np.prod(shapes[nxt])) in shapes[w]
                and (after is None or len(shapes[after]) == 2)):
            layers.append((w, nxt))
            i += 2
            continue
        layers.append((w, None))
        i += 1
    return layers


def _pick_weight(a: str, b: str, shapes: dict[str, tuple[int, ...]]) -> tuple[str | None, str | None]:
    sa, sb = shapes[a], shapes[b]
    la, lb = a.lower(), b.lower()
    if la.startswith(("b", "bias")) or "bias" in la:
        a, b, sa, sb = b, a, sb, sa
    elif not (lb.startswith("b") or "bias" in lb) and _is_vector_like(sa) and not _is_vector_like(sb):
        a, b, sa, sb = b, a, sb, sa
    if len(sa) == 1 and sb == (1,):
        return a, b  # a weight vector: one output unit and its bias
    if len(sa) != 2 or not _is_vector_like(sb) or int(np.prod(sb)) not in sa:
        return None, None
    return a, b


def layer_groups(names: Sequence[str], params: Mapping[str, np.ndarray],
                 hint: Mapping[str, Any] | None = None, *, pairing: Pairing | None | EllipsisType = ...) -> list[list[str]]:
    """The parameters ``names`` grouped into layers, forward order: by the dense pairing of
    :func:`structure` (or the hint's ``layers``) when it covers them, else by the numbers in their
    names, else one parameter a layer. The input of a layer check (:func:`input_name`) is in no group.
    ``pairing``: :func:`structure` of the parameters without that input, when the caller has it.

    >>> layer_groups(["W1", "b1", "gamma", "beta", "W2"], {})
    [['W1', 'b1'], ['gamma', 'beta', 'W2']]
    """
    given = input_name(params)
    names = [n for n in names if n != given]
    params = {n: p for n, p in params.items() if n != given}
    layers = _pairing(params, hint, pairing)
    if layers:
        groups = [[n for n in layer if n is not None and n in names] for layer in layers]
        if {n for g in groups for n in g} == set(names):
            return [g for g in groups if g]
    numbers = [layer_number(n) for n in names]
    if any(x is not None for x in numbers):
        by: dict[int, list[str]] = {}
        for x, n in zip(_fill_numbers(numbers), names):
            by.setdefault(x, []).append(n)
        return [by[k] for k in sorted(by)]
    return [[n] for n in names]


def _pairing(params: Mapping[str, np.ndarray], hint: Mapping[str, Any] | None,
             pairing: Pairing | None | EllipsisType) -> list[tuple[Any, ...]] | None:
    """The hint's ``layers``, else :func:`structure`'s pairing, else None."""
    if hint and hint.get("layers"):
        return [tuple(x) if isinstance(x, (list, tuple)) else (x,) for x in hint["layers"]]
    try:
        return known_structure(params, pairing)
    except Exception:  # noqa: BLE001 - odd shapes: fall back to names
        return None


def _fill_numbers(numbers: list[int | None]) -> list[int]:
    """A parameter without a number (gamma, beta between W1 and W2) takes the next numbered layer's in
    forward order; one after the last numbered layer takes that layer's."""
    filled: list[int] = []
    for i, x in enumerate(numbers):
        if x is None:
            x = next((y for y in numbers[i + 1 :] if y is not None), None)
            if x is None:
                x = next(y for y in reversed(numbers[:i]) if y is not None)
        filled.append(x)
    return filled

"""Which layer a parameter belongs to, read off its name.

Parameters are given in forward order (input layer first), but people build their
dicts in other orders too (all weights, then all biases). When every name carries a
layer number (``W1``, ``b1``, ``layer2.weight``, ``weights[0]``), that number decides
the order; otherwise the given order stands.

Example:
    >>> forward_order(["W1", "W2", "b1", "b2"])
    ['W1', 'b1', 'W2', 'b2']
    >>> layer_number("fc3.bias")
    3
"""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = ["forward_order", "layer_number"]

_NUMBER = re.compile(r"(\d+)")


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

"""Putting a net back as it was after gradcheck ran one of its steps: attribute and item
bindings, the bits of every array (through :func:`gradcheck.problem.protected`), and the state
of the random generators it holds and of numpy's global one (a step that shuffles its batches
then draws the same shuffle every time gradcheck runs it).

Example:
    >>> import numpy as np
    >>> class Net:
    ...     def __init__(self): self.W = np.ones(2)
    >>> net = Net(); W = net.W
    >>> with restored_state(net, {"W": W}):
    ...     net.W = net.W - 1.0; W += 5.0
    >>> net.W is W, W
    (True, array([1., 1.]))
"""

from __future__ import annotations

import contextlib
import types
from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np

from ..problem import protected

__all__ = ["containers", "restored_state"]

def containers(root: Any, depth: int = 2) -> list[Any]:
    """The root and the objects / lists / dicts it holds, a few levels down."""
    seen: dict[int, Any] = {}
    frontier = [root]
    for _ in range(depth + 1):
        nxt: list[Any] = []
        for o in frontier:
            if id(o) in seen or isinstance(o, (np.ndarray, types.ModuleType, type, str, bytes, int, float)) or callable(o) and not hasattr(o, "__dict__"):
                continue
            if isinstance(o, types.FunctionType | types.MethodType):
                continue
            seen[id(o)] = o
            if isinstance(o, dict):
                nxt.extend(o.values())
            elif isinstance(o, list):
                nxt.extend(o)
            elif hasattr(o, "__dict__"):
                nxt.extend(vars(o).values())
        frontier = nxt
    return list(seen.values())


@contextlib.contextmanager
def restored_state(root: Any, arrays: Mapping[str, np.ndarray]) -> Iterator[None]:
    """Put ``root`` back as it was on exit: attribute and item bindings (a step that rebinds
    ``self.W = self.W - lr * dW`` or replaces a list), and the bits of every array found, ``arrays``
    included. Uses :func:`gradcheck.problem.protected` for the arrays."""
    conts = containers(root) if root is not None else []
    bindings, found = _bindings(conts, arrays)
    draws = [(g, _rng_state(g)) for g in _generators(conts)]
    global_state = np.random.get_state()
    with protected(found):
        try:
            yield
        finally:
            np.random.set_state(global_state)
            for g, state in draws:
                _set_rng_state(g, state)
            for c, old in bindings:
                _rebind(c, old)


def _bindings(conts: list[Any], arrays: Mapping[str, np.ndarray]) -> tuple[list[tuple[Any, Any]], dict[str, np.ndarray]]:
    """What each container binds now, and every writable array found in them (``arrays`` first)."""
    bindings: list[tuple[Any, Any]] = []
    found: dict[str, np.ndarray] = {f"p{i}": a for i, a in enumerate(arrays.values())}
    for c in conts:
        if isinstance(c, dict):
            bindings.append((c, dict(c)))
            vals: Any = c.values()
        elif isinstance(c, list):
            bindings.append((c, list(c)))
            vals = c
        else:
            try:
                d = vars(c)
            except TypeError:
                continue
            bindings.append((c, dict(d)))
            vals = d.values()
        for v in vals:
            if isinstance(v, np.ndarray) and v.flags.writeable and v.size and not any(v is a for a in found.values()):
                found[f"a{len(found)}"] = v
    return bindings, found


def _generators(conts: list[Any]) -> list[Any]:
    """The random generators the net holds (a shuffle per step draws the same every run)."""
    kinds = (np.random.Generator, np.random.RandomState)
    generators = [c for c in conts if isinstance(c, kinds)]
    for c in conts:
        try:
            generators += [v for v in vars(c).values() if isinstance(v, kinds)]
        except TypeError:
            pass
    return list({id(g): g for g in generators}.values())


def _rebind(c: Any, old: Any) -> None:
    if isinstance(c, dict):
        c.clear()
        c.update(old)
    elif isinstance(c, list):
        c[:] = old
    else:
        d = vars(c)
        for k in [k for k in d if k not in old]:
            del d[k]
        d.update(old)


def _rng_state(g: Any) -> Any:
    return g.bit_generator.state if isinstance(g, np.random.Generator) else g.get_state()


def _set_rng_state(g: Any, state: Any) -> None:
    if isinstance(g, np.random.Generator):
        g.bit_generator.state = state
    else:
        g.set_state(state)

"""A search's draws depend on its seed, its factory and its strategies, nothing else.

Hypothesis (6.131 and later) now and then draws a number it read from the source of the local
modules imported so far (every module outside site-packages and the standard library: the
user's files, an editable install). Through that pool, a search seeded with the same number
tried other nets whenever any such module changed a constant, or another module had been
imported first: ``search(build, seed=4)`` gave 15 failing nets of 41 in one process and 14 of
40 in one that had imported a module of 60 unrelated floats. :func:`seed_only` leaves the pool
out while a search runs, so ``search(..., seed=S)`` replays in any process.

The pool is hypothesis's internal state (``hypothesis.internal.conjecture.providers``); where
a hypothesis version does not have it, :func:`seed_only` changes nothing.

Example:
    >>> with seed_only():
    ...     pass                      # a search here draws no constant of the local modules
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

__all__ = ["seed_only"]

_lock = threading.Lock()
_active = 0
_saved: dict[str, Any] = {}


def _providers() -> Any:
    try:
        from hypothesis.internal.cache import LRUCache  # lazy: only a running search needs hypothesis
        from hypothesis.internal.conjecture import providers  # lazy: as above
        from hypothesis.internal.constants_ast import Constants  # lazy: as above
    except ImportError:
        return None
    if not (callable(getattr(providers, "_get_local_constants", None))
            and isinstance(getattr(providers, "CONSTANTS_CACHE", None), LRUCache)):
        return None
    return providers, Constants, LRUCache


@contextmanager
def seed_only() -> Iterator[None]:
    """While inside, hypothesis draws no constant read from local modules (nestable, thread-safe:
    the pool is put back when the last search running leaves)."""
    global _active
    found = _providers()
    if found is None:
        yield
        return
    providers, constants, cache = found
    with _lock:
        if _active == 0:
            _saved["get"], _saved["cache"] = providers._get_local_constants, providers.CONSTANTS_CACHE
            empty = constants()
            providers._get_local_constants = lambda: empty
            # the cache holds, per kind of draw, the constants it may pick: a fresh one holds none of the pool
            providers.CONSTANTS_CACHE = cache(1024)
        _active += 1
    try:
        yield
    finally:
        with _lock:
            _active -= 1
            if _active == 0:
                providers._get_local_constants, providers.CONSTANTS_CACHE = _saved.pop("get"), _saved.pop("cache")

"""The options of :func:`gradcheck.check`, validated once, up front.

Every option is checked for its type and its range before anything runs, so that no value can
turn a wrong gradient into a pass (``rtol=nan`` compares nothing, ``rel_step=0`` measures 0/0)
and no value fails later deep inside numpy. A wrong type raises :class:`OptionTypeError`
(a ``TypeError``), a value out of range :class:`InvalidOptionError` (a ``ValueError``); both
derive from :class:`GradcheckError` and name the option.

Example:
    >>> validate_options(rtol=1e-6).rtol
    1e-06
    >>> try:
    ...     validate_options(rtol=float("nan"))
    ... except ValueError as e:
    ...     print(e)
    rtol must be a finite number in (0, 0.1], got nan
"""

from __future__ import annotations

import math
import numbers
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .errors import InvalidOptionError, OptionTypeError
from .numeric import METHODS

__all__ = ["MAX_REL_STEP", "MAX_RTOL", "MODES", "Options", "WORKERS_PER_CORE", "check_rel_step", "validate_options"]

MODES = ("auto", "full", "sampled", "fast")

#: the loosest relative tolerance accepted: the default for float16. Above it a gradient off by
#: a factor 1.5 or 2 (the usual 1/m, 2x and sign mistakes at small batch sizes) could pass.
MAX_RTOL = 0.1
#: the largest relative step accepted: beyond 10% of a value a finite difference measures a
#: secant, not a derivative, and could agree with a wrong gradient by accident.
MAX_REL_STEP = 0.1
#: a relative step must be at least this many machine epsilons of every parameter's dtype, or
#: x + h rounds back to x and the difference is 0/0 (complex step is exempt: it has no cancellation).
MIN_REL_STEP_EPS = 4.0
#: at most this many worker processes per core: more only adds forks and memory.
WORKERS_PER_CORE = 4


@dataclass(frozen=True)
class Options:
    """The validated options of one check (None: the default, chosen later from the dtypes)."""

    method: str = "central"
    mode: str = "auto"
    rtol: float | None = None
    atol: float | None = None
    rel_step: float | None = None
    sample: int | None = None
    seed: int = 0
    workers: int | None = None
    progress: Callable[[int, int], None] | None = None
    diagnose: bool = True
    upcast: bool = False


def validate_options(
    *,
    method: Any = "central",
    mode: Any = "auto",
    rtol: Any = None,
    atol: Any = None,
    rel_step: Any = None,
    sample: Any = None,
    seed: Any = 0,
    workers: Any = None,
    progress: Any = None,
    diagnose: Any = True,
    upcast: Any = False,
) -> Options:
    """Check every option's type and range; return them as :class:`Options`.

    Raises:
        OptionTypeError: an option of the wrong type (also a TypeError).
        InvalidOptionError: an option out of range (also a ValueError).
    """
    if progress is not None and not callable(progress):
        raise OptionTypeError(f"progress must be a callable progress(done, total) or None, got {type(progress).__name__}")
    return Options(
        method=_choice("method", method, METHODS),
        mode=_choice("mode", mode, MODES),
        rtol=_real("rtol", rtol, low=0.0, high=MAX_RTOL, open_low=True),
        atol=_real("atol", atol, low=0.0, high=math.inf),
        rel_step=_real("rel_step", rel_step, low=0.0, high=MAX_REL_STEP, open_low=True),
        sample=_count("sample", sample, low=1),
        seed=int(_count("seed", seed, low=0, none_ok=False) or 0),  # never None: none_ok=False
        workers=_workers(workers),
        progress=progress,
        diagnose=_flag("diagnose", diagnose),
        upcast=_flag("upcast", upcast),
    )


def check_rel_step(rel_step: float | None, method: str, dtypes: Iterable[Any]) -> None:
    """Refuse a ``rel_step`` so small that ``x + h`` rounds back to ``x`` in one of ``dtypes``.

    >>> check_rel_step(1e-7, "central", [np.float32])
    Traceback (most recent call last):
    ...
    gradcheck.errors.InvalidOptionError: rel_step=1e-07 is below the resolution of float32 ...
    """
    if rel_step is None or method == "complex":
        return
    for d in dtypes:
        eps = float(np.finfo(d).eps)
        if rel_step < MIN_REL_STEP_EPS * eps:
            raise InvalidOptionError(
                f"rel_step={rel_step:g} is below the resolution of {np.dtype(d).name} (eps {eps:.3g}): x + h would "
                f"round back to x and the finite difference would be 0/0; use at least {MIN_REL_STEP_EPS * eps:.3g} "
                f"(the default balances truncation and round-off)"
            )


def _choice(name: str, value: Any, allowed: tuple[str, ...]) -> str:
    if not isinstance(value, str):
        raise OptionTypeError(f"{name} must be one of {allowed}, got {type(value).__name__} {value!r}")
    if value not in allowed:
        raise InvalidOptionError(f"{name} must be one of {allowed}, got {value!r}")
    return value


def _real(name: str, value: Any, *, low: float, high: float, open_low: bool = False) -> float | None:
    if value is None:
        return None
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise OptionTypeError(f"{name} must be a real number, got {type(value).__name__} {value!r}")
    v = float(value)
    below = v <= low if open_low else v < low
    if not math.isfinite(v) or below or v > high:
        interval = f"{'(' if open_low else '['}{low:g}, {high:g}]" if math.isfinite(high) else f"[{low:g}, inf)"
        raise InvalidOptionError(f"{name} must be a finite number in {interval}, got {v!r}")
    return v


def _count(name: str, value: Any, *, low: int, none_ok: bool = True) -> int | None:
    if value is None and none_ok:
        return None
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise OptionTypeError(f"{name} must be an integer, got {type(value).__name__} {value!r}")
    if value < low:
        raise InvalidOptionError(f"{name} must be an integer >= {low}, got {value!r}")
    return int(value)


def _workers(value: Any) -> int | None:
    n = _count("workers", value, low=1)
    if n is None:
        return None
    limit = WORKERS_PER_CORE * (os.cpu_count() or 1)
    if n > limit:
        raise InvalidOptionError(
            f"workers={n} is more than {WORKERS_PER_CORE} processes per core ({os.cpu_count()} cores): "
            f"each worker is a forked copy of this process; use at most {limit}"
        )
    return n


def _flag(name: str, value: Any) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise OptionTypeError(f"{name} must be True or False, got {type(value).__name__} {value!r}")
    return bool(value)

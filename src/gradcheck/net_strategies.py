"""Hypothesis strategies for the pieces of a dense net: widths, batch sizes, seeds, inputs, parameters.

The building blocks of :mod:`gradcheck.strategies` (which re-exports every public name here) and of
:mod:`gradcheck.factories`, with the checks of their arguments: each raises
``hypothesis.errors.InvalidArgument`` naming the argument that is wrong, when the strategy is made.

Example:
    >>> ws = layer_widths(max_layers=2, max_width=3).example()
    >>> 2 <= len(ws) <= 3 and all(1 <= w <= 3 for w in ws)
    True
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any, Literal

import numpy as np
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument
from hypothesis.extra import numpy as hnp

__all__ = [
    "LAYOUTS",
    "as_strategy",
    "batch_sizes",
    "check_float",
    "check_int",
    "check_layout",
    "check_range",
    "input_batches",
    "layer_widths",
    "parameter_sets",
    "seeds",
]

LAYOUTS = ("rows", "cols")


# -- validation helpers ---------------------------------------------------------


def check_int(name: str, value: Any, *, minimum: int) -> int:
    """``value`` as an int of at least ``minimum``, else ``InvalidArgument`` naming ``name``.

    >>> check_int("seeds", 3, minimum=0)
    3
    """
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise InvalidArgument(f"{name}={value!r} must be an integer")
    if value < minimum:
        raise InvalidArgument(f"{name}={value!r} must be at least {minimum}")
    return int(value)


def check_range(lo_name: str, lo: int, hi_name: str, hi: int) -> None:
    """``InvalidArgument`` naming both bounds when ``lo`` is above ``hi``.

    >>> check_range("min_size", 1, "max_size", 6)
    """
    if lo > hi:
        raise InvalidArgument(f"{lo_name}={lo} is larger than {hi_name}={hi}")


def check_float(name: str, value: Any) -> float:
    """``value`` as a finite float, else ``InvalidArgument`` naming ``name``.

    >>> check_float("scale", 2)
    2.0
    """
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise InvalidArgument(f"{name}={value!r} must be a real number")
    if not math.isfinite(float(value)):
        raise InvalidArgument(f"{name}={value!r} must be finite")
    return float(value)


def check_layout(layout: Any) -> str:
    """``layout`` if it is one of ``LAYOUTS``, else ``InvalidArgument``.

    >>> check_layout("rows")
    'rows'
    """
    if layout not in LAYOUTS:
        raise InvalidArgument(f"layout={layout!r} must be one of {LAYOUTS}")
    return str(layout)


def as_strategy(name: str, value: Any, convert: Callable[[Any], Any]) -> st.SearchStrategy:
    """A strategy as given, or ``st.just`` of a fixed value that ``convert`` validates.

    >>> as_strategy("seeds", 3, lambda v: check_int("seeds", v, minimum=0)).example()
    3
    """
    if isinstance(value, st.SearchStrategy):
        return value
    return st.just(convert(value))


# -- architectures ----------------------------------------------------------------


def layer_widths(
    *,
    min_layers: int = 1,
    max_layers: int = 2,
    min_width: int = 1,
    max_width: int = 4,
    n_in: int | None = None,
    n_out: int | None = None,
) -> st.SearchStrategy[list[int]]:
    """Layer widths of a dense net, input first: ``[n_in, hidden..., n_out]``.

    A net of L layers has L + 1 widths. Shrinks towards fewer layers and width 1.
    Fix ``n_in`` or ``n_out`` when your data dictates them.

    >>> layer_widths(min_layers=2, max_layers=2, n_in=2, n_out=1).example()  # doctest: +SKIP
    [2, 3, 1]
    """
    min_layers = check_int("min_layers", min_layers, minimum=1)
    max_layers = check_int("max_layers", max_layers, minimum=1)
    check_range("min_layers", min_layers, "max_layers", max_layers)
    min_width = check_int("min_width", min_width, minimum=1)
    max_width = check_int("max_width", max_width, minimum=1)
    check_range("min_width", min_width, "max_width", max_width)
    if n_in is not None:
        n_in = check_int("n_in", n_in, minimum=1)
    if n_out is not None:
        n_out = check_int("n_out", n_out, minimum=1)
    width = st.integers(min_width, max_width)

    @st.composite
    def build(draw: Any) -> list[int]:
        n_layers = draw(st.integers(min_layers, max_layers))
        first = n_in if n_in is not None else draw(width)
        hidden = [draw(width) for _ in range(n_layers - 1)]
        last = n_out if n_out is not None else draw(width)
        return [first, *hidden, last]

    return build()


def batch_sizes(*, min_size: int = 1, max_size: int = 6) -> st.SearchStrategy[int]:
    """Batch sizes m; shrinks towards ``min_size`` (1 hides a missing 1/m, so keep it in).

    >>> 1 <= batch_sizes(max_size=4).example() <= 4
    True
    """
    min_size = check_int("min_size", min_size, minimum=1)
    max_size = check_int("max_size", max_size, minimum=1)
    check_range("min_size", min_size, "max_size", max_size)
    return st.integers(min_size, max_size)


def seeds(*, max_seed: int = 2**16 - 1) -> st.SearchStrategy[int]:
    """Seeds handed to a factory (initial weights, data); shrinks towards 0.

    >>> 0 <= seeds(max_seed=10).example() <= 10
    True
    """
    max_seed = check_int("max_seed", max_seed, minimum=0)
    return st.integers(0, max_seed)


# -- arrays -----------------------------------------------------------------------


#: hypothesis's float widths by the dtype's item size in bytes
_FLOAT_WIDTHS: dict[int, Literal[16, 32, 64]] = {2: 16, 4: 32, 8: 64}


def _float_elements(dtype: np.dtype, lo: float, hi: float) -> st.SearchStrategy[float]:
    return st.floats(
        min_value=lo,
        max_value=hi,
        allow_nan=False,
        allow_infinity=False,
        allow_subnormal=False,
        width=_FLOAT_WIDTHS[dtype.itemsize],
    )


def _beyond(k: float, margin: float, direction: float, dt: np.dtype) -> Any:
    """The value of dtype ``dt`` nearest ``k + direction * margin`` that is at least ``margin`` from ``k``."""
    v = dt.type(k + direction * margin)
    while abs(float(v) - k) < margin:
        v = np.nextafter(v, dt.type(direction * np.inf))
    return v


def _away_from_kinks(a: np.ndarray, kinks: tuple[float, ...], margin: float, lo: float, hi: float) -> np.ndarray:
    out = np.array(a, copy=True)
    for k in kinks:
        up, down = _beyond(k, margin, 1.0, out.dtype), _beyond(k, margin, -1.0, out.dtype)
        near = np.abs(out.astype(np.float64) - k) < margin
        go_up = (out >= k) & (up <= hi) | (down < lo)
        out[near & go_up] = up
        out[near & ~go_up] = down
    return out


def _clear_of_kinks(a: np.ndarray, kinks: tuple[float, ...], margin: float) -> bool:
    x = a.astype(np.float64)
    return all(bool((np.abs(x - k) >= margin).all()) for k in kinks)


def input_batches(
    *,
    n_features: int | st.SearchStrategy[int],
    batch_size: int | st.SearchStrategy[int],
    layout: str = "rows",
    min_value: float = -2.0,
    max_value: float = 2.0,
    allow_negative: bool = True,
    kinks: Sequence[float] = (0.0,),
    kink_margin: float = 0.0,
    dtype: Any = np.float64,
) -> st.SearchStrategy[np.ndarray]:
    """Input batches X: finite floats, no subnormals, shape (m, n) for rows, (n, m) for cols.

    ``allow_negative=False`` keeps every input at or above 0 (what many hand tests use,
    and what hides a wrong relu mask). ``kink_margin > 0`` keeps every value at least
    that far from each of ``kinks`` (0 for relu, abs and max), so finite differences
    never straddle one. Shrinks towards small non-negative values.

    >>> X = input_batches(n_features=3, batch_size=2, allow_negative=False).example()
    >>> X.shape, bool((X >= 0).all())
    ((2, 3), True)
    """
    layout = check_layout(layout)
    lo = check_float("min_value", min_value)
    hi = check_float("max_value", max_value)
    if not allow_negative:
        lo = max(lo, 0.0)
    if lo > hi:
        raise InvalidArgument(f"min_value={lo} is larger than max_value={hi}")
    margin = check_float("kink_margin", kink_margin)
    if margin < 0:
        raise InvalidArgument(f"kink_margin={kink_margin!r} must be non-negative")
    kinks = tuple(check_float("kinks", k) for k in kinks)
    try:
        dt = np.dtype(dtype)
    except TypeError:
        raise InvalidArgument(f"dtype={dtype!r} is not a numpy dtype") from None
    if dt.kind != "f" or dt.itemsize not in (4, 8):
        raise InvalidArgument(f"dtype={dt} must be float32 or float64")
    for k in kinks if margin else ():
        if k - margin < lo and k + margin > hi:
            raise InvalidArgument(
                f"no value in [{lo}, {hi}] is at least kink_margin={margin} away from the kink at {k}"
            )
    n_st = as_strategy("n_features", n_features, lambda v: check_int("n_features", v, minimum=1))
    m_st = as_strategy("batch_size", batch_size, lambda v: check_int("batch_size", v, minimum=1))
    elements = _float_elements(dt, lo, hi)

    @st.composite
    def build(draw: Any) -> np.ndarray:
        n, m = draw(n_st), draw(m_st)
        shape = (m, n) if layout == "rows" else (n, m)
        a = draw(hnp.arrays(dt, shape, elements=elements))
        return _away_from_kinks(a, kinks, margin, lo, hi) if margin else a

    if not margin:
        return build()
    # pushed away from one kink, a value may land near another one: rare, filtered out
    return build().filter(lambda a: _clear_of_kinks(a, kinks, margin))


def parameter_sets(
    *,
    widths: Sequence[int] | st.SearchStrategy[Sequence[int]],
    layout: str = "rows",
    bias_shape: str = "vector",
    scale: float = 1.0,
    dtype: Any = np.float64,
) -> st.SearchStrategy[dict[str, np.ndarray]]:
    """Parameter dicts ``{"W1": ..., "b1": ..., ...}`` for a dense net of the given widths.

    rows: ``W`` is (n_in, n_out); cols: ``W`` is (n_out, n_in). ``bias_shape`` is
    ``"vector"`` ((n,)) or ``"matrix"`` ((1, n) for rows, (n, 1) for cols). Elements lie
    in [-scale, scale], finite, no subnormals.

    >>> p = parameter_sets(widths=[2, 3, 1]).example()
    >>> {k: v.shape for k, v in p.items()}
    {'W1': (2, 3), 'b1': (3,), 'W2': (3, 1), 'b2': (1,)}
    """
    layout = check_layout(layout)
    if bias_shape not in ("vector", "matrix"):
        raise InvalidArgument(f"bias_shape={bias_shape!r} must be 'vector' or 'matrix'")
    scale = check_float("scale", scale)
    if scale <= 0:
        raise InvalidArgument(f"scale={scale!r} must be positive")
    dt = np.dtype(dtype)
    if dt.kind != "f" or dt.itemsize not in (4, 8):
        raise InvalidArgument(f"dtype={dt} must be float32 or float64")

    def check_widths(ws: Any) -> list[int]:
        ws = list(ws)
        if len(ws) < 2:
            raise InvalidArgument(f"widths={ws!r} must list at least two layer sizes (input and output)")
        return [check_int("widths[i]", w, minimum=1) for w in ws]

    w_st = as_strategy("widths", widths, check_widths)
    elements = _float_elements(dt, -scale, scale)

    @st.composite
    def build(draw: Any) -> dict[str, np.ndarray]:
        ws = draw(w_st)
        out: dict[str, np.ndarray] = {}
        for i, (n_in, n_out) in enumerate(zip(ws[:-1], ws[1:]), start=1):
            w_shape = (n_in, n_out) if layout == "rows" else (n_out, n_in)
            if bias_shape == "vector":
                b_shape: tuple[int, ...] = (n_out,)
            else:
                b_shape = (1, n_out) if layout == "rows" else (n_out, 1)
            out[f"W{i}"] = draw(hnp.arrays(dt, w_shape, elements=elements))
            out[f"b{i}"] = draw(hnp.arrays(dt, b_shape, elements=elements))
        return out

    return build()

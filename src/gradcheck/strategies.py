"""Hypothesis strategies for property-based gradient tests.

Backprop mistakes hide in the example the author happened to try: batch size 1
hides a missing 1/m and an unsummed bias, a 1x1 or square weight matrix hides a
transpose, positive inputs hide a wrong relu mask. These strategies vary exactly
those things, and shrink towards the smallest net that still shows the mistake.

Every strategy takes keyword-only arguments, validates them when it is called
(raising ``hypothesis.errors.InvalidArgument``) and composes with your own::

    from hypothesis import given
    from gradcheck import strategies as gst

    @given(gst.problems(my_factory))
    def test_backprop(problem):
        gradcheck.assert_gradients_match(problem)

Example:
    >>> from gradcheck import strategies as gst
    >>> ws = gst.layer_widths(max_layers=2, max_width=3).example()
    >>> 2 <= len(ws) <= 3 and all(1 <= w <= 3 for w in ws)
    True
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument
from hypothesis.extra import numpy as hnp

from .problem import Problem

__all__ = [
    "FACTORY_KEYWORDS",
    "HYPOTHESIS_PROFILE",
    "batch_sizes",
    "call_factory",
    "configs",
    "factory_keywords",
    "gradient_settings",
    "input_batches",
    "layer_widths",
    "parameter_sets",
    "problems",
    "register_hypothesis_profile",
    "seeds",
]

#: The hypothesis settings profile for gradient tests, registered when this module is imported.
HYPOTHESIS_PROFILE = "gradcheck"

#: The keywords a problem factory may accept; each one it accepts is varied.
FACTORY_KEYWORDS = ("widths", "batch_size", "seed", "X")
_INPUT_ALIASES = ("X", "x", "inputs")
LAYOUTS = ("rows", "cols")


# -- validation helpers ---------------------------------------------------------


def _check_int(name: str, value: Any, *, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise InvalidArgument(f"{name}={value!r} must be an integer")
    if value < minimum:
        raise InvalidArgument(f"{name}={value!r} must be at least {minimum}")
    return int(value)


def _check_range(lo_name: str, lo: int, hi_name: str, hi: int) -> None:
    if lo > hi:
        raise InvalidArgument(f"{lo_name}={lo} is larger than {hi_name}={hi}")


def _check_float(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise InvalidArgument(f"{name}={value!r} must be a real number")
    if not math.isfinite(float(value)):
        raise InvalidArgument(f"{name}={value!r} must be finite")
    return float(value)


def _check_layout(layout: Any) -> str:
    if layout not in LAYOUTS:
        raise InvalidArgument(f"layout={layout!r} must be one of {LAYOUTS}")
    return layout


def _as_strategy(name: str, value: Any, convert: Callable[[Any], Any]) -> st.SearchStrategy:
    """A strategy as given, or ``st.just`` of a validated fixed value."""
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
    min_layers = _check_int("min_layers", min_layers, minimum=1)
    max_layers = _check_int("max_layers", max_layers, minimum=1)
    _check_range("min_layers", min_layers, "max_layers", max_layers)
    min_width = _check_int("min_width", min_width, minimum=1)
    max_width = _check_int("max_width", max_width, minimum=1)
    _check_range("min_width", min_width, "max_width", max_width)
    if n_in is not None:
        n_in = _check_int("n_in", n_in, minimum=1)
    if n_out is not None:
        n_out = _check_int("n_out", n_out, minimum=1)
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
    min_size = _check_int("min_size", min_size, minimum=1)
    max_size = _check_int("max_size", max_size, minimum=1)
    _check_range("min_size", min_size, "max_size", max_size)
    return st.integers(min_size, max_size)


def seeds(*, max_seed: int = 2**16 - 1) -> st.SearchStrategy[int]:
    """Seeds handed to a factory (initial weights, data); shrinks towards 0.

    >>> 0 <= seeds(max_seed=10).example() <= 10
    True
    """
    max_seed = _check_int("max_seed", max_seed, minimum=0)
    return st.integers(0, max_seed)


# -- arrays -----------------------------------------------------------------------


def _float_elements(dtype: np.dtype, lo: float, hi: float) -> st.SearchStrategy[float]:
    return st.floats(
        min_value=lo,
        max_value=hi,
        allow_nan=False,
        allow_infinity=False,
        allow_subnormal=False,
        width=8 * dtype.itemsize,
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
    layout = _check_layout(layout)
    lo = _check_float("min_value", min_value)
    hi = _check_float("max_value", max_value)
    if not allow_negative:
        lo = max(lo, 0.0)
    if lo > hi:
        raise InvalidArgument(f"min_value={lo} is larger than max_value={hi}")
    margin = _check_float("kink_margin", kink_margin)
    if margin < 0:
        raise InvalidArgument(f"kink_margin={kink_margin!r} must be non-negative")
    kinks = tuple(_check_float("kinks", k) for k in kinks)
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
    n_st = _as_strategy("n_features", n_features, lambda v: _check_int("n_features", v, minimum=1))
    m_st = _as_strategy("batch_size", batch_size, lambda v: _check_int("batch_size", v, minimum=1))
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
    layout = _check_layout(layout)
    if bias_shape not in ("vector", "matrix"):
        raise InvalidArgument(f"bias_shape={bias_shape!r} must be 'vector' or 'matrix'")
    scale = _check_float("scale", scale)
    if scale <= 0:
        raise InvalidArgument(f"scale={scale!r} must be positive")
    dt = np.dtype(dtype)
    if dt.kind != "f" or dt.itemsize not in (4, 8):
        raise InvalidArgument(f"dtype={dt} must be float32 or float64")

    def check_widths(ws: Any) -> list[int]:
        ws = list(ws)
        if len(ws) < 2:
            raise InvalidArgument(f"widths={ws!r} must list at least two layer sizes (input and output)")
        return [_check_int("widths[i]", w, minimum=1) for w in ws]

    w_st = _as_strategy("widths", widths, check_widths)
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


# -- whole problems from a user factory ------------------------------------------------


def factory_keywords(factory: Callable[..., Any]) -> tuple[str, ...]:
    """Which of ``widths``, ``batch_size``, ``seed`` and ``X`` (or ``x`` / ``inputs``) ``factory`` accepts.

    A factory with ``**kwargs`` accepts widths, batch_size and seed.

    >>> factory_keywords(lambda widths, seed=0: None)
    ('widths', 'seed')
    """
    if not callable(factory):
        raise InvalidArgument(f"factory={factory!r} is not callable")
    try:
        sig = inspect.signature(factory)
    except (TypeError, ValueError):
        raise InvalidArgument(f"cannot read the signature of factory {factory!r}") from None
    names = set()
    var_kw = False
    for p in sig.parameters.values():
        if p.kind is p.VAR_KEYWORD:
            var_kw = True
        elif p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY):
            names.add(p.name)
    found = []
    for kw in FACTORY_KEYWORDS:
        aliases = _INPUT_ALIASES if kw == "X" else (kw,)
        if any(a in names for a in aliases) or (var_kw and kw != "X"):
            found.append(kw)
    return tuple(found)


def _input_keyword(factory: Callable[..., Any]) -> str:
    params = inspect.signature(factory).parameters
    return next(a for a in _INPUT_ALIASES if a in params)


def configs(
    factory: Callable[..., Any],
    *,
    widths: Any = None,
    batch_sizes: Any = None,
    seeds: Any = None,
    inputs: Any = None,
    layout: str = "rows",
) -> st.SearchStrategy[dict[str, Any]]:
    """The keyword arguments to call ``factory`` with: one dict per example.

    Only the keywords the factory accepts are drawn (see :func:`factory_keywords`).
    Each of ``widths``, ``batch_sizes``, ``seeds`` may be a strategy or a fixed value;
    ``inputs`` a strategy taking no arguments is not possible since X depends on the
    widths and batch size, so pass ``inputs`` as a dict of :func:`input_batches` options
    (e.g. ``{"allow_negative": False}``). The dict always names the input ``"X"``.

    >>> cfg = configs(lambda widths, batch_size: None, widths=[2, 1], batch_sizes=3).example()
    >>> cfg
    {'widths': [2, 1], 'batch_size': 3}
    """
    layout = _check_layout(layout)
    accepted = factory_keywords(factory)
    if not accepted:
        raise InvalidArgument(
            f"factory {getattr(factory, '__name__', factory)!r} accepts none of {', '.join(FACTORY_KEYWORDS)}: "
            f"there is nothing to vary. Give it e.g. def build(widths, batch_size, seed): ..."
        )

    def fixed_widths(v: Any) -> list[int]:
        v = list(v)
        if len(v) < 2:
            raise InvalidArgument(f"widths={v!r} must list at least two layer sizes")
        return [_check_int("widths[i]", w, minimum=1) for w in v]

    w_st = layer_widths() if widths is None else _as_strategy("widths", widths, fixed_widths)
    m_st = (
        globals()["batch_sizes"]()
        if batch_sizes is None
        else _as_strategy("batch_sizes", batch_sizes, lambda v: _check_int("batch_sizes", v, minimum=1))
    )
    s_st = (
        globals()["seeds"]()
        if seeds is None
        else _as_strategy("seeds", seeds, lambda v: _check_int("seeds", v, minimum=0))
    )
    if inputs is None:
        input_opts: dict[str, Any] = {}
    elif isinstance(inputs, Mapping):
        input_opts = dict(inputs)
        bad = set(input_opts) & {"n_features", "batch_size", "layout"}
        if bad:
            raise InvalidArgument(f"inputs options {sorted(bad)} are set by the search itself")
    else:
        raise InvalidArgument(f"inputs={inputs!r} must be a dict of input_batches options")
    if "X" in accepted:
        if "widths" not in accepted:
            raise InvalidArgument("a factory that accepts X must also accept widths (X needs widths[0] columns)")
        input_batches(n_features=1, batch_size=1, layout=layout, **input_opts)  # validate eagerly

    @st.composite
    def build(draw: Any) -> dict[str, Any]:
        cfg: dict[str, Any] = {}
        if "widths" in accepted:
            cfg["widths"] = list(draw(w_st))
        if "batch_size" in accepted or "X" in accepted:
            m = draw(m_st)
            if "batch_size" in accepted:
                cfg["batch_size"] = m
        if "seed" in accepted:
            cfg["seed"] = draw(s_st)
        if "X" in accepted:
            cfg["X"] = draw(input_batches(n_features=cfg["widths"][0], batch_size=m, layout=layout, **input_opts))
        return cfg

    return build()


def call_factory(factory: Callable[..., Any], config: Mapping[str, Any]) -> Problem:
    """Call ``factory`` with ``config`` (renaming ``X`` to the factory's own input keyword) and
    normalise what it returns to a :class:`Problem`; ``problem.meta["config"]`` holds the config.

    >>> import numpy as np
    >>> def build(widths):
    ...     w = np.ones(widths[0])
    ...     return {"params": {"w": w}, "loss": lambda: float(w @ w), "grads": lambda: {"w": 2 * w}}
    >>> call_factory(build, {"widths": [3, 1]}).params["w"].shape
    (3,)
    """
    kwargs = dict(config)
    if "X" in kwargs:
        kwargs[_input_keyword(factory)] = kwargs.pop("X")
    from .adapters import as_problem

    problem = as_problem(factory(**kwargs))
    problem.meta = dict(problem.meta or {})
    problem.meta["config"] = dict(config)
    m = config.get("batch_size")
    if problem.data is None and isinstance(m, (int, np.integer)) and (problem.hint is None or isinstance(problem.hint, dict)):
        # the drawn batch size lets the diagnosis tell a missing 1/m from any other factor
        problem.hint = {"batch_size": int(m), **(problem.hint or {})}
    return problem


def problems(
    factory: Callable[..., Any],
    *,
    widths: Any = None,
    batch_sizes: Any = None,
    seeds: Any = None,
    inputs: Any = None,
    layout: str = "rows",
) -> st.SearchStrategy[Problem]:
    """Problems built by ``factory`` over varied widths, batch sizes, seeds and inputs.

    ``factory`` may accept any subset of ``widths``, ``batch_size``, ``seed`` and ``X``; it
    returns a :class:`gradcheck.Problem` or a mapping ``{"params", "loss", "grads"}``. The
    drawn keywords are in ``problem.meta["config"]``. Options as in :func:`configs`.

    >>> import numpy as np
    >>> def build(widths, seed=0):
    ...     w = np.random.default_rng(seed).normal(size=widths[0])
    ...     return {"params": {"w": w}, "loss": lambda: float(w @ w), "grads": lambda: {"w": 2 * w}}
    >>> p = problems(build, widths=[3, 1]).example()
    >>> p.params["w"].shape, sorted(p.meta["config"])
    ((3,), ['seed', 'widths'])
    """
    return configs(
        factory, widths=widths, batch_sizes=batch_sizes, seeds=seeds, inputs=inputs, layout=layout
    ).map(lambda cfg: call_factory(factory, cfg))


# -- hypothesis settings for gradient tests ---------------------------------------------------------

_NO_EXPLAIN = tuple(p for p in Phase if p is not Phase.explain)


def gradient_settings(**overrides: Any) -> settings:
    """The current hypothesis settings, fit for gradient tests: no deadline (every example is a
    full gradient check), no too-slow health check and no explain phase (the lines it lists would
    be gradcheck's own, and the report already says what is wrong). Use it as a decorator;
    keyword arguments override any setting.

    >>> s = gradient_settings(max_examples=10)
    >>> s.deadline is None, s.max_examples
    (True, 10)
    """
    suppressed = [*settings.default.suppress_health_check, HealthCheck.too_slow]
    overrides.setdefault("deadline", None)
    overrides.setdefault("suppress_health_check", suppressed)
    overrides.setdefault("phases", _NO_EXPLAIN)
    return settings(settings.default, **overrides)


def register_hypothesis_profile() -> None:
    """Register the profile ``gradcheck`` (50 examples, no deadline, no too-slow health check, no
    explain phase) unless a profile of that name exists; ``pytest --hypothesis-profile=gradcheck`` loads it.

    >>> register_hypothesis_profile()
    >>> settings.get_profile("gradcheck").deadline is None
    True
    """
    try:
        settings.get_profile(HYPOTHESIS_PROFILE)
    except InvalidArgument:
        settings.register_profile(
            HYPOTHESIS_PROFILE,
            deadline=None,
            max_examples=50,
            suppress_health_check=[HealthCheck.too_slow],
            phases=_NO_EXPLAIN,
        )


register_hypothesis_profile()

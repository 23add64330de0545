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

from typing import Any

from hypothesis import HealthCheck, Phase, settings
from hypothesis.errors import InvalidArgument

from .factories import call_factory, configs, factory_keywords, keyword_strategy, problems, with_strategies
from .net_strategies import LAYOUTS, batch_sizes, check_int, check_layout, input_batches, layer_widths, parameter_sets, seeds
from .vary import BATCH_NAMES

__all__ = [
    "BATCH_NAMES",
    "HYPOTHESIS_PROFILE",
    "LAYOUTS",
    "batch_sizes",
    "call_factory",
    "check_int",
    "check_layout",
    "configs",
    "factory_keywords",
    "gradient_settings",
    "input_batches",
    "keyword_strategy",
    "layer_widths",
    "parameter_sets",
    "problems",
    "register_hypothesis_profile",
    "seeds",
    "with_strategies",
]

#: The hypothesis settings profile for gradient tests, registered when this module is imported.
HYPOTHESIS_PROFILE = "gradcheck"

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
    default = settings.default
    suppressed = [*(default.suppress_health_check if default is not None else ()), HealthCheck.too_slow]
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


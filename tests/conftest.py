"""Test-suite configuration: hypothesis profiles and the pytester plugin.

Profiles (select with HYPOTHESIS_PROFILE, default ``ci``):

- ``ci``: few examples, derandomized, so the whole suite runs in a few minutes on 2 cores;
- ``dev``: many examples, for a thorough run before a release.

Neither has a deadline: every example of a gradient test is a full gradient check.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

pytest_plugins = ["pytester"]

settings.register_profile(
    "ci",
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "dev",
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

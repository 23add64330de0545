"""The pytest plugin, driven through pytester on user-style test files."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy  # noqa: F401  (imported once here: pytester's in-process runs must not load it a second time)
import pytest

# A user's own module: a one-hidden-layer tanh net (rows layout, MSE) with a switchable mistake.
USER_NET = '''
import numpy as np

MISTAKE = {mistake!r}


def build(widths=(2, 3, 1), batch_size=4, seed=0):
    rng = np.random.default_rng(seed)
    n_in, n_hidden, n_out = widths[0], widths[1], widths[-1]
    W1, b1 = rng.normal(size=(n_in, n_hidden)), rng.normal(size=(1, n_hidden)) * 0.1
    W2, b2 = rng.normal(size=(n_hidden, n_out)), rng.normal(size=(1, n_out)) * 0.1
    X, y = rng.normal(size=(batch_size, n_in)), rng.normal(size=(batch_size, n_out))
    m = batch_size

    def forward():
        h = np.tanh(X @ W1 + b1)
        return h, h @ W2 + b2

    def loss():
        return float(0.5 * ((forward()[1] - y) ** 2).sum() / m)

    def grads():
        h, out = forward()
        d = out - y if MISTAKE == "missing_mean" else (out - y) / m
        if MISTAKE == "five_percent_off":
            d = 1.05 * d
        dh = (d @ W2.T) * (1 - h ** 2)
        db1 = dh if MISTAKE == "bias_not_summed" else dh.sum(axis=0, keepdims=True)
        return {{"W1": X.T @ dh, "b1": db1, "W2": h.T @ d, "b2": d.sum(axis=0, keepdims=True)}}

    return {{"params": {{"W1": W1, "b1": b1, "W2": W2, "b2": b2}}, "loss": loss, "grads": grads}}
'''

TEST_FIXED = """
from usernet import build


def test_backprop(gradcheck):
    gradcheck(build())
"""


def write_suite(pytester: pytest.Pytester, mistake: str | None, tests: str = TEST_FIXED) -> None:
    pytester.makepyfile(usernet=USER_NET.format(mistake=mistake), test_user=tests)


def test_a_buggy_net_fails_naming_the_kind_and_the_parameter(pytester):
    write_suite(pytester, "bias_not_summed")
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*GradientMismatch: ✘ gradients are wrong: b1",
            "*b1*WRONG SHAPE*",
            "*bias_not_summed · b1*",
            "*fix: Sum over the batch axis*",
        ]
    )
    out = result.stdout.str()
    assert "array(" not in out and "[[" not in out  # findings, not arrays
    assert "assertions.py" not in out  # the helper's frames are hidden


def test_a_correct_net_passes(pytester):
    write_suite(pytester, None)
    pytester.runpytest().assert_outcomes(passed=1)


def test_the_tolerance_option_changes_the_verdict(pytester):
    write_suite(pytester, "five_percent_off")
    pytester.runpytest().assert_outcomes(failed=1)
    # analytic = 1.05 x numeric: relative error 0.048, let through by rtol=0.1
    pytester.runpytest("--gradcheck-rtol=0.1").assert_outcomes(passed=1)


def test_ini_settings_apply_and_the_command_line_wins(pytester):
    write_suite(pytester, "five_percent_off")
    pytester.makeini("[pytest]\ngradcheck_rtol = 0.1\n")
    pytester.runpytest().assert_outcomes(passed=1)
    pytester.runpytest("--gradcheck-rtol=1e-6").assert_outcomes(failed=1)


def test_the_method_mode_and_seed_options_reach_the_check(pytester):
    write_suite(pytester, "bias_not_summed")
    result = pytester.runpytest("--gradcheck-method=richardson")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*richardson differences, full check*"])
    result = pytester.runpytest("--gradcheck-mode=sampled", "--gradcheck-seed=5")
    result.stdout.fnmatch_lines(["*central differences, sampled check*seed 5"])


def test_the_marker_overrides_the_session_settings(pytester):
    tests = """
import pytest
from usernet import build


@pytest.mark.gradcheck(rtol=0.1)
def test_loose(gradcheck):
    gradcheck(build())


def test_strict(gradcheck):
    gradcheck(build())
"""
    write_suite(pytester, "five_percent_off", tests)
    result = pytester.runpytest("-rf")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["FAILED test_user.py::test_strict*"])


def test_bad_option_values_are_usage_errors(pytester):
    write_suite(pytester, None)
    result = pytester.runpytest("--gradcheck-rtol=-1")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--gradcheck-rtol='-1' must be a finite non-negative number*"])
    result = pytester.runpytest("--gradcheck-method=forward")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--gradcheck-method='forward' must be one of central, richardson, complex*"])


def test_the_header_states_the_settings_and_the_seed(pytester):
    write_suite(pytester, None)
    result = pytester.runpytest("--gradcheck-seed=7", "--gradcheck-method=richardson")
    result.stdout.fnmatch_lines(["gradcheck *: method=richardson, mode=auto, *seed=7*"])
    result = pytester.runpytest("--gradcheck-seed=random")
    line = next(ln for ln in result.stdout.lines if ln.startswith("gradcheck "))
    seed = line.split("seed=")[1].split(",")[0]
    assert seed.isdigit()


def test_the_header_only_where_a_test_uses_the_fixture_or_the_marker(pytester):
    pytester.makepyfile(test_plain="def test_other():\n    assert 1 + 1 == 2\n")
    result = pytester.runpytest()
    result.assert_outcomes(passed=1)
    assert not [ln for ln in result.stdout.lines if ln.startswith("gradcheck ")]  # installed, never used: silent
    pytester.makepyfile(test_marked="import pytest\n\n@pytest.mark.gradcheck(rtol=1e-3)\ndef test_marked():\n    pass\n")
    result = pytester.runpytest()
    result.stdout.fnmatch_lines(["collected 2 items", "gradcheck *: method=central*"])
    result = pytester.runpytest("test_plain.py")
    assert not [ln for ln in result.stdout.lines if ln.startswith("gradcheck ")]
    write_suite(pytester, None)
    result = pytester.runpytest("test_user.py", "-q")  # -q leaves headers out, this one too
    assert not [ln for ln in result.stdout.lines if ln.startswith("gradcheck ")]


def test_the_plugin_shows_in_trace_config(pytester):
    write_suite(pytester, None)
    result = pytester.runpytest("--trace-config")
    result.stdout.fnmatch_lines(["*registered third-party plugins:*", "*gradcheck-* at *pytest_plugin.py*"])


def test_options_have_their_own_help_group(pytester):
    result = pytester.runpytest("--help")
    result.stdout.fnmatch_lines(
        ["gradient checks (gradcheck):", "*--gradcheck-method=METHOD*", "*--gradcheck-rtol=RTOL*", "*gradcheck_seed*"]
    )


def test_the_fixture_searches_a_factory(pytester):
    tests = """
from usernet import build


def test_search(gradcheck):
    gradcheck(build)
"""
    write_suite(pytester, "bias_not_summed", tests)
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*✘ smallest failing net: build(widths=*, batch_size=2, seed=*)",
            "*search seed 0*",
            "*passes for every net with batch size 1*fails from batch size 2",
            "*bias gradient is not summed over the batch*",
        ]
    )


def test_the_fixture_check_returns_a_report(pytester):
    tests = """
from usernet import build


def test_report(gradcheck):
    report = gradcheck.check(build(), seed=3)
    assert not report.ok and report.first_wrong == "b1" and report.seed == 3
    assert "bias_not_summed" in report.kinds()
"""
    write_suite(pytester, "bias_not_summed", tests)
    pytester.runpytest().assert_outcomes(passed=1)


def test_the_hypothesis_profile_has_no_deadline(pytester):
    tests = """
from hypothesis import given, settings, strategies as st
from gradcheck import strategies as gst
from usernet import build


def test_profile():
    assert settings.get_current_profile_name() == "gradcheck"
    assert settings.default.deadline is None


@given(gst.problems(build, widths=gst.layer_widths(min_layers=2, max_layers=2)))
def test_property(gradcheck, problem):
    gradcheck(problem)
"""
    write_suite(pytester, None, tests)
    # a subprocess: loading a profile in-process would change this session's hypothesis settings
    result = pytester.runpytest_subprocess("--hypothesis-profile=gradcheck")
    result.assert_outcomes(passed=2)


def test_importing_the_plugin_loads_neither_hypothesis_nor_rich():
    code = textwrap.dedent(
        """
        import sys
        import gradcheck.pytest_plugin
        heavy = [m for m in ("hypothesis", "rich") if m in sys.modules]
        assert not heavy, heavy
        """
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_importing_the_plugin_does_not_load_numpy():
    code = "import sys, gradcheck.pytest_plugin; assert 'numpy' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_importing_search_and_assertions_does_not_load_hypothesis():
    code = textwrap.dedent(
        """
        import sys
        import gradcheck.assertions, gradcheck.search
        assert "hypothesis" not in sys.modules
        """
    )
    subprocess.run([sys.executable, "-c", code], check=True)

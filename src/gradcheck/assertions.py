"""``assert_gradients_match``: a gradient check for any test runner.

It runs :func:`gradcheck.check` and raises :class:`gradcheck.GradientMismatch`
(an ``AssertionError``) whose message is the rendered report: which gradients
are wrong, where backprop first goes wrong, and the named mistakes with their
fixes, never a wall of arrays. A check that found no wrong gradient but could not
check some elements (a kink within every usable step) raises
:class:`gradcheck.GradientUnverifiable` (a ``GradientMismatch``) unless
``allow_unverifiable=True``.

Example:
    >>> import numpy as np
    >>> from gradcheck.assertions import assert_gradients_match
    >>> w = np.array([1.0, -2.0])
    >>> assert_gradients_match({"w": w}, lambda: float((w ** 2).sum()), {"w": 2 * w}).ok
    True
    >>> try:
    ...     assert_gradients_match({"w": w}, lambda: float((w ** 2).sum()), {"w": w})
    ... except AssertionError as e:
    ...     print(str(e).splitlines()[0])
    ✘ gradients are wrong: w
"""

from __future__ import annotations

from typing import Any

from .adapters import as_problem
from .check import check
from .errors import GradientMismatch, GradientUnverifiable
from .problem import Problem
from .render import report_to_text
from .report import Report

__all__ = ["assert_gradients_match", "mismatch_message"]

#: Width of the report in the assertion message (it is read in a terminal or a CI log).
MESSAGE_WIDTH = 100


def assert_gradients_match(
    params_or_problem: Any,
    loss: Any = None,
    grads: Any = None,
    *,
    allow_unverifiable: bool = False,
    **check_options: Any,
) -> Report:
    """Check the analytic gradients and raise :class:`GradientMismatch` when they are wrong.

    Args:
        params_or_problem: the parameters (name -> array), a :class:`gradcheck.Problem`, or
            anything :func:`gradcheck.adapters.as_problem` recognizes (e.g. a mapping with
            ``params``, ``loss`` and ``grads``) when ``loss`` and ``grads`` are left out.
        loss, grads: as in :func:`gradcheck.check`.
        allow_unverifiable: pass (return the report) when no gradient is wrong but some
            elements could not be checked; by default that fails too.
        **check_options: keyword options of :func:`gradcheck.check` (``method``, ``rtol``,
            ``atol``, ``mode``, ``seed``, ``data``, ...).

    Returns:
        The :class:`gradcheck.Report` when every gradient matches.

    Raises:
        GradientMismatch: an ``AssertionError`` whose message is the rendered report with the
            findings; ``.report`` holds the report.
        GradientUnverifiable: (a ``GradientMismatch``) no gradient is wrong, but some elements
            could not be checked; the message says so and how to accept it.
    """
    __tracebackhide__ = True  # pytest shows the caller's line, not this helper
    target = params_or_problem
    if loss is None and grads is None and not isinstance(target, Problem):
        target = as_problem(target)
    report = check(target, loss, grads, **check_options)
    if report.status == "unverifiable":
        if allow_unverifiable:
            return report
        raise GradientUnverifiable(
            f"{mismatch_message(report)}\nno gradient is wrong, but {report.n_unverifiable:,} element(s) could not be "
            f"checked; pass allow_unverifiable=True to accept that",
            report,
        )
    if not report.ok:
        raise GradientMismatch(mismatch_message(report), report)
    return report


def mismatch_message(report: Report, *, width: int = MESSAGE_WIDTH) -> str:
    """The text of a failed check: the report rendered without colour (findings included).

    >>> import numpy as np, gradcheck
    >>> w = np.array([3.0])
    >>> r = gradcheck.check({"w": w}, lambda: float(w[0] ** 2), {"w": -2 * w})
    >>> "sign_flipped" in mismatch_message(r)
    True
    """
    return report_to_text(report, width=width).rstrip()

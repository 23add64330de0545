"""gradcheck: find the mistakes in hand-written backpropagation.

It compares each parameter's analytic gradient with a finite-difference one,
finds the first wrong parameter in backprop order, and names the mistake.

    >>> import numpy as np, gradcheck
    >>> w = np.array([1.0, -2.0])
    >>> gradcheck.check({"w": w}, lambda: float((w ** 2).sum()), {"w": 2 * w}).ok
    True
"""

from __future__ import annotations

from .check import check
from .errors import (
    AdapterError,
    GradcheckError,
    GradientMismatch,
    GradientSpecError,
    InvalidParameterError,
    LossError,
    NondeterministicLossError,
    TargetError,
    UnsupportedMethodError,
)
from .problem import Problem, protected
from .report import Finding, ParamResult, Report

__version__ = "0.1.0"

__all__ = [
    "AdapterError",
    "Finding",
    "GradcheckError",
    "GradientMismatch",
    "GradientSpecError",
    "InvalidParameterError",
    "LossError",
    "NondeterministicLossError",
    "ParamResult",
    "Problem",
    "Report",
    "TargetError",
    "UnsupportedMethodError",
    "__version__",
    "check",
    "protected",
]

"""The exceptions gradcheck raises.

Every error derives from :class:`GradcheckError`, and each one also derives
from the builtin exception a Python user would expect, so ``except ValueError``
keeps working::

    GradcheckError(Exception)
    ├── InvalidParameterError(GradcheckError, TypeError)  integer, read-only, empty, non-array parameters
    ├── GradientSpecError(GradcheckError, KeyError)       missing or extra gradient names
    ├── LossError(GradcheckError, ValueError)             non-scalar, NaN or infinite loss
    ├── NondeterministicLossError(GradcheckError, RuntimeError)
    │                                                     loss() differs between two calls at one point
    ├── UnsupportedMethodError(GradcheckError, TypeError) e.g. complex step on a loss that drops the imaginary part
    ├── TargetError(GradcheckError, ValueError)           a bad ``module:attr`` spec or a broken user file
    └── AdapterError(GradcheckError, TypeError)           an object no adapter recognizes

:class:`GradientMismatch` (an ``AssertionError``) is raised by
:func:`gradcheck.assert_gradients_match` and carries the report.

Example:
    >>> import numpy as np, gradcheck
    >>> try:
    ...     gradcheck.check({"w": np.arange(3)}, lambda: 0.0, {"w": np.zeros(3)})
    ... except TypeError as e:
    ...     print(type(e).__name__)
    InvalidParameterError
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "AdapterError",
    "GradcheckError",
    "GradientMismatch",
    "GradientSpecError",
    "InvalidParameterError",
    "LossError",
    "NondeterministicLossError",
    "TargetError",
    "UnsupportedMethodError",
]


class GradcheckError(Exception):
    """Base class of every error gradcheck raises on bad input.

    ``kind`` is the catalogue id (see ``gradcheck bugs``) when the error is a
    known mistake, e.g. ``"nondeterministic_loss"``; otherwise None.
    """

    kind: str | None = None

    def __str__(self) -> str:  # KeyError would otherwise quote the message
        return str(self.args[0]) if self.args else ""


class InvalidParameterError(GradcheckError, TypeError):
    """A parameter is not a non-empty, writeable, floating-point numpy array."""


class GradientSpecError(GradcheckError, KeyError):
    """The analytic gradients do not name the same parameters as ``params``."""


class LossError(GradcheckError, ValueError):
    """The loss is not a finite real scalar (at the base point or after a perturbation)."""


class NondeterministicLossError(GradcheckError, RuntimeError):
    """``loss()`` returned different values for the same parameters."""

    kind = "nondeterministic_loss"


class UnsupportedMethodError(GradcheckError, TypeError):
    """The requested numerical method cannot be used with this loss."""


class TargetError(GradcheckError, ValueError):
    """A ``path.py:name`` / ``module:name`` target cannot be loaded."""


class AdapterError(GradcheckError, TypeError):
    """No adapter recognizes the object handed to gradcheck."""


class GradientMismatch(AssertionError):
    """Raised by :func:`gradcheck.assert_gradients_match`; ``.report`` holds the full report."""

    def __init__(self, message: str, report: Any = None) -> None:
        super().__init__(message)
        self.report = report

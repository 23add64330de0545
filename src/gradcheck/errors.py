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
    ├── AdapterError(GradcheckError, TypeError)           an object no adapter recognizes
    ├── InvalidOptionError(GradcheckError, ValueError)    an option out of range: rtol=0, atol=nan, sample=-1, ...
    │   └── OptionTypeError(InvalidOptionError, TypeError) an option of the wrong type: rtol="1e-5", seed=1.5, ...
    ├── RestoreError(GradcheckError, RuntimeError)        a parameter could not be put back (user code made it
    │                                                     read-only or reshaped it); names each one
    └── WorkerError(GradcheckError, RuntimeError)         a worker process died or its error could not be sent back

:class:`GradientMismatch` (an ``AssertionError``) is raised by
:func:`gradcheck.assert_gradients_match` and carries the report; its subclass
:class:`GradientUnverifiable` when no gradient is wrong but some elements could not be checked.

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
    "GradientUnverifiable",
    "GradientSpecError",
    "InvalidOptionError",
    "InvalidParameterError",
    "LossError",
    "NondeterministicLossError",
    "OptionTypeError",
    "RestoreError",
    "TargetError",
    "UnsupportedMethodError",
    "WorkerError",
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


class InvalidOptionError(GradcheckError, ValueError):
    """An option of :func:`gradcheck.check` holds a value it cannot take (NaN, 0, negative, unknown name)."""


class OptionTypeError(InvalidOptionError, TypeError):
    """An option of :func:`gradcheck.check` has the wrong type (a string for a number, a float for a count)."""


class RestoreError(GradcheckError, RuntimeError):
    """Some parameters could not be put back after a check; ``names`` lists them.

    Raised after every array that could be restored was restored, chained to the exception
    (if any) that ended the check.
    """

    def __init__(self, message: str, names: list[str] | None = None) -> None:
        super().__init__(message)
        self.names = list(names or [])


class WorkerError(GradcheckError, RuntimeError):
    """A worker process of a parallel check died, or raised an error that could not be sent back."""


class GradientMismatch(AssertionError):
    """Raised by :func:`gradcheck.assert_gradients_match`; ``.report`` holds the full report."""

    def __init__(self, message: str, report: Any = None) -> None:
        super().__init__(message)
        self.report = report


class GradientUnverifiable(GradientMismatch):
    """Raised by :func:`gradcheck.assert_gradients_match` when no gradient is wrong but some elements could
    not be checked (``report.status == "unverifiable"``), unless ``allow_unverifiable=True``."""

"""gradcheck: find the mistakes in hand-written backpropagation.

It compares each parameter's analytic gradient with a finite-difference one,
finds the first wrong parameter in backprop order, and names the mistake.

    >>> import numpy as np, gradcheck
    >>> w = np.array([1.0, -2.0])
    >>> gradcheck.check({"w": w}, lambda: float((w ** 2).sum()), {"w": 2 * w}).ok
    True

The public names load on first use, so ``import gradcheck`` (and the pytest plugin) stays cheap.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import TYPE_CHECKING, Any

from .errors import (
    AdapterError,
    GradcheckError,
    GradientMismatch,
    GradientSpecError,
    GradientUnverifiable,
    InvalidOptionError,
    InvalidParameterError,
    LossError,
    NondeterministicLossError,
    OptionTypeError,
    RestoreError,
    TargetError,
    UnsupportedMethodError,
    WorkerError,
)

if TYPE_CHECKING:
    __version__: str
    from .adapters import as_problem, from_train_step
    from .assertions import assert_gradients_match
    from .bugs import CATALOGUE, Bug
    from .check import check
    from .diagnosis import diagnose
    from .nn import MLP
    from .plots import plot_errors, plot_heatmap
    from .problem import Problem, protected
    from .report import Finding, ParamResult, Report
    from .search import SearchResult, search


def _version() -> str:
    """The installed distribution's version (pyproject.toml is the one place it is written)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("gradcheck")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "0+unknown"


_LAZY = {
    "check": ".check",
    "Problem": ".problem",
    "protected": ".problem",
    "Finding": ".report",
    "ParamResult": ".report",
    "Report": ".report",
    "assert_gradients_match": ".assertions",
    "search": ".search",
    "SearchResult": ".search",
    "MLP": ".nn",
    "as_problem": ".adapters",
    "from_train_step": ".adapters",
    "Bug": ".bugs",
    "CATALOGUE": ".bugs",
    "diagnose": ".diagnosis",
    "plot_errors": ".plots",
    "plot_heatmap": ".plots",
}

__all__ = [
    "AdapterError",
    "Bug",
    "CATALOGUE",
    "Finding",
    "GradcheckError",
    "GradientMismatch",
    "GradientSpecError",
    "GradientUnverifiable",
    "InvalidOptionError",
    "InvalidParameterError",
    "LossError",
    "MLP",
    "NondeterministicLossError",
    "OptionTypeError",
    "ParamResult",
    "Problem",
    "Report",
    "RestoreError",
    "SearchResult",
    "TargetError",
    "UnsupportedMethodError",
    "WorkerError",
    "__version__",
    "as_problem",
    "assert_gradients_match",
    "check",
    "diagnose",
    "from_train_step",
    "plot_errors",
    "plot_heatmap",
    "protected",
    "search",
]


class _Package(types.ModuleType):
    """Resolves the public names lazily; a submodule that shares a function's name (check) never
    replaces the function when it is imported."""

    def __getattr__(self, name: str) -> Any:
        if name == "__version__":  # read once, on first use: importlib.metadata is not free
            self.__dict__[name] = _version()
            return self.__dict__[name]
        if name in _LAZY:
            value = getattr(importlib.import_module(_LAZY[name], __name__), name)
            self.__dict__[name] = value
            return value
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _LAZY and isinstance(value, types.ModuleType):
            return  # the import system binding gradcheck.check (the module) over gradcheck.check (the function)
        super().__setattr__(name, value)

    def __dir__(self) -> list[str]:
        return sorted(set(super().__dir__()) | set(_LAZY))


sys.modules[__name__].__class__ = _Package

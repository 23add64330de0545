"""The public surface: everything in __all__ exists, and the docstring examples run."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import gradcheck
import gradcheck.diagnosis


def test_all_is_sorted_and_complete():
    assert list(gradcheck.__all__) == sorted(gradcheck.__all__)
    for name in gradcheck.__all__:
        assert hasattr(gradcheck, name), name


def test_errors_have_builtin_bases():
    assert issubclass(gradcheck.InvalidParameterError, TypeError)
    assert issubclass(gradcheck.LossError, ValueError)
    assert issubclass(gradcheck.GradientSpecError, KeyError)
    assert issubclass(gradcheck.GradientMismatch, AssertionError)
    for name in gradcheck.errors.__all__:
        cls = getattr(gradcheck.errors, name)
        assert issubclass(cls, (gradcheck.GradcheckError, AssertionError))


MODULES = sorted(
    [m.name for m in pkgutil.iter_modules(gradcheck.__path__, "gradcheck.")
     if m.name not in ("gradcheck.__main__", "gradcheck.pytest_plugin")]
    + [m.name for m in pkgutil.walk_packages(gradcheck.diagnosis.__path__, "gradcheck.diagnosis.")]
)


@pytest.mark.parametrize("module", MODULES)
def test_docstring_examples(module):
    mod = importlib.import_module(module)
    result = doctest.testmod(mod, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0

"""pytest plugin for gradcheck, registered under the ``pytest11`` entry point.

It gives every test session:

- the session-scoped ``gradcheck`` fixture (safe in ``@given`` tests): ``gradcheck(problem)`` (or ``gradcheck(params, loss, grads)``)
  checks the gradients with the session's settings and fails the test with the report's
  findings; ``gradcheck(factory)`` runs :func:`gradcheck.search.search` over nets the
  factory builds and fails with the smallest failing net; ``gradcheck.check(...)`` returns
  the report without failing; ``gradcheck.settings`` holds the settings;
- options in their own group (``--gradcheck-method``, ``--gradcheck-mode``,
  ``--gradcheck-rtol``, ``--gradcheck-atol``, ``--gradcheck-seed``, ``--gradcheck-max-examples``,
  ``--gradcheck-allow-unverifiable``) and the same as ini settings (``gradcheck_method = richardson``);
  the command line wins. A check that finds no wrong gradient but could not check some elements
  fails the test unless ``allow_unverifiable`` is set (option, ini, marker or keyword);
- the marker ``@pytest.mark.gradcheck(rtol=1e-5, ...)``: per-test overrides for the fixture;
- a header line with the settings and the seed, so a failure replays;
- the hypothesis profile ``gradcheck`` (no deadline) for ``--hypothesis-profile=gradcheck``
  (also registered by ``import gradcheck.strategies``, for ``settings.load_profile("gradcheck")``).

Importing this module is cheap: numpy, hypothesis and rich load only when a check runs.

Example (a user's test file)::

    def test_backprop(gradcheck):
        net = MyNet([2, 5, 1])
        gradcheck(net.params, lambda: net.loss(X, y), lambda: net.gradients(X, y))
"""

from __future__ import annotations

import functools
import random
import sys
import types
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any

import pytest

__all__ = ["GradcheckFixture", "GradcheckSettings", "HYPOTHESIS_PROFILE"]

#: Name of the hypothesis settings profile registered for gradient checks.
HYPOTHESIS_PROFILE = "gradcheck"

METHODS = ("central", "richardson", "complex")
MODES = ("auto", "full", "sampled", "fast")

_SETTINGS_KEY = pytest.StashKey["GradcheckSettings"]()
_ITEM_KEY = pytest.StashKey["pytest.Item | None"]()


@dataclass(frozen=True)
class GradcheckSettings:
    """The options every check of the session uses (see ``pytest --help``, group gradcheck)."""

    method: str = "central"
    mode: str = "auto"
    rtol: float | None = None
    atol: float | None = None
    seed: int = 0
    max_examples: int | None = None
    #: pass a check that found no wrong gradient but could not check some elements (default: fail it)
    allow_unverifiable: bool = False

    def check_options(self) -> dict[str, Any]:
        """Keyword options for :func:`gradcheck.check`."""
        return {"method": self.method, "mode": self.mode, "rtol": self.rtol, "atol": self.atol, "seed": self.seed}

    def header(self) -> str:
        tol = lambda v: "dtype default" if v is None else f"{v:g}"  # noqa: E731
        examples = "profile default" if self.max_examples is None else str(self.max_examples)
        return (
            f"method={self.method}, mode={self.mode}, rtol={tol(self.rtol)}, atol={tol(self.atol)}, "
            f"seed={self.seed}, search max_examples={examples}"
        )


# -- options ------------------------------------------------------------------------------

_OPTIONS = (
    ("method", f"finite-difference method: {', '.join(METHODS)} (default central)"),
    ("mode", f"which elements are checked: {', '.join(MODES)} (default auto)"),
    ("rtol", "relative tolerance (default: by dtype)"),
    ("atol", "absolute tolerance (default: by dtype)"),
    ("seed", "seed of sampled checks and of searches; 'random' picks one and prints it (default 0)"),
    ("max_examples", "nets a search tries (default: the hypothesis profile's max_examples)"),
)


_ALLOW_HELP = "pass a check that found no wrong gradient but could not check some elements (default: it fails)"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("gradcheck", "gradient checks (gradcheck)")
    for name, help_text in _OPTIONS:
        flag = "--gradcheck-" + name.replace("_", "-")
        group.addoption(flag, dest=f"gradcheck_{name}", default=None, metavar=name.upper(), help=help_text)
        parser.addini(f"gradcheck_{name}", help_text, default="")
    group.addoption("--gradcheck-allow-unverifiable", dest="gradcheck_allow_unverifiable", action="store_true",
                    default=False, help=_ALLOW_HELP)
    parser.addini("gradcheck_allow_unverifiable", _ALLOW_HELP, type="bool", default=False)


def _raw(config: pytest.Config, name: str) -> tuple[str | None, str]:
    value = config.getoption(f"gradcheck_{name}")
    if value is not None:
        return str(value), "--gradcheck-" + name.replace("_", "-")
    ini = config.getini(f"gradcheck_{name}")
    return (str(ini).strip() or None), f"ini gradcheck_{name}"


def _float(config: pytest.Config, name: str) -> float | None:
    value, where = _raw(config, name)
    if value is None:
        return None
    try:
        out = float(value)
    except ValueError:
        raise pytest.UsageError(f"{where}={value!r} is not a number") from None
    if not out >= 0 or out == float("inf"):
        raise pytest.UsageError(f"{where}={value!r} must be a finite non-negative number")
    return out


def _choice(config: pytest.Config, name: str, choices: tuple[str, ...], default: str) -> str:
    value, where = _raw(config, name)
    if value is None:
        return default
    if value not in choices:
        raise pytest.UsageError(f"{where}={value!r} must be one of {', '.join(choices)}")
    return value


def _int(config: pytest.Config, name: str, *, minimum: int) -> int | None:
    value, where = _raw(config, name)
    if value is None:
        return None
    if name == "seed" and value == "random":
        return random.SystemRandom().randrange(2**32)
    try:
        out = int(value)
    except ValueError:
        raise pytest.UsageError(f"{where}={value!r} is not an integer") from None
    if out < minimum:
        raise pytest.UsageError(f"{where}={value!r} must be at least {minimum}")
    return out


def settings_from_config(config: pytest.Config) -> GradcheckSettings:
    """The session's :class:`GradcheckSettings` from the command line and the ini file."""
    seed = _int(config, "seed", minimum=0)
    return GradcheckSettings(
        method=_choice(config, "method", METHODS, "central"),
        mode=_choice(config, "mode", MODES, "auto"),
        rtol=_float(config, "rtol"),
        atol=_float(config, "atol"),
        seed=0 if seed is None else seed,
        max_examples=_int(config, "max_examples", minimum=1),
        allow_unverifiable=bool(config.getoption("gradcheck_allow_unverifiable") or
                                config.getini("gradcheck_allow_unverifiable")),
    )


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "gradcheck(method=..., mode=..., rtol=..., atol=..., seed=..., max_examples=..., allow_unverifiable=...): "
        "options of the gradcheck fixture for this test",
    )
    config.stash[_SETTINGS_KEY] = settings_from_config(config)
    # hypothesis loads --hypothesis-profile in its own pytest_configure: have ours registered first
    if _safe_getoption(config, "hypothesis_profile") == HYPOTHESIS_PROFILE:
        from gradcheck.strategies import register_hypothesis_profile  # lazy: this plugin loads at every pytest start

        register_hypothesis_profile()


def _safe_getoption(config: pytest.Config, name: str) -> Any:
    try:
        return config.getoption(name)
    except ValueError:
        return None


def pytest_report_collectionfinish(config: pytest.Config, items: Sequence[pytest.Item]) -> list[str]:
    """The settings line, under "collected N items", only in a session where a test uses the
    ``gradcheck`` fixture or marker: a project that merely has gradcheck installed sees nothing."""
    if config.option.verbose < 0 or config.option.no_header or not any(_uses_gradcheck(i) for i in items):
        return []
    from gradcheck import __version__  # lazy: this plugin loads at every pytest start

    return [f"gradcheck {__version__}: {config.stash[_SETTINGS_KEY].header()}"]


def _uses_gradcheck(item: pytest.Item) -> bool:
    return "gradcheck" in getattr(item, "fixturenames", ()) or item.get_closest_marker("gradcheck") is not None


# -- the fixture ------------------------------------------------------------------------------


class GradcheckFixture:
    """What the ``gradcheck`` fixture returns: call it to assert that gradients match.

    ``gradcheck(problem)``, ``gradcheck(params, loss, grads)`` or ``gradcheck({"params": ...,
    "loss": ..., "grads": ...})`` checks once; ``gradcheck(factory)`` searches over the nets the
    factory builds (it accepts any of ``widths``, ``batch_size``, ``seed``, ``X``); a factory
    that takes none of those is called once and its problem checked. Keyword options override
    the session's settings for this call.
    """

    def __init__(self, config: pytest.Config) -> None:
        self._config = config

    @property
    def settings(self) -> GradcheckSettings:
        """The session's settings with the running test's ``@pytest.mark.gradcheck(...)`` applied."""
        config = self._config
        return _marked_settings(config.stash[_SETTINGS_KEY], config.stash.get(_ITEM_KEY, None))

    def __repr__(self) -> str:
        return f"<gradcheck fixture: {self.settings.header()}>"

    def __call__(self, target: Any, loss: Any = None, grads: Any = None, **options: Any) -> Any:
        __tracebackhide__ = True
        if loss is None and grads is None and _is_factory(target):
            from gradcheck.vary import plan_factory  # lazy: this plugin loads at every pytest start

            plan = plan_factory(target, options.get("strategies"))
            if plan.keywords or plan.required:
                return self.search(target, **options)
            target = target()
        from gradcheck.assertions import assert_gradients_match  # lazy: this plugin loads at every pytest start

        allow = options.pop("allow_unverifiable", self.settings.allow_unverifiable)
        return assert_gradients_match(target, loss, grads, allow_unverifiable=allow, **self._check_options(options))

    def check(self, target: Any, loss: Any = None, grads: Any = None, **options: Any) -> Any:
        """The report of one check with the session's settings; never fails the test."""
        from gradcheck.check import check  # lazy: this plugin loads at every pytest start

        if loss is None and grads is None and not _is_problem(target):
            from gradcheck.adapters import as_problem  # lazy: this plugin loads at every pytest start

            target = as_problem(target() if _is_factory(target) else target)
        return check(target, loss, grads, **self._check_options(options))

    def search(self, factory: Callable[..., Any], **options: Any) -> Any:
        """Search the nets ``factory`` builds; fail with the smallest failing one. Returns the result."""
        __tracebackhide__ = True
        from gradcheck.errors import GradientMismatch  # lazy: this plugin loads at every pytest start
        from gradcheck.search import search  # lazy: this plugin loads at every pytest start

        settings = self.settings
        opts: dict[str, Any] = {"seed": settings.seed, "max_examples": settings.max_examples}
        opts.update({k: v for k, v in asdict(settings).items() if k in ("method", "rtol", "atol")})
        opts.update(options)
        result = search(factory, **opts)
        if result.found:
            raise GradientMismatch(str(result), result.report)
        return result

    def _check_options(self, options: Mapping[str, Any]) -> dict[str, Any]:
        out = self.settings.check_options()
        out.update(options)
        return out


def _is_problem(obj: Any) -> bool:
    mod = sys.modules.get("gradcheck.problem")
    return mod is not None and isinstance(obj, mod.Problem)


def _is_factory(obj: Any) -> bool:
    """Plain functions, methods and partials are factories; a callable net object is not."""
    return isinstance(obj, (types.FunctionType, types.MethodType, functools.partial))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: Any) -> Any:
    """Remember the running test, so the session-wide fixture can read its gradcheck marker."""
    item.config.stash[_ITEM_KEY] = item
    try:
        yield
    finally:
        item.config.stash[_ITEM_KEY] = None


def _marked_settings(settings: GradcheckSettings, item: pytest.Item | None) -> GradcheckSettings:
    marker = item.get_closest_marker("gradcheck") if item is not None else None
    if marker is None:
        return settings
    if marker.args:
        raise pytest.UsageError("@pytest.mark.gradcheck takes keyword options only, e.g. rtol=1e-5")
    known = set(asdict(settings))
    unknown = set(marker.kwargs) - known
    if unknown:
        raise pytest.UsageError(f"@pytest.mark.gradcheck: unknown option(s) {sorted(unknown)}; known: {sorted(known)}")
    return replace(settings, **marker.kwargs)


@pytest.fixture(scope="session")
def gradcheck(pytestconfig: pytest.Config) -> GradcheckFixture:
    """Assert that gradients match with the session's settings: ``gradcheck(problem)``.

    Session-scoped and stateless, so it is safe inside ``@given`` tests; the running test's
    ``@pytest.mark.gradcheck(...)`` options apply to every call.
    """
    return GradcheckFixture(pytestconfig)

"""The result of a check, as plain data.

A :class:`Report` holds one :class:`ParamResult` per parameter (in the order the
parameters were given, input layer first) and a list of :class:`Finding` objects
from the diagnosis. Computing never prints and rendering never computes: the
terminal view (``rich``), JSON (:meth:`Report.to_dict`) and HTML
(:meth:`Report.to_html`) are thin functions of this data.

Example:
    >>> import numpy as np, gradcheck
    >>> w = np.array([1.0, -2.0])
    >>> report = gradcheck.check({"w": w}, lambda: float((w ** 2).sum()), {"w": 2 * w})
    >>> report.ok, report.first_wrong
    (True, None)
    >>> report["w"].max_rel_error < 1e-8
    True
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .layers import forward_order

__all__ = [
    "Finding", "ParamResult", "REPORT_STATUSES", "Report", "SCHEMA_VERSION", "STATUSES", "WRONG_STATUSES",
    "json_safe", "json_schema", "with_nonfinite",
]

#: Version of the JSON layout produced by :meth:`Report.to_dict` and the command's ``--json``
#: (described by :func:`json_schema`); it changes when a field is removed or changes meaning.
#: 3: ``"ok": false`` no longer means a wrong gradient: ``"status"`` tells wrong from unverifiable.
SCHEMA_VERSION = 3


def json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of every JSON document gradcheck writes, shipped in the package.

    >>> schema = json_schema()
    >>> schema["$defs"]["schema_version"]["const"] == SCHEMA_VERSION
    True
    """
    from importlib.resources import files

    text = files("gradcheck").joinpath("output.schema.json").read_text(encoding="utf-8")
    return dict(json.loads(text))

#: ``ParamResult.status`` values: ``"unverifiable"`` is a tensor with no wrong element but some that no
#: finite difference could check (a kink within every step above round-off): neither ok nor wrong.
STATUSES = ("ok", "mismatch", "wrong_shape", "nonfinite", "not_checked", "unverifiable")
#: the statuses of a wrong gradient
WRONG_STATUSES = ("mismatch", "wrong_shape", "nonfinite")
#: ``Report.status`` values: every gradient matches; one is wrong (or a problem was found); none is
#: wrong but some elements could not be checked
REPORT_STATUSES = ("ok", "wrong", "unverifiable")


@functools.cache
def dtype_name(dtype: np.dtype) -> str:
    """``dtype.name``, cached: numpy computes it in Python on every access.

    >>> dtype_name(np.dtype(np.float32))
    'float32'
    """
    return str(dtype.name)


@dataclass
class ParamResult:
    """How one parameter's analytic gradient compares with the numerical one.

    ``analytic`` is the user's gradient as given (possibly of the wrong shape);
    ``numeric`` has the parameter's shape, NaN where an element was not
    evaluated (sampled and directional checks). ``rel_error`` is per element
    ``|a - n| / max(|a|, |n|, atol / rtol)``; an element is wrong when it exceeds
    ``rtol`` and is not on a kink. ``unverifiable`` marks the elements no finite difference
    could check (neither counted as wrong nor as a match: the status says so).
    """

    name: str
    shape: tuple[int, ...]
    dtype: str
    status: str
    max_rel_error: float
    n_checked: int = 0
    n_mismatched: int = 0
    n_kinks: int = 0
    n_unverifiable: int = 0
    worst_index: tuple[int, ...] | None = None
    analytic_at_worst: float | None = None
    numeric_at_worst: float | None = None
    grad_shape: tuple[int, ...] | None = None
    message: str = ""
    analytic: np.ndarray | None = field(default=None, repr=False, compare=False)
    numeric: np.ndarray | None = field(default=None, repr=False, compare=False)
    rel_error: np.ndarray | None = field(default=None, repr=False, compare=False)
    kinks: np.ndarray | None = field(default=None, repr=False, compare=False)
    unverifiable: np.ndarray | None = field(default=None, repr=False, compare=False)

    @property
    def ok(self) -> bool:
        """True when every checked element matches (kinks excepted); False when wrong or unverifiable."""
        return self.status in ("ok", "not_checked")

    @property
    def wrong(self) -> bool:
        """True when the gradient is shown wrong (not merely unverifiable)."""
        return self.status in WRONG_STATUSES

    @property
    def size(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64))

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able summary (no arrays); a NaN or infinite number is null, named in ``"nonfinite"``."""
        return with_nonfinite({
            "name": self.name,
            "shape": list(self.shape),
            "dtype": self.dtype,
            "ok": self.ok,
            "status": self.status,
            "max_rel_error": self.max_rel_error,
            "n_checked": self.n_checked,
            "n_mismatched": self.n_mismatched,
            "n_kinks": self.n_kinks,
            "n_unverifiable": self.n_unverifiable,
            "worst_index": list(self.worst_index) if self.worst_index is not None else None,
            "analytic_at_worst": self.analytic_at_worst,
            "numeric_at_worst": self.numeric_at_worst,
            "grad_shape": list(self.grad_shape) if self.grad_shape is not None else None,
            "message": self.message,
        })


@dataclass
class Finding:
    """A diagnosed mistake.

    ``kind`` is a catalogue id (``gradcheck bugs`` lists them), ``params`` the
    parameters it concerns, ``message`` the evidence in one or two sentences and
    ``fix`` what to change. ``evidence`` holds the numbers behind the message. ``layer`` is the
    layer nearest the loss among the parameters (where backprop shows the mistake first), ``layers``
    every layer the parameters are in (a missing 1/m on a whole net spans them all).
    """

    kind: str
    params: list[str]
    message: str
    fix: str = ""
    evidence: dict[str, Any] = field(default_factory=dict)
    layer: int | None = None
    confidence: str = "likely"
    layers: list[int] = field(default_factory=list)

    def layer_label(self) -> str | None:
        """``"layer 2"``, ``"layers 1-3"`` (every layer of a span) or ``"layers 1, 3"``; None without a layer.

        >>> Finding("missing_batch_mean", ["W1", "W2", "W3"], "", layer=3, layers=[1, 2, 3]).layer_label()
        'layers 1-3'
        """
        span = sorted(set(self.layers)) or ([self.layer] if self.layer is not None else [])
        if not span:
            return None
        if len(span) == 1:
            return f"layer {span[0]}"
        if span == list(range(span[0], span[-1] + 1)):
            return f"layers {span[0]}-{span[-1]}"
        return "layers " + ", ".join(str(n) for n in span)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able data; a NaN or infinite number in the evidence is null, named in ``"nonfinite"``."""
        return with_nonfinite({
            "kind": self.kind,
            "params": list(self.params),
            "message": self.message,
            "fix": self.fix,
            "layer": self.layer,
            "layers": list(self.layers),
            "confidence": self.confidence,
            "evidence": self.evidence,
        })


@dataclass(repr=False)
class Report:
    """Everything one check found. ``report.ok`` is the verdict."""

    params: list[ParamResult]
    findings: list[Finding] = field(default_factory=list)
    method: str = "central"
    mode: str = "full"
    rtol: float = 0.0
    atol: float = 0.0
    seed: int | None = None
    loss_value: float = float("nan")
    n_loss_evals: int = 0
    elapsed: float = 0.0
    notes: list[str] = field(default_factory=list)
    localization: str = ""
    #: where the data the diagnosis used came from when nobody passed it (see :mod:`gradcheck.diagnosis.discover`)
    data_source: str = ""
    #: what an "ok" of a fast check rules out and what it does not, from its measured noise ('' for full checks)
    rules_out: str = ""

    # -- verdict -------------------------------------------------------------
    @property
    def ok(self) -> bool:
        """True when every parameter's gradient matches and nothing was found (not when some
        elements could not be checked: see :attr:`status`)."""
        return all(p.ok for p in self.params) and not self.findings

    @property
    def status(self) -> str:
        """``"ok"``, ``"wrong"`` (a gradient is wrong or a problem was found) or ``"unverifiable"``
        (none is wrong, but some elements could not be checked: :attr:`unverifiable` names them).

        >>> Report(params=[]).status
        'ok'
        """
        if self.wrong or self.findings:
            return "wrong"
        return "unverifiable" if self.unverifiable else "ok"

    @property
    def wrong(self) -> list[str]:
        """Names of the parameters whose gradient is wrong, in the given (forward) order."""
        return [p.name for p in self.params if p.wrong]

    @property
    def unverifiable(self) -> list[str]:
        """Names of the parameters with elements no finite difference could check and none wrong."""
        return [p.name for p in self.params if p.status == "unverifiable"]

    @property
    def n_unverifiable(self) -> int:
        """Elements no finite difference could check, over every parameter."""
        return sum(p.n_unverifiable for p in self.params)

    @property
    def headline(self) -> str:
        """The verdict in one line, as the terminal and HTML views open with it.

        >>> Report(params=[], method="central", mode="full", rtol=1e-5, atol=1e-8).headline
        '✔ all gradients match (0 parameters, rtol=1e-05)'
        """
        if self.ok:
            n = len(self.params)
            return f"✔ all gradients match ({n:,} parameter{'' if n == 1 else 's'}, rtol={self.rtol:g})"
        if self.wrong:
            return f"✘ gradients are wrong: {', '.join(self.wrong)}"
        if not self.findings:
            n = self.n_unverifiable
            return (
                f"? could not be checked at {n:,} element{'' if n == 1 else 's'} of {', '.join(self.unverifiable)} "
                f"(a kink within every usable step); no gradient found wrong"
            )
        # every gradient matches the loss once, yet something was found (grads() not repeatable)
        kinds = ", ".join(dict.fromkeys(f.kind for f in self.findings))
        return f"✘ the gradients match the loss, but a problem was found: {kinds} (see below)"

    @property
    def first_wrong(self) -> str | None:
        """The wrong parameter nearest the loss: the first one backprop reaches.

        Backprop order is the reverse of forward order: the given order, or the layer
        numbers in the names when every name has one (see :mod:`gradcheck.layers`).
        """
        wrong = set(self.wrong)
        for name in reversed(forward_order(p.name for p in self.params)):
            if name in wrong:
                return name
        return None

    def __getitem__(self, name: str) -> ParamResult:
        for p in self.params:
            if p.name == name:
                return p
        raise KeyError(f"no parameter named {name!r}; the report has {[p.name for p in self.params]}")

    def __iter__(self) -> Iterator[ParamResult]:
        return iter(self.params)

    def __repr__(self) -> str:
        return (
            f"<Report ok={self.ok} first_wrong={self.first_wrong!r} wrong={self.wrong} "
            f"findings={self.kinds()} method={self.method!r} mode={self.mode!r}>"
        )

    def kinds(self) -> list[str]:
        """The kind ids of the findings, in order."""
        return [f.kind for f in self.findings]

    # -- views ---------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able data: verdict, per-parameter results, findings (layout: :data:`SCHEMA_VERSION`,
        described by :func:`json_schema`). No NaN or infinity: such a number is null and the
        object's ``"nonfinite"`` map names it (``{"loss_value": "nan"}``)."""
        return with_nonfinite({
            "schema_version": SCHEMA_VERSION,
            "ok": self.ok,
            "status": self.status,
            "first_wrong": self.first_wrong,
            "wrong": self.wrong,
            "unverifiable": self.unverifiable,
            "n_unverifiable": self.n_unverifiable,
            "method": self.method,
            "mode": self.mode,
            "rtol": self.rtol,
            "atol": self.atol,
            "seed": self.seed,
            "loss_value": self.loss_value,
            "n_loss_evals": self.n_loss_evals,
            "elapsed_s": round(self.elapsed, 6),
            "localization": self.localization,
            "data_source": self.data_source,
            "rules_out": self.rules_out,
            "notes": list(self.notes),
            "params": [p.to_dict() for p in self.params],
            "findings": [f.to_dict() for f in self.findings],
        })

    def to_json(self, **kwargs: Any) -> str:
        """``json.dumps(self.to_dict())``; keyword arguments go to ``json.dumps``."""
        kwargs.setdefault("indent", 2)
        kwargs.setdefault("allow_nan", False)
        return json.dumps(self.to_dict(), **kwargs)

    def __rich_console__(self, console: Any, options: Any) -> Any:
        from .render import render_report  # shown only when asked for: rich loads with it

        yield render_report(self)

    def __str__(self) -> str:
        from .render import report_to_text  # shown only when asked for: rich loads with it

        return report_to_text(self)

    def _repr_html_(self) -> str:
        from .html import report_to_html  # shown only when asked for

        return report_to_html(self, full_page=False)

    def to_html(self, path: Any = None, title: str | None = None) -> str:
        """A self-contained HTML page of the report; written to ``path`` when given. ``title`` names what was
        checked (``net.py:build``); without one the page's title line names the parameters."""
        from .html import report_to_html  # shown only when asked for

        page = report_to_html(self, full_page=True, title=title)
        if path is not None:
            with open(path, "w", encoding="utf-8") as fh:
                fh.write(page)
        return page


#: How a number JSON cannot hold is named in an object's ``"nonfinite"`` map (its value is null).
NONFINITE_NAMES = ("nan", "inf", "-inf")


def json_safe(obj: Any, nonfinite: dict[str, str] | None = None, path: str = "") -> Any:
    """``obj`` as plain JSON data that ``json.dumps(..., allow_nan=False)`` accepts.

    NaN and infinities become ``None``; when ``nonfinite`` is given, it records which
    (``{"path.to.value": "inf"}``) so the JSON says why a number is null. numpy scalars and
    arrays become Python numbers and lists; tuples become lists; anything else its ``str``.

    >>> found = {}
    >>> json_safe({"a": [1.0, float("inf")], "b": np.float32(0.5)}, found)
    {'a': [1.0, None], 'b': 0.5}
    >>> found
    {'a.1': 'inf'}
    """
    if isinstance(obj, dict):
        return {str(k): json_safe(v, nonfinite, f"{path}.{k}" if path else str(k)) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [json_safe(v, nonfinite, f"{path}.{i}" if path else str(i)) for i, v in enumerate(obj)]
    if isinstance(obj, np.ndarray):
        return json_safe(obj.tolist(), nonfinite, path)
    if isinstance(obj, (bool, np.bool_)):
        return bool(obj)
    if isinstance(obj, (np.integer, int)):
        return int(obj)
    if isinstance(obj, (np.floating, float)):
        x = float(obj)
        if np.isfinite(x):
            return x
        if nonfinite is not None:
            nonfinite[path] = "nan" if x != x else ("inf" if x > 0 else "-inf")
        return None
    if obj is None or isinstance(obj, str):
        return obj
    return str(obj)


def with_nonfinite(data: dict[str, Any]) -> dict[str, Any]:
    """``data`` made JSON-safe, with a ``"nonfinite"`` map naming each number that became null.

    >>> with_nonfinite({"loss_value": float("nan"), "n": 3})
    {'loss_value': None, 'n': 3, 'nonfinite': {'loss_value': 'nan'}}
    """
    found: dict[str, str] = {}
    out: dict[str, Any] = json_safe(data, found)
    if found:
        out["nonfinite"] = found
    return out

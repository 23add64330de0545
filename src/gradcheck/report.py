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
from dataclasses import dataclass, field
from typing import Any, Iterator

import numpy as np

from .layers import forward_order

__all__ = ["Finding", "ParamResult", "Report", "SCHEMA_VERSION"]

#: Version of the JSON layout produced by :meth:`Report.to_dict`.
SCHEMA_VERSION = 1

#: ``ParamResult.status`` values.
STATUSES = ("ok", "mismatch", "wrong_shape", "nonfinite", "not_checked")


@functools.lru_cache(maxsize=None)
def dtype_name(dtype: np.dtype) -> str:
    """``dtype.name``, cached: numpy computes it in Python on every access.

    >>> dtype_name(np.dtype(np.float32))
    'float32'
    """
    return dtype.name


@dataclass
class ParamResult:
    """How one parameter's analytic gradient compares with the numerical one.

    ``analytic`` is the user's gradient as given (possibly of the wrong shape);
    ``numeric`` has the parameter's shape, NaN where an element was not
    evaluated (sampled and directional checks). ``rel_error`` is per element
    ``|a - n| / max(|a|, |n|, atol / rtol)``; an element is wrong when it exceeds
    ``rtol`` and is not on a kink.
    """

    name: str
    shape: tuple[int, ...]
    dtype: str
    status: str
    max_rel_error: float
    n_checked: int = 0
    n_mismatched: int = 0
    n_kinks: int = 0
    worst_index: tuple[int, ...] | None = None
    analytic_at_worst: float | None = None
    numeric_at_worst: float | None = None
    grad_shape: tuple[int, ...] | None = None
    message: str = ""
    analytic: np.ndarray | None = field(default=None, repr=False, compare=False)
    numeric: np.ndarray | None = field(default=None, repr=False, compare=False)
    rel_error: np.ndarray | None = field(default=None, repr=False, compare=False)
    kinks: np.ndarray | None = field(default=None, repr=False, compare=False)

    @property
    def ok(self) -> bool:
        """True when every checked element matches (kinks excepted)."""
        return self.status in ("ok", "not_checked")

    @property
    def size(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64))

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able summary (no arrays)."""
        return {
            "name": self.name,
            "shape": list(self.shape),
            "dtype": self.dtype,
            "ok": self.ok,
            "status": self.status,
            "max_rel_error": _json_float(self.max_rel_error),
            "n_checked": self.n_checked,
            "n_mismatched": self.n_mismatched,
            "n_kinks": self.n_kinks,
            "worst_index": list(self.worst_index) if self.worst_index is not None else None,
            "analytic_at_worst": _json_float(self.analytic_at_worst),
            "numeric_at_worst": _json_float(self.numeric_at_worst),
            "grad_shape": list(self.grad_shape) if self.grad_shape is not None else None,
            "message": self.message,
        }


@dataclass
class Finding:
    """A diagnosed mistake.

    ``kind`` is a catalogue id (``gradcheck bugs`` lists them), ``params`` the
    parameters it concerns, ``message`` the evidence in one or two sentences and
    ``fix`` what to change. ``evidence`` holds the numbers behind the message.
    """

    kind: str
    params: list[str]
    message: str
    fix: str = ""
    evidence: dict[str, Any] = field(default_factory=dict)
    layer: int | None = None
    confidence: str = "likely"

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "params": list(self.params),
            "message": self.message,
            "fix": self.fix,
            "layer": self.layer,
            "confidence": self.confidence,
            "evidence": _jsonable(self.evidence),
        }


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

    # -- verdict -------------------------------------------------------------
    @property
    def ok(self) -> bool:
        """True when every parameter's gradient matches and nothing was found."""
        return all(p.ok for p in self.params) and not self.findings

    @property
    def wrong(self) -> list[str]:
        """Names of the parameters whose gradient is wrong, in the given (forward) order."""
        return [p.name for p in self.params if not p.ok]

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
        """Plain JSON-able data: verdict, per-parameter results, findings."""
        return {
            "schema_version": SCHEMA_VERSION,
            "ok": self.ok,
            "first_wrong": self.first_wrong,
            "wrong": self.wrong,
            "method": self.method,
            "mode": self.mode,
            "rtol": self.rtol,
            "atol": self.atol,
            "seed": self.seed,
            "loss_value": _json_float(self.loss_value),
            "n_loss_evals": self.n_loss_evals,
            "elapsed_s": round(self.elapsed, 6),
            "localization": self.localization,
            "notes": list(self.notes),
            "params": [p.to_dict() for p in self.params],
            "findings": [f.to_dict() for f in self.findings],
        }

    def to_json(self, **kwargs: Any) -> str:
        """``json.dumps(self.to_dict())``; keyword arguments go to ``json.dumps``."""
        kwargs.setdefault("indent", 2)
        return json.dumps(self.to_dict(), **kwargs)

    def __rich_console__(self, console: Any, options: Any) -> Any:
        from .render import render_report

        yield render_report(self)

    def __str__(self) -> str:
        from .render import report_to_text

        return report_to_text(self)

    def _repr_html_(self) -> str:
        from .html import report_to_html

        return report_to_html(self, full_page=False)

    def to_html(self, path: Any = None) -> str:
        """A self-contained HTML page of the report; written to ``path`` when given."""
        from .html import report_to_html

        page = report_to_html(self, full_page=True)
        if path is not None:
            with open(path, "w", encoding="utf-8") as fh:
                fh.write(page)
        return page


def _json_float(x: Any) -> Any:
    if x is None:
        return None
    x = float(x)
    if np.isnan(x):
        return None
    if np.isinf(x):
        return "inf" if x > 0 else "-inf"
    return x


def _jsonable(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return _jsonable(obj.tolist())
    if isinstance(obj, (np.floating, float)):
        return _json_float(obj)
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.bool_):
        return bool(obj)
    if obj is None or isinstance(obj, (str, int, bool)):
        return obj
    return str(obj)

"""Plots of where a gradient goes wrong (needs ``pip install "gradcheck[plot]"``).

- :func:`plot_errors`: the max relative error of each parameter in backprop order
  (the loss end first), on a log scale, with the tolerance line. The first bar above
  the line is where the error starts.
- :func:`plot_heatmap`: one parameter's ``|analytic - numeric|``, ``analytic / numeric``
  or relative error as an image, so a constant factor (one flat colour), a transpose
  (a pattern mirrored across the diagonal) or a row / column pattern is visible.

matplotlib is imported inside the functions, so ``import gradcheck`` never needs it.
Plotting never computes anything but what it shows: every number is read off the report.

Example:
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np, gradcheck
    >>> from gradcheck.plots import plot_errors
    >>> W = np.array([[1.0, 2.0], [3.0, 4.0]])
    >>> report = gradcheck.check({"W": W}, lambda: float((W ** 2).sum()), {"W": 2 * W.T}, diagnose=False)
    >>> ax = plot_errors(report)
    >>> ax.get_yscale(), len(ax.patches)
    ('log', 1)
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .layers import forward_order
from .report import ParamResult, Report

__all__ = ["plot_errors", "plot_heatmap", "HEATMAP_VALUES"]

#: What :func:`plot_heatmap` can show.
HEATMAP_VALUES = ("diff", "ratio", "rel_error")

_OK, _BAD, _GRAY = "#2da44e", "#cf222e", "#8c959f"
#: Amber for a tensor that no finite difference could check (neither shown wrong nor ok).
_UNSURE = "#bf8700"
#: Bars of an error of exactly 0 are drawn at this height (a log axis has no 0).
_FLOOR = 1e-17
#: Elements whose numerical gradient is smaller than this are left out of a ratio.
_RATIO_EPS = 1e-12
#: A tick label longer than this many characters is wrapped after its dots (``layer3.`` / ``bias``).
_LABEL_LINE = 12
#: Width of one character of a tick label at matplotlib's default 10 pt font, in inches (measured: ~0.07).
_CHAR_IN = 0.075
#: The error plot grows with its labels up to this width (inches); past it, labels are turned 45 degrees.
_MAX_WIDTH_IN = 14.0
#: Values whose spread is below this fraction of their size are one value (a constant factor), not a range.
_FLAT = 1e-6


def _pyplot() -> Any:
    try:
        import matplotlib.pyplot as plt  # lazy: matplotlib is an optional dependency (the plot extra)
    except ImportError as exc:
        raise ImportError(
            'gradcheck\'s plots need matplotlib: pip install "gradcheck[plot]"'
        ) from exc
    return plt


def _axes(ax: Any, figsize: tuple[float, float]) -> Any:
    if ax is not None:
        return ax
    plt = _pyplot()
    _, ax = plt.subplots(figsize=figsize, layout="constrained")
    return ax


def plot_errors(report: Report, *, ax: Any = None, order: str = "backprop", title: str | None = None) -> Any:
    """Bar chart of each parameter's max relative error, log scale, with the tolerance line.

    Args:
        report: a :class:`~gradcheck.report.Report`.
        ax: a matplotlib Axes to draw into (a new figure otherwise).
        order: ``"backprop"`` (loss end first, the order the errors flow in) or ``"forward"``.
        title: the axes title; by default the verdict and the first wrong parameter.

    Returns:
        The matplotlib Axes (one bar per parameter; red above the tolerance, green below,
        amber when no finite difference could check it, gray when not checked; a hatched bar to the top for a gradient of the wrong shape
        or with NaN / inf).

    Example:
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> import numpy as np, gradcheck
        >>> a, b = np.array([1.0]), np.array([2.0])
        >>> r = gradcheck.check({"a": a, "b": b}, lambda: float(a[0] * b[0]), {"a": b.copy(), "b": 2 * a}, diagnose=False)
        >>> ax = plot_errors(r)
        >>> [t.get_text() for t in ax.get_xticklabels()]
        ['b', 'a']
    """
    if order not in ("backprop", "forward"):
        raise ValueError(f"order must be 'backprop' or 'forward', got {order!r}")
    if not isinstance(report, Report):
        raise TypeError(f"plot_errors needs a gradcheck Report, got {type(report).__name__}")
    names = forward_order(p.name for p in report.params)
    if order == "backprop":
        names = names[::-1]
    results = [report[n] for n in names]
    labels, rotate, figsize = _label_layout(names)
    ax = _axes(ax, figsize)
    bottom, top = _y_range(report, results)
    x = np.arange(len(results))
    _draw_bars(ax, x, results, bottom, top)
    ax.set_yscale("log")
    ax.set_ylim(bottom, top)
    ax.set_xticks(x)
    labels = [literal(lab) for lab in labels]
    if rotate:  # anchored at their bar
        ax.set_xticklabels(labels, rotation=45, ha="right", rotation_mode="anchor")
    else:
        ax.set_xticklabels(labels)
    if report.rtol > 0:
        ax.axhline(report.rtol, color="0.35", linestyle="--", linewidth=1.2, label=f"tolerance rtol = {report.rtol:g}")
        ax.annotate(f"rtol\n{report.rtol:g}", xy=(1.0, report.rtol), xycoords=("axes fraction", "data"),
                    xytext=(4, 0), textcoords="offset points", ha="left", va="center", fontsize="x-small", color="0.35")
    _mark_statuses(ax, x, results, bottom)
    first = report.first_wrong
    if first is not None:
        i = names.index(first)
        ax.get_xticklabels()[i].set_fontweight("bold")
        ax.get_xticklabels()[i].set_color(_BAD)
    where = "loss end first" if order == "backprop" else "input layer first"
    ax.set_xlabel(f"parameter ({order} order, {where})")
    ax.set_ylabel("max relative error")
    if title is None:
        title = _title(report)
    ax.set_title(title)
    return ax


def _label_layout(names: list[str]) -> tuple[list[str], bool, tuple[float, float]]:
    """The tick labels (wrapped after dots), whether they are turned 45 degrees, and the figure size they need."""
    labels = [wrap_label(n) for n in names]
    per_bar = max(0.55, _CHAR_IN * max((len(line) for lab in labels for line in lab.split("\n")), default=1) + 0.2)
    rotate = len(names) * per_bar + 2.0 > _MAX_WIDTH_IN
    if rotate:  # too many to sit side by side even wrapped: whole names, turned
        labels = list(names)
    lines = max((lab.count("\n") + 1 for lab in labels), default=1)
    longest = max((len(n) for n in names), default=1)
    width = min(_MAX_WIDTH_IN, max(4.0, len(names) * (0.35 if rotate else per_bar) + 2.0))
    height = 3.4 + (0.7 * _CHAR_IN * longest if rotate else 0.17 * (lines - 1))
    return labels, rotate, (width, height)


def _y_range(report: Report, results: list[ParamResult]) -> tuple[float, float]:
    finite = [p.max_rel_error for p in results if math.isfinite(p.max_rel_error) and p.max_rel_error > 0]
    top = max(finite + [report.rtol or 1e-6, 1.0]) * 30.0
    bottom = min(finite + [report.rtol or 1e-6, 1e-12]) / 30.0
    return max(bottom, _FLOOR), top


def _title(report: Report) -> str:
    """The verdict: all match, the first wrong parameter, or the tensors no finite difference could check."""
    if report.status == "unverifiable":
        return f"could not be checked: {literal(', '.join(report.unverifiable))}"
    if report.ok:
        return "all gradients match"
    return f"first wrong in backprop order: {literal(str(report.first_wrong))}"


def _draw_bars(ax: Any, x: np.ndarray, results: list[ParamResult], bottom: float, top: float) -> None:
    """Green below the tolerance, red above, amber when unverifiable, gray when not checked, hatched to the top
    for inf / NaN / shape."""
    heights, colors, hatches = [], [], []
    for p in results:
        e = p.max_rel_error
        if p.status == "not_checked" or e != e:
            heights.append(bottom)
            colors.append(_GRAY)
            hatches.append("")
        elif math.isinf(e):
            heights.append(top)
            colors.append(_BAD)
            hatches.append("//")
        else:
            heights.append(max(e, bottom))
            colors.append(_OK if p.ok else _UNSURE if p.status == "unverifiable" else _BAD)
            hatches.append("")
    bars = ax.bar(x, heights, color=colors, edgecolor=colors, width=0.7, bottom=0)
    for bar, hatch in zip(bars, hatches):
        if hatch:
            bar.set_hatch(hatch)
            bar.set_facecolor("none")


def _mark_statuses(ax: Any, x: np.ndarray, results: list[ParamResult], bottom: float) -> None:
    for xi, p in zip(x, results):
        note = {"wrong_shape": "shape", "nonfinite": "NaN/inf", "not_checked": "n/a"}.get(p.status)
        if note:
            ax.annotate(note, (xi, bottom), xytext=(0, 3), textcoords="offset points", ha="center", va="bottom",
                        fontsize="x-small", rotation=90)


def literal(text: str) -> str:
    r"""``text`` shown as written by matplotlib: a ``$`` in a parameter's name starts no formula.

    >>> literal("$W$")
    '\\$W\\$'
    """
    return text.replace("$", r"\$")


def wrap_label(name: str, width: int = _LABEL_LINE) -> str:
    r"""A tick label on lines of about ``width`` characters, broken after dots (``layer3.`` / ``bias``).

    >>> wrap_label("W1"), wrap_label("output_projection.weight")
    ('W1', 'output_projection.\nweight')
    >>> wrap_label("encoder.layers.0.attn.bias")
    'encoder.\nlayers.0.\nattn.bias'
    """
    if len(name) <= width or "." not in name:
        return name
    lines, line = [], ""
    for part in name.split("."):
        piece = part if not line else f"{line}.{part}"
        if line and len(piece) > width:
            lines.append(line + ".")
            line = part
        else:
            line = piece
    lines.append(line)
    return "\n".join(lines)


def plot_heatmap(report: Report, name: str, *, values: str = "diff", ax: Any = None, annotate: bool | None = None) -> Any:
    """One parameter's gradient error as an image (rows and columns as in the parameter).

    Args:
        report: a :class:`~gradcheck.report.Report` (full or sampled; unevaluated elements are blank).
        name: the parameter, e.g. ``"W2"``.
        values: ``"diff"`` for ``|analytic - numeric|``, ``"ratio"`` for ``analytic / numeric``
            (a constant factor is one flat colour; elements with a numerical gradient near 0 are
            blank), ``"rel_error"`` for the per-element relative error.
        ax: a matplotlib Axes to draw into (a new figure otherwise).
        annotate: write each value in its cell (default: when the matrix has at most 64 elements).

    Returns:
        The matplotlib Axes, with one image and a colour bar.

    Raises:
        KeyError: no such parameter. ValueError: the analytic gradient has another shape than
        the parameter, so there is nothing to compare element by element (the report's table
        gives both shapes), or ``values`` is unknown.

    Example:
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> import numpy as np, gradcheck
        >>> W = np.array([[1.0, 2.0], [3.0, 4.0]])
        >>> r = gradcheck.check({"W": W}, lambda: float((W ** 2).sum()), {"W": 4 * W}, diagnose=False)
        >>> ax = plot_heatmap(r, "W", values="ratio")
        >>> round(float(ax.get_images()[0].get_array().mean()), 3)
        2.0
    """
    if values not in HEATMAP_VALUES:
        raise ValueError(f"values must be one of {HEATMAP_VALUES}, got {values!r}")
    p = report[name]
    grid, label = _heatmap_values(p, values)
    plt_ax = _axes(ax, (min(9.0, 1.2 + 0.45 * grid.shape[1]) + 1.5, min(7.0, 1.0 + 0.45 * grid.shape[0])))
    masked = np.ma.masked_invalid(grid)
    import matplotlib as mpl  # present: _axes or the caller's ax needed it

    cmap = mpl.colormaps["viridis"].with_extremes(bad="0.85")
    kwargs: dict[str, Any] = {}
    constant = _constant(masked)
    if constant is not None:
        # one flat value (a constant factor): centre it instead of magnifying round-off
        pad = abs(constant) * 0.1 or 1.0
        kwargs.update(vmin=constant - pad, vmax=constant + pad)
    elif masked.count():
        finite = masked.compressed()
        if values == "ratio" and finite.size >= 8:
            # a few huge ratios (numeric near 0) would wash the picture out: clip the colours, not the data
            kwargs.update(vmin=float(np.percentile(finite, 2)), vmax=float(np.percentile(finite, 98)))
    image = plt_ax.imshow(masked, cmap=cmap, aspect="auto", interpolation="nearest", **kwargs)
    cbar = plt_ax.figure.colorbar(image, ax=plt_ax)
    cbar.set_label(label)
    if constant is not None:  # a range around one value says nothing: the bar shows the value alone
        cbar.set_ticks([constant], labels=[f"{constant:.4g}"])
        cbar.ax.minorticks_off()
    rows, cols = grid.shape
    if annotate is None:
        annotate = grid.size <= 64
    if annotate:
        lo, hi = image.get_clim()
        for (i, j), v in np.ndenumerate(grid):
            if not np.isfinite(v):
                continue
            frac = 0.5 if hi == lo else (v - lo) / (hi - lo)
            plt_ax.text(j, i, f"{v:.3g}", ha="center", va="center", fontsize="x-small",
                        color="black" if frac > 0.55 else "white")
    plt_ax.set_xticks(np.arange(cols) if cols <= 20 else plt_ax.get_xticks()[1:-1])
    plt_ax.set_yticks(np.arange(rows) if rows <= 20 else plt_ax.get_yticks()[1:-1])
    shape_text = "(" + ", ".join(str(s) for s in p.shape) + ("," if len(p.shape) == 1 else "") + ")"
    plt_ax.set_xlabel("column" if len(p.shape) >= 2 else "element")
    plt_ax.set_ylabel("row" if len(p.shape) >= 2 else "")
    title = f"{literal(name)} {shape_text}: {_title_of(p, values, masked)}"
    if len(title) > 6 * plt_ax.figure.get_figwidth():  # about the characters a title line holds per inch
        title = f"{literal(name)} {shape_text}\n{_title_of(p, values, masked)}"
    plt_ax.set_title(title, fontsize="medium")
    return plt_ax


def _constant(masked: Any) -> float | None:
    """The one value of the evaluated elements when they are all the same (within round-off), else None."""
    if not masked.count():
        return None
    finite = masked.compressed()
    v = float(np.median(finite))
    return v if float(np.ptp(finite)) <= _FLAT * max(abs(v), 1e-300) else None


def _as_grid(a: np.ndarray) -> np.ndarray:
    a = np.asarray(a, dtype=np.float64)
    if a.ndim == 0:
        return a.reshape(1, 1)
    if a.ndim == 1:
        return a.reshape(1, -1)
    return a.reshape(a.shape[0], -1)


def _heatmap_values(p: ParamResult, values: str) -> tuple[np.ndarray, str]:
    if p.analytic is None:
        raise ValueError(f"the report holds no analytic gradient for {p.name!r} (status {p.status!r})")
    if p.numeric is None or not np.any(np.isfinite(p.numeric)):
        raise ValueError(
            f"no element of {p.name!r} was evaluated on its own (a fast check compares a tensor that passes along "
            f"one direction only); check with mode='full' or mode='sampled' to see its elements"
        )
    a, n = np.asarray(p.analytic, dtype=np.float64), np.asarray(p.numeric, dtype=np.float64)
    if a.shape != n.shape:
        raise ValueError(
            f"the analytic gradient of {p.name!r} has shape {a.shape} and the parameter {n.shape}: there is no "
            f"element-by-element comparison to plot (a gradient that keeps the batch axis, e.g. a bias not "
            f"summed over the batch, or a transposed gradient of a non-square matrix)"
        )
    if values == "diff":
        return _as_grid(np.abs(a - n)), "|analytic - numeric|"
    if values == "ratio":
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(np.abs(n) > _RATIO_EPS, a / n, np.nan)
        return _as_grid(ratio), "analytic / numeric"
    rel = p.rel_error if p.rel_error is not None else np.full(n.shape, np.nan)
    return _as_grid(rel), "relative error"


def _title_of(p: ParamResult, values: str, masked: Any) -> str:
    constant = _constant(masked)
    names = {"ratio": "analytic / numeric", "diff": "|analytic - numeric|", "rel_error": "relative error"}
    if constant is not None and masked.count() > 1:
        return f"{names[values]} = {constant:.4g} everywhere"
    if values == "ratio" and masked.count():
        return f"analytic / numeric, median {float(np.ma.median(masked)):.3g}"
    if values == "diff":
        return "|analytic - numeric|"
    return "relative error per element"

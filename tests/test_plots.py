"""The plots, drawn with the Agg backend (no display): axes, scales, bars, lines, images."""

from __future__ import annotations

import sys

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

import gradcheck  # noqa: E402
from gradcheck import check  # noqa: E402
from gradcheck.layers import forward_order  # noqa: E402
from gradcheck.plots import plot_errors, plot_heatmap  # noqa: E402
from tests.core_nets import TwoLayerNet  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _report(mistake=None, m=5, n_in=3, n_hidden=4):
    net = TwoLayerNet(n_in, n_hidden, m, mistake=mistake)
    return check(net.params, net.loss, net.grads, diagnose=False)


def _labels(ax):
    return [t.get_text() for t in ax.get_xticklabels()]


def test_backend_draws_without_a_display():
    assert matplotlib.get_backend().lower() == "agg"


def test_error_plot_axes_bars_and_tolerance_line():
    report = _report("sigmoid_at_z")
    ax = plot_errors(report)
    assert ax.get_yscale() == "log"
    assert ax.get_ylabel() == "max relative error"
    assert "backprop order" in ax.get_xlabel()
    assert len(ax.patches) == 4
    assert _labels(ax) == ["b2", "W2", "b1", "W1"]
    tol = [ln for ln in ax.get_lines() if np.allclose(ln.get_ydata(), report.rtol)]
    assert len(tol) == 1 and tol[0].get_linestyle() == "--"
    heights = {name: bar.get_height() for name, bar in zip(_labels(ax), ax.patches)}
    for p in report.params:
        assert (heights[p.name] > report.rtol) == (not p.ok), p.name
    assert ax.get_title() == "first wrong in backprop order: b1"
    red = matplotlib.colors.to_rgba("#cf222e")
    assert [bar.get_facecolor() == red for bar in ax.patches] == [False, False, True, True]


def test_error_plot_forward_order_and_given_axes():
    fig, ax = plt.subplots()
    out = plot_errors(_report(), ax=ax, order="forward")
    assert out is ax and fig.axes[0] is ax
    assert _labels(ax) == ["W1", "b1", "W2", "b2"]
    assert ax.get_title() == "all gradients match"
    assert all(bar.get_height() < 1e-5 for bar in ax.patches)


def test_wrong_shape_bar_reaches_the_top_hatched():
    ax = plot_errors(_report("bias_not_summed", m=6))
    bars = dict(zip(_labels(ax), ax.patches))
    assert bars["b1"].get_hatch() == "//"
    assert bars["b1"].get_height() == pytest.approx(ax.get_ylim()[1])
    assert bars["W1"].get_hatch() is None
    assert "shape" in [t.get_text() for t in ax.texts]


def test_error_plot_rejects_bad_arguments():
    with pytest.raises(ValueError, match="order"):
        plot_errors(_report(), order="sideways")
    with pytest.raises(TypeError, match="Report"):
        plot_errors({"W1": 1.0})


def test_ratio_heatmap_shows_the_batch_size_as_one_flat_colour():
    report = _report("missing_mean", m=5)
    ax = plot_heatmap(report, "W1", values="ratio")
    image = ax.get_images()[0].get_array()
    assert image.shape == (4, 3)
    np.testing.assert_allclose(image, 5.0, rtol=1e-5)
    assert "= 5 everywhere" in ax.get_title()
    assert ax.get_xlabel() == "column" and ax.get_ylabel() == "row"
    assert len(ax.figure.axes) == 2  # the image and its colour bar
    assert ax.figure.axes[1].get_ylabel() == "analytic / numeric"
    assert len(ax.texts) == 12  # small matrix: every cell annotated


def test_diff_heatmap_of_a_transposed_square_gradient_is_symmetric_with_a_zero_diagonal():
    report = _report("transposed", n_in=4, n_hidden=4)
    ax = plot_heatmap(report, "W1")
    diff = np.asarray(ax.get_images()[0].get_array())
    np.testing.assert_allclose(diff, diff.T, atol=1e-9)
    assert np.all(np.diag(diff) < 1e-8) and diff.max() > 1e-4
    assert ax.figure.axes[1].get_ylabel() == "|analytic - numeric|"


def test_heatmap_of_a_bias_vector_and_of_relative_errors():
    report = _report("sigmoid_at_z")
    ax = plot_heatmap(report, "b1", values="rel_error", annotate=False)
    image = ax.get_images()[0].get_array()
    assert image.shape == (4, 1) and not ax.texts
    np.testing.assert_allclose(np.asarray(image).ravel(), report["b1"].rel_error.ravel())


def test_heatmap_refuses_what_cannot_be_compared():
    report = _report("bias_not_summed", m=6)
    with pytest.raises(ValueError, match=r"shape \(4, 6\)"):
        plot_heatmap(report, "b1")
    with pytest.raises(ValueError, match="values"):
        plot_heatmap(report, "W1", values="log")
    with pytest.raises(KeyError, match="W9"):
        plot_heatmap(report, "W9")


def test_missing_matplotlib_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match=r'pip install "gradcheck\[plot\]"'):
        plot_errors(_report())


def test_importing_gradcheck_does_not_import_matplotlib():
    import subprocess

    code = "import sys, gradcheck, gradcheck.plots, gradcheck.html; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def _mlp_report(mode, **kw):
    from gradcheck.nn import MLP

    net = MLP([12, 10, 2], activations="tanh", loss="mse", seed=3)
    X, y = net.random_data(6)
    return check(net.problem(X, y), mode=mode, sample=20, **kw)


def test_sampled_check_leaves_unevaluated_elements_blank():
    report = _mlp_report("sampled")
    ax = plot_heatmap(report, "W1", values="rel_error")
    image = ax.get_images()[0].get_array()
    assert image.shape == (12, 10)
    assert image.count() == report["W1"].n_checked == 20
    assert not ax.texts  # 120 elements: too many to annotate by default


def test_tensor_that_passed_a_fast_check_has_no_elements_to_show():
    report = _mlp_report("fast")
    assert report["W1"].n_checked == 0
    with pytest.raises(ValueError, match="mode='full'"):
        plot_heatmap(report, "W1")
    ax = plot_errors(report)
    assert len(ax.patches) == 4 and ax.get_title() == "all gradients match"


def _dotted_report(names):
    rng = np.random.default_rng(0)
    params = {n: rng.normal(size=(3, 3)) for n in names}
    wrong = names[len(names) // 2]
    return gradcheck.check(params, lambda: float(sum((W ** 2).sum() for W in params.values())),
                           lambda: {n: (4 if n == wrong else 2) * W for n, W in params.items()}, diagnose=False)


@pytest.mark.parametrize("names", [
    [f"layer{i}.{k}" for i in (1, 2, 3) for k in ("weight", "bias")],
    [f"{p}.{k}" for p in ("encoder.block0.attention", "encoder.block0.mlp", "decoder.head", "output_projection")
     for k in ("weight", "bias")],
    [f"W{i}" for i in range(30)],
])
def test_error_plot_labels_never_overlap_and_fit_the_figure(names):
    ax = plot_errors(_dotted_report(names))
    fig = ax.figure
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    texts = ax.get_xticklabels()
    boxes = [t.get_window_extent(renderer) for t in texts]
    assert len(boxes) == len(names)
    angle = texts[0].get_rotation()
    if angle == 0:  # side by side: the boxes are apart
        for a, b in zip(boxes, boxes[1:]):
            assert not a.overlaps(b), (a, b)
    else:  # turned: parallel lines of text, as far apart (across the text) as one line is high
        centres = ax.transData.transform([(i, 0) for i in range(len(names))])[:, 0]
        line = texts[0].get_fontsize() * fig.dpi / 72
        assert np.diff(centres).min() * np.sin(np.radians(angle)) >= line
    page = fig.bbox
    assert all(box.x0 >= page.x0 - 1 and box.x1 <= page.x1 + 1 and box.y0 >= page.y0 - 1 for box in boxes)
    assert "".join(t.get_text() for t in ax.get_xticklabels()).replace("\n", "") == "".join(
        forward_order(names)[::-1])  # every name whole, in backprop order
    plt.close(fig)


def test_wrapped_labels_break_after_dots():
    from gradcheck.plots import wrap_label

    assert wrap_label("layer3.bias") == "layer3.bias"
    assert wrap_label("layer3.weight") == "layer3.\nweight"
    assert wrap_label("no_dots_in_this_long_name") == "no_dots_in_this_long_name"


def test_a_constant_heatmap_shows_the_constant_not_a_range():
    report = _report("missing_mean", m=5)
    ax = plot_heatmap(report, "W1", values="ratio")
    cbar = ax.figure.axes[1]
    assert [t.get_text() for t in cbar.get_yticklabels()] == ["5"]
    assert "= 5 everywhere" in ax.get_title()
    fig = ax.figure
    fig.canvas.draw()
    title = ax.title.get_window_extent(fig.canvas.get_renderer())
    assert title.x0 >= fig.bbox.x0 - 1 and title.x1 <= fig.bbox.x1 + 1  # the title is not cut off
    plt.close(fig)
    ax = plot_heatmap(_report("transposed", n_in=4, n_hidden=4), "W1")
    assert len(ax.figure.axes[1].get_yticklabels()) > 1  # a real range keeps its scale


def test_names_are_shown_as_written_not_as_formulas():
    p = {"cost$1": np.ones((2, 2)), "$W$": np.ones(2)}
    report = check(p, lambda: float(sum((v ** 2).sum() for v in p.values())), {k: 3 * v for k, v in p.items()},
                   diagnose=False)
    ax = plot_errors(report)
    ax.figure.canvas.draw()
    assert sorted(t.get_text() for t in ax.get_xticklabels()) == [r"\$W\$", r"cost\$1"]  # rendered as $W$, cost$1
    ax = plot_heatmap(report, "$W$")
    assert ax.get_title().startswith(r"\$W\$ (2,)")


def test_an_unverifiable_tensor_is_amber_and_named_in_the_title():
    # relu(w) exactly at 0 for w[0], w[1]: their analytic 0.25 lies between the one-sided slopes 0 and 1
    w = np.array([0.0, 0.0, 1.5])
    report = check({"w": w}, lambda: float(np.maximum(w[:2], 0).sum() + w[2] ** 2),
                   {"w": np.array([0.25, 0.25, 3.0])}, diagnose=False)
    assert report.status == "unverifiable"
    ax = plot_errors(report)
    assert ax.get_title() == "could not be checked: w"
    (bar,) = ax.patches
    assert matplotlib.colors.to_hex(bar.get_facecolor()) == "#bf8700"

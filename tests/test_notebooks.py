"""The example notebooks: they execute from a clean kernel, and their outputs say what the text claims.

Each notebook in ``notebooks/`` is executed with nbclient (kernel ``python3`` running this
interpreter, cwd ``notebooks/``, a per-cell timeout). The committed files must also be the
executed build of ``notebooks/build.py``, so what a reader sees on a code host is what runs here.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")
pytest.importorskip("matplotlib")

NOTEBOOKS_DIR = Path(__file__).resolve().parent.parent / "notebooks"

pytestmark = pytest.mark.slow


def _load_build():
    spec = importlib.util.spec_from_file_location("gradcheck_notebooks_build", NOTEBOOKS_DIR / "build.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


build = _load_build()
NAMES = list(build.NOTEBOOKS)
_cache: dict[str, object] = {}


def _executed(name: str):
    """The committed notebook ``name``, executed afresh (once per test session)."""
    if name not in _cache:
        nb = nbformat.read(str(NOTEBOOKS_DIR / f"{name}.ipynb"), as_version=4)
        for cell in nb.cells:
            if cell.cell_type == "code":
                cell.outputs = []
        _cache[name] = build.execute(nb, cwd=NOTEBOOKS_DIR, timeout=build.CELL_TIMEOUT)
    return _cache[name]


def _outputs(nb, mime: str) -> list[str]:
    found = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if out.get("output_type") in ("execute_result", "display_data") and mime in out.get("data", {}):
                found.append(out["data"][mime])
    return found


def _stdout(nb) -> str:
    return "".join(
        out["text"]
        for cell in nb.cells
        for out in cell.get("outputs", [])
        if out.get("output_type") == "stream" and out.get("name") == "stdout"
    )


def _verdicts(html: str) -> dict[str, str]:
    """parameter -> verdict, read off the report's table."""
    return dict(re.findall(r'<code>(\w+)</code></td>.*?<td>(?:<strong|<span) class="gc-\w+">([A-Za-z ]+)<', html))


def _kinds(html: str) -> set[str]:
    return set(re.findall(r'data-kind="([a-z_]+)"', html))


@pytest.mark.parametrize("name", NAMES)
def test_committed_notebook_is_the_executed_build(name):
    path = NOTEBOOKS_DIR / f"{name}.ipynb"
    assert path.exists(), f"{path.name} is missing: run python notebooks/build.py"
    committed = nbformat.read(str(path), as_version=4)
    nbformat.validate(committed)
    fresh = build.build(build.NOTEBOOKS[name])
    assert [(c.cell_type, c.source) for c in committed.cells] == [(c.cell_type, c.source) for c in fresh.cells], (
        f"{path.name} differs from notebooks/build.py: rebuild it"
    )
    code = [c for c in committed.cells if c.cell_type == "code"]
    assert code and all(c.execution_count for c in code), f"{path.name} is committed without its outputs"
    assert not [o for c in code for o in c.outputs if o.output_type == "error"]


def test_01_names_the_mistakes_and_the_fixed_net_learns():
    nb = _executed("01_debug_a_net_that_does_not_learn")
    html = _outputs(nb, "text/html")
    assert len(html) == 2
    buggy, fixed = html
    assert "gradients are wrong: W1, b1, W2, b2, W3, b3" in buggy
    assert {"bias_not_summed", "missing_batch_mean", "activation_derivative_wrong_input"} <= _kinds(buggy)
    first = re.search(r'<tr class="gc-first".*?<code>(\w+)</code>', buggy, flags=re.S)
    assert first and first.group(1) == "b3"
    assert "all gradients match" in fixed and not _kinds(fixed)

    accuracies = [float(a) / 100 for a in re.findall(r"accuracy on the held-out points: ([\d.]+)%", _stdout(nb))]
    assert len(accuracies) == 3
    buggy_acc, gradient_fixed_acc, fixed_acc = accuracies
    assert buggy_acc < 0.7, "the mistaken net is supposed not to learn"
    assert fixed_acc >= 0.95
    assert len(_outputs(nb, "image/png")) == 3  # the data, the error plot + heatmap, the decision boundary


def test_03_checks_the_input_gradient_alone_and_inside_a_net():
    nb = _executed("03_check_your_own_layer")
    alone, alone_fixed, adapter, in_net, in_net_fixed = _outputs(nb, "text/html")
    assert "gradients are wrong: x</strong>" in alone
    assert _verdicts(alone) == {"x": "WRONG", "gamma": "ok", "beta": "ok"}
    assert "all gradients match" in alone_fixed
    assert _verdicts(adapter) == {"input": "ok", "gamma": "ok", "beta": "ok"}
    assert "gradients are wrong: W1, b1</strong>" in in_net
    first = re.search(r'<tr class="gc-first".*?<code>(\w+)</code>', in_net, flags=re.S)
    assert first and first.group(1) == "b1"
    assert "all gradients match (6 parameters" in in_net_fixed
    sums = re.search(r"row sums of the numeric dx: +\[([^\]]*)\]", _stdout(nb))
    assert sums and all(abs(float(v)) < 1e-3 for v in sums.group(1).split())


def test_02_finds_the_smallest_failing_net_and_why_batch_size_1_hid_it():
    nb = _executed("02_property_based_search")
    authors_test, smallest = _outputs(nb, "text/html")
    assert "all gradients match" in authors_test
    out = _stdout(nb)
    found = re.search(r"smallest failing net: (\{.*\})", out)
    assert found and "'batch_size': 2" in found.group(1)
    assert "passes for every net with batch size 1" in out
    assert {"bias_not_summed", "missing_batch_mean"} <= _kinds(smallest)
    assert "gradients match on all 60 nets tried" in out
    # hypothesis words its report "Falsifying example" (older) or "Failing test case" (newer)
    falsified = re.split(r"Falsifying example|[Ff]ailing test case", out, maxsplit=1)
    assert len(falsified) == 2 and re.search(r"problem=build\(widths=\[[\d, ]+\], batch_size=2, seed=\d+\)", falsified[1])

"""The HTML report in a real headless browser: it renders (a screenshot of the asked size that is not
blank), nothing overflows horizontally at a laptop's or a phone's width (long names, the evidence table
opened), the rtol header keeps its number on one line, and the page says which net it is about.

Skipped, saying so, where no Chromium is installed (``apt-get install chromium`` on Debian; ``.ci/run``
installs it).
"""

from __future__ import annotations

import json
import re
import shutil
import struct
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import pytest

import gradcheck

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
BROWSER = next((shutil.which(b) for b in BROWSERS if shutil.which(b)), None)
pytestmark = pytest.mark.skipif(
    BROWSER is None, reason="no Chromium on this machine (apt-get install chromium, or run .ci/run): the HTML "
    "report's browser rendering is not checked")

#: Flags that let Chromium run headless as root in a container, offline, without touching a profile.
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--hide-scrollbars")

LONG = "encoder.layers.0.self_attention.query_projection.weight_matrix_with_a_really_long_suffix"

#: Appended to a copy of the page: measures the layout after load and writes it into the DOM as JSON.
PROBE = """<script>
const root = document.documentElement;
const rtol = document.querySelector("th .gc-nowrap");
const wide = [...document.querySelectorAll("body *")].filter(e => e.getBoundingClientRect().right > innerWidth + 1)
  .map(e => e.tagName + "." + e.className);
document.body.insertAdjacentHTML("beforeend", "<pre id='probe'>" + JSON.stringify({
  scrollWidth: root.scrollWidth, innerWidth: innerWidth, wide: wide.slice(0, 5),
  rtolLines: rtol ? rtol.getClientRects().length : -1,
  title: document.querySelector(".gc-title").textContent,
  evidenceRows: document.querySelectorAll("table.gc-evidence tr").length,
}) + "</pre>");
</script>"""


def _report() -> gradcheck.Report:
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(6, 3)), rng.normal(size=(6, 1))
    params = {LONG: rng.normal(size=(3, 1)), "b": np.zeros(1)}

    def loss() -> float:
        return float(((X @ params[LONG] + params["b"] - y) ** 2).mean())

    def grads() -> dict:
        r = X @ params[LONG] + params["b"] - y
        return {LONG: 2 * X.T @ r, "b": 2 * r.sum(axis=0)}  # not divided by m

    report = gradcheck.check(params, loss, grads, data=(X, y))
    assert not report.ok and report.findings
    report.findings[0].evidence.update(architecture_given=False, layers=[1, 2],
                                       architecture="a dense net " + "(sigmoid, sigmoid; bce loss) " * 6)
    return report


def _chromium(args: list[str], timeout: float = 90) -> subprocess.CompletedProcess:
    with tempfile.TemporaryDirectory() as profile:
        return subprocess.run([BROWSER, *FLAGS, f"--user-data-dir={profile}", *args], capture_output=True,
                              text=True, timeout=timeout)


def _png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", head[16:24])


@pytest.fixture(scope="module")
def page(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("html") / "report.html"
    _report().to_html(path, title="nets/encoder.py:build")
    return path


@pytest.mark.parametrize("width, height", [(1024, 768), (500, 900)])
def test_screenshot_has_the_size_asked_and_is_not_blank(page, tmp_path, width, height):
    import matplotlib.image

    shot = tmp_path / "shot.png"
    proc = _chromium([f"--screenshot={shot}", f"--window-size={width},{height}", page.as_uri()])
    assert shot.is_file(), proc.stderr[-2000:]
    assert _png_size(shot) == (width, height)
    pixels = matplotlib.image.imread(str(shot))[..., :3]
    assert pixels.std() > 0.05  # text and bars, not a blank page
    red = (pixels[..., 0] > 0.6) & (pixels[..., 1] < 0.35) & (pixels[..., 2] < 0.35)
    assert red.sum() > 100  # the red verdict and error bars were painted


@pytest.mark.parametrize("width", [1024, 500])
def test_nothing_overflows_and_the_page_names_its_net(page, tmp_path, width):
    probed = tmp_path / "probed.html"
    html = page.read_text(encoding="utf-8").replace("<details>", "<details open>")
    probed.write_text(html.replace("</body>", PROBE + "</body>"), encoding="utf-8")
    proc = _chromium(["--dump-dom", f"--window-size={width},800", probed.as_uri()])
    found = re.search(r"<pre id=\"probe\">(.*?)</pre>", proc.stdout, re.S)
    assert found, proc.stderr[-2000:]
    layout = json.loads(found.group(1).replace("&quot;", '"').replace("&amp;", "&"))
    assert layout["scrollWidth"] <= layout["innerWidth"], layout
    assert layout["wide"] == [], layout
    # "rtol 1e-05" is never broken mid-number; on a phone's width the bar column is left out
    assert layout["rtolLines"] == (1 if width > 640 else 0), layout
    assert layout["title"] == "gradcheck nets/encoder.py:build"
    assert layout["evidenceRows"] >= 4  # the evidence table, opened, with its readable rows

"""Regenerate the sample outputs in README.md and docs/*.md from the commands that print them.

A sample output in a Markdown file is a fenced ``text`` block right after a directive naming its
command::

    <!-- output: gradcheck check examples/train_step_buggy.py:net -->
    ```text
    ...what the command prints...
    ```

The command runs at a fixed terminal width (100 columns) without colour. When the Markdown file
defines files (fenced ``python`` blocks whose first line is ``# name.py``), the command runs in a
fresh folder holding them; otherwise in the repository's root. ``gradcheck``, ``python`` and
``pytest`` at the start of a command are this interpreter's. The platform lines of a pytest header
(``platform``, ``rootdir``, ``plugins``, ...) are left out, being the machine's, not the project's.

    python tools/update_docs.py            # rewrite every sample output (after changing output)
    python tools/update_docs.py --check    # exit 1 and show the difference where a sample has drifted

``--check`` compares with run times (``0.04 s``) and memory addresses masked, so only real drift
counts; ``tests/test_readme.py`` runs it.
"""

from __future__ import annotations

import argparse
import difflib
import os
import re
import shlex
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: The terminal width the samples are printed at.
WIDTH = 100
#: Seconds one sample's command may take.
TIMEOUT = 300

DIRECTIVE = re.compile(r"^<!-- output: (?P<command>.+?) -->\n```text\n(?P<body>.*?)^```$", re.M | re.S)
NAMED_FILE = re.compile(r"^```python\n# (?P<name>[\w./-]+\.py)\n(?P<body>.*?)^```$", re.M | re.S)
#: Lines of a pytest header that describe the machine the sample was made on.
MACHINE_LINES = re.compile(r"^(platform |rootdir: |configfile: |plugins: |cachedir: |hypothesis profile |Using --randomly).*\n", re.M)
#: What changes from run to run without being drift: durations and memory addresses.
VOLATILE = [(re.compile(r"\b\d+\.\d+ ?s\b"), "N s"), (re.compile(r"0x[0-9a-f]{6,}"), "0x..."),
            (re.compile(r"\bin \d+\.\d+s\b"), "in Ns"),
            (re.compile(r"={3,}"), "==="),  # pytest's summary rule is padded around its duration
            # round-off-level errors (below 1e-6) change their digits with the BLAS build and its kernel
            (re.compile(r"\b\d(?:\.\d+)?e-(?:0[7-9]|[1-9]\d)\b"), "<1e-6")]


@dataclass
class Sample:
    path: Path
    command: str
    start: int
    end: int
    text: str


def samples(path: Path) -> list[Sample]:
    """The sample outputs of one Markdown file, in order."""
    doc = path.read_text(encoding="utf-8")
    return [Sample(path, m["command"], m.start("body"), m.end("body"), m["body"]) for m in DIRECTIVE.finditer(doc)]


def documents() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def _argv(command: str) -> list[str]:
    argv = shlex.split(command)
    head = {"gradcheck": [sys.executable, "-m", "gradcheck"], "python": [sys.executable],
            "pytest": [sys.executable, "-m", "pytest"]}
    return head.get(argv[0], argv[:1]) + argv[1:]


def run(sample: Sample) -> str:
    """What the sample's command prints (stdout, then stderr), as the sample shows it."""
    env = {**os.environ, "COLUMNS": str(WIDTH), "LINES": "50", "NO_COLOR": "1", "TERM": "dumb",
           "PYTHONHASHSEED": "0", "PYTHONDONTWRITEBYTECODE": "1"}
    # Pytest and hypothesis print more on a CI machine (full summary lines, a reproduce blob) and
    # HYPOTHESIS_PROFILE/PYTEST_ADDOPTS change a run: the samples show what a user's shell prints.
    for name in ("FORCE_COLOR", "CI", "BUILD_NUMBER", "TF_BUILD", "GITHUB_ACTIONS", "HYPOTHESIS_PROFILE",
                 "PYTEST_ADDOPTS"):
        env.pop(name, None)
    files = {m["name"]: m["body"] for m in NAMED_FILE.finditer(sample.path.read_text(encoding="utf-8"))}
    with tempfile.TemporaryDirectory() as tmp:
        cwd = Path(tmp) if files else ROOT
        for name, body in files.items():
            (cwd / name).write_text(body, encoding="utf-8")
        if files:
            env["PYTHONPATH"] = os.pathsep.join([tmp, env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
        proc = subprocess.run(_argv(sample.command), cwd=cwd, env=env, capture_output=True, text=True, timeout=TIMEOUT)
    text = proc.stdout + proc.stderr
    text = MACHINE_LINES.sub("", text)
    return "\n".join(line.rstrip() for line in text.splitlines()) + "\n"


def normalize(text: str) -> str:
    for pattern, replacement in VOLATILE:
        text = pattern.sub(replacement, text)
    return text


def drift(sample: Sample) -> str:
    """The difference between the sample and what its command prints now ("" when none)."""
    now = run(sample)
    if normalize(now) == normalize(sample.text):
        return ""
    diff = difflib.unified_diff(sample.text.splitlines(), now.splitlines(), f"{sample.path.name} (shown)",
                                f"{sample.command} (printed now)", lineterm="", n=1)
    return "\n".join(diff)


def update(path: Path) -> int:
    """Rewrite the samples of one file with what their commands print; returns how many changed."""
    doc = path.read_text(encoding="utf-8")
    changed = 0
    for sample in reversed(samples(path)):  # from the end, so earlier offsets stay valid
        now = run(sample)
        if normalize(now) != normalize(sample.text):
            changed += 1
        doc = doc[: sample.start] + now + doc[sample.end:]
    path.write_text(doc, encoding="utf-8")
    return changed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Regenerate (or --check) the sample outputs of README.md and docs/*.md.")
    parser.add_argument("--check", action="store_true", help="only compare; exit 1 where a sample has drifted")
    args = parser.parse_args(argv)
    if args.check:
        found = [(s, d) for path in documents() for s in samples(path) if (d := drift(s))]
        for s, d in found:
            print(f"{s.path.relative_to(ROOT)}: the output of `{s.command}` has drifted:\n{d}\n")
        if found:
            print("run `python tools/update_docs.py` to regenerate the samples")
        return 1 if found else 0
    for path in documents():
        n = update(path)
        print(f"{path.relative_to(ROOT)}: {len(samples(path))} sample(s), {n} changed")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Load a net file of nets/ as a fresh module, its prints silenced."""

from __future__ import annotations

import contextlib
import importlib.util
import io
import itertools
from pathlib import Path
from types import ModuleType

NETS = Path(__file__).parent / "nets"
_counter = itertools.count()


def load(file: str) -> ModuleType:
    """A fresh module object for nets/FILE (each call runs the file again)."""
    path = NETS / file
    spec = importlib.util.spec_from_file_location(f"doors_corpus_net_{next(_counter)}", path)
    module = importlib.util.module_from_spec(spec)
    with contextlib.redirect_stdout(io.StringIO()):
        spec.loader.exec_module(module)
    return module

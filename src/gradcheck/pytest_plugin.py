"""pytest plugin for gradcheck (registered under the ``pytest11`` entry point)."""

from __future__ import annotations

"""Validate gradcheck's JSON output: strict JSON (no NaN or Infinity) that the shipped schema accepts."""

from __future__ import annotations

import json
import warnings
from typing import Any

from gradcheck.report import SCHEMA_VERSION, json_schema


def _no_constants(name: str) -> Any:
    raise AssertionError(f"JSON output holds {name}, which is not JSON")


def parse_valid(text: str) -> dict[str, Any]:
    """``text`` parsed as exactly one JSON document that the schema accepts (AssertionError otherwise)."""
    doc = json.loads(text, parse_constant=_no_constants)
    assert isinstance(doc, dict) and doc.get("schema_version") == SCHEMA_VERSION, doc
    try:
        import jsonschema
    except ImportError:  # an environment installed before the test extra had it; CI installs it
        warnings.warn("jsonschema is not installed (pip install -e '.[test]'): JSON output checked without its schema",
                      stacklevel=2)
        return doc
    jsonschema.validate(doc, json_schema(), cls=jsonschema.Draft202012Validator)
    return doc

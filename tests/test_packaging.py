"""Packaging metadata: one version, an SPDX licence with its file, the schema shipped in the package."""

from __future__ import annotations

import re
import sys
from importlib.metadata import metadata, version
from pathlib import Path

import pytest

import gradcheck

ROOT = Path(__file__).resolve().parent.parent

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    tomllib = pytest.importorskip("tomli")


def _pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def test_the_version_is_written_once():
    project = _pyproject()["project"]
    assert gradcheck.__version__ == version("gradcheck") == project["version"]
    hits = [p for p in (ROOT / "src").rglob("*.py") if re.search(r"__version__\s*=\s*['\"]", p.read_text())]
    assert hits == []


def test_license_is_an_spdx_string_with_its_file():
    project = _pyproject()["project"]
    assert project["license"] == "MIT" and project["license-files"] == ["LICENSE"]
    assert (ROOT / "LICENSE").read_text().startswith("MIT License")
    assert metadata("gradcheck").get("License-Expression") == "MIT"


def test_metadata_for_an_index_page():
    project = _pyproject()["project"]
    assert project["authors"] and len(project["keywords"]) >= 5
    assert "Typing :: Typed" in project["classifiers"] and "Framework :: Pytest" in project["classifiers"]
    assert not any(c.startswith("License ::") for c in project["classifiers"])  # SPDX replaces them
    for url in project.get("urls", {}).values():  # only real addresses: none is better than an invented one
        assert url.startswith("https://") and "example" not in url


def test_the_json_schema_is_package_data():
    assert "*.schema.json" in _pyproject()["tool"]["setuptools"]["package-data"]["gradcheck"]
    assert (Path(gradcheck.__file__).parent / "output.schema.json").is_file()

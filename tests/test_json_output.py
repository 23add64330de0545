"""Every --json output and Report.to_dict(): strict JSON with a schema_version, valid against the shipped
schema, never NaN or Infinity (null, and the reason in the object's "nonfinite" map)."""

from __future__ import annotations

import json
import textwrap

import numpy as np
import pytest

import gradcheck
from gradcheck.cli import main
from gradcheck.report import Finding, json_schema

from .jsoncheck import parse_valid
from .test_cli import MAPPING_NET

jsonschema = pytest.importorskip("jsonschema", reason="the test extra installs jsonschema: pip install -e '.[test]'")

NET = MAPPING_NET + """
    def widths_factory(n_hidden=3, batch_size=4, seed=0):
        return build(seed, batch_size)
"""


@pytest.fixture
def net(tmp_path):
    path = tmp_path / "net.py"
    path.write_text(textwrap.dedent(NET))
    return str(path)


def test_the_schema_is_a_valid_draft_2020_12_schema():
    jsonschema.Draft202012Validator.check_schema(json_schema())


def test_the_schema_rejects_what_it_should():
    schema = json_schema()
    good = gradcheck.check({"w": np.ones(2)}, lambda: 1.0, {"w": np.zeros(2)}).to_dict()
    jsonschema.validate(good, schema)
    for broken in ({**good, "ok": "yes"}, {k: v for k, v in good.items() if k != "params"},
                   {**good, "schema_version": 1}, {**good, "params": [{"name": "w"}]}, {**good, "rules_out": 3}):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(broken, schema)


@pytest.mark.parametrize("argv, code", [
    (["check", "{net}:build", "--json"], 0),
    (["check", "{net}:build_wrong", "--json"], 1),
    (["check", "{net}:build", "--json", "--mode", "fast"], 0),
    (["check", "{net}:missing", "--json"], 2),
    (["check", "{net}:build", "--json", "--method", "magic"], 2),
    (["check", "--json"], 2),
    (["bugs", "--json"], 0),
    (["bugs", "sign_flipped", "--json"], 0),
    (["bugs", "no_such_mistake", "--json"], 2),
    (["demo", "--json"], 0),
    (["search", "{net}:widths_factory", "--json", "--max-examples", "3", "--seed", "1"], 0),
])
def test_every_command_writes_schema_valid_json(net, capsys, argv, code):
    assert main([a.replace("{net}", net) for a in argv]) == code
    doc = parse_valid(capsys.readouterr().out)
    assert isinstance(doc.get("error"), dict) == (code == 2)


def test_nonfinite_numbers_are_null_and_named():
    w = np.array([1.0, 2.0])
    report = gradcheck.check({"w": w}, lambda: float(w @ w), {"w": np.array([np.inf, 4.0])}, diagnose=False)
    report.findings.append(Finding("unknown", ["w"], "made up", evidence={"ratio": [np.nan, 2.0], "top": -np.inf}))
    report.loss_value = float("nan")
    text = report.to_json()
    doc = parse_valid(text)
    assert "NaN" not in text and "Infinity" not in text
    assert doc["loss_value"] is None and doc["nonfinite"] == {"loss_value": "nan"}
    assert doc["params"][0]["analytic_at_worst"] is None
    assert doc["params"][0]["nonfinite"]["analytic_at_worst"] == "inf"
    assert doc["findings"][0]["evidence"] == {"ratio": [None, 2.0], "top": None}
    assert doc["findings"][0]["nonfinite"] == {"evidence.ratio.0": "nan", "evidence.top": "-inf"}


def test_a_nan_option_never_reaches_the_json_as_nan(net, capsys):
    code = main(["check", f"{net}:build", "--json", "--rtol", "nan"])
    assert code in (0, 1, 2)  # refused (2) or run; either way the output is JSON
    doc = parse_valid(capsys.readouterr().out)
    if "error" not in doc:
        assert doc["rtol"] is None and doc["nonfinite"]["rtol"] == "nan"


def test_report_to_json_refuses_nan_even_if_given_a_raw_dict():
    with pytest.raises(ValueError):
        json.dumps({"x": float("nan")}, allow_nan=False)
    assert json.loads(gradcheck.check({"w": np.ones(1)}, lambda: 0.0, {"w": np.zeros(1)}).to_json())["ok"]

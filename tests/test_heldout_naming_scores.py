"""The held-out naming set (tests/heldout_naming), checked as a user calls gradcheck:
``check(params, loss, grads)`` without ``data=``. Every buggy net is flagged on exactly its wrong
parameters, no correct net raises an alarm, the kind is named on at least 90% of the buggy nets
(and on every one not listed below), and the report says where it found the data."""

from __future__ import annotations

import pytest

from tests.heldout_naming import all_cases
from tests.heldout_naming.measure import score, summary

#: buggy nets whose kind is not named yet
NOT_NAMED_YET: set[str] = set()
#: buggy nets whose data no rule finds yet
NO_DATA_LINE_YET: set[str] = set()


@pytest.fixture(scope="module")
def rows():
    return [score(c) for c in all_cases()]


def test_every_buggy_net_is_flagged_on_its_wrong_parameters_and_no_correct_one_is(rows):
    for r in rows:
        assert not r["error"], (r["case"], r["error"])
        if r["truth"] == ["correct"]:
            assert not r["false_alarm"], (r["case"], r["kinds"])
        else:
            assert r["flagged"] and r["localized"], (r["case"], r["wrong"], r["true_wrong"])


def test_the_kind_is_named(rows):
    buggy = [r for r in rows if r["truth"] != ["correct"]]
    missed = {r["case"] for r in buggy if not r["named"]}
    assert missed <= NOT_NAMED_YET, sorted(missed - NOT_NAMED_YET)
    assert summary(rows)["named_right"]["percent"] >= 90.0


def test_the_data_line_says_where_the_data_came_from(rows):
    for r in rows:
        if r["truth"] != ["correct"] and r["case"] not in NO_DATA_LINE_YET:
            assert r["data_right"], (r["case"], r["data_line"])

"""`anju relocation metrics`: the JSON keys and values, the printed table, scope and errors."""

from __future__ import annotations

import contextvars
import json

import pytest
from click.testing import CliRunner

from anju.cli import main
from anju.relocation import selectors_metrics as sm

from .test_metrics_definitions import build_world

pytestmark = pytest.mark.django_db
KEYS = {"code", "name", "households", "persons", "labour_households", "labour_households_employed", "employment_rate", "monitored_households"}


def invoke(*args: str):
    return contextvars.copy_context().run(CliRunner().invoke, main, list(args))


@pytest.fixture
def users(tree, other_city, make_user):
    build_world()
    return {"city": make_user("city_clerk", "4299", username="m_city"), "county": make_user("county_clerk", "429921", username="m_county")}


def test_json_by_county(users):
    result = invoke("relocation", "metrics", "--as-of", "2026-06-30", "--as", "m_city", "--json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert len(rows) == 9 and all(KEYS <= set(r) for r in rows)
    baiyun = next(r for r in rows if r["code"] == "429921000000")
    assert {k: baiyun[k] for k in KEYS} == {"code": "429921000000", "name": "白云县", "households": 4, "persons": 10, "labour_households": 3,
                                           "labour_households_employed": 2, "employment_rate": pytest.approx(2 / 3), "monitored_households": 2}
    assert isinstance(baiyun["employment_rate"], float) and baiyun["per_capita_income_fen"] == 980_000
    empty = next(r for r in rows if r["code"] == "429902000000")
    assert empty["employment_rate"] is None and empty["households"] == 0


def test_json_by_site_and_scope(users):
    result = invoke("relocation", "metrics", "--as-of", "2026-06-30", "--scope", "429921101", "--by", "site", "--as", "m_county", "--json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert [(r["code"], r["name"], r["households"], r["employment_rate"]) for r in rows] == [
        ("MS-S1", "幸福社区", 2, 1.0), ("MS-S4", "空安置点", 0, None), ("", "未安置到点", 1, None)]


def test_table_and_errors(users):
    result = invoke("relocation", "metrics", "--as-of", "2026-06-30", "--as", "m_county")
    assert result.exit_code == 0, result.output
    assert "白云县" in result.output and "66.67%" in result.output and "合计" in result.output and "青山县" not in result.output
    outside = invoke("relocation", "metrics", "--as-of", "2026-06-30", "--scope", "429922", "--as", "m_county", "--json")
    assert outside.exit_code == 2 and str(sm.MSG_SCOPE_OUTSIDE % {"code": "429922"}) in outside.output
    bad_by = invoke("relocation", "metrics", "--as-of", "2026-06-30", "--by", "village", "--as", "m_city")
    assert bad_by.exit_code == 2
    unknown = invoke("relocation", "metrics", "--as-of", "2026-06-30", "--as", "nobody")
    assert unknown.exit_code == 2

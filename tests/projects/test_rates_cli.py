"""`anju projects rates`: the JSON keys and values (money in 元 as strings, rates as decimal fractions), the printed table,
scope and errors."""

from __future__ import annotations

import contextvars
import json

import pytest
from click.testing import CliRunner

from anju.cli import main
from anju.projects import selectors_rates as sr

from .rates_data import build_rates_world

pytestmark = pytest.mark.django_db
KEYS = {"county_code", "projects", "started", "completed", "allocated", "paid", "start_rate", "completion_rate", "payment_rate"}


def invoke(*args: str):
    return contextvars.copy_context().run(CliRunner().invoke, main, list(args))


@pytest.fixture
def users(tree, other_city, make_user):
    build_rates_world()
    return {"city": make_user("city_clerk", "4299", username="c_city"), "county": make_user("county_clerk", "429921", username="c_county")}


def test_json_per_county(users):
    result = invoke("projects", "rates", "--year", "2026", "--as-of", "2026-09-30", "--as", "c_city", "--json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert len(rows) == 9 and all(KEYS <= set(r) for r in rows)
    by_code = {r["county_code"]: r for r in rows}
    assert by_code["429921"] == {**by_code["429921"], "projects": 3, "started": 2, "completed": 1, "allocated": "2000000.00", "paid": "700000.00",
                                 "start_rate": "0.6667", "completion_rate": "0.3333", "payment_rate": "0.3500", "rank": 1, "level": "red"}
    assert by_code["429922"]["payment_rate"] == "0.3000" and by_code["429922"]["allocated"] == "100000.00"
    empty = by_code["429902"]
    assert (empty["projects"], empty["allocated"], empty["start_rate"], empty["payment_rate"], empty["rank"]) == (0, "0.00", None, None, None)
    assert [r["county_code"] for r in rows][:2] == ["429921", "429922"]  # ranked first, unranked after


def test_json_carried_over_by_source_and_scope(users):
    carried = json.loads(invoke("projects", "rates", "--year", "2026", "--as-of", "2026-09-30", "--carried-over", "--scope", "429921",
                                "--as", "c_city", "--json").stdout)
    assert [(r["county_code"], r["projects"], r["paid"], r["payment_rate"]) for r in carried] == [("429921", 2, "400000.00", "0.6667")]
    sources = json.loads(invoke("projects", "rates", "--year", "2026", "--as-of", "2026-09-30", "--by", "fund_source", "--as", "c_county",
                                "--json").stdout)
    provincial = next(r for r in sources if r["fund_source"] == "provincial")
    assert (provincial["projects"], provincial["allocated"], provincial["paid"], provincial["payment_rate"]) == (1, "200000.00", "50000.00", "0.2500")


def test_table_and_errors(users):
    result = invoke("projects", "rates", "--year", "2026", "--as-of", "2026-09-30", "--as", "c_county")
    assert result.exit_code == 0, result.output
    assert "白云县" in result.output and "35.00%" in result.output and "红色预警" in result.output and "青山县" not in result.output
    outside = invoke("projects", "rates", "--year", "2026", "--as-of", "2026-09-30", "--scope", "429922", "--as", "c_county", "--json")
    assert outside.exit_code == 2 and "不在您的管辖范围内" in outside.output
    bad = invoke("projects", "rates", "--year", "1999", "--as-of", "2026-09-30", "--as", "c_city")
    assert bad.exit_code == 2 and str(sr.MSG_YEAR) in bad.output
    unknown = invoke("projects", "rates", "--year", "2026", "--as-of", "2026-09-30", "--as", "nobody")
    assert unknown.exit_code == 2

"""GET /api/v1/relocation/metrics and its Excel file: figures, total, definitions, scope errors and permissions."""

from __future__ import annotations

import io

import pytest
from python_calamine import CalamineWorkbook

from anju.relocation import selectors_metrics as sm

from .test_metrics_definitions import build_world

pytestmark = pytest.mark.django_db
URL = "/api/v1/relocation/metrics"


@pytest.fixture
def world(tree, other_city):
    return build_world()


def test_table_by_county(world, make_user, api):
    city = api(make_user("city_clerk", "4299"))
    response = city.get(URL, {"as_of": "2026-06-30"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["scope"], body["scope_name"], body["by"], body["income_year"]) == ("4299", "清江市", "county", 2025)
    baiyun = next(r for r in body["rows"] if r["code"] == "429921000000")
    assert (baiyun["households"], baiyun["labour_households_employed"], baiyun["prefix"]) == (4, 2, "429921")
    assert baiyun["employment_rate"] == pytest.approx(2 / 3) and baiyun["per_capita_income_yuan"] == "9800.00"
    assert baiyun["employed_by_kind"]["workshop"] == 1 and baiyun["monitored_by_category"]["sudden"] == 1
    total = body["total"]
    assert (total["name"], total["households"], total["persons"], total["employment_rate"]) == ("合计", 5, 11, 0.75)
    assert len(body["definitions"]) == len(sm.DEFINITIONS)


def test_by_site_scope_and_errors(world, make_user, api):
    county = api(make_user("county_clerk", "429921"))
    body = county.get(URL, {"as_of": "2026-06-30", "by": "site"}).json()
    assert [(r["code"], r["site_id"]) for r in body["rows"]] == [("MS-S1", world["s1"].pk), ("MS-S4", body["rows"][1]["site_id"]),
                                                                  ("MS-S2", world["s2"].pk), ("", None)]
    outside = county.get(URL, {"as_of": "2026-06-30", "scope": "429922"})
    assert outside.status_code == 422 and outside.json()["detail"] == {"field": "scope"}
    assert county.get(URL, {"as_of": "2026-06-30", "by": "village"}).status_code == 422
    assert county.get(URL, {"as_of": "2026-06-30", "scope": "abc"}).status_code == 422


def test_xlsx_reads_back(world, make_user, api):
    city = api(make_user("city_clerk", "4299"))
    response = city.get(URL + "/xlsx", {"as_of": "2026-06-30", "by": "township"})
    assert response.status_code == 200 and response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = CalamineWorkbook.from_filelike(io.BytesIO(response.content)).get_sheet_by_name("后续扶持指标").to_python()
    assert sheet[0][0] == "清江市易地扶贫搬迁后续扶持指标表"
    header = sheet[2]
    assert header[:4] == ["代码", "名称", "搬迁户数", "搬迁人数"] and "至少1人就业率" in header and "低保覆盖率" in header
    body = {row[0]: row for row in sheet[3:6]}
    township = body["429921101000"]
    assert township[2:4] == [3.0, 8.0]
    rate = township[header.index("至少1人就业率")]
    assert rate == pytest.approx(1.0)  # H1 and H2 employed, H3 without labour
    total = sheet[6]
    assert total[1] == "合计" and total[2:4] == [5.0, 11.0] and total[header.index("人均纯收入（元）")] == pytest.approx(10_000.0)
    assert any(str(row[0]).startswith("1. 搬迁人口") for row in sheet[7:])

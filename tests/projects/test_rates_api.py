"""GET /api/v1/projects/rates and /dashboard: the figures as yuan strings and decimal fractions, scope and bad input."""

from __future__ import annotations

import pytest

from anju.projects import selectors_rates as sr

from .rates_data import build_rates_world

pytestmark = pytest.mark.django_db
Q = "year=2026&as_of=2026-09-30"


@pytest.fixture
def client(tree, other_city, make_user, api):
    build_rates_world()
    return api(make_user("city_clerk", "4299"))


def test_rates_table(client):
    body = client.get(f"/api/v1/projects/rates?{Q}").json()
    assert body["scope"] == "4299" and body["by"] == "county" and body["target"] == "0.75" and body["checkpoint"] == "2026-09-30"
    row = body["rows"][0]
    assert (row["code"], row["name"], row["rank"], row["level"]) == ("429921", "白云县", 1, "red")
    assert (row["projects"], row["started"], row["completed"], row["allocated_yuan"], row["paid_yuan"]) == (3, 2, 1, "2000000.00", "700000.00")
    assert (row["start_rate"], row["completion_rate"], row["payment_rate"]) == ("0.6667", "0.3333", "0.3500")
    assert row["last"]["payment_rate"] == "0.5000" and row["last"]["allocated_yuan"] == "1100000.00"
    assert body["total"]["payment_rate"] == "0.3476" and body["total"]["paid_yuan"] == "730000.00"
    assert len(body["definitions"]) == len(sr.DEFINITIONS)
    program = client.get(f"/api/v1/projects/rates?{Q}&by=program&carried_over=true").json()
    assert program["carried_over"] and program["total"]["projects"] == 2


def test_dashboard_data(client):
    body = client.get(f"/api/v1/projects/rates/dashboard?{Q}").json()
    assert body["table"]["total"]["projects"] == 4 and body["carried"]["total"]["projects"] == 2
    assert [m["month"] for m in body["months"]][-1] == "2026-09-01" and body["months"][-1]["payment_rate"] == "0.3476"
    assert body["not_started"][0]["name"] == "湖河镇堰塘整治" and body["not_started"][0]["days_waiting"] == 303
    assert body["low_paid"][0]["paid_share"] == "0.0000"


def test_scope_and_bad_input(client, make_user, api):
    assert client.get(f"/api/v1/projects/rates?{Q}&scope=429821").status_code == 404
    bad = client.get(f"/api/v1/projects/rates?{Q}&by=village")
    assert bad.status_code == 422
    assert client.get("/api/v1/projects/rates?year=1990&as_of=2026-09-30").status_code == 422  # the schema's bounds
    before = client.get("/api/v1/projects/rates?year=2026&as_of=0001-01-01").json()  # a day before the year: nothing counts yet
    assert before["total"]["projects"] == 4 and before["total"]["started"] == 0 and before["total"]["payment_rate"] is None
    assert client.get(f"/api/v1/projects/rates?{Q}&scope=42ab").status_code == 422
    assert client.get(f"/api/v1/projects/rates?{Q}&scope=429999").status_code == 404  # well-formed, no such county
    county = api(make_user("county_clerk", "429922")).get(f"/api/v1/projects/rates?{Q}").json()
    assert [r["code"] for r in county["rows"]] == ["429922"]

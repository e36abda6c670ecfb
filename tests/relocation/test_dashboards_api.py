"""The dashboards API: the dashboard JSON, the map as SVG, ledgers and the report as jobs whose files download; scope,
PII and audit."""

from __future__ import annotations

import io
import json

import defusedxml.ElementTree as DET
import pytest

from anju.core.jobs import job_execute
from anju.core.models import AuditEvent

from .test_dashboards_world import build_world

pytestmark = pytest.mark.django_db
A = "/api/v1/relocation/dashboards"


@pytest.fixture
def world(tree, other_city, make_user):
    w = build_world()
    w["city"] = make_user("city_clerk", "4299", username="da_city")
    w["county"] = make_user("county_clerk", "429921", username="da_county")
    w["leader"] = make_user("leader", "4299", username="da_leader")
    return w


def _post(client, path, data):
    return client.post(path, data=json.dumps(data), content_type="application/json")


def test_dashboard_json(world, api):
    response = api(world["leader"]).get(f"{A}/dashboard?as_of=2026-06-30")
    assert response.status_code == 200, response.content
    d = response.json()
    assert (d["scope"], d["scope_name"], d["child_by"], d["income_line_yuan"]) == ("4299", "清江市", "county", 7000)
    t = d["total"]
    assert (t["households"], t["persons"], t["labour_households"], t["labour_households_employed"]) == (4, 7, 3, 2)
    assert t["employment_rate"] == pytest.approx(2 / 3) and t["per_capita_income_yuan"] == "7333.33"
    assert t["monitored_by_category"] == {"unstable": 1, "marginal": 0, "sudden": 0} and t["employed_by_kind"]["public_post"] == 1
    rows = {r["name"]: r for r in d["rows"]}
    assert rows["白云县"]["prefix"] == "429921" and rows["白云县"]["employment_rate"] == 0.5 and rows["青山县"]["per_capita_income_yuan"] == "12000.00"
    sites = {s["code"]: s for s in d["sites"]}
    assert set(sites) == {"DB-A", "DB-B", "DB-C", "DB-D"}
    assert sites["DB-A"]["occupancy"] == 0.25 and sites["DB-A"]["facilities_in_use"] == ["扶贫车间一号"] and sites["DB-A"]["longitude"] == 110.1
    assert sites["DB-B"]["figures"]["employment_rate"] is None
    assert d["colours"] == {"red": 1, "yellow": 0, "green": 0} and d["risks"] == {"因病": 1}
    assert d["issues"] == {"low_rate_sites": ["DB-A"], "idle_households": 1, "open_signals": {"收入低于监测线": 1}, "overdue_follow_ups": 1}


def test_dashboard_scope(world, api):
    county = api(world["county"])
    d = county.get(f"{A}/dashboard?as_of=2026-06-30").json()
    assert d["child_by"] == "township" and d["total"]["households"] == 3
    assert county.get(f"{A}/dashboard?as_of=2026-06-30&scope=429922").status_code == 404
    assert county.get(f"{A}/dashboard?as_of=2026-06-30&scope=4299").status_code == 404
    township = api(world["city"]).get(f"{A}/dashboard?as_of=2026-06-30&scope=429921101").json()
    assert township["child_by"] == "site" and {r["code"] for r in township["rows"]} >= {"DB-A", "DB-B"}
    assert county.get(f"{A}/dashboard?as_of=2026-06-30&scope=12ab").status_code == 422
    for unknown in ("4", "42992", "429921999"):  # a code outside the scope or of no division: as an unknown object
        assert county.get(f"{A}/dashboard?as_of=2026-06-30&scope={unknown}").status_code == 404, unknown


def test_map_svg(world, api):
    response = api(world["city"]).get(f"{A}/map?as_of=2026-06-30&scope=429922")
    assert response.status_code == 200 and response["Content-Type"].startswith("image/svg+xml")
    root = DET.fromstring(response.content)
    assert {c.get("data-code") for c in root.iter("{http://www.w3.org/2000/svg}circle") if c.get("data-code")} == {"DB-C"}
    assert AuditEvent.objects.filter(action="relocation.map.exported", object_id="429922").exists()


def test_ledger_job_and_file(world, api):
    from python_calamine import CalamineWorkbook

    client = api(world["county"])
    response = _post(client, f"{A}/ledgers", {"kind": "sites", "as_of": "2026-06-30"})
    assert response.status_code == 202, response.content
    job = job_execute(response.json()["id"])
    assert job.state == "succeeded", job.error
    assert job.result["kind"] == "sites" and job.result["scope"] == "429921"
    file = client.get(f"/api/v1/jobs/{job.pk}/file")
    data = b"".join(file.streaming_content) if getattr(file, "streaming", False) else file.content
    rows = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0).to_python()
    assert rows[0][0] == "白云县易地扶贫搬迁安置点台账" and {r[0] for r in rows[3:]} >= {"DB-A", "DB-B", "DB-D"}
    assert "DB-C" not in {r[0] for r in rows}


def test_ledger_refusals(world, api):
    leader = api(world["leader"])
    assert _post(leader, f"{A}/ledgers", {"kind": "support", "as_of": "2026-06-30", "unmasked": True}).status_code == 403
    assert _post(leader, f"{A}/ledgers", {"kind": "payments", "as_of": "2026-06-30"}).status_code == 422
    assert _post(api(world["county"]), f"{A}/ledgers", {"kind": "sites", "as_of": "2026-06-30", "scope": "429821"}).status_code == 404
    assert _post(api(world["city"]), f"{A}/ledgers", {"kind": "support", "as_of": "2026-06-30", "unmasked": True}).status_code == 202


def test_report_job(world, api):
    import docx

    client = api(world["city"])
    response = _post(client, f"{A}/reports", {"as_of": "2026-06-30", "doc_number": "清搬办〔2026〕5号"})
    assert response.status_code == 202, response.content
    job = job_execute(response.json()["id"])
    assert job.state == "succeeded", job.error
    file = client.get(f"/api/v1/jobs/{job.pk}/file")
    data = b"".join(file.streaming_content) if getattr(file, "streaming", False) else file.content
    document = docx.Document(io.BytesIO(data))
    assert document.paragraphs[1].text == "清搬办〔2026〕5号"
    assert _post(client, f"{A}/reports", {"as_of": "2026-06-30", "doc_number": "a\u0001"}).status_code == 422

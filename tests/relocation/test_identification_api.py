"""Identification through the API, the CLI and the web pages: the workflow end to end, masking, refusals."""

from __future__ import annotations

import contextvars
import datetime as dt
import io
import json

import pytest
from click.testing import CliRunner
from python_calamine import CalamineWorkbook

from anju.cli import main
from anju.core.models import AuditEvent
from anju.relocation.models import Relocation, Survey
from anju.relocation.services import identification as svc
from tests.registry.factories import make_household, resident_id

A = "/api/v1/relocation/identification"
VILLAGE = "429921101201"


def invoke(*args: str):
    return contextvars.copy_context().run(CliRunner().invoke, main, list(args))


@pytest.fixture
def people(tree, make_user):
    return {"clerk": make_user("township_clerk", "429921101", username="ida_t1"),
            "clerk2": make_user("township_clerk", "429921101", username="ida_t2"),
            "county": make_user("county_clerk", "429921", username="ida_c1"),
            "city": make_user("city_clerk", "4299", username="ida_city"),
            "leader": make_user("leader", "429921", username="ida_ld")}


def _post(client, path, data):
    return client.post(path, data=json.dumps(data), content_type="application/json")


def test_api_workflow_rules_and_coverage(people, api):
    clerk, clerk2, county, city = (api(people[k]) for k in ("clerk", "clerk2", "county", "city"))
    make_household("API-HH", [("陈一", "户主")], village=VILLAGE)
    number = resident_id()
    r = _post(clerk, f"{A}/surveys", {"household_number": "API-HH", "head_name": "陈一", "head_id": number, "members": 3,
                                      "conditions": ["stony"], "poverty_registered": True, "per_capita_income_yuan": "3200.5",
                                      "surveyed_on": "2025-01-10"})
    assert r.status_code == 201, r.content
    s = r.json()
    assert (s["division_code"], s["household_number"], s["per_capita_income_yuan"], s["eligible"], s["state"]) == (
        VILLAGE, "API-HH", "3200.50", True, "draft")
    assert s["head_id_masked"] != number and "head_id" not in s
    sid = s["id"]
    bad = _post(clerk, f"{A}/surveys", {"village": VILLAGE, "head_name": "坏", "head_id": "123", "surveyed_on": "2025-01-10"})
    assert bad.status_code == 422 and bad.json()["detail"] == {"field": "head_id"}

    rule = _post(city, f"{A}/rules", {"code": "income", "name": "收入低于线", "field": "per_capita_income_fen", "operator": "lt",
                                      "value": 300_000})
    assert rule.status_code == 201
    assert clerk.get(f"{A}/surveys/{sid}").json()["eligible"] is False
    wrong = _post(city, f"{A}/rules", {"code": "x", "name": "x", "field": "members", "operator": "any_of", "value": ["stony"]})
    assert wrong.status_code == 422 and wrong.json()["detail"] == {"field": "operator"} and "家庭人口" in wrong.json()["message"]
    off = city.patch(f"{A}/rules/{rule.json()['id']}", data=json.dumps({"active": False}), content_type="application/json")
    assert off.status_code == 200 and off.json()["active"] is False
    assert clerk.get(f"{A}/surveys/{sid}").json()["eligible"] is True

    assert clerk.patch(f"{A}/surveys/{sid}", data=json.dumps({"members": 4}), content_type="application/json").json()["members"] == 4
    assert _post(clerk, f"{A}/surveys/{sid}/submit", {}).json()["state"] == "submitted"
    own = _post(clerk, f"{A}/surveys/{sid}/township-confirm", {})
    assert own.status_code == 403 and own.json()["code"] == "own_submission"
    early = _post(county, f"{A}/surveys/{sid}/confirm", {})
    assert early.status_code == 409
    assert _post(clerk2, f"{A}/surveys/{sid}/township-confirm", {"note": "属实"}).json()["state"] == "township_confirmed"
    assert [c["id"] for c in clerk.get(f"{A}/candidates").json()["items"]] == [sid]
    done = _post(county, f"{A}/surveys/{sid}/confirm", {"on": dt.date.today().isoformat()})
    assert done.status_code == 200 and done.json()["state"] == "confirmed"
    assert Relocation.objects.get(survey_id=sid).step == "confirmed"
    assert clerk.get(f"{A}/candidates").json()["count"] == 0

    revealed = _post(clerk, f"{A}/surveys/{sid}/reveal", {})
    assert revealed.json() == {"head_id": number} and revealed.status_code == 200
    assert _post(api(people["leader"]), f"{A}/surveys/{sid}/reveal", {}).status_code == 403

    area = _post(city, f"{A}/areas", {"division": "429921101", "conditions": ["stony"], "designated_on": "2016-01-01"})
    assert area.status_code == 201 and area.json()["division_code"] == "429921101000"
    cov = county.get(f"{A}/coverage").json()
    assert [r["survey_id"] for r in cov["not_moved"]] == [sid] and cov["not_moved"][0]["kind"] == "not_moved"
    assert city.delete(f"{A}/areas/{area.json()['id']}").status_code == 204

    terms = clerk.get(f"{A}/terms?kind=living_condition").json()
    assert terms[0]["code"] == "deep_mountain"
    assert _post(clerk, f"{A}/terms", {"kind": "risk", "code": "new", "name": "新风险"}).status_code == 403
    moved = _post(city, f"{A}/terms/{terms[0]['id']}/move", {"direction": "down"})
    assert moved.status_code == 200 and moved.json()["sort"] == 20


def test_cli_candidates_coverage_and_decisions(people):
    s = svc.survey_create(actor=people["clerk"], village=VILLAGE, head_name="林二", head_id=resident_id(), conditions=["high_cold"],
                          poverty_registered=True, surveyed_on=dt.date.today() - dt.timedelta(days=40))
    out = invoke("relocation", "identification", "candidates", "--scope", "429921101", "--as", "ida_c1", "--json")
    assert out.exit_code == 0, out.output
    assert [json.loads(line)["id"] for line in out.stdout.splitlines()] == [s.pk]
    out = invoke("relocation", "identification", "coverage", "--scope", "429921", "--as", "ida_c1", "--json")
    data = json.loads(out.stdout)
    assert [r["survey_id"] for r in data["overdue"]] == [s.pk] and data["overdue"][0]["days"] == 40
    refused = invoke("relocation", "identification", "survey", "submit", str(s.pk), "--as", "ida_t2")
    assert refused.exit_code != 0 and "只有录入该调查的账号可以提交" in refused.output
    assert json.loads(invoke("relocation", "identification", "survey", "submit", str(s.pk), "--as", "ida_t1", "--json").stdout)["state"] == "submitted"
    assert json.loads(invoke("relocation", "identification", "survey", "confirm", str(s.pk), "--as", "ida_t2", "--json").stdout)["state"] == (
        "township_confirmed")
    rejected = invoke("relocation", "identification", "survey", "reject", str(s.pk), "--reason", "已迁出本县", "--as", "ida_c1", "--json")
    assert json.loads(rejected.stdout) | {} == {"id": s.pk, "state": "rejected", "eligible": True, "township_on": dt.date.today().isoformat(),
                                                "county_on": dt.date.today().isoformat(), "decision_note": "已迁出本县"}
    assert AuditEvent.objects.filter(object_type="survey", object_id=str(s.pk), channel="cli").exclude(action="relocation.survey.created").count() == 3


def test_web_pages_flow_and_export(people, login):
    clerk, clerk2 = login(people["clerk"]), login(people["clerk2"])
    r = clerk.post("/relocation/identification/surveys/new/", {
        "village": VILLAGE, "head_name": "黄三", "head_id": resident_id(), "members": 2, "conditions": ["stony", "disaster"],
        "poverty_registered": "on", "income_yuan": "2,800", "surveyed_on": dt.date.today().isoformat(), "surveyor": "调查员"})
    assert r.status_code == 302, r.content.decode()[:2000]
    s = Survey.objects.get(head_name="黄三")
    assert s.per_capita_income_fen == 280_000 and s.conditions == ["stony", "disaster"]
    page = clerk.get(f"/relocation/identification/surveys/{s.pk}/").content.decode()
    assert s.head_id_masked in page and "提交乡镇确认" in page
    bad = clerk.post("/relocation/identification/surveys/new/", {"village": VILLAGE, "head_name": "x", "head_id": "1234", "members": 1,
                                                                 "surveyed_on": dt.date.today().isoformat()})
    assert bad.status_code == 200 and "身份证号" in bad.content.decode()
    clerk.post(f"/relocation/identification/surveys/{s.pk}/submit/")
    page = clerk2.get(f"/relocation/identification/surveys/{s.pk}/").content.decode()
    assert "乡镇确认" in page
    clerk2.post(f"/relocation/identification/surveys/{s.pk}/township-confirm/", {"note": "属实"})
    s.refresh_from_db()
    assert s.state == "township_confirmed"
    revealed = clerk.post(f"/relocation/identification/surveys/{s.pk}/reveal/")
    assert revealed["Cache-Control"] == "no-store"
    for path in ("surveys/", "candidates/", "coverage/", "areas/", "rules/", "terms/?kind=risk"):
        assert clerk.get(f"/relocation/identification/{path}").status_code == 200, path
    export = clerk.get("/relocation/identification/candidates/export/?division=429921101")
    rows = CalamineWorkbook.from_filelike(io.BytesIO(export.content)).get_sheet_by_index(0).to_python()
    assert [r[5] for r in rows[2:]] == ["黄三"]
    coverage = clerk.get("/relocation/identification/coverage/export/")
    assert CalamineWorkbook.from_filelike(io.BytesIO(coverage.content)).sheet_names == ["迁出区未识别户", "已确认未入住", "逾期未确认"]
    city = login(people["city"])
    r = city.post("/relocation/identification/rules/new/", {"code": "low", "name": "收入低", "field": "per_capita_income_fen",
                                                            "operator": "lt", "value": "2000", "active": "on"})
    assert r.status_code == 302
    s.refresh_from_db()
    assert s.eligible is False  # 2,800 元 is not below 2,000 元 (the form takes 元)

"""Projects API: list and filters, create (元 strings), read with money totals and next-stage problems, change (the core
fields after 立项), stage, dates, timeline, the vocabularies, scope."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from anju.core.models import AuditEvent
from anju.projects.models import Project, Stage, Term
from anju.projects.services import projects as svc
from anju.projects.services import projects_terms as ts
from anju.projects.services import stages

from .factories import OTHER_VILLAGE, VILLAGE, make_allocation, make_payment, make_project

A = "/api/v1/projects"


@pytest.fixture
def people(make_user, other_city):
    return {"clerk": make_user("county_clerk", "429921", username="a_clerk"), "city": make_user("city_clerk", "4299", username="a_city"),
            "other": make_user("county_clerk", "429821", username="a_other"), "leader": make_user("leader", "429921", username="a_leader")}


def send(client, method, path, body=None):
    return getattr(client, method)(path, data=json.dumps(body or {}), content_type="application/json")


NEW = {"code": "API-001", "name": "接口登记项目", "division_code": "429921101201", "program": "reservoir", "category": "infrastructure",
       "planned_investment_yuan": "123456.78", "year": 2026, "owner": "a_leader", "planned_start": "2026-04-01"}


def test_create_read_and_list(people, api):
    client = api(people["clerk"])
    response = send(client, "post", A, NEW)
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["code"], body["stage"], body["stage_label"], body["planned_investment_yuan"], body["owner"]) == (
        "API-001", "reserve", "储备", "123456.78", "a_leader")
    assert (body["county_name"], body["category_name"], body["allocated_yuan"], body["payment_rate"]) == ("白云县", "基础设施", "0.00", None)
    assert body["next_stage"] == "applied" and body["stage_problems"] == [] and body["actions"]["edit"] is True
    assert Project.objects.get(code="API-001").planned_investment == 12_345_678
    assert send(client, "post", A, NEW).json()["code"] == "project_code_taken"
    bad = send(client, "post", A, {**NEW, "code": "API-002", "category": "nope"})
    assert bad.status_code == 422 and bad.json()["message"] == str(svc.MSG_CATEGORY % {"value": "nope"})
    assert bad.json()["detail"] == {"field": "category"}
    assert send(client, "post", A, {**NEW, "code": "API-003", "planned_investment_yuan": "1.234"}).status_code == 422  # beyond a fen
    assert send(client, "post", A, {**NEW, "code": "API-004", "division_code": "429821100200"}).status_code == 422
    assert send(api(people["leader"]), "post", A, {**NEW, "code": "API-005"}).status_code == 403
    make_project(code="API-OTHER", division_code=OTHER_VILLAGE)
    make_project(code="API-OLD", year=2024, stage=Stage.APPROVED)
    listing = client.get(f"{A}?year=2026").json()
    assert [p["code"] for p in listing["items"]] == ["API-001"] and listing["count"] == 1
    assert {p["code"] for p in client.get(A).json()["items"]} == {"API-001", "API-OLD"}
    assert client.get(f"{A}?stage=approved&county=429921").json()["items"][0]["code"] == "API-OLD"
    assert client.get(f"{A}?stage=nonsense").status_code == 422
    assert client.get(f"{A}?limit=1").json()["count"] == 2


def test_detail_money_and_next_stage_problems(people, api):
    project = make_project(stage=Stage.APPROVED, code="API-M")
    make_allocation(project, 1_000_000, fund_source="central")
    make_allocation(project, 500_000, fund_source="provincial")
    make_payment(project, 600_000, fund_source="central")
    body = api(people["leader"]).get(f"{A}/{project.pk}").json()
    assert (body["allocated_yuan"], body["paid_yuan"], body["payment_rate"]) == ("15000.00", "6000.00", "0.4000")
    assert body["by_source"] == [{"fund_source": "central", "fund_source_name": "中央水库移民扶持基金", "allocated_yuan": "10000.00",
                                  "paid_yuan": "6000.00"},
                                 {"fund_source": "provincial", "fund_source_name": "省级资金", "allocated_yuan": "5000.00", "paid_yuan": "0.00"}]
    assert body["next_stage"] == "implementing" and body["stage_problems"] == [str(stages.MSG_NEEDS_START)]
    assert body["actions"] == {"edit": False, "edit_core": False, "stage": False, "dates": False}
    assert api(people["other"]).get(f"{A}/{project.pk}").status_code == 404
    assert api(people["clerk"]).get(f"{A}/999999").status_code == 404


def test_patch_and_the_core_fields(people, api):
    project = make_project(stage=Stage.APPROVED, code="API-P", name="原名")
    clerk = api(people["clerk"])
    response = send(clerk, "patch", f"{A}/{project.pk}", {"name": "新名"})
    assert response.status_code == 403 and response.json()["code"] == "project_core_locked"
    assert response.json()["message"] == str(svc.MSG_CORE_LOCKED % {"fields": svc.LABELS["name"]})
    ok = send(clerk, "patch", f"{A}/{project.pk}", {"responsible_person": "孙八", "owner": "a_leader", "planned_completion": "2026-12-31"})
    assert ok.status_code == 200 and ok.json()["owner"] == "a_leader" and ok.json()["responsible_person"] == "孙八"
    cleared = send(clerk, "patch", f"{A}/{project.pk}", {"owner": None, "name": None})
    assert cleared.status_code == 200 and cleared.json()["owner"] is None and cleared.json()["name"] == "原名"
    city = send(api(people["city"]), "patch", f"{A}/{project.pk}", {"name": "新名", "planned_investment_yuan": "750000"})
    assert city.status_code == 200 and (city.json()["name"], city.json()["planned_investment_yuan"]) == ("新名", "750000.00")
    assert send(api(people["other"]), "patch", f"{A}/{project.pk}", {"note": "x"}).status_code == 404
    assert send(api(people["leader"]), "patch", f"{A}/{project.pk}", {"note": "x"}).status_code == 403
    assert AuditEvent.objects.filter(action="projects.project.updated").count() == 3


def test_stage_dates_and_timeline(people, api):
    clerk = api(people["clerk"])
    project = make_project(stage=Stage.RESERVE, code="API-S", planned_investment=150_000_000)
    skip = send(clerk, "post", f"{A}/{project.pk}/stage", {"to_stage": "reviewing"})
    assert skip.status_code == 422 and skip.json()["code"] == "stage_not_allowed"
    design = send(clerk, "post", f"{A}/{project.pk}/stage", {"to_stage": "applied"})
    assert design.status_code == 422 and "设计" in design.json()["message"]
    Project.objects.filter(pk=project.pk).update(design_institute="市设计院", design_qualified=True)
    moved = send(clerk, "post", f"{A}/{project.pk}/stage", {"to_stage": "applied", "on": "2026-02-01", "note": "申报"})
    assert moved.status_code == 200 and moved.json()["stage"] == "applied"
    back = send(clerk, "post", f"{A}/{project.pk}/stage", {"to_stage": "reserve", "on": "2026-02-10", "note": "退回补充材料"})
    assert back.json()["stage"] == "reserve"
    early = send(clerk, "post", f"{A}/{project.pk}/dates", {"actual_start": "2026-03-01"})
    assert early.status_code == 422 and early.json()["detail"]["field"] == "actual_start"
    approved = make_project(stage=Stage.APPROVED, code="API-D", year=2026)
    started = send(clerk, "post", f"{A}/{approved.pk}/dates", {"actual_start": "2026-03-05"})
    assert started.status_code == 200 and (started.json()["stage"], started.json()["stage_on"]) == ("implementing", "2026-03-05")
    assert started.json()["stage_problems"] == [str(stages.MSG_NEEDS_COMPLETION)]
    order = send(clerk, "post", f"{A}/{approved.pk}/dates", {"actual_completion": "2026-03-01"})
    assert order.status_code == 422 and order.json()["message"] == str(svc.MSG_ACTUAL_ORDER)
    done = send(clerk, "post", f"{A}/{approved.pk}/dates", {"actual_completion": "2026-08-31"})
    assert done.json()["stage"] == "completed"
    timeline = clerk.get(f"{A}/{approved.pk}/timeline").json()
    assert [(t["from_stage"], t["to_stage"], t["on"]) for t in timeline] == [
        ("reserve", "approved", "2026-01-01"), ("approved", "implementing", "2026-03-05"), ("implementing", "completed", "2026-08-31")]
    assert timeline[1]["to_label"] == "实施" and timeline[1]["by"] == "a_clerk"
    assert [t["note"] for t in clerk.get(f"{A}/{project.pk}/timeline").json()] == ["申报", "退回补充材料"]
    assert api(people["other"]).get(f"{A}/{approved.pk}/timeline").status_code == 404
    assert send(api(people["other"]), "post", f"{A}/{approved.pk}/stage", {"to_stage": "accepted"}).status_code == 404
    tomorrow = (dt.date.today() + dt.timedelta(days=1)).isoformat()
    assert send(clerk, "post", f"{A}/{approved.pk}/dates", {"actual_completion": tomorrow}).status_code == 422


def test_terms(people, api):
    city, clerk = api(people["city"]), api(people["clerk"])
    listing = clerk.get(f"{A}/terms?kind=fund_source").json()
    assert [t["code"] for t in listing["items"]] == ["central", "provincial", "three_gorges", "reservoir_area", "local"]
    created = send(city, "post", f"{A}/terms", {"kind": "category", "code": "water", "name": "农村饮水"})
    assert created.status_code == 201 and created.json()["sort"] == 70 and created.json()["kind_label"] == "项目类别"
    term_id = created.json()["id"]
    assert send(city, "post", f"{A}/terms", {"kind": "category", "code": "water2", "name": "农村饮水"}).json()["code"] == "term_name_taken"
    assert send(city, "post", f"{A}/terms", {"kind": "category", "code": "水", "name": "水"}).status_code == 422
    immutable = send(city, "patch", f"{A}/terms/{term_id}", {"code": "drinking", "name": "饮水"})
    assert immutable.status_code == 422 and immutable.json()["message"] == str(ts.MSG_TERM_CODE_IMMUTABLE)
    renamed = send(city, "patch", f"{A}/terms/{term_id}", {"name": "农村饮水安全", "active": False})
    assert renamed.status_code == 200 and (renamed.json()["name"], renamed.json()["active"]) == ("农村饮水安全", False)
    assert clerk.get(f"{A}/terms?kind=category&active=true").json()["count"] == 6
    assert send(clerk, "post", f"{A}/terms", {"kind": "category", "code": "x", "name": "x"}).status_code == 403
    assert send(clerk, "patch", f"{A}/terms/{term_id}", {"name": "y"}).status_code == 403
    make_project(category="industry")
    industry = Term.objects.get(kind="category", code="industry")
    in_use = city.delete(f"{A}/terms/{industry.pk}")
    assert in_use.status_code == 409 and in_use.json()["code"] == "term_in_use"
    assert city.delete(f"{A}/terms/{term_id}").status_code == 204
    assert city.delete(f"{A}/terms/{term_id}").status_code == 404
    assert list(AuditEvent.objects.filter(action__startswith="projects.term.").order_by("id").values_list("action", flat=True)) == [
        "projects.term.created", "projects.term.updated", "projects.term.deleted"]


def test_project_village_code_is_required_in_full_form(people, api):
    response = send(api(people["clerk"]), "post", A, {**NEW, "code": "API-V", "division_code": VILLAGE[:10]})
    assert response.status_code == 422

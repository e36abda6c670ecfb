"""The planning API (/api/v1/projects/planning): plans, targets, projects and the execution report; guidelines; applications
with their checks, submission, review, scores and decisions; amounts as yuan strings; scope, roles and errors."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from django.utils import timezone
from python_calamine import CalamineWorkbook

from anju.core.models import AuditEvent
from anju.projects.models import Application, Guideline, Plan, PlanTarget, Project, Stage
from anju.projects.services import applications as svc
from anju.projects.services import plans as plan_svc

from .applications_data import actors, application_at, published_guideline, reserve_project
from .factories import make_allocation, make_project

A = "/api/v1/projects/planning"


@pytest.fixture
def people(make_user, other_city):
    return actors(make_user, foreign=True)


@pytest.fixture
def clients(people, api, login):
    out = {who: api(user) for who, user in people.items() if who != "admin"}
    out["admin"] = login(people["admin"])  # TOTP role: its browser session
    return out


def send(client, method: str, path: str, body=None):
    kwargs = {"data": json.dumps(body), "content_type": "application/json"} if body is not None else {}
    response = getattr(client, method)(A + path, **kwargs)
    is_json = response.get("Content-Type", "").startswith("application/json") and response.content
    return response.status_code, (json.loads(response.content) if is_json else response)


def test_plan_crud_targets_projects_and_report(tree, people, clients):
    city = clients["city"]
    status, plan = send(city, "post", "/plans", {"name": "十五五规划", "start_year": 2026, "end_year": 2030, "division_code": "4299"})
    assert status == 201 and (plan["division_code"], plan["state"], plan["actions"]["publish"]) == ("429900000000", "draft", True)
    pid = plan["id"]
    assert send(city, "post", "/plans", {"name": "重复", "start_year": 2026, "end_year": 2030, "division_code": "4299"})[0] == 409
    status, err = send(city, "post", "/plans", {"name": "外市", "start_year": 2031, "end_year": 2035, "division_code": "429821"})
    assert status == 422 and err["message"] == str(plan_svc.MSG_DIVISION)
    assert send(city, "patch", f"/plans/{pid}", {"note": "全市", "end_year": 2030})[1]["note"] == "全市"
    status, targets = send(city, "put", f"/plans/{pid}/targets", {"targets": [
        {"county": "429921", "category": "infrastructure", "projects": 4, "investment_yuan": "2000000"},
        {"county": "429922000000", "category": "industry", "projects": 1, "investment_yuan": "500000.5"}]})
    assert status == 200 and [(t["county"], t["county_name"], t["investment_yuan"]) for t in targets] == [
        ("429921000000", "白云县", "2000000.00"), ("429922000000", "青山县", "500000.50")]
    assert PlanTarget.objects.get(category="industry").investment == 50_000_050
    status, err = send(city, "put", f"/plans/{pid}/targets", {"targets": [{"county": "429821", "category": "x1", "investment_yuan": "1"}]})
    assert status == 422 and err["detail"][0]["column"] == "county" and PlanTarget.objects.count() == 2
    assert send(city, "put", f"/plans/{pid}/targets", {"targets": [{"county": "429921", "category": "industry", "investment_yuan": "1.234"}]})[0] == 422
    p1 = make_project(year=2026, stage=Stage.APPROVED, code="XM-API-1")
    p2 = make_project(year=2027, stage=Stage.RESERVE, code="XM-API-2")
    make_allocation(p1, 60_000_000, doc_date=dt.date(2026, 3, 1))
    status, _ = send(city, "post", f"/plans/{pid}/projects", {"project_ids": [p1.pk], "project_codes": ["XM-API-2"]})
    assert status == 200 and set(Project.objects.filter(plan_id=pid).values_list("code", flat=True)) == {"XM-API-1", "XM-API-2"}
    assert send(city, "post", f"/plans/{pid}/projects", {"project_codes": ["NO-SUCH"]})[0] == 404
    status, listed = send(city, "get", f"/plans/{pid}/projects")
    assert status == 200 and listed["count"] == 2 and listed["items"][0]["planned_investment_yuan"] == "500000.00"
    status, report = send(city, "get", f"/plans/{pid}/report?as_of=2026-06-30")
    assert status == 200 and report["as_of"] == "2026-06-30"
    row = next(r for r in report["rows"] if r["category"] == "infrastructure")
    assert (row["target_projects"], row["projects"], row["project_rate"], row["investment_yuan"], row["investment_rate"]) == (
        4, 1, "0.2500", "600000.00", "0.3000")
    assert report["total"]["target_investment_yuan"] == "2500000.50"
    response = city.get(f"{A}/plans/{pid}/report/export?as_of=2026-06-30")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = CalamineWorkbook.from_filelike(io.BytesIO(response.content)).get_sheet_by_name("按县和类别").to_python()
    assert sheet[3][:4] == ["白云县", "基础设施", 4, 1] and sheet[3][6] == 600_000.0
    assert send(city, "delete", f"/plans/{pid}/projects/{p2.pk}")[0] == 204
    assert send(city, "delete", f"/plans/{pid}/projects/{p2.pk}")[0] == 409
    assert send(city, "post", f"/plans/{pid}/publish")[1]["state"] == "published"
    assert send(city, "delete", f"/plans/{pid}")[0] == 409
    assert send(clients["admin"], "post", f"/plans/{pid}/close")[1]["state"] == "closed"
    status, listing = send(clients["clerk"], "get", "/plans")
    assert status == 200 and [p["id"] for p in listing["items"]] == [pid] and listing["items"][0]["target_projects"] == 5
    assert send(clients["foreign"], "get", f"/plans/{pid}")[0] == 404
    assert send(clients["clerk"], "patch", f"/plans/{pid}", {"note": "x"})[0] == 403
    draft = Plan.objects.create(name="草稿", start_year=2021, end_year=2025, division_code="429900000000")
    assert send(city, "delete", f"/plans/{draft.pk}")[0] == 204 and not Plan.objects.filter(pk=draft.pk).exists()


def test_guideline_crud_in_yuan(tree, people, clients):
    city = clients["city"]
    body = {"year": 2027, "title": "2027年度申报指南", "division_code": "4299", "categories": ["infrastructure"], "programs": ["reservoir"],
            "min_investment_yuan": "100000", "max_investment_yuan": "1000000.5", "required_documents": ["feasibility"],
            "min_beneficiaries": 50, "deadline": "2026-12-31"}
    status, g = send(city, "post", "/guidelines", body)
    assert status == 201, g
    assert (g["min_investment_yuan"], g["max_investment_yuan"], g["state"], g["counts"]) == ("100000.00", "1000000.50", "draft", {})
    assert Guideline.objects.get(pk=g["id"]).max_investment == 100_000_050
    gid = g["id"]
    status, err = send(city, "post", "/guidelines", {**body, "year": 2028, "categories": ["gold"]})
    assert status == 422 and err["detail"] == {"field": "categories"}
    assert send(city, "post", "/guidelines", {**body, "min_investment_yuan": "1.001"})[0] == 422
    assert send(city, "post", "/guidelines", body)[0] == 409
    status, g = send(city, "patch", f"/guidelines/{gid}", {"max_investment_yuan": None, "conditions": "须经村民会议讨论"})
    assert status == 200 and (g["max_investment_yuan"], g["conditions"], g["min_investment_yuan"]) == (None, "须经村民会议讨论", "100000.00")
    assert send(clients["clerk"], "get", f"/guidelines/{gid}")[0] == 404  # a draft is the city's business
    assert send(city, "post", f"/guidelines/{gid}/publish")[1]["state"] == "published"
    assert send(city, "patch", f"/guidelines/{gid}", {"title": "改"})[0] == 409
    status, listing = send(clients["clerk"], "get", "/guidelines?year=2027")
    assert status == 200 and listing["count"] == 1 and listing["items"][0]["required_documents"] == ["feasibility"]
    assert send(clients["clerk"], "post", f"/guidelines/{gid}/close")[0] == 403
    assert send(city, "post", f"/guidelines/{gid}/close")[1]["state"] == "closed"
    assert send(clients["foreign"], "get", f"/guidelines/{gid}")[0] == 404
    scrap = send(city, "post", "/guidelines", {**body, "year": 2029})[1]["id"]
    assert send(city, "delete", f"/guidelines/{scrap}")[0] == 204


def test_application_flow(tree, people, clients):
    published_guideline(people["city"])
    project = reserve_project(code="XM-APPLY", beneficiaries=10)
    clerk, city = clients["clerk"], clients["city"]
    status, err = send(clerk, "post", "/applications", {"requested_by_source_yuan": {"central": "1"}})
    assert status == 422
    status, a = send(clerk, "post", "/applications", {"project_code": "XM-APPLY", "requested_by_source_yuan": {"central": "300000",
                                                                                                            "local": "50000.5"},
                                                       "justification": "改善出行"})
    assert status == 201, a
    assert (a["state"], a["requested_yuan"], a["requested_by_source_yuan"], a["year"]) == (
        "draft", "350000.50", {"central": "300000.00", "local": "50000.50"}, 2027)
    assert a["actions"]["submit"] and not a["actions"]["approve"] and a["reviews"] == []
    aid = a["id"]
    status, checks = send(clerk, "get", f"/applications/{aid}/checks")
    assert status == 200 and [c["code"] for c in checks if not c["ok"]] == ["beneficiaries"]
    status, err = send(clerk, "post", f"/applications/{aid}/submit")
    assert status == 422 and err["code"] == "application_checks_failed" and [d["code"] for d in err["detail"]] == ["beneficiaries"]
    Project.objects.filter(pk=project.pk).update(beneficiaries=80)
    status, a = send(clerk, "patch", f"/applications/{aid}", {"requested_by_source_yuan": {"central": "400000"}})
    assert status == 200 and a["requested_yuan"] == "400000.00" and all(c["ok"] for c in a["checks"])
    status, a = send(clerk, "post", f"/applications/{aid}/submit")
    assert status == 200 and a["state"] == "submitted" and a["submitted_by"] == "a_clerk"
    assert send(clerk, "post", f"/applications/{aid}/submit")[0] == 409
    assert send(clerk, "post", f"/applications/{aid}/start-review")[0] == 403
    assert send(city, "post", f"/applications/{aid}/start-review")[1]["state"] == "reviewing"
    status, a = send(city, "post", f"/applications/{aid}/score", {"score": "88", "comment": "好"})
    assert status == 200 and (a["score"], a["rank"]) == ("88.00", 1) and a["reviews"][0]["reviewer"] == "a_city"
    assert send(city, "post", f"/applications/{aid}/approve")[0] == 422  # one review
    assert send(city, "post", f"/applications/{aid}/score", {"score": "101"})[0] == 422
    status, a = send(clients["city2"], "post", f"/applications/{aid}/score", {"score": "91.5"})
    assert a["score"] == "89.75"
    status, seen_by_county = send(clerk, "get", f"/applications/{aid}")
    assert seen_by_county["score"] == "89.75" and seen_by_county["reviews"] == []  # the reviewers' sheets stay with the city
    status, a = send(clients["admin"], "post", f"/applications/{aid}/approve")
    assert status == 200 and (a["state"], a["decided_by"]) == ("approved", "a_admin")
    assert Project.objects.get(pk=project.pk).stage == Stage.APPROVED
    status, ranked = send(clerk, "get", f"/guidelines/{a['guideline_id']}/ranking")
    assert [r["id"] for r in ranked] == [aid]
    response = city.get(f"{A}/guidelines/{a['guideline_id']}/ranking/export")
    rows = CalamineWorkbook.from_filelike(io.BytesIO(response.content)).get_sheet_by_name("评审排名").to_python()
    assert rows[3][:3] == [1, "XM-APPLY", project.name] and rows[3][7] == 400_000.0 and rows[3][9] == 89.75
    status, listing = send(clerk, "get", "/applications?state=approved")
    assert listing["count"] == 1 and listing["items"][0]["review_count"] == 2
    assert send(clients["foreign"], "get", f"/applications/{aid}")[0] == 404
    assert AuditEvent.objects.filter(object_type="application", object_id=str(aid)).count() == 7


def test_return_reject_and_delete(tree, people, clients):
    published_guideline(people["city"])
    a = application_at(Application.State.REVIEWING, people, scores=["70"])
    status, err = send(clients["city"], "post", f"/applications/{a.pk}/return", {"reason": "   "})
    assert status == 422
    status, out = send(clients["city"], "post", f"/applications/{a.pk}/return", {"reason": "补充纪要"})
    assert status == 200 and (out["state"], out["reason"], out["score"], out["actions"]["approve"]) == ("returned", "补充纪要", None, False)
    assert send(clients["clerk"], "get", f"/applications/{a.pk}")[1]["actions"]["submit"] is True
    b = application_at(Application.State.SUBMITTED, people)
    status, out = send(clients["admin"], "post", f"/applications/{b.pk}/reject", {"reason": "不符合重点"})
    assert status == 200 and out["state"] == "rejected"
    c = application_at(Application.State.DRAFT, people)
    assert send(clients["city"], "post", f"/applications/{c.pk}/approve")[0] == 409
    assert send(clients["leader"], "delete", f"/applications/{c.pk}")[0] == 403
    assert send(clients["clerk"], "delete", f"/applications/{c.pk}")[0] == 204
    assert send(clients["clerk"], "delete", f"/applications/{b.pk}")[0] == 409


def test_submitter_may_not_score(tree, people, clients):
    published_guideline(people["city"])
    a = svc.application_create(actor=people["city2"], project=reserve_project(), requested_by_source={"central": 1_000_000})
    svc.application_submit(actor=people["city2"], application=a)
    svc.application_review_start(actor=people["city"], application=a)
    status, err = send(clients["city2"], "post", f"/applications/{a.pk}/score", {"score": "99"})
    assert status == 403 and err["message"] == str(svc.MSG_SUBMITTER_SCORES)
    assert send(clients["city2"], "get", f"/applications/{a.pk}")[1]["actions"]["score"] is False


def test_deadline_passed_guideline_still_lists(tree, people, clients):
    published_guideline(people["city"], deadline=timezone.localdate() - dt.timedelta(days=1))
    a = application_at(Application.State.DRAFT, people)
    status, err = send(clients["clerk"], "post", f"/applications/{a.pk}/submit")
    assert status == 422 and [d["code"] for d in err["detail"]] == ["deadline"]


def test_state_literals_match_the_models():
    from typing import get_args

    from anju.projects import api_applications as m
    from anju.projects.models import Program

    assert set(get_args(m.PlanState)) == set(Plan.State.values) and set(get_args(m.GuidelineState)) == set(Guideline.State.values)
    assert set(get_args(m.ApplicationState)) == set(Application.State.values) and set(get_args(m.ProgramCode)) == set(Program.values)

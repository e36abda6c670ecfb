"""Evaluation API: templates, the evaluation's workflow, the summary and the Word downloads; errors, scope and roles."""

from __future__ import annotations

import io
import json

import docx
import pytest

from anju.core.models import AuditEvent
from anju.projects.models import Evaluation, EvaluationTemplate, Project, Stage
from anju.projects.services import evaluations as svc

from .evaluations_data import YEAR, actors, default_template, indicators, reviewed, scores_totalling, started
from .factories import make_allocation, make_payment, make_project


@pytest.fixture
def people(make_user, other_city):
    return actors(make_user)


A = "/api/v1/projects/evaluations"


def _json(client, method: str, path: str, body=None):
    if method == "get":
        response = client.get(path)
    else:
        response = getattr(client, method)(path, data=json.dumps(body or {}), content_type="application/json")
    return response.status_code, (json.loads(response.content) if response.content else None)


def test_the_workflow_through_the_api(people, api):
    project = make_project(stage=Stage.AUDITED, name="戊村灌溉渠")
    make_allocation(project, 20_000_000)
    make_payment(project, 15_000_000)
    clerk, city = api(people["clerk"]), api(people["city"])

    status, body = _json(clerk, "post", A, {"project_code": project.code, "year": YEAR})
    assert status == 201, body
    eid = body["id"]
    assert (body["state"], body["project_code"], body["county_name"], body["template_id"]) == ("draft", project.code, "白云县", default_template().pk)
    assert body["budget"] == {"allocated_yuan": "200000.00", "paid_yuan": "150000.00", "payment_rate": "0.7500"}
    suggestion = next(i for i in body["items"] if i["code"] == "budget_execution")["suggestion"]
    assert suggestion == "3.75"
    assert body["actions"] == {"score": True, "submit": False, "review": False, "send_back": False, "own_submission": False}

    status, body = _json(clerk, "post", A, {"project_id": project.pk, "year": YEAR})
    assert status == 409 and body["message"] == str(svc.MSG_EXISTS % {"year": YEAR})

    status, body = _json(clerk, "put", f"{A}/{eid}/self-scores", {"scores": {"output_quantity": "15.5"}})
    assert status == 422 and body["message"] == str(svc.MSG_SCORE_RANGE % {"name": "产出数量", "weight": 15})
    assert body["detail"]["fields"] == {"output_quantity": body["message"]}

    scores = scores_totalling("88.75")
    status, body = _json(clerk, "put", f"{A}/{eid}/self-scores", {"scores": dict(list(scores.items())[:5]), "comment": "第一次"})
    assert status == 200 and len(body["self_scores"]) == 5 and body["self_comment"] == "第一次"
    status, body = _json(clerk, "post", f"{A}/{eid}/submit")
    assert status == 422 and body["code"] == "scores_incomplete" and len(body["detail"]["missing"]) == 6

    status, body = _json(clerk, "put", f"{A}/{eid}/self-scores", {"scores": scores})
    assert status == 200 and body["self_comment"] == "第一次" and body["self_total"] is None
    status, body = _json(clerk, "post", f"{A}/{eid}/submit")
    assert status == 200 and (body["state"], body["self_total"], body["submitted_by"]) == ("submitted", "88.75", "ev_clerk")

    status, body = _json(city, "post", f"{A}/{eid}/send-back", {"reason": "请补充满意度调查"})
    assert status == 200 and (body["state"], body["review_comment"]) == ("draft", "请补充满意度调查")
    assert _json(clerk, "post", f"{A}/{eid}/submit")[0] == 200

    status, body = _json(city, "post", f"{A}/{eid}/review", {"scores": {"output_quantity": "0"}, "comment": "复核"})
    assert status == 200, body
    assert (body["state"], body["review_total"], body["grade"], body["grade_label"]) == ("reviewed", "85.00", "good", "良")
    assert Project.objects.get(pk=project.pk).stage == Stage.EVALUATED
    assert _json(city, "post", f"{A}/{eid}/review")[0] == 409

    status, body = _json(city, "get", f"{A}/summary?year={YEAR}")
    baiyun = next(c for c in body["counties"] if c["county_code"] == "429921")
    assert (baiyun["reviewed"], baiyun["average_review_total"], baiyun["grades"]["good"]) == (1, "85.00", 1)

    status, body = _json(city, "get", f"{A}?year={YEAR}&grade=good")
    assert status == 200 and body["count"] == 1 and body["items"][0]["id"] == eid

    response = city.get(f"{A}/{eid}/report")
    assert response.status_code == 200 and docx.Document(io.BytesIO(response.content)).paragraphs[0].text == "戊村灌溉渠项目绩效评价报告"
    response = city.get(f"{A}/report?year={YEAR}&scope=4299")
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    actions = set(AuditEvent.objects.filter(object_type__in=["evaluation", "evaluation_summary"]).values_list("action", flat=True))
    assert actions == {"projects.evaluation.started", "projects.evaluation.scored", "projects.evaluation.submitted",
                       "projects.evaluation.sent_back", "projects.evaluation.reviewed", "projects.evaluation.report_downloaded",
                       "projects.evaluation.summary_downloaded"}


def test_the_submitter_cannot_review_through_the_api(people, api):
    e = started(people, by="city")
    city = api(people["city"])
    assert _json(city, "put", f"{A}/{e.pk}/self-scores", {"scores": scores_totalling("91")})[0] == 200
    assert _json(city, "post", f"{A}/{e.pk}/submit")[0] == 200
    status, body = _json(city, "post", f"{A}/{e.pk}/review")
    assert status == 403 and body["message"] == str(svc.MSG_REVIEWER_IS_SUBMITTER)


def test_scope_and_roles(people, api):
    e = started(people)
    foreign, leader, clerk = api(people["foreign"]), api(people["leader"]), api(people["clerk"])
    assert _json(foreign, "get", f"{A}/{e.pk}")[0] == 404
    assert _json(foreign, "put", f"{A}/{e.pk}/self-scores", {"scores": {}})[0] == 404
    assert foreign.get(f"{A}/{e.pk}/report").status_code == 404
    assert _json(foreign, "get", A)[1]["count"] == 0
    assert _json(leader, "put", f"{A}/{e.pk}/self-scores", {"scores": {}})[0] == 403
    assert _json(leader, "post", A, {"project_code": e.project.code, "year": YEAR - 1})[0] == 403
    assert _json(clerk, "post", f"{A}/{e.pk}/send-back", {"reason": "x"})[0] == 403
    assert _json(clerk, "post", f"{A}/templates", {"name": "x", "indicators": indicators()})[0] == 403
    assert _json(clerk, "post", A, {"year": YEAR})[0] == 422
    assert _json(clerk, "post", A, {"project_code": "NO-SUCH", "year": YEAR})[0] == 404
    assert _json(clerk, "put", f"{A}/{e.pk}/self-scores", {"scores": {"output_quantity": "1\x00"}})[0] == 422


def test_templates_through_the_api(people, api):
    city = api(people["city"])
    status, body = _json(city, "get", f"{A}/templates")
    assert status == 200 and body["items"][0]["name"] == default_template().name and body["items"][0]["indicators"][0]["weight"] == "50"

    bad = indicators()
    bad[0]["weight"] = 45
    status, body = _json(city, "post", f"{A}/templates", {"name": "新模板", "indicators": bad})
    assert status == 422 and body["message"] == str(svc.MSG_GROUP_SUM % {"name": "产出指标", "weight": 45, "sum": 50})

    status, body = _json(city, "post", f"{A}/templates", {"name": "新模板", "indicators": indicators(), "source_id": default_template().pk})
    assert status == 201 and body["active"] is False and body["in_use"] is False
    tid = body["id"]
    changed = indicators()
    changed[3]["items"][0]["guide"] = "支付率×5，四舍五入"
    status, body = _json(city, "put", f"{A}/templates/{tid}", {"name": "新模板（改）", "indicators": changed})
    assert status == 200 and body["indicators"][3]["items"][0]["guide"] == "支付率×5，四舍五入"
    assert _json(city, "post", f"{A}/templates/{tid}/activate")[1]["active"] is True
    assert _json(city, "post", f"{A}/templates/{tid}/activate")[0] == 409
    reviewed(people, "90")
    status, body = _json(city, "get", f"{A}/templates/{tid}")
    assert body["in_use"] is True
    status, body = _json(city, "put", f"{A}/templates/{tid}", {"name": "再改", "indicators": changed})
    assert status == 409 and body["message"] == str(svc.MSG_TEMPLATE_IN_USE)
    assert _json(city, "post", f"{A}/templates/{tid}/deactivate")[1]["active"] is False
    assert EvaluationTemplate.objects.filter(active=True).count() == 1
    assert Evaluation.objects.get().template_id == tid

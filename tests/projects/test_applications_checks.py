"""The completeness list of an application against its guideline: each check failing and passing, the 万元 bounds, and
submission refused (with what is missing) until every check passes."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from anju.core.exceptions import ValidationFailed
from anju.core.models import AuditEvent
from anju.projects.forms_applications import GuidelineForm
from anju.projects.models import Application, Guideline, Stage
from anju.projects.services import applications as svc
from anju.projects.services.applications_guidelines import guideline_create, guideline_publish

from .applications_data import actors, add_documents, published_guideline, reserve_project


@pytest.fixture
def people(make_user):
    return actors(make_user)


@pytest.fixture
def guideline(people):
    return published_guideline(people["city"])


def checks_of(a: Application) -> dict:
    return {c["code"]: c for c in svc.application_checks(a)}


def draft(people, **project) -> Application:
    requested = project.pop("requested", 40_000_000)
    return svc.application_create(actor=people["clerk"], project=reserve_project(**project), requested_by_source={"central": requested})


def test_all_checks_pass_for_a_complete_application(tree, people, guideline):
    a = draft(people)
    checks = svc.application_checks(a)
    assert [c["code"] for c in checks] == ["category", "program", "investment", "requested", "document:feasibility",
                                           "document:implementation_plan", "beneficiaries", "design", "deadline"]
    assert all(c["ok"] for c in checks), checks
    assert set(checks[0]) == {"code", "label", "ok", "message"}
    assert checks_of(a)["investment"]["message"] == str(svc.MSG_OK_INVESTMENT % {"amount": "50", "bounds": "10 至 100 万元"})
    assert a.checks == checks  # stored when drafted


def test_category_and_program(tree, people, guideline):
    a = draft(people, category="ecology", program="relocation")
    c = checks_of(a)
    assert not c["category"]["ok"] and c["category"]["message"] == str(svc.MSG_CHECK_CATEGORY % {"name": "生态环境", "allowed": "基础设施、产业发展"})
    assert not c["program"]["ok"] and c["program"]["message"] == str(svc.MSG_CHECK_PROGRAM % {
        "name": "易地搬迁后续扶持", "allowed": "水库移民后期扶持、三峡后续工作"})
    open_guideline = published_guideline(people["city"], year=2028, categories=[], programs=[])
    b = draft(people, year=2028, category="ecology", program="relocation")
    assert b.guideline == open_guideline
    assert checks_of(b)["category"]["ok"] and checks_of(b)["program"]["ok"]


@pytest.mark.parametrize(("planned", "ok"), [(9_999_999, False), (10_000_000, True), (100_000_000, True), (100_000_001, False)])
def test_investment_bounds_are_inclusive(tree, people, guideline, planned, ok):
    a = draft(people, planned_investment=planned, requested=1, design_institute="省水利设计院", design_qualified=True)
    check = checks_of(a)["investment"]
    assert check["ok"] is ok
    if not ok:
        assert check["message"] == str(svc.MSG_CHECK_INVESTMENT % {"amount": svc.wan(planned), "bounds": "10 至 100 万元"})


def test_bounds_entered_in_wan_are_exact_fen(tree, people):
    data = {"year": "2027", "title": "万元指南", "doc_number": "", "division_code": "4299", "unit": "wan", "min_investment": "10.5",
            "max_investment": "1,000.000001", "min_beneficiaries": "", "conditions": "", "deadline": ""}
    form = GuidelineForm(data, divisions=[("4299", "清江市")])
    assert form.is_valid(), form.errors
    g = guideline_create(actor=people["city"], **form.service_data())
    assert (g.min_investment, g.max_investment) == (10_500_000, 1_000_000_001)
    in_yuan = GuidelineForm({**data, "unit": "yuan", "min_investment": "105000", "max_investment": "10000000.01"}, divisions=[("4299", "清江市")])
    assert in_yuan.is_valid() and (in_yuan.cleaned_data["min_investment"], in_yuan.cleaned_data["max_investment"]) == (10_500_000, 1_000_000_001)
    too_fine = GuidelineForm({**data, "min_investment": "0.0000001"}, divisions=[("4299", "清江市")])
    assert not too_fine.is_valid() and "精确不到分" in str(too_fine.errors["min_investment"])
    guideline_publish(actor=people["city"], guideline=g)
    low = draft(people, planned_investment=10_499_999)
    exact = draft(people, planned_investment=10_500_000)
    assert not checks_of(low)["investment"]["ok"] and checks_of(exact)["investment"]["ok"]
    assert "10.5 至 1,000.000001 万元" in checks_of(low)["investment"]["message"]
    one_sided = Guideline(min_investment=None, max_investment=20_000_000)
    assert svc.bounds_text(one_sided) == str(svc.MSG_BOUNDS_MAX % {"max": "20"})


def test_requested_not_above_planned(tree, people, guideline):
    over = draft(people, requested=50_000_001)
    assert checks_of(over)["requested"]["message"] == str(svc.MSG_CHECK_REQUESTED % {"requested": "500,000.01", "planned": "500,000.00"})
    nothing = svc.application_create(actor=people["clerk"], project=reserve_project(), requested_by_source={})
    assert checks_of(nothing)["requested"] == {"code": "requested", "label": str(svc.CHECK_LABELS["requested"]), "ok": False,
                                               "message": str(svc.MSG_CHECK_REQUESTED_NONE)}
    split = svc.application_create(actor=people["clerk"], project=reserve_project(),
                                   requested_by_source={"central": 30_000_000, "local": 20_000_000})
    assert split.requested == 50_000_000 and checks_of(split)["requested"]["ok"]
    assert split.requested_by_source == {"central": 30_000_000, "local": 20_000_000}


def test_required_documents_in_the_archive(tree, people, guideline):
    a = draft(people, documents=["feasibility", "publicity"])
    c = checks_of(a)
    assert c["document:feasibility"]["ok"]
    assert not c["document:implementation_plan"]["ok"]
    assert c["document:implementation_plan"]["message"] == str(svc.MSG_CHECK_DOCUMENT % {"name": "实施方案"})
    assert "document:publicity" not in c
    add_documents(a.project, ["implementation_plan"])
    assert checks_of(a)["document:implementation_plan"]["ok"]


def test_beneficiaries(tree, people, guideline):
    few = draft(people, beneficiaries=49)
    assert checks_of(few)["beneficiaries"]["message"] == str(svc.MSG_CHECK_BENEFICIARIES % {"n": 49, "min": 50})
    assert checks_of(draft(people, beneficiaries=50))["beneficiaries"]["ok"]
    none_required = published_guideline(people["city"], year=2028, min_beneficiaries=None)
    assert "beneficiaries" not in checks_of(draft(people, year=2028, beneficiaries=0))
    assert none_required.min_beneficiaries is None


def test_design_requirement(tree, people, guideline):
    big = draft(people, planned_investment=100_000_000)
    check = checks_of(big)["design"]
    assert not check["ok"] and "须由具备相应资质的设计单位设计" in check["message"]
    big.project.design_institute, big.project.design_qualified = "省水利水电勘测设计院", True
    big.project.save()
    assert checks_of(big)["design"]["ok"]


def test_deadline(tree, people):
    g = published_guideline(people["city"], deadline=timezone.localdate())
    a = draft(people)
    assert checks_of(a)["deadline"]["ok"]
    late = svc.application_checks(a, today=timezone.localdate() + dt.timedelta(days=1))
    deadline = next(c for c in late if c["code"] == "deadline")
    assert not deadline["ok"] and deadline["message"] == str(svc.MSG_CHECK_DEADLINE % {"date": g.deadline.isoformat()})
    open_ended = published_guideline(people["city"], year=2028, deadline=None)
    assert checks_of(draft(people, year=2028))["deadline"]["message"] == str(svc.MSG_OK_NO_DEADLINE)
    assert open_ended.deadline is None


def test_past_deadline_counts_from_the_first_submission(tree, people):
    """A returned application is judged by the day it was first submitted."""
    published_guideline(people["city"], deadline=timezone.localdate() - dt.timedelta(days=1))
    a = draft(people)
    with pytest.raises(ValidationFailed) as exc:
        svc.application_submit(actor=people["clerk"], application=a)
    assert [d["code"] for d in exc.value.detail] == ["deadline"]
    Application.objects.filter(pk=a.pk).update(submitted_at=timezone.now() - dt.timedelta(days=3), state=Application.State.RETURNED)
    a.refresh_from_db()
    assert checks_of(a)["deadline"]["ok"]
    svc.application_submit(actor=people["clerk"], application=a)
    a.refresh_from_db()
    assert a.state == Application.State.SUBMITTED


def test_submit_refused_listing_what_is_missing(tree, people, guideline):
    a = draft(people, documents=[], beneficiaries=10, category="ecology")
    events = AuditEvent.objects.count()
    with pytest.raises(ValidationFailed) as exc:
        svc.application_submit(actor=people["clerk"], application=a)
    failing = ["category", "document:feasibility", "document:implementation_plan", "beneficiaries"]
    assert [d["code"] for d in exc.value.detail] == failing
    labels = "、".join(str(svc.CHECK_LABELS[c]) if ":" not in c else str(svc.CHECK_LABELS["document"] % {"name": n})
                      for c, n in zip(failing, ["", "可行性研究报告", "实施方案", ""], strict=True))
    assert exc.value.message == str(svc.MSG_CHECKS_FAILED % {"n": 4, "items": labels})
    a.refresh_from_db()
    a.project.refresh_from_db()
    assert a.state == Application.State.DRAFT and a.project.stage == Stage.RESERVE and a.submitted_at is None
    assert [c["code"] for c in a.checks if not c["ok"]] == failing  # the list as last computed is kept
    assert AuditEvent.objects.count() == events

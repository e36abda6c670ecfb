"""Test data of the applications area: the actors (city clerks and admin who review, county clerks who apply), a
published guideline, reserve projects with their archive documents, and an application carried to a given state
through the services."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from anju.projects.models import Application, Document, DocumentType, Stage
from anju.projects.services import applications as svc
from anju.projects.services.applications_guidelines import guideline_create, guideline_publish

from .factories import COUNTY, OTHER_COUNTY, OTHER_VILLAGE, VILLAGE, make_project

__all__ = ["COUNTY", "OTHER_COUNTY", "OTHER_VILLAGE", "VILLAGE", "actors", "add_documents", "application_at", "published_guideline",
           "reserve_project"]

YEAR = 2027
DOCS = ["feasibility", "implementation_plan"]


def actors(make_user, *, foreign: bool = False) -> dict:
    """city: 市级经办 (manages, reviews, may also apply); city2: a second 市级经办 reviewer; admin: 市级管理员 (TOTP);
    clerk: 白云县 县级经办; leader: 市级领导 (read only); county_reviewer: 县级审核 (no project rights beyond viewing);
    foreign: 外县 县级经办 (needs the other_city fixture)."""
    people = {
        "city": make_user("city_clerk", "4299", username="a_city"),
        "city2": make_user("city_clerk", "4299", username="a_city2"),
        "admin": make_user("city_admin", "4299", username="a_admin"),
        "clerk": make_user("county_clerk", COUNTY[:6], username="a_clerk"),
        "leader": make_user("leader", "4299", username="a_leader"),
        "county_reviewer": make_user("county_reviewer", COUNTY[:6], username="a_creviewer"),
    }
    if foreign:
        people["foreign"] = make_user("county_clerk", OTHER_COUNTY[:6], username="a_foreign")
    return people


def published_guideline(actor, *, year: int = YEAR, division_code: str = "4299", **kw):
    """A published guideline: infrastructure and industry, reservoir and three gorges, 10–100 万元, feasibility report
    and implementation plan required, at least 50 beneficiaries, deadline 30 days from today."""
    data = {"title": f"{year}年度移民后期扶持项目申报指南", "doc_number": f"清移发〔{year - 1}〕8号", "categories": ["infrastructure", "industry"],
            "programs": ["reservoir", "three_gorges"], "min_investment": 10_000_000, "max_investment": 100_000_000,
            "required_documents": DOCS, "min_beneficiaries": 50, "conditions": "项目须经村民会议讨论通过",
            "deadline": timezone.localdate() + dt.timedelta(days=30)}
    data.update(kw)
    g = guideline_create(actor=actor, year=year, division_code=division_code, **data)
    return guideline_publish(actor=actor, guideline=g)


def add_documents(project, codes=DOCS) -> None:
    for code in codes:
        Document.objects.create(project=project, doc_type=DocumentType.objects.get(code=code), path="x", original_name="x.pdf",
                                content_type="application/pdf", size=1, sha256="0" * 64)


def reserve_project(*, village: str = VILLAGE, year: int = YEAR, documents=DOCS, **kw):
    """A reserve project meeting the sample guideline: 50 万元, 120 beneficiaries, infrastructure, reservoir."""
    kw.setdefault("planned_investment", 50_000_000)
    kw.setdefault("beneficiaries", 120)
    project = make_project(division_code=village, year=year, stage=Stage.RESERVE, **kw)
    add_documents(project, documents)
    return project


def application_at(state: str, people: dict, *, project=None, requested: int = 40_000_000, scores=()) -> Application:
    """An application of the county clerk carried through the services to `state` (scores by city, city2, admin…)."""
    project = project or reserve_project()
    a = svc.application_create(actor=people["clerk"], project=project, requested_by_source={"central": requested}, justification="改善出行")
    if state == Application.State.DRAFT:
        return a
    a = svc.application_submit(actor=people["clerk"], application=a)
    if state == Application.State.SUBMITTED:
        return a
    a = svc.application_review_start(actor=people["city"], application=a)
    reviewers = ["city", "city2", "admin"]
    for i, score in enumerate(scores):
        svc.application_score(actor=people[reviewers[i]], application=a, score=score)
    a.refresh_from_db()
    if state == Application.State.REVIEWING:
        return a
    if state == Application.State.APPROVED:
        return svc.application_approve(actor=people["city"], application=a)
    if state == Application.State.RETURNED:
        return svc.application_return(actor=people["city"], application=a, reason="材料不全")
    if state == Application.State.REJECTED:
        return svc.application_reject(actor=people["city"], application=a, reason="排名靠后")
    raise ValueError(state)

"""The yearly guideline: drafting with checked fields, one per division and year, fixed once published, then closed;
scope, roles and audit."""

from __future__ import annotations

import datetime as dt

import pytest

from anju.core.exceptions import Conflict, NotFound, PermissionDenied, ValidationFailed
from anju.core.models import AuditEvent
from anju.projects.models import Guideline
from anju.projects.selectors_applications import access_guideline, guideline_list
from anju.projects.services import applications_guidelines as svc

from .applications_data import actors


@pytest.fixture
def people(make_user, other_city):
    return actors(make_user, foreign=True)


def draft(people, **kw) -> Guideline:
    data = {"year": 2027, "title": "2027年度项目申报指南", "division_code": "4299"}
    data.update(kw)
    return svc.guideline_create(actor=people["city"], **data)


def test_create_normalises_and_audits(tree, people):
    g = draft(people, categories=["industry", "infrastructure", "industry"], programs=["three_gorges", "reservoir"],
              required_documents=["villager_minutes", "feasibility"], min_investment=10_000_000, max_investment=None,
              min_beneficiaries="30", conditions=" 须经村民会议讨论 ", deadline="2026-12-31", doc_number="清移发〔2026〕8号")
    assert (g.division_code, g.state, g.created_by) == ("429900000000", Guideline.State.DRAFT, people["city"])
    assert g.categories == ["infrastructure", "industry"]  # de-duplicated, in the vocabulary's order
    assert g.programs == ["reservoir", "three_gorges"]
    assert g.required_documents == ["feasibility", "villager_minutes"]
    assert (g.min_investment, g.max_investment, g.min_beneficiaries, g.conditions, g.deadline) == (
        10_000_000, None, 30, "须经村民会议讨论", dt.date(2026, 12, 31))
    event = AuditEvent.objects.get(action="projects.guideline.created")
    assert event.after["categories"] == ["infrastructure", "industry"] and event.division_code == "429900000000"


@pytest.mark.parametrize(("field", "value", "message"), [
    ("categories", ["gold"], svc.MSG_CATEGORY_UNKNOWN % {"code": "gold"}),
    ("programs", ["space"], svc.MSG_PROGRAM_UNKNOWN % {"code": "space"}),
    ("required_documents", ["passport"], svc.MSG_DOCUMENT_UNKNOWN % {"code": "passport"}),
    ("min_investment", -1, svc.MSG_AMOUNT),
    ("max_investment", "100", svc.MSG_AMOUNT),
    ("min_beneficiaries", "many", svc.MSG_BENEFICIARIES),
    ("deadline", "2026-02-30", svc.MSG_DEADLINE),
    ("year", 1999, svc.MSG_YEAR),
    ("title", " ", svc.MSG_TITLE),
    ("division_code", "429821", svc.MSG_DIVISION),
    ("division_code", "429921101", svc.MSG_DIVISION),
    ("conditions", "x" * 5001, svc.MSG_CONDITIONS),
])
def test_bad_fields_are_refused(tree, people, field, value, message):
    with pytest.raises(ValidationFailed) as exc:
        draft(people, **{field: value})
    assert exc.value.message == str(message) and exc.value.detail == {"field": field}
    assert not Guideline.objects.exists()


def test_bounds_order(tree, people):
    with pytest.raises(ValidationFailed, match=str(svc.MSG_BOUNDS)):
        draft(people, min_investment=20_000_000, max_investment=10_000_000)
    g = draft(people, min_investment=10_000_000, max_investment=10_000_000)
    with pytest.raises(ValidationFailed, match=str(svc.MSG_BOUNDS)):
        svc.guideline_update(actor=people["city"], guideline=g, max_investment=9_999_999)


def test_one_per_division_and_year(tree, people):
    draft(people)
    with pytest.raises(Conflict, match=str(svc.MSG_EXISTS % {"year": 2027})):
        draft(people, title="另一份")
    county = draft(people, division_code="429921", title="白云县指南")
    other_year = draft(people, year=2028)
    with pytest.raises(Conflict):
        svc.guideline_update(actor=people["city"], guideline=other_year, year=2027)
    assert county.division_code == "429921000000" and Guideline.objects.count() == 3


def test_publish_fixes_it_and_close_ends_it(tree, people):
    g = draft(people)
    svc.guideline_update(actor=people["city"], guideline=g, title="2027年度指南（修订）", categories=["ecology"])
    g.refresh_from_db()
    assert (g.title, g.categories) == ("2027年度指南（修订）", ["ecology"])
    updated = AuditEvent.objects.get(action="projects.guideline.updated")
    assert updated.before == {"title": "2027年度项目申报指南", "categories": []} and updated.after["categories"] == ["ecology"]
    with pytest.raises(Conflict, match=str(svc.MSG_CLOSE_STATE)):
        svc.guideline_close(actor=people["city"], guideline=g)
    svc.guideline_publish(actor=people["admin"], guideline=g)
    g.refresh_from_db()
    assert (g.state, g.published_by) == (Guideline.State.PUBLISHED, people["admin"]) and g.published_at
    with pytest.raises(Conflict, match=str(svc.MSG_NOT_DRAFT)):
        svc.guideline_update(actor=people["city"], guideline=g, title="改")
    with pytest.raises(Conflict, match=str(svc.MSG_PUBLISH_STATE)):
        svc.guideline_publish(actor=people["city"], guideline=g)
    with pytest.raises(Conflict, match=str(svc.MSG_DELETE_STATE)):
        svc.guideline_delete(actor=people["city"], guideline=g)
    svc.guideline_close(actor=people["city"], guideline=g)
    g.refresh_from_db()
    assert g.state == Guideline.State.CLOSED
    with pytest.raises(Conflict):
        svc.guideline_close(actor=people["city"], guideline=g)
    assert [e.action for e in AuditEvent.objects.filter(object_type="guideline").order_by("id")] == [
        "projects.guideline.created", "projects.guideline.updated", "projects.guideline.published", "projects.guideline.closed"]
    scrap = draft(people, year=2029)
    svc.guideline_delete(actor=people["city"], guideline=scrap)
    assert not Guideline.objects.filter(pk=scrap.pk).exists()
    assert AuditEvent.objects.get(action="projects.guideline.deleted").before["year"] == 2029


def test_roles_and_scope(tree, people):
    for who in ("clerk", "leader", "county_reviewer"):
        with pytest.raises(PermissionDenied):
            svc.guideline_create(actor=people[who], year=2027, title="x", division_code="429921")
    g = draft(people)
    with pytest.raises(PermissionDenied):
        svc.guideline_publish(actor=people["clerk"], guideline=g)
    theirs = Guideline.objects.create(year=2027, title="外市指南", division_code="429800000000", state=Guideline.State.PUBLISHED)
    with pytest.raises(NotFound):
        svc.guideline_close(actor=people["city"], guideline=theirs)
    with pytest.raises(NotFound):
        access_guideline(people["city"], theirs.pk)
    # a county reads its city's published guideline, not a draft
    assert list(guideline_list(actor=people["clerk"])) == []
    with pytest.raises(NotFound):
        access_guideline(people["clerk"], g.pk)
    svc.guideline_publish(actor=people["city"], guideline=g)
    assert list(guideline_list(actor=people["clerk"])) == [g] and access_guideline(people["clerk"], g.pk) == g
    with pytest.raises(NotFound):
        access_guideline(people["clerk"], g.pk, kind="entry")
    assert list(guideline_list(actor=people["foreign"])) == [theirs]

"""Applications from draft to decision: the project's stage moves with them, every step is audited, transitions that are
not allowed are refused (nothing written), reviewers' scores average and rank the guideline, scope and roles hold."""

from __future__ import annotations

from decimal import Decimal

import pytest

from anju.core.exceptions import Conflict, NotFound, PermissionDenied, ValidationFailed
from anju.core.models import AuditEvent
from anju.projects.models import Application, ApplicationReview, Guideline, Stage, StageChange
from anju.projects.services import applications as svc

from .applications_data import OTHER_VILLAGE, YEAR, actors, application_at, published_guideline, reserve_project
from .factories import make_project

S = Application.State


@pytest.fixture
def people(make_user, other_city):
    return actors(make_user, foreign=True)


@pytest.fixture
def guideline(people):
    return published_guideline(people["city"])


def stages(project) -> list[tuple[str, str]]:
    return list(StageChange.objects.filter(project=project).order_by("id").values_list("from_stage", "to_stage"))


def test_end_to_end_approval_moves_the_project_and_is_audited(tree, people, guideline):
    project = reserve_project()
    a = svc.application_create(actor=people["clerk"], project=project, requested_by_source={"central": 30_000_000, "provincial": 10_000_000},
                               justification="改善出行条件")
    assert (a.state, a.guideline, a.division_code, a.requested) == (S.DRAFT, guideline, project.division_code, 40_000_000)
    a = svc.application_submit(actor=people["clerk"], application=a)
    assert a.state == S.SUBMITTED and a.submitted_by == people["clerk"] and all(c["ok"] for c in a.checks)
    svc.application_review_start(actor=people["city"], application=a)
    svc.application_score(actor=people["city"], application=a, score="80", comment="必要性充分")
    svc.application_score(actor=people["city2"], application=a, score=Decimal("85.5"))
    a.refresh_from_db()
    assert (a.score, a.rank) == (Decimal("82.75"), 1)
    svc.application_approve(actor=people["admin"], application=a)
    a.refresh_from_db()
    project.refresh_from_db()
    assert (a.state, a.decided_by, project.stage) == (S.APPROVED, people["admin"], Stage.APPROVED)
    assert stages(project) == [("reserve", "applied"), ("applied", "reviewing"), ("reviewing", "approved")]
    actions = list(AuditEvent.objects.filter(object_type="application", object_id=str(a.pk)).order_by("id").values_list("action", flat=True))
    assert actions == ["projects.application.created", "projects.application.submitted", "projects.application.review_started",
                       "projects.application.scored", "projects.application.scored", "projects.application.approved"]
    approved = AuditEvent.objects.get(action="projects.application.approved")
    assert approved.actor == people["admin"] and approved.division_code == project.division_code
    assert approved.after["reviews"] == 2 and approved.after["project"] == project.code
    assert AuditEvent.objects.filter(action="projects.project.stage_changed", object_id=str(project.pk)).count() == 3


def test_submitting_twice_is_refused(tree, people, guideline):
    a = application_at(S.SUBMITTED, people)
    with pytest.raises(Conflict) as exc:
        svc.application_submit(actor=people["clerk"], application=a)
    assert exc.value.message == str(svc.MSG_SUBMIT_STATE % {"state": "已申报"})
    assert StageChange.objects.filter(project=a.project).count() == 1


def test_a_project_applies_once_per_guideline_and_only_from_the_reserve(tree, people, guideline):
    a = application_at(S.DRAFT, people)
    with pytest.raises(Conflict) as exc:
        svc.application_create(actor=people["clerk"], project=a.project)
    assert exc.value.message == str(svc.MSG_EXISTS % {"id": a.pk})
    approved = make_project(year=YEAR, stage=Stage.APPROVED)
    with pytest.raises(Conflict) as exc:
        svc.application_create(actor=people["clerk"], project=approved)
    assert exc.value.message == str(svc.MSG_PROJECT_STAGE % {"stage": "立项/下达"})
    no_guideline = reserve_project(year=2030)
    with pytest.raises(ValidationFailed) as exc:
        svc.application_create(actor=people["clerk"], project=no_guideline)
    assert exc.value.message == str(svc.MSG_NO_GUIDELINE % {"year": 2030})
    with pytest.raises(ValidationFailed) as exc:
        svc.application_create(actor=people["clerk"], project=reserve_project(), requested_by_source={"gold": 1})
    assert exc.value.message == str(svc.MSG_SOURCE_UNKNOWN % {"code": "gold"})
    assert Application.objects.count() == 1


def test_the_guideline_must_be_published(tree, people):
    draft = published_guideline(people["city"])
    Guideline.objects.filter(pk=draft.pk).update(state=Guideline.State.DRAFT)
    with pytest.raises(ValidationFailed):
        svc.application_create(actor=people["clerk"], project=reserve_project())
    Guideline.objects.filter(pk=draft.pk).update(state=Guideline.State.PUBLISHED)
    a = application_at(S.DRAFT, people)
    Guideline.objects.filter(pk=draft.pk).update(state=Guideline.State.CLOSED)
    with pytest.raises(Conflict) as exc:
        svc.application_submit(actor=people["clerk"], application=a)
    assert exc.value.message == str(svc.MSG_GUIDELINE_CLOSED)


def test_the_most_specific_guideline_governs(tree, people):
    city = published_guideline(people["city"])
    county = published_guideline(people["city"], division_code="429921", title="白云县指南")
    a = application_at(S.DRAFT, people)
    assert a.guideline == county != city


def test_approving_needs_two_reviews_and_not_the_submitter(tree, people, guideline):
    a = application_at(S.REVIEWING, people, scores=["90"])
    with pytest.raises(ValidationFailed) as exc:
        svc.application_approve(actor=people["city"], application=a)
    assert exc.value.message == str(svc.MSG_APPROVE_REVIEWS % {"n": 1})
    # a city clerk may apply too; then they may neither score nor approve their own application
    own = svc.application_create(actor=people["city2"], project=reserve_project(), requested_by_source={"central": 10_000_000})
    own = svc.application_submit(actor=people["city2"], application=own)
    svc.application_review_start(actor=people["city"], application=own)
    with pytest.raises(PermissionDenied) as exc:
        svc.application_score(actor=people["city2"], application=own, score="100")
    assert exc.value.message == str(svc.MSG_SUBMITTER_SCORES)
    svc.application_score(actor=people["city"], application=own, score="70")
    svc.application_score(actor=people["admin"], application=own, score="71")
    with pytest.raises(PermissionDenied) as exc:
        svc.application_approve(actor=people["city2"], application=own)
    assert exc.value.message == str(svc.MSG_SUBMITTER_DECIDES)
    own.refresh_from_db()
    assert own.state == S.REVIEWING and not ApplicationReview.objects.filter(application=own, reviewer=people["city2"]).exists()
    svc.application_approve(actor=people["city"], application=own)


@pytest.mark.parametrize("state", [S.DRAFT, S.RETURNED])
def test_deciding_or_scoring_an_application_not_under_review(tree, people, guideline, state):
    a = application_at(state, people)
    with pytest.raises(Conflict, match=str(svc.MSG_APPROVE_STATE)):
        svc.application_approve(actor=people["city"], application=a)
    with pytest.raises(Conflict, match=str(svc.MSG_SCORE_STATE)):
        svc.application_score(actor=people["city"], application=a, score="50")
    with pytest.raises(Conflict, match=str(svc.MSG_RETURN_STATE)):
        svc.application_return(actor=people["city"], application=a, reason="x")
    with pytest.raises(Conflict, match=str(svc.MSG_REJECT_STATE)):
        svc.application_reject(actor=people["city"], application=a, reason="x")
    with pytest.raises(Conflict, match=str(svc.MSG_REVIEW_STATE)):
        svc.application_review_start(actor=people["city"], application=a)
    a.refresh_from_db()
    assert a.state == state and a.project.stage == Stage.RESERVE


def test_submitted_but_not_yet_under_review_cannot_be_scored_or_approved(tree, people, guideline):
    a = application_at(S.SUBMITTED, people)
    with pytest.raises(Conflict):
        svc.application_score(actor=people["city"], application=a, score="50")
    with pytest.raises(Conflict):
        svc.application_approve(actor=people["city"], application=a)
    with pytest.raises(Conflict, match=str(svc.MSG_EDIT_STATE)):
        svc.application_update(actor=people["clerk"], application=a, justification="改")


def test_scores_change_until_the_decision(tree, people, guideline):
    a = application_at(S.REVIEWING, people, scores=["60", "70"])
    svc.application_score(actor=people["city"], application=a, score="80", comment="复核后上调")
    a.refresh_from_db()
    assert a.score == Decimal("75.00") and ApplicationReview.objects.filter(application=a).count() == 2
    scored = AuditEvent.objects.filter(action="projects.application.scored").order_by("-id").first()
    assert (scored.before["score"], scored.after["score"], scored.after["average"]) == ("60.00", "80.00", "75.00")
    svc.application_approve(actor=people["admin"], application=a)
    with pytest.raises(Conflict, match=str(svc.MSG_SCORE_STATE)):
        svc.application_score(actor=people["city"], application=a, score="10")
    for bad in ("-1", "100.01", "abc", "50.555", "NaN", True):
        with pytest.raises(ValidationFailed, match=str(svc.MSG_SCORE_RANGE)):
            svc.application_score(actor=people["city"], application=a, score=bad)


def test_average_is_rounded_half_up(tree, people, guideline):
    a = application_at(S.REVIEWING, people, scores=["80", "80", "80.01"])
    assert a.score == Decimal("80.00")  # 80.0033…
    b = application_at(S.REVIEWING, people, scores=["80.01", "80.02"])
    assert b.score == Decimal("80.02")  # 80.015 → half up
    assert svc.average([]) is None and svc.average([Decimal("0.005")]) == Decimal("0.01")


def test_ranking_with_ties(tree, people, guideline):
    """By average score desc, then requested asc, then id: everyone gets their own place, re-ranked on every score."""
    a = application_at(S.REVIEWING, people, requested=30_000_000, scores=["80", "90"])  # 85
    b = application_at(S.REVIEWING, people, requested=20_000_000, scores=["85"])  # 85, asks less
    c = application_at(S.REVIEWING, people, requested=30_000_000, scores=["84", "86"])  # 85, same ask as a, later id
    d = application_at(S.REVIEWING, people, requested=10_000_000, scores=["70"])
    e = application_at(S.REVIEWING, people)  # not scored: no rank
    draft = application_at(S.DRAFT, people)

    def ranks():
        return {x.pk: x.rank for x in Application.objects.all()}

    assert ranks() == {b.pk: 1, a.pk: 2, c.pk: 3, d.pk: 4, e.pk: None, draft.pk: None}
    svc.application_score(actor=people["city"], application=d, score="99")
    assert ranks()[d.pk] == 1 and ranks()[b.pk] == 2
    svc.application_score(actor=people["city"], application=e, score="85")
    assert ranks() == {d.pk: 1, b.pk: 2, a.pk: 3, c.pk: 4, e.pk: 5, draft.pk: None}  # e asks 40 万: after the 30 万 ones
    svc.application_return(actor=people["city"], application=a, reason="请补充材料")
    assert ranks() == {d.pk: 1, b.pk: 2, c.pk: 3, e.pk: 4, a.pk: None, draft.pk: None}
    svc.application_reject(actor=people["city"], application=c, reason="排名靠后")
    assert ranks()[c.pk] == 3  # a decided application keeps its place in the list


def test_return_goes_back_to_the_county_and_can_be_resubmitted(tree, people, guideline):
    a = application_at(S.REVIEWING, people, scores=["60", "65"])
    with pytest.raises(ValidationFailed, match=str(svc.MSG_REASON)):
        svc.application_return(actor=people["city"], application=a, reason="  ")
    svc.application_return(actor=people["city"], application=a, reason="请补充村民会议纪要")
    a.refresh_from_db()
    a.project.refresh_from_db()
    assert (a.state, a.reason, a.score, a.rank, a.project.stage) == (S.RETURNED, "请补充村民会议纪要", None, None, Stage.RESERVE)
    assert not ApplicationReview.objects.filter(application=a).exists()
    event = AuditEvent.objects.get(action="projects.application.returned")
    assert event.after["reason"] == "请补充村民会议纪要" and [r["score"] for r in event.before["reviews"]] == ["60.00", "65.00"]
    svc.application_update(actor=people["clerk"], application=a, requested_by_source={"central": 35_000_000}, justification="已补充")
    svc.application_submit(actor=people["clerk"], application=a)
    a.refresh_from_db()
    a.project.refresh_from_db()
    assert (a.state, a.reason, a.requested, a.project.stage) == (S.SUBMITTED, "", 35_000_000, Stage.APPLIED)
    assert stages(a.project) == [("reserve", "applied"), ("applied", "reviewing"), ("reviewing", "reserve"), ("reserve", "applied")]


def test_reject_puts_the_project_back_in_the_reserve(tree, people, guideline):
    a = application_at(S.SUBMITTED, people)
    svc.application_reject(actor=people["admin"], application=a, reason="不符合年度重点")
    a.refresh_from_db()
    a.project.refresh_from_db()
    assert (a.state, a.reason, a.decided_by, a.project.stage) == (S.REJECTED, "不符合年度重点", people["admin"], Stage.RESERVE)
    with pytest.raises(Conflict):
        svc.application_submit(actor=people["clerk"], application=a)
    with pytest.raises(Conflict):
        svc.application_create(actor=people["clerk"], project=a.project)  # not again under the same guideline
    assert AuditEvent.objects.filter(action="projects.application.rejected", object_id=str(a.pk)).count() == 1


def test_draft_edit_and_delete(tree, people, guideline):
    a = application_at(S.DRAFT, people)
    svc.application_update(actor=people["clerk"], application=a, requested_by_source={"local": 5_000_000})
    a.refresh_from_db()
    assert (a.requested, a.requested_by_source, a.justification) == (5_000_000, {"local": 5_000_000}, "改善出行")
    updated = AuditEvent.objects.get(action="projects.application.updated")
    assert updated.before["requested"] == 40_000_000 and updated.after["requested"] == 5_000_000
    svc.application_delete(actor=people["clerk"], application=a)
    assert not Application.objects.exists()
    assert AuditEvent.objects.filter(action="projects.application.deleted", object_id=str(a.pk)).exists()
    b = application_at(S.SUBMITTED, people)
    with pytest.raises(Conflict, match=str(svc.MSG_DELETE_STATE)):
        svc.application_delete(actor=people["clerk"], application=b)


def test_scope_and_roles(tree, people, guideline, make_user):
    foreign_project = reserve_project(village=OTHER_VILLAGE)
    with pytest.raises(NotFound):
        svc.application_create(actor=people["clerk"], project=foreign_project)
    a = application_at(S.DRAFT, people)
    with pytest.raises(NotFound):
        svc.application_submit(actor=people["foreign"], application=a)
    with pytest.raises(NotFound):
        svc.application_update(actor=people["foreign"], application=a, justification="x")
    for who in ("leader", "county_reviewer", "admin"):  # no PROJECT_EDIT
        with pytest.raises(PermissionDenied):
            svc.application_submit(actor=people[who], application=a)
    svc.application_submit(actor=people["clerk"], application=a)
    for who in ("clerk", "leader", "county_reviewer"):  # no PROJECT_REVIEW
        with pytest.raises(PermissionDenied):
            svc.application_review_start(actor=people[who], application=a)
    with pytest.raises(NotFound):  # another city's reviewer
        svc.application_review_start(actor=make_user("city_clerk", "4298", username="a_other_city"), application=a)
    a.refresh_from_db()
    assert a.state == S.SUBMITTED

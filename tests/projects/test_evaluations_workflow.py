"""An evaluation's life: start (stage, year, once), self-scores (bounds named per indicator), submit (complete), city
review (four eyes, grade thresholds, the stage move), send-back, the budget suggestion, scope and audit."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from anju.core.exceptions import Conflict, NotFound, PermissionDenied, ValidationFailed
from anju.core.models import AuditEvent
from anju.projects.models import Evaluation, Project, Stage, StageChange
from anju.projects.services import evaluations as svc

from .evaluations_data import YEAR, actors, reviewed, scores_totalling, started, submitted
from .factories import OTHER_VILLAGE, make_allocation, make_payment, make_project


@pytest.fixture
def people(make_user, other_city):
    return actors(make_user)


# --- start ------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("stage", [Stage.ACCEPTED, Stage.AUDITED, Stage.EVALUATED, Stage.ARCHIVED])
def test_start_from_acceptance_on(people, stage):
    e = started(people, stage=stage)
    assert (e.state, e.year, e.division_code, e.template.active) == (Evaluation.State.DRAFT, YEAR, e.project.division_code, True)
    event = AuditEvent.objects.get(action="projects.evaluation.started", object_id=str(e.pk))
    assert event.after["project"] == e.project.code and event.after["stage"] == stage


@pytest.mark.parametrize("stage", [Stage.RESERVE, Stage.APPROVED, Stage.IMPLEMENTING, Stage.COMPLETED])
def test_start_before_acceptance_is_refused(people, stage):
    project = make_project(stage=stage)
    with pytest.raises(ValidationFailed) as exc:
        svc.evaluation_start(actor=people["clerk"], project=project, year=YEAR)
    assert exc.value.message == str(svc.MSG_START_STAGE % {"stage": Stage(stage).label})
    assert not Evaluation.objects.exists()


def test_one_evaluation_per_project_and_year(people):
    e = started(people)
    with pytest.raises(Conflict) as exc:
        svc.evaluation_start(actor=people["clerk2"], project=e.project, year=YEAR)
    assert exc.value.message == str(svc.MSG_EXISTS % {"year": YEAR})
    assert svc.evaluation_start(actor=people["clerk2"], project=e.project, year=YEAR - 1).year == YEAR - 1


@pytest.mark.parametrize("year", [2005, dt.date.today().year + 1, "2025", True])
def test_start_year_bounds(people, year):
    with pytest.raises(ValidationFailed) as exc:
        svc.evaluation_start(actor=people["clerk"], project=make_project(stage=Stage.AUDITED), year=year)
    assert exc.value.message == str(svc.MSG_YEAR % {"max": dt.date.today().year})


def test_start_with_an_inactive_template_is_refused(people):
    inactive = svc.evaluation_template_create(actor=people["city"], name="停用模板", indicators=svc.active_template().indicators)
    with pytest.raises(ValidationFailed) as exc:
        svc.evaluation_start(actor=people["clerk"], project=make_project(stage=Stage.AUDITED), year=YEAR, template=inactive)
    assert exc.value.message == str(svc.MSG_TEMPLATE_INACTIVE % {"name": "停用模板"})


def test_start_needs_entry_scope_and_the_edit_permission(people):
    foreign = make_project(division_code=OTHER_VILLAGE, stage=Stage.AUDITED)
    with pytest.raises(NotFound):
        svc.evaluation_start(actor=people["clerk"], project=foreign, year=YEAR)
    for who in ("leader", "admin", "reviewer"):
        with pytest.raises(PermissionDenied):
            svc.evaluation_start(actor=people[who], project=make_project(stage=Stage.AUDITED), year=YEAR)
    assert not Evaluation.objects.exists()


# --- self-scores ------------------------------------------------------------------------------------------------

def test_scores_are_saved_as_exact_decimals_and_merged(people):
    e = started(people)
    e = svc.evaluation_self_scores(actor=people["clerk"], evaluation=e, scores={"output_quantity": "14.5", "output_quality": 15},
                                   comment="按批复内容完成")
    e = svc.evaluation_self_scores(actor=people["clerk"], evaluation=e, scores={"output_cost": Decimal("9.25"), "output_quality": None})
    e.refresh_from_db()
    assert e.self_scores == {"output_quantity": "14.50", "output_cost": "9.25"} and e.self_comment == "按批复内容完成"
    events = AuditEvent.objects.filter(action="projects.evaluation.scored", object_id=str(e.pk)).order_by("id")
    assert [ev.after["self_scores"] for ev in events] == [{"output_quantity": "14.50", "output_quality": "15.00"},
                                                         {"output_quantity": "14.50", "output_cost": "9.25"}]


@pytest.mark.parametrize(("code", "value", "message"), [
    ("output_quantity", "15.01", svc.MSG_SCORE_RANGE % {"name": "产出数量", "weight": 15}),
    ("satisfaction_beneficiaries", "-0.5", svc.MSG_SCORE_RANGE % {"name": "受益移民满意度", "weight": 10}),
    ("budget_execution", "6", svc.MSG_SCORE_RANGE % {"name": "预算执行率", "weight": 5}),
    ("outcome_social", "3.333", svc.MSG_SCORE_PLACES % {"name": "社会效益"}),
    ("outcome_social", "三分", svc.MSG_SCORE_FORMAT % {"name": "社会效益", "value": "三分"}),
    ("outcome_social", "NaN", svc.MSG_SCORE_FORMAT % {"name": "社会效益", "value": "NaN"}),
    ("no_such_code", "1", svc.MSG_SCORE_UNKNOWN % {"code": "no_such_code"}),
])
def test_score_bounds_are_named_per_indicator_and_nothing_is_written(people, code, value, message):
    e = started(people)
    svc.evaluation_self_scores(actor=people["clerk"], evaluation=e, scores={"output_cost": "8"})
    with pytest.raises(ValidationFailed) as exc:
        svc.evaluation_self_scores(actor=people["clerk"], evaluation=e, scores={"output_quantity": "10", code: value})
    assert exc.value.message == str(message)
    assert exc.value.detail["fields"] == {code: str(message)}
    e.refresh_from_db()
    assert e.self_scores == {"output_cost": "8.00"}
    assert AuditEvent.objects.filter(action="projects.evaluation.scored").count() == 1


def test_the_bounds_themselves_are_allowed(people):
    e = started(people)
    e = svc.evaluation_self_scores(actor=people["clerk"], evaluation=e, scores={"output_quantity": "15", "output_quality": "0",
                                                                               "output_cost": "9.990"})
    assert e.self_scores == {"output_quantity": "15.00", "output_quality": "0.00", "output_cost": "9.99"}


def test_several_bad_scores_are_all_reported(people):
    e = started(people)
    with pytest.raises(ValidationFailed) as exc:
        svc.evaluation_self_scores(actor=people["clerk"], evaluation=e, scores={"output_quantity": "16", "outcome_economic": "-1"})
    assert set(exc.value.detail["fields"]) == {"output_quantity", "outcome_economic"}
    assert "产出数量" in exc.value.message and "经济效益" in exc.value.message


# --- submit -----------------------------------------------------------------------------------------------------

def test_submit_incomplete_is_refused_naming_what_is_missing(people):
    e = started(people)
    scores = scores_totalling("88")
    del scores["outcome_ecological"], scores["budget_management"]
    svc.evaluation_self_scores(actor=people["clerk"], evaluation=e, scores=scores)
    with pytest.raises(ValidationFailed) as exc:
        svc.evaluation_submit(actor=people["clerk"], evaluation=e)
    assert exc.value.message == str(svc.MSG_SCORES_MISSING % {"names": "生态效益、资金管理规范性"})
    e.refresh_from_db()
    assert e.state == Evaluation.State.DRAFT and e.self_total is None and e.submitted_by is None
    assert not AuditEvent.objects.filter(action="projects.evaluation.submitted").exists()


def test_submit_sums_the_scores_and_freezes_them(people):
    e = submitted(people, "87.35")
    assert (e.state, e.self_total, e.submitted_by.username) == (Evaluation.State.SUBMITTED, Decimal("87.35"), "ev_clerk")
    assert AuditEvent.objects.get(action="projects.evaluation.submitted").after["self_total"] == "87.35"
    with pytest.raises(Conflict) as exc:
        svc.evaluation_self_scores(actor=people["clerk"], evaluation=e, scores={"output_cost": "1"})
    assert exc.value.message == str(svc.MSG_DRAFT_ONLY)
    with pytest.raises(Conflict):
        svc.evaluation_submit(actor=people["clerk"], evaluation=e)


# --- review -----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("total", "grade"), [
    ("100", "excellent"), ("90", "excellent"), ("89.99", "good"), ("80", "good"), ("79.99", "fair"), ("60", "fair"), ("59.99", "poor"),
    ("0", "poor"),
])
def test_grade_thresholds_at_the_edges(total, grade):
    assert svc.grade_for(Decimal(total)) == grade


@pytest.mark.parametrize(("review_total", "grade"), [("90", "excellent"), ("89.99", "good"), ("80", "good"), ("79.99", "fair"),
                                                     ("60", "fair"), ("59.99", "poor")])
def test_review_grades_the_review_total(people, review_total, grade):
    e = reviewed(people, "95", review_total)
    assert (e.state, e.review_total, e.grade, e.self_total) == (Evaluation.State.REVIEWED, Decimal(review_total), grade, Decimal("95"))


def test_review_is_prefilled_with_the_self_scores(people):
    e = submitted(people, "91.5")
    e = svc.evaluation_review(actor=people["admin"], evaluation=e, scores={"output_quantity": "10"}, comment="产出数量核减")
    assert e.review_scores["output_quantity"] == "10.00"
    assert {k: v for k, v in e.review_scores.items() if k != "output_quantity"} == {
        k: v for k, v in e.self_scores.items() if k != "output_quantity"}
    assert e.review_total == Decimal("91.5") - (Decimal(e.self_scores["output_quantity"]) - 10)
    assert (e.reviewed_by.username, e.review_comment) == ("ev_admin", "产出数量核减")
    event = AuditEvent.objects.get(action="projects.evaluation.reviewed")
    assert event.after["review_total"] == str(e.review_total) and event.after["grade"] == e.grade


def test_the_reviewer_is_not_the_submitter(people):
    e = started(people, by="city")  # a city clerk may both enter and review: not the same evaluation
    svc.evaluation_self_scores(actor=people["city"], evaluation=e, scores=scores_totalling("90"))
    e = svc.evaluation_submit(actor=people["city"], evaluation=e)
    with pytest.raises(PermissionDenied) as exc:
        svc.evaluation_review(actor=people["city"], evaluation=e)
    assert exc.value.message == str(svc.MSG_REVIEWER_IS_SUBMITTER)
    e.refresh_from_db()
    assert e.state == Evaluation.State.SUBMITTED and not AuditEvent.objects.filter(action="projects.evaluation.reviewed").exists()
    assert svc.evaluation_review(actor=people["admin"], evaluation=e).state == Evaluation.State.REVIEWED


def test_review_needs_the_review_permission_and_a_submitted_evaluation(people):
    e = started(people)
    with pytest.raises(Conflict) as exc:
        svc.evaluation_review(actor=people["city"], evaluation=e)
    assert exc.value.message == str(svc.MSG_REVIEW_STATE)
    e = submitted(people)
    for who in ("clerk2", "reviewer", "leader"):
        with pytest.raises(PermissionDenied):
            svc.evaluation_review(actor=people[who], evaluation=e)


def test_review_out_of_range_is_refused(people):
    e = submitted(people, "90")
    with pytest.raises(ValidationFailed) as exc:
        svc.evaluation_review(actor=people["city"], evaluation=e, scores={"outcome_economic": "10.5"})
    assert exc.value.message == str(svc.MSG_SCORE_RANGE % {"name": "经济效益", "weight": 10})
    e.refresh_from_db()
    assert e.state == Evaluation.State.SUBMITTED and e.review_scores == {}


def test_review_moves_an_audited_project_to_evaluated(people):
    e = reviewed(people, "92", stage=Stage.AUDITED)
    project = Project.objects.get(pk=e.project_id)
    assert project.stage == Stage.EVALUATED and project.stage_on == dt.date.today()
    change = StageChange.objects.filter(project=project).latest("id")
    assert (change.from_stage, change.to_stage, change.by.username) == (Stage.AUDITED, Stage.EVALUATED, "ev_city")
    assert "92.00" in change.note
    assert AuditEvent.objects.filter(action="projects.project.stage_changed", object_id=str(project.pk)).exists()


def test_review_leaves_a_project_at_acceptance_where_it_is(people):
    e = reviewed(people, "92", stage=Stage.ACCEPTED)
    assert Project.objects.get(pk=e.project_id).stage == Stage.ACCEPTED
    assert not AuditEvent.objects.filter(action="projects.project.stage_changed").exists()


# --- send back --------------------------------------------------------------------------------------------------

def test_send_back_returns_the_draft_with_a_reason(people):
    e = submitted(people, "85")
    with pytest.raises(ValidationFailed) as exc:
        svc.evaluation_send_back(actor=people["city"], evaluation=e, reason="  ")
    assert exc.value.message == str(svc.MSG_REASON_REQUIRED)
    e = svc.evaluation_send_back(actor=people["city"], evaluation=e, reason="满意度缺少调查问卷")
    assert (e.state, e.review_comment) == (Evaluation.State.DRAFT, "满意度缺少调查问卷")
    assert AuditEvent.objects.get(action="projects.evaluation.sent_back").after["reason"] == "满意度缺少调查问卷"
    svc.evaluation_self_scores(actor=people["clerk"], evaluation=e, scores={"satisfaction_beneficiaries": "8"})
    e = svc.evaluation_submit(actor=people["clerk2"], evaluation=e)
    assert e.submitted_by.username == "ev_clerk2" and e.state == Evaluation.State.SUBMITTED
    with pytest.raises(Conflict):
        svc.evaluation_send_back(actor=people["city"], evaluation=svc.evaluation_review(actor=people["city"], evaluation=e), reason="x")


def test_writes_out_of_entry_scope_are_not_found(people):
    e = started(people)
    foreign = people["foreign"]
    with pytest.raises(NotFound):
        svc.evaluation_self_scores(actor=foreign, evaluation=e, scores={"output_cost": "1"})
    with pytest.raises(NotFound):
        svc.evaluation_submit(actor=foreign, evaluation=e)


# --- the budget suggestion --------------------------------------------------------------------------------------

def test_budget_execution_is_suggested_from_payments_to_date(people):
    e = started(people)
    assert svc.budget_facts(e).suggestion == {} and svc.budget_facts(e).rate is None  # nothing allocated yet
    make_allocation(e.project, 30_000_000, doc_date=dt.date(2024, 3, 1))  # 300,000 元
    make_allocation(e.project, 10_000_000, doc_date=dt.date(2024, 6, 1), fund_source="provincial")
    make_payment(e.project, 29_000_000, paid_on=dt.date(2024, 9, 1))
    make_payment(e.project, 1_000_000, paid_on=dt.date(2024, 12, 1), fund_source="provincial")
    facts = svc.budget_facts(e)
    assert (facts.allocated, facts.paid, facts.rate) == (40_000_000, 30_000_000, Decimal("0.75"))
    assert facts.suggestion == {"budget_execution": Decimal("3.75")}  # 75% × 5
    assert svc.budget_facts(e, on=dt.date(2024, 8, 31)).suggestion == {"budget_execution": Decimal("0.00")}
    make_payment(e.project, 20_000_000, paid_on=dt.date(2025, 1, 2))  # overpaid: capped at the weight
    assert svc.budget_facts(e).suggestion == {"budget_execution": Decimal("5.00")}

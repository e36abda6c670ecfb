"""Stage moves a user may not make (skipping, going back except to the reserve, 申报 without a qualified design at ≥ 1,000,000
元, 实施 without an actual start) and the actual dates that move a project on."""

from __future__ import annotations

import datetime as dt

import pytest

from anju.core.exceptions import NotFound, PermissionDenied, ValidationFailed
from anju.core.models import AuditEvent
from anju.projects.models import Project, Stage, StageChange
from anju.projects.money import fen_text
from anju.projects.services import projects as svc
from anju.projects.services import stages
from anju.projects.services.projects import project_set_dates
from anju.projects.services.stages import project_stage_set

from .factories import make_allocation, make_project


@pytest.fixture
def people(make_user, other_city):
    return {"clerk": make_user("county_clerk", "429921", username="s_clerk"), "other": make_user("county_clerk", "429821", username="s_other"),
            "leader": make_user("leader", "429921", username="s_leader")}


def refused(actor, project, to_stage, on=None) -> ValidationFailed:
    with pytest.raises(ValidationFailed) as exc:
        project_stage_set(actor=actor, project=project, to_stage=to_stage, on=on)
    return exc.value


def order_message(here, there) -> str:
    return str(stages.MSG_STAGE_ORDER % {"from": Stage(here).label, "to": Stage(there).label})


def test_skipping_a_stage_is_refused(people):
    reserve = make_project(stage=Stage.RESERVE)
    assert refused(people["clerk"], reserve, Stage.REVIEWING).message == order_message(Stage.RESERVE, Stage.REVIEWING)
    approved = make_project(stage=Stage.APPROVED, actual_start=dt.date(2026, 3, 1))
    error = refused(people["clerk"], approved, Stage.COMPLETED)
    assert error.message == order_message(Stage.APPROVED, Stage.COMPLETED) and error.code == "stage_not_allowed"
    assert Project.objects.get(pk=approved.pk).stage == Stage.APPROVED
    assert not AuditEvent.objects.filter(action="projects.project.stage_changed").exists()


def test_going_back_is_only_to_the_reserve(people):
    implementing = make_project(stage=Stage.IMPLEMENTING)
    assert refused(people["clerk"], implementing, Stage.APPROVED).message == order_message(Stage.IMPLEMENTING, Stage.APPROVED)
    assert refused(people["clerk"], implementing, Stage.RESERVE).message == order_message(Stage.IMPLEMENTING, Stage.RESERVE)
    for stage in (Stage.APPLIED, Stage.REVIEWING):
        project = make_project(stage=stage)
        project_stage_set(actor=people["clerk"], project=project, to_stage=Stage.RESERVE, note="退回修改")
        assert Project.objects.get(pk=project.pk).stage == Stage.RESERVE
    assert StageChange.objects.filter(to_stage=Stage.RESERVE, note="退回修改").count() == 2


def test_a_million_yuan_needs_a_qualified_design_before_applying(people):
    big = make_project(stage=Stage.RESERVE, planned_investment=100_000_000)  # 1,000,000 元
    error = refused(people["clerk"], big, Stage.APPLIED)
    assert error.message == str(stages.MSG_NEEDS_DESIGN % {"amount": fen_text(100_000_000), "threshold": "1,000,000"})
    assert error.detail["problems"] == [error.message]
    big.design_institute, big.design_qualified = "省水利水电勘测设计院", True
    big.save()
    project_stage_set(actor=people["clerk"], project=big, to_stage=Stage.APPLIED)
    small = make_project(stage=Stage.RESERVE, planned_investment=99_999_999)
    assert project_stage_set(actor=people["clerk"], project=small, to_stage=Stage.APPLIED).stage == Stage.APPLIED


def test_no_actual_start_before_implementing(people):
    approved = make_project(stage=Stage.APPROVED)
    make_allocation(approved, 10_000_000)
    assert refused(people["clerk"], approved, Stage.IMPLEMENTING).message == str(stages.MSG_NEEDS_START)
    for stage in (Stage.RESERVE, Stage.APPLIED, Stage.REVIEWING):
        project = make_project(stage=stage)
        with pytest.raises(ValidationFailed) as exc:
            project_set_dates(actor=people["clerk"], project=project, actual_start=dt.date(2026, 3, 1))
        assert exc.value.message == str(svc.MSG_START_STAGE % {"stage": Stage(stage).label})
        assert exc.value.detail == {"field": "actual_start"}
        assert Project.objects.get(pk=project.pk).actual_start is None


def test_an_actual_start_moves_an_approved_project_to_implementing(people):
    project = make_project(stage=Stage.APPROVED, year=2026)
    project_set_dates(actor=people["clerk"], project=project, actual_start=dt.date(2026, 3, 10))
    project.refresh_from_db()
    assert (project.stage, project.stage_on, project.actual_start) == (Stage.IMPLEMENTING, dt.date(2026, 3, 10), dt.date(2026, 3, 10))
    change = project.stage_changes.order_by("-id").first()
    assert (change.from_stage, change.to_stage, change.on, change.by.username) == (Stage.APPROVED, Stage.IMPLEMENTING, dt.date(2026, 3, 10),
                                                                                  "s_clerk")
    dates = AuditEvent.objects.get(action="projects.project.dates_set")
    assert dates.before == {"actual_start": None, "stage": "approved"}
    assert dates.after == {"code": project.code, "actual_start": "2026-03-10", "stage": "implementing"}
    assert AuditEvent.objects.get(action="projects.project.stage_changed").after["stage"] == "implementing"

    project_set_dates(actor=people["clerk"], project=project, actual_completion=dt.date(2026, 9, 30))
    project.refresh_from_db()
    assert (project.stage, project.stage_on) == (Stage.COMPLETED, dt.date(2026, 9, 30))
    assert list(project.stage_changes.order_by("on", "id").values_list("to_stage", flat=True)) == [
        Stage.APPROVED, Stage.IMPLEMENTING, Stage.COMPLETED]

    project_set_dates(actor=people["clerk"], project=project, actual_start=dt.date(2026, 3, 12))  # a correction: no move
    project.refresh_from_db()
    assert (project.stage, project.actual_start) == (Stage.COMPLETED, dt.date(2026, 3, 12))
    assert AuditEvent.objects.filter(action="projects.project.stage_changed").count() == 2


def test_both_dates_at_once_move_two_stages(people):
    project = make_project(stage=Stage.APPROVED, year=2026)
    project_set_dates(actor=people["clerk"], project=project, actual_start=dt.date(2026, 2, 1), actual_completion=dt.date(2026, 8, 1))
    assert list(project.stage_changes.order_by("on", "id").values_list("to_stage", "on")) == [
        (Stage.APPROVED, dt.date(2026, 1, 1)), (Stage.IMPLEMENTING, dt.date(2026, 2, 1)), (Stage.COMPLETED, dt.date(2026, 8, 1))]


def test_date_rules(people):
    project = make_project(stage=Stage.APPROVED, year=2026)
    tomorrow = dt.date.today() + dt.timedelta(days=1)
    cases = [
        ({"actual_start": tomorrow}, "actual_start", svc.MSG_DATE_FUTURE % {"field": svc.LABELS["actual_start"]}),
        ({"actual_start": dt.date(2026, 3, 1), "actual_completion": tomorrow}, "actual_completion",
         svc.MSG_DATE_FUTURE % {"field": svc.LABELS["actual_completion"]}),
        ({"actual_start": dt.date(2026, 5, 1), "actual_completion": dt.date(2026, 4, 30)}, "actual_completion", svc.MSG_ACTUAL_ORDER),
        ({"actual_completion": dt.date(2026, 4, 30)}, "actual_start", stages.MSG_NEEDS_START),
        ({}, "actual_start", svc.MSG_DATES_NONE),
        # before the project entered 立项/下达 (2026-01-01): the move to 实施 is refused, named on the start date
        ({"actual_start": dt.date(2025, 12, 31)}, "actual_start", stages.MSG_STAGE_DATE % {"date": "2026-01-01"}),
    ]
    for kwargs, field, message in cases:
        with pytest.raises(ValidationFailed) as exc:
            project_set_dates(actor=people["clerk"], project=project, **kwargs)
        assert (exc.value.detail["field"], exc.value.message) == (field, str(message)), kwargs
    project.refresh_from_db()
    assert (project.stage, project.actual_start, project.actual_completion) == (Stage.APPROVED, None, None)
    assert not AuditEvent.objects.filter(action__startswith="projects.").exists()
    started = make_project(stage=Stage.IMPLEMENTING, actual_start=dt.date(2026, 5, 1))
    with pytest.raises(ValidationFailed) as exc:
        project_set_dates(actor=people["clerk"], project=started, actual_completion=dt.date(2026, 4, 1))
    assert exc.value.message == str(svc.MSG_ACTUAL_ORDER)


def test_dates_scope_and_permission(people):
    project = make_project(stage=Stage.APPROVED)
    with pytest.raises(NotFound):
        project_set_dates(actor=people["other"], project=project, actual_start=dt.date(2026, 3, 1))
    with pytest.raises(PermissionDenied):
        project_set_dates(actor=people["leader"], project=project, actual_start=dt.date(2026, 3, 1))
    with pytest.raises(NotFound):
        project_stage_set(actor=people["other"], project=project, to_stage=Stage.IMPLEMENTING)
    assert Project.objects.get(pk=project.pk).stage == Stage.APPROVED

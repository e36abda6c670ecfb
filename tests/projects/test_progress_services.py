"""Monthly progress (月度进度): the month rules, cumulative figures that never go down, stage moves by the actual dates,
the reporting deadline lock with "today" frozen, and the city's unlock."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from anju.core.exceptions import NotFound, PermissionDenied, ValidationFailed
from anju.core.models import AuditEvent, PolicyVersion
from anju.core.policy import policy_value
from anju.projects.models import ProgressReport, ProgressUnlock, Stage, StageChange
from anju.projects.services import progress as svc
from anju.projects.services.progress import add_months, month_deadline, month_label, month_lock

from .factories import OTHER_VILLAGE, make_allocation, make_progress, make_project
from .funds_data import LAST_YEAR, THIS_MONTH, TODAY, actors, months_ago

D = dt.timedelta


@pytest.fixture
def people(make_user, other_city):
    return actors(make_user)


def _report(actor, project, month, percent="10", investment=0, **kw):
    return svc.progress_report(actor=actor, project=project, month=month, physical_percent=percent, investment_completed_fen=investment,
                               problems=kw.pop("problems", ""), **kw)


@pytest.fixture
def project(people):
    p = make_project(year=LAST_YEAR, stage=Stage.APPROVED)
    make_allocation(p, 50_000_000, doc_date=months_ago(6))
    return p


def test_report_is_stored_on_the_first_day_and_corrected_in_place(people, project):
    month = THIS_MONTH
    r = _report(people["clerk"], project, f"{month.year}-{month.month:02d}", "35.5", 12_345_678, problems="征地协调慢")
    assert (r.month, r.physical_percent, r.investment_completed, r.problems) == (month, Decimal("35.50"), 12_345_678, "征地协调慢")
    assert r.division_code == project.division_code and r.reported_by == people["clerk"]
    again = _report(people["clerk"], project, month, "36", 12_345_679)
    assert again.pk == r.pk and ProgressReport.objects.count() == 1 and again.physical_percent == Decimal("36.00")
    events = list(AuditEvent.objects.filter(action__startswith="projects.progress.").order_by("id").values_list("action", flat=True))
    assert events == ["projects.progress.reported", "projects.progress.corrected"]
    corrected = AuditEvent.objects.get(action="projects.progress.corrected")
    assert corrected.before["physical_percent"] == "35.50" and corrected.after["physical_percent"] == "36.00"


def test_month_rules(people, project):
    clerk = people["clerk"]
    with pytest.raises(ValidationFailed) as exc:
        _report(clerk, project, "2026-13")
    assert exc.value.message == str(svc.MSG_MONTH_FORMAT)
    nxt = add_months(THIS_MONTH, 1)
    with pytest.raises(ValidationFailed) as exc:
        _report(clerk, project, nxt)
    assert exc.value.message == str(svc.MSG_MONTH_FUTURE % {"month": month_label(nxt)})
    # the first allocation was 6 months ago: the month before it is the earliest
    too_early = months_ago(8)
    with pytest.raises(ValidationFailed) as exc:
        _report(clerk, project, too_early, today=add_months(too_early, 1))
    assert exc.value.message == str(svc.MSG_MONTH_EARLY % {"month": month_label(too_early), "first": month_label(months_ago(7))})
    assert _report(clerk, project, THIS_MONTH).month == THIS_MONTH  # the current month is open
    assert _report(clerk, project, months_ago(7), "5", today=months_ago(6).replace(day=3)).month == months_ago(7)


@pytest.mark.parametrize("stage", [Stage.REVIEWING, Stage.ARCHIVED])
def test_only_approved_to_before_archive_report(people, stage):
    p = make_project(year=LAST_YEAR, stage=stage)
    with pytest.raises(ValidationFailed) as exc:
        _report(people["clerk"], p, THIS_MONTH)
    assert exc.value.message == str(svc.MSG_STAGE % {"stage": Stage(stage).label})


def test_percent_and_investment_never_go_down(people, project):
    clerk = people["clerk"]
    m1, m2, m3 = months_ago(2), months_ago(1), THIS_MONTH
    today = m2.replace(day=3)  # m1 still open
    _report(clerk, project, m1, "40", 1_000_000, today=today)
    with pytest.raises(ValidationFailed) as exc:
        _report(clerk, project, m2, "39.99", 1_000_000, today=today)
    assert exc.value.message == str(svc.MSG_PERCENT_DOWN % {"month": month_label(m1), "percent": "40"})
    assert "不能低于" in exc.value.message and "40%" in exc.value.message and exc.value.code == "percent_decreasing"
    with pytest.raises(ValidationFailed) as exc:
        _report(clerk, project, m2, "45", 999_999, today=today)
    assert exc.value.message == str(svc.MSG_INVESTMENT_DOWN % {"month": month_label(m1), "amount": "10000.00"})
    _report(clerk, project, m2, "40", 1_000_000, today=today)  # unchanged is fine
    with pytest.raises(ValidationFailed) as exc:  # correcting the earlier month above a later one
        _report(clerk, project, m1, "41", 1_000_000, today=today)
    assert exc.value.message == str(svc.MSG_PERCENT_UP % {"month": month_label(m2), "percent": "40"})
    for bad in ("-1", "100.5", "abc", "33.333"):
        with pytest.raises(ValidationFailed) as exc:
            _report(clerk, project, m3, bad)
        assert exc.value.message == str(svc.MSG_PERCENT)
    with pytest.raises(ValidationFailed) as exc:
        _report(clerk, project, m3, "50", -1)
    assert exc.value.message == str(svc.MSG_INVESTMENT)
    assert ProgressReport.objects.count() == 2


def test_actual_dates_move_the_stage(people, project):
    clerk = people["clerk"]
    start = TODAY - D(days=100)
    with pytest.raises(ValidationFailed) as exc:
        _report(clerk, project, THIS_MONTH, "100", 1)
    assert exc.value.message == str(svc.MSG_FULL_NEEDS_COMPLETION)
    with pytest.raises(ValidationFailed) as exc:
        _report(clerk, project, THIS_MONTH, "90", actual_completion=TODAY)
    assert exc.value.message == str(svc.MSG_COMPLETION_NEEDS_START)
    with pytest.raises(ValidationFailed) as exc:
        _report(clerk, project, THIS_MONTH, "10", actual_start=TODAY + D(days=1))
    assert exc.value.message == str(svc.MSG_DATE_FUTURE)

    _report(clerk, project, months_ago(1), "20", actual_start=start, today=months_ago(1).replace(day=20))
    project.refresh_from_db()
    assert (project.stage, project.actual_start, project.stage_on) == (Stage.IMPLEMENTING, start, start)
    with pytest.raises(ValidationFailed) as exc:
        _report(clerk, project, THIS_MONTH, "90", actual_completion=TODAY)
    assert exc.value.message == str(svc.MSG_COMPLETION_NEEDS_FULL)
    with pytest.raises(ValidationFailed) as exc:
        _report(clerk, project, THIS_MONTH, "100", actual_completion=start - D(days=1))
    assert exc.value.message == str(svc.MSG_COMPLETION_BEFORE_START % {"start": start.isoformat()})
    _report(clerk, project, THIS_MONTH, "100", 50_000_000, actual_completion=TODAY)
    project.refresh_from_db()
    assert (project.stage, project.actual_completion) == (Stage.COMPLETED, TODAY)
    moves = list(StageChange.objects.filter(project=project).order_by("id").values_list("from_stage", "to_stage"))
    assert moves[-2:] == [(Stage.APPROVED, Stage.IMPLEMENTING), (Stage.IMPLEMENTING, Stage.COMPLETED)]


# --- the deadline lock ---------------------------------------------------------------------------------------------

def test_deadline_lock_with_today_frozen(people, project):
    assert policy_value("projects.progress_deadline_day", division_code=project.division_code) == 5
    clerk, city = people["clerk"], people["city"]
    month = months_ago(2)
    nxt = add_months(month, 1)
    assert month_deadline(month, project.division_code) == nxt.replace(day=5)
    _report(clerk, project, month, "10", today=nxt.replace(day=5))  # the deadline day itself is open
    with pytest.raises(ValidationFailed) as exc:
        _report(clerk, project, month, "11", today=nxt.replace(day=6))
    assert exc.value.message == str(svc.MSG_LOCKED % {"month": month_label(month), "deadline": nxt.replace(day=5).isoformat()})
    assert exc.value.code == "month_locked"

    unlock = svc.progress_unlock(actor=city, county_code="429921", month=month, until=nxt.replace(day=10), reason="系统故障补报",
                                 today=nxt.replace(day=6))
    assert (unlock.division_code, unlock.month, unlock.by) == ("429921000000", month, city)
    event = AuditEvent.objects.get(action="projects.progress.unlocked")
    assert event.after == {"county": "429921", "month": f"{month.year}-{month.month:02d}", "until": nxt.replace(day=10).isoformat(),
                           "reason": "系统故障补报"}
    assert _report(clerk, project, month, "11", today=nxt.replace(day=10)).physical_percent == Decimal("11.00")
    lock = month_lock(project.division_code, month, today=nxt.replace(day=8))
    assert (lock.open, lock.state, lock.unlocked_until) == (True, "unlocked", nxt.replace(day=10))
    with pytest.raises(ValidationFailed) as exc:
        _report(clerk, project, month, "12", today=nxt.replace(day=11))
    assert exc.value.code == "month_locked"
    # the unlock is the county's: another county's month stays locked
    foreign = make_project(year=LAST_YEAR, division_code=OTHER_VILLAGE)
    assert month_lock(foreign.division_code, month, today=nxt.replace(day=8)).state == "locked"


def test_deadline_day_follows_the_county_policy(people, project):
    PolicyVersion.objects.create(key="projects.progress_deadline_day", scope="429921", effective_from=dt.date(2021, 1, 1), value=10)
    month = months_ago(2)
    nxt = add_months(month, 1)
    assert month_deadline(month, project.division_code) == nxt.replace(day=10)
    assert month_deadline(month, OTHER_VILLAGE) == nxt.replace(day=5)
    _report(people["clerk"], project, month, "10", today=nxt.replace(day=9))
    assert month_deadline(dt.date(2026, 1, 1), project.division_code, day=31) == dt.date(2026, 2, 28)


def test_unlock_by_the_city_only(people, project):
    month = months_ago(2)
    until = TODAY + D(days=3)
    for role in ("clerk", "leader", "finance"):
        with pytest.raises(PermissionDenied):
            svc.progress_unlock(actor=people[role], county_code="429921", month=month, until=until, reason="x")
    with pytest.raises(NotFound):
        svc.progress_unlock(actor=people["city"], county_code="429821", month=month, until=until, reason="x")
    cases = [(dict(county_code="4299"), svc.MSG_UNLOCK_COUNTY), (dict(until=TODAY - D(days=1)), svc.MSG_UNLOCK_UNTIL),
             (dict(reason=" "), svc.MSG_UNLOCK_REASON)]
    for kw, message in cases:
        args = {"county_code": "429921", "month": month, "until": until, "reason": "补报", **kw}
        with pytest.raises(ValidationFailed) as exc:
            svc.progress_unlock(actor=people["city"], **args)
        assert exc.value.message == str(message)
    assert not ProgressUnlock.objects.exists()
    svc.progress_unlock(actor=people["city"], county_code="429921000000", month=f"{month.year}-{month.month}", until=until, reason="补报")
    _report(people["clerk"], project, month, "10")  # locked by today's date, open by the unlock
    assert ProgressReport.objects.filter(project=project, month=month).exists()


def test_report_scope_and_permission(people, project):
    foreign = make_project(year=LAST_YEAR, division_code=OTHER_VILLAGE)
    with pytest.raises(NotFound):
        _report(people["clerk"], foreign, THIS_MONTH)
    for role in ("leader", "finance", "reviewer"):
        with pytest.raises(PermissionDenied):
            _report(people[role], project, THIS_MONTH)
    make_progress(project, months_ago(1), "5")
    _report(people["city"], project, THIS_MONTH, "6")
    assert ProgressReport.objects.filter(project=project).count() == 2

"""Monthly progress of projects (月度进度): the report of a month with its rules (cumulative figures never go down), the
reporting deadline of each month with its lock, and the city's unlocking of a county's month.

Month M may be reported until day `projects.progress_deadline_day` of month M+1; after that only while a ProgressUnlock
of the county and month runs (`until` >= today).
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.db.models import Max, Min
from django.utils.translation import gettext_lazy

from anju.accounts.roles import Perm
from anju.core.access import in_scope, require_perm
from anju.core.audit import audit_record
from anju.core.exceptions import NotFound, PermissionDenied, ValidationFailed
from anju.core.policy import policy_value
from anju.divisions.models import Division, Level
from anju.projects.models import STAGE_ORDER, Allocation, ProgressReport, ProgressUnlock, Project, Stage, StageChange
from anju.projects.money import yuan_text
from anju.projects.services.stages import stage_move

MSG_MONTH_FORMAT = gettext_lazy("月份应写成“年-月”，如 2026-03")
MSG_MONTH_FUTURE = gettext_lazy("不能填报未来月份（%(month)s）")
MSG_MONTH_EARLY = gettext_lazy("%(month)s早于项目首次资金下达的前一个月（%(first)s），不能填报")
MSG_STAGE = gettext_lazy("项目处于“%(stage)s”阶段：立项/下达之后、归档之前的项目才填报月度进度")
MSG_LOCKED = gettext_lazy("%(month)s的进度已于%(deadline)s截止填报并锁定；如需补报或更正，请联系市级解锁")
MSG_PERCENT = gettext_lazy("形象进度应为 0 至 100 之间的数，最多两位小数")
MSG_PERCENT_DOWN = gettext_lazy("形象进度不能低于%(month)s已报的%(percent)s%%：形象进度是累计数，只增不减")
MSG_PERCENT_UP = gettext_lazy("形象进度不能高于之后%(month)s已报的%(percent)s%%")
MSG_INVESTMENT = gettext_lazy("累计完成投资不能为负数")
MSG_INVESTMENT_DOWN = gettext_lazy("累计完成投资不能低于%(month)s已报的%(amount)s元：累计完成投资只增不减")
MSG_INVESTMENT_UP = gettext_lazy("累计完成投资不能高于之后%(month)s已报的%(amount)s元")
MSG_FULL_NEEDS_COMPLETION = gettext_lazy("形象进度达到100%时须填写实际完工日期")
MSG_COMPLETION_NEEDS_FULL = gettext_lazy("填写实际完工日期时，形象进度应为100%")
MSG_DATE_FUTURE = gettext_lazy("日期不能晚于今天")
MSG_COMPLETION_BEFORE_START = gettext_lazy("实际完工日期不能早于实际开工日期（%(start)s）")
MSG_COMPLETION_NEEDS_START = gettext_lazy("请先填写实际开工日期")
MSG_UNLOCK_CITY = gettext_lazy("只有市级可以解锁进度填报")
MSG_UNLOCK_COUNTY = gettext_lazy("请选择一个县（市、区）")
MSG_UNLOCK_UNTIL = gettext_lazy("开放截止日期不能早于今天")
MSG_UNLOCK_REASON = gettext_lazy("请填写解锁原因")

DEADLINE_KEY = "projects.progress_deadline_day"
_MONTH = re.compile(r"^\s*(\d{4})\s*[-/年.]\s*(\d{1,2})\s*月?\s*$")
REPORTING_STAGES = (Stage.APPROVED, Stage.IMPLEMENTING, Stage.COMPLETED)


# --- months and the deadline ---------------------------------------------------------------------------------------

def month_parse(value, field: str = "month") -> dt.date:
    """'2026-03' (or 2026/3, 2026年3月, a date) -> date(2026, 3, 1); ValidationFailed otherwise."""
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return value.replace(day=1)
    m = _MONTH.match(str(value or ""))
    if not m or not 1 <= int(m.group(2)) <= 12 or not 1900 <= int(m.group(1)) <= 2999:
        raise ValidationFailed(MSG_MONTH_FORMAT, code="month_invalid", detail={"field": field})
    return dt.date(int(m.group(1)), int(m.group(2)), 1)


def month_text(month: dt.date) -> str:
    return f"{month.year}-{month.month:02d}"


def month_label(month: dt.date) -> str:
    return str(gettext_lazy("%(y)s年%(m)s月") % {"y": month.year, "m": month.month})


def percent_text(value) -> str:
    """Decimal("40.00") -> "40", Decimal("35.50") -> "35.5" (no exponent, no trailing zeros)."""
    return format(Decimal(value).quantize(Decimal("0.01")).normalize(), "f")


def add_months(month: dt.date, n: int) -> dt.date:
    i = month.year * 12 + month.month - 1 + n
    return dt.date(i // 12, i % 12 + 1, 1)


def county_code(division_code: str) -> str:
    """The 12-digit code of the county a division lies in."""
    return division_code[:6].ljust(12, "0")


def deadline_day(division_code: str) -> int:
    return int(policy_value(DEADLINE_KEY, division_code=division_code))


def month_deadline(month: dt.date, division_code: str, *, day: int | None = None) -> dt.date:
    """The last day month `month` may be reported in the division: day N of the next month (the month's last day when shorter)."""
    nxt = add_months(month, 1)
    day = deadline_day(division_code) if day is None else day
    return nxt.replace(day=max(1, min(day, calendar.monthrange(nxt.year, nxt.month)[1])))


@dataclass
class MonthLock:
    """Whether a county's month is open for reporting today, and why."""

    month: dt.date
    deadline: dt.date
    open: bool
    unlocked_until: dt.date | None = None

    @property
    def state(self) -> str:
        if self.unlocked_until:
            return "unlocked"
        return "open" if self.open else "locked"


def unlocked_until(division_code: str, month: dt.date, today: dt.date) -> dt.date | None:
    return ProgressUnlock.objects.filter(division_code=county_code(division_code), month=month, until__gte=today).aggregate(u=Max("until"))["u"]


def month_lock(division_code: str, month: dt.date, *, today: dt.date | None = None, day: int | None = None) -> MonthLock:
    today = today or dt.date.today()
    deadline = month_deadline(month, division_code, day=day)
    if today <= deadline:
        return MonthLock(month, deadline, True)
    until = unlocked_until(division_code, month, today)
    return MonthLock(month, deadline, until is not None, until)


# --- the monthly report --------------------------------------------------------------------------------------------

def _percent(value) -> Decimal:
    try:
        percent = Decimal(str(value).strip().rstrip("%"))
    except (InvalidOperation, ValueError):
        raise ValidationFailed(MSG_PERCENT, detail={"field": "physical_percent"}) from None
    if not percent.is_finite() or not 0 <= percent <= 100 or percent != percent.quantize(Decimal("0.01")):
        raise ValidationFailed(MSG_PERCENT, detail={"field": "physical_percent"})
    return percent.quantize(Decimal("0.01"))


def _earliest_month(project: Project) -> dt.date | None:
    """The first month a project may report: the month before its first allocation (or, without one, before its approval)."""
    first = Allocation.objects.filter(project=project).aggregate(d=Min("doc_date"))["d"]
    if first is None:
        first = StageChange.objects.filter(project=project, to_stage=Stage.APPROVED).aggregate(d=Min("on"))["d"]
    return add_months(first.replace(day=1), -1) if first else None


def _report_dict(r: ProgressReport) -> dict:
    return {"month": month_text(r.month), "physical_percent": str(r.physical_percent), "investment_completed": r.investment_completed,
            "investment_completed_yuan": yuan_text(r.investment_completed), "problems": r.problems}


def _check_monotonic(project: Project, month: dt.date, percent: Decimal, investment: int) -> None:
    others = ProgressReport.objects.filter(project=project).exclude(month=month)
    earlier = others.filter(month__lt=month).order_by("-physical_percent", "-month").first()
    if earlier and percent < earlier.physical_percent:
        raise ValidationFailed(MSG_PERCENT_DOWN % {"month": month_label(earlier.month), "percent": percent_text(earlier.physical_percent)},
                               code="percent_decreasing", detail={"field": "physical_percent"})
    later = others.filter(month__gt=month).order_by("physical_percent", "month").first()
    if later and percent > later.physical_percent:
        raise ValidationFailed(MSG_PERCENT_UP % {"month": month_label(later.month), "percent": percent_text(later.physical_percent)},
                               code="percent_decreasing", detail={"field": "physical_percent"})
    earlier = others.filter(month__lt=month).order_by("-investment_completed", "-month").first()
    if earlier and investment < earlier.investment_completed:
        raise ValidationFailed(MSG_INVESTMENT_DOWN % {"month": month_label(earlier.month), "amount": yuan_text(earlier.investment_completed)},
                               code="investment_decreasing", detail={"field": "investment_completed"})
    later = others.filter(month__gt=month).order_by("investment_completed", "month").first()
    if later and investment > later.investment_completed:
        raise ValidationFailed(MSG_INVESTMENT_UP % {"month": month_label(later.month), "amount": yuan_text(later.investment_completed)},
                               code="investment_decreasing", detail={"field": "investment_completed"})


def _stage_on(project: Project, day: dt.date) -> dt.date:
    """`day`, or the project's last stage change when that is later (a stage change cannot predate the one before)."""
    last = StageChange.objects.filter(project=project).order_by("-on", "-id").values_list("on", flat=True).first()
    on = max(day, last) if last else day
    return min(on, dt.date.today())


def _dates(project: Project, actual_start, actual_completion, percent: Decimal, today: dt.date) -> tuple[dt.date | None, dt.date | None]:
    for field, value in (("actual_start", actual_start), ("actual_completion", actual_completion)):
        if value and value > today:
            raise ValidationFailed(MSG_DATE_FUTURE, detail={"field": field})
    start = actual_start or project.actual_start
    completion = actual_completion or project.actual_completion
    if actual_completion:
        if not start:
            raise ValidationFailed(MSG_COMPLETION_NEEDS_START, detail={"field": "actual_start"})
        if actual_completion < start:
            raise ValidationFailed(MSG_COMPLETION_BEFORE_START % {"start": start.isoformat()}, detail={"field": "actual_completion"})
        if percent != 100:
            raise ValidationFailed(MSG_COMPLETION_NEEDS_FULL, detail={"field": "physical_percent"})
    if percent == 100 and not completion:
        raise ValidationFailed(MSG_FULL_NEEDS_COMPLETION, code="completion_required", detail={"field": "actual_completion"})
    if actual_start and project.actual_completion and actual_start > project.actual_completion:
        raise ValidationFailed(MSG_COMPLETION_BEFORE_START % {"start": actual_start.isoformat()}, detail={"field": "actual_start"})
    return start, completion


def progress_report(*, actor, project: Project, month, physical_percent, investment_completed_fen: int, problems: str = "",
                    actual_start: dt.date | None = None, actual_completion: dt.date | None = None,
                    today: dt.date | None = None) -> ProgressReport:
    """Report (or, while the month is open, correct) a project's progress of a month; recording the actual start or
    completion moves an approved project to 实施 and an implementing one to 完工."""
    require_perm(actor, Perm.PROJECT_EDIT)
    today = today or dt.date.today()
    month = month_parse(month)
    percent = _percent(physical_percent)
    if isinstance(investment_completed_fen, bool) or not isinstance(investment_completed_fen, int):
        raise ValidationFailed(MSG_INVESTMENT, detail={"field": "investment_completed"})
    if investment_completed_fen < 0:
        raise ValidationFailed(MSG_INVESTMENT, detail={"field": "investment_completed"})
    problems = str(problems or "").strip()
    if "\x00" in problems:
        raise ValidationFailed(detail={"field": "problems"})
    with transaction.atomic():
        project = Project.objects.select_for_update().filter(pk=project.pk).first()
        if project is None or not in_scope(actor, project.division_code, "entry"):
            raise NotFound()
        if STAGE_ORDER[project.stage] < STAGE_ORDER[Stage.APPROVED] or project.stage == Stage.ARCHIVED:
            raise ValidationFailed(MSG_STAGE % {"stage": Stage(project.stage).label}, code="stage_not_allowed", detail={"field": "month"})
        if month > today.replace(day=1):
            raise ValidationFailed(MSG_MONTH_FUTURE % {"month": month_label(month)}, code="month_future", detail={"field": "month"})
        earliest = _earliest_month(project)
        if earliest and month < earliest:
            raise ValidationFailed(MSG_MONTH_EARLY % {"month": month_label(month), "first": month_label(earliest)}, code="month_early",
                                   detail={"field": "month"})
        lock = month_lock(project.division_code, month, today=today)
        if not lock.open:
            raise ValidationFailed(MSG_LOCKED % {"month": month_label(month), "deadline": lock.deadline.isoformat()}, code="month_locked",
                                   detail={"field": "month"})
        _check_monotonic(project, month, percent, investment_completed_fen)
        start, completion = _dates(project, actual_start, actual_completion, percent, today)

        report = ProgressReport.objects.select_for_update().filter(project=project, month=month).first()
        before = _report_dict(report) if report else None
        if report is None:
            report = ProgressReport(project=project, division_code=project.division_code, month=month)
        report.physical_percent, report.investment_completed, report.problems = percent, investment_completed_fen, problems
        report.reported_by = actor
        report.save()

        dates_before = {"actual_start": project.actual_start, "actual_completion": project.actual_completion}
        changed = [f for f, v in (("actual_start", start), ("actual_completion", completion)) if getattr(project, f) != v]
        if changed:
            project.actual_start, project.actual_completion = start, completion
            project.save(update_fields=[*changed, "updated_at"])
        audit_record(actor=actor, action="projects.progress.corrected" if before else "projects.progress.reported", object_type="progress_report",
                     object_id=report.pk, division_code=project.division_code, before=before,
                     after={"code": project.code, **_report_dict(report),
                            **({"dates_before": dates_before, "actual_start": start, "actual_completion": completion} if changed else {})})
        if project.stage == Stage.APPROVED and project.actual_start:
            stage_move(actor=actor, project=project, to_stage=Stage.IMPLEMENTING, on=_stage_on(project, project.actual_start),
                       note=str(gettext_lazy("月度进度填报实际开工日期")))
        if project.stage == Stage.IMPLEMENTING and project.actual_completion:
            stage_move(actor=actor, project=project, to_stage=Stage.COMPLETED, on=_stage_on(project, project.actual_completion),
                       note=str(gettext_lazy("月度进度填报实际完工日期")))
    return report


# --- unlocking -----------------------------------------------------------------------------------------------------

def progress_unlock(*, actor, county_code: str, month, until: dt.date, reason: str, today: dt.date | None = None) -> ProgressUnlock:
    """The city reopens a county's month for reporting until a day (audited)."""
    require_perm(actor, Perm.PROJECT_REVIEW)
    if len(actor.entry_prefix) > 4:
        raise PermissionDenied(MSG_UNLOCK_CITY)
    today = today or dt.date.today()
    code = str(county_code or "").strip()
    if not (code.isascii() and code.isdigit() and (len(code) == 6 or (len(code) == 12 and code.endswith("000000")))):
        raise ValidationFailed(MSG_UNLOCK_COUNTY, detail={"field": "county"})
    division = Division.objects.filter(code=code[:6].ljust(12, "0"), level=Level.COUNTY).first()
    if division is None or not in_scope(actor, division.code, "entry"):
        raise NotFound()
    month = month_parse(month)
    if month > today.replace(day=1):
        raise ValidationFailed(MSG_MONTH_FUTURE % {"month": month_label(month)}, code="month_future", detail={"field": "month"})
    if until < today:
        raise ValidationFailed(MSG_UNLOCK_UNTIL, detail={"field": "until"})
    reason = str(reason or "").strip()
    if not reason or "\x00" in reason:
        raise ValidationFailed(MSG_UNLOCK_REASON, detail={"field": "reason"})
    with transaction.atomic():
        unlock = ProgressUnlock.objects.create(division_code=division.code, month=month, until=until, reason=reason[:300], by=actor)
        audit_record(actor=actor, action="projects.progress.unlocked", object_type="progress_unlock", object_id=unlock.pk,
                     division_code=division.code, after={"county": division.code[:6], "month": month_text(month), "until": until.isoformat(),
                                                          "reason": unlock.reason})
    return unlock


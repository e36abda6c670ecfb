"""Early warnings (预警): rules as data (a measure of a project, an operator, a threshold, a level), evaluated set-based
over every project of a scope; warnings raised, updated and cleared, their inbox messages sent and resolved; and the
rules' management (thresholds, levels, payment targets by month, county overrides).

Measures (one value per project; a rule holds when `value <operator> threshold`):
- days_not_started: days from the first allocation (下达) to today, for projects at 立项/下达 or later not started yet;
- payment_behind: the target payment rate of the latest checkpoint month that has ended this year, less the rate paid
  to date (paid / allocated), for projects with money allocated;
- no_progress_report: 1 once last month's deadline day has passed without a report of a project under way, else 0;
- completion_overdue: days since the planned completion of a project not completed;
- not_accepted: days since the completion of a project at 完工 without an acceptance that did not fail;
- rectification_overdue: days past the deadline of the project's earliest open rectification.
Archived projects (归档) raise nothing.

A rule with a scope applies to the projects under it and replaces, for them, the wider active rule with the same
code (the longest scope wins). An inactive rule raises nothing; its open warnings clear at the next evaluation.
"""

from __future__ import annotations

import datetime as dt
from calendar import monthrange
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from fractions import Fraction
from functools import cached_property

from django.db import connection, transaction
from django.db.models import Count, Min, Sum
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy

from anju.accounts.roles import Perm
from anju.core.access import code_prefix_q, require_perm
from anju.core.audit import audit_diff, audit_record
from anju.core.bulk import allocate_ids, bulk_insert, bulk_update, db_value
from anju.core.exceptions import Conflict, NotFound, PermissionDenied, ValidationFailed
from anju.core.inbox import Outgoing, inbox_resolve, inbox_send
from anju.core.policy import PolicyMissing, PolicyTable
from anju.projects.models import (
    STAGE_ORDER,
    Acceptance,
    Allocation,
    Payment,
    ProgressReport,
    Project,
    Rectification,
    Stage,
    Warning,
    WarningRule,
)
from anju.projects.money import fen_text

MSG_SCOPE = gettext_lazy("“%(code)s”不是有效的区划代码前缀")
MSG_OPERATOR = gettext_lazy("比较方式应为 gt（>）、ge（≥）、lt（<）或 le（≤）")
MSG_LEVEL = gettext_lazy("预警等级应为 yellow（黄色）或 red（红色）")
MSG_THRESHOLD = gettext_lazy("阈值应为不小于 0 的数")
MSG_THRESHOLD_DAYS = gettext_lazy("天数阈值应为 0 至 100000 之间的整数")
MSG_THRESHOLD_FRACTION = gettext_lazy("该指标的阈值应在 0 至 1 之间（如 0.2 表示 20 个百分点）")
MSG_TARGETS = gettext_lazy("序时进度目标：月份应为 1 至 12，目标应在 0 至 1 之间（如 0.5 表示 50%%）")
MSG_TARGETS_EMPTY = gettext_lazy("请至少设置一个节点月份的目标支付率")
MSG_TARGETS_ORDER = gettext_lazy("序时进度目标是累计支付率，后面月份的目标不能低于前面月份（%(month)s 月）")
MSG_TARGETS_MEASURE = gettext_lazy("只有“资金支付率低于序时进度目标”的规则才有序时进度目标")
MSG_NAME = gettext_lazy("规则名称不能为空，最长 100 个字")
MSG_NOTE = gettext_lazy("说明最长 300 个字")
MSG_RULE_OUT_OF_ENTRY = gettext_lazy("该规则适用于您录入范围以外的地区，不能修改或删除")
MSG_OVERRIDE_SCOPE = gettext_lazy("适用区划应为 4、6、9 或 12 位区划代码，在原规则的适用范围内且比它更小")
MSG_OVERRIDE_UNKNOWN = gettext_lazy("区划代码 %(code)s 不存在")
MSG_OVERRIDE_ENTRY = gettext_lazy("适用区划不在您的录入范围内")
MSG_OVERRIDE_EXISTS = gettext_lazy("该地区已有规则“%(code)s”的专门设置")
MSG_DELETE_BASE = gettext_lazy("通用规则不能删除，可以停用")
MSG_DELETE_ORPHAN = gettext_lazy("该规则已有预警记录，且没有可接替的上级规则，不能删除；可以停用")

# The detail of a warning's message, by measure (Chinese is stored: every reader sees the same text).
MSG_DETAIL = {
    WarningRule.Measure.DAYS_NOT_STARTED: gettext_lazy("资金于 %(first)s 首次下达，已 %(days)s 天未开工"),
    WarningRule.Measure.PAYMENT_BEHIND: gettext_lazy(
        "截至 %(today)s 资金支付率 %(rate)s（已支付 %(paid)s 元，已下达 %(allocated)s 元），"
        "低于 %(month)s 月末序时进度目标 %(target)s，相差 %(gap)s 个百分点"),
    WarningRule.Measure.NO_PROGRESS_REPORT: gettext_lazy("%(month)s 的月度进度未在 %(deadline)s 前报送"),
    WarningRule.Measure.COMPLETION_OVERDUE: gettext_lazy("计划 %(planned)s 完工，已超期 %(days)s 天未完工"),
    WarningRule.Measure.NOT_ACCEPTED: gettext_lazy("已于 %(completed)s 完工，%(days)s 天未验收"),
    WarningRule.Measure.RECTIFICATION_OVERDUE: gettext_lazy("未完成整改 %(n)s 项，最早的整改期限 %(deadline)s，已逾期 %(days)s 天"),
}
MSG_SUBJECT = gettext_lazy("【%(level)s】%(project)s：%(rule)s")
MSG_BODY = gettext_lazy("项目 %(code)s %(name)s\n%(message)s\n请及时处理；情况消除后预警自动解除。")

DAY_MEASURES = {WarningRule.Measure.DAYS_NOT_STARTED, WarningRule.Measure.COMPLETION_OVERDUE, WarningRule.Measure.NOT_ACCEPTED,
                WarningRule.Measure.RECTIFICATION_OVERDUE}
FRACTION_MEASURES = {WarningRule.Measure.PAYMENT_BEHIND, WarningRule.Measure.NO_PROGRESS_REPORT}
OPERATORS: dict[str, Callable[[int, int], bool]] = {
    "gt": lambda a, b: a > b, "ge": lambda a, b: a >= b, "lt": lambda a, b: a < b, "le": lambda a, b: a <= b}
LEVEL_RANK = {WarningRule.Level.YELLOW: 1, WarningRule.Level.RED: 2}
APPROVED_RANK = STAGE_ORDER[Stage.APPROVED]
_CHUNK = 500  # ids per IN (...) statement, under SQLite's parameter limit
FOUR_PLACES = Decimal("0.0001")


def source_of(warning_id: int) -> str:
    """The `source` of the inbox messages a warning sends."""
    return f"projects.warning:{warning_id}"


def project_link(project_id: int) -> str:
    return f"/projects/{project_id}/"


# --- what the measures read ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ProjectFacts:
    id: int
    code: str
    name: str
    division_code: str
    stage: str
    actual_start: dt.date | None
    actual_completion: dt.date | None
    planned_completion: dt.date | None
    owner_id: int | None

    @property
    def rank(self) -> int:
        return STAGE_ORDER.get(self.stage, 0)

    def started(self, today: dt.date) -> bool:
        return self.actual_start is not None and self.actual_start <= today

    def completed(self, today: dt.date) -> bool:
        return self.actual_completion is not None and self.actual_completion <= today


class Facts:
    """The figures of every (non-archived) project of a scope on a day, each read by one aggregate query when a
    measure first asks for it."""

    def __init__(self, prefix: str, today: dt.date):
        self.prefix, self.today = prefix, today

    def _scoped(self, qs, field: str = "division_code"):
        return qs.filter(code_prefix_q(field, self.prefix)) if self.prefix else qs

    @cached_property
    def projects(self) -> dict[int, ProjectFacts]:
        rows = (self._scoped(Project.objects.exclude(stage=Stage.ARCHIVED))
                .values_list("id", "code", "name", "division_code", "stage", "actual_start", "actual_completion", "planned_completion",
                             "owner_id", "owner__is_active"))
        return {r[0]: ProjectFacts(*r[:8], owner_id=r[8] if r[9] else None) for r in rows}

    @cached_property
    def allocations(self) -> dict[int, tuple[dt.date, int]]:
        """Per project: the first allocation's date and the amount allocated to date (fen)."""
        rows = (self._scoped(Allocation.objects.filter(doc_date__lte=self.today)).values("project_id")
                .annotate(first=Min("doc_date"), total=Sum("amount")).values_list("project_id", "first", "total"))
        return {pid: (first, int(total or 0)) for pid, first, total in rows}

    @cached_property
    def paid(self) -> dict[int, int]:
        rows = (self._scoped(Payment.objects.filter(paid_on__lte=self.today)).values("project_id").annotate(total=Sum("amount"))
                .values_list("project_id", "total"))
        return {pid: int(total or 0) for pid, total in rows}

    @cached_property
    def last_month(self) -> dt.date:
        return (self.today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)

    @cached_property
    def reported_last_month(self) -> set[int]:
        return set(self._scoped(ProgressReport.objects.filter(month=self.last_month)).values_list("project_id", flat=True))

    @cached_property
    def accepted(self) -> set[int]:
        qs = Acceptance.objects.filter(on__lte=self.today).exclude(conclusion=Acceptance.Conclusion.FAILED)
        return set(self._scoped(qs).values_list("project_id", flat=True).distinct())

    @cached_property
    def open_rectifications(self) -> dict[int, tuple[dt.date, int]]:
        rows = (self._scoped(Rectification.objects.filter(state=Rectification.State.OPEN)).values("project_id")
                .annotate(first=Min("deadline"), n=Count("id")).values_list("project_id", "first", "n"))
        return {pid: (first, n) for pid, first, n in rows}

    @cached_property
    def _policy(self) -> PolicyTable:
        return PolicyTable(["projects.progress_deadline_day"])

    def deadline_day(self, division_code: str) -> int:
        try:
            return int(self._policy.value("projects.progress_deadline_day", on=self.today, division_code=division_code))
        except (PolicyMissing, TypeError, ValueError):  # the national default removed or mistyped: the documented 5
            return 5


# A reading: the value as an exact fraction (numerator, denominator > 0, so that every comparison is integer arithmetic)
# and the raw figures its message is written from, only for the readings where a rule holds.
Reading = tuple[int, int, tuple]
SCALE = 10_000  # thresholds and targets have four decimal places


def _date(d: dt.date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def _percent(numerator: int, denominator: int, places: int = 1) -> str:
    number = (Decimal(numerator) * 100 / Decimal(denominator)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    return f"{number}"


def _days_not_started(f: Facts, rule: WarningRule) -> dict[int, Reading]:
    out = {}
    today, projects = f.today, f.projects
    for pid, (first, _total) in f.allocations.items():
        p = projects.get(pid)
        if p is None or p.rank < APPROVED_RANK or p.started(today):
            continue
        days = (today - first).days
        out[pid] = (days, 1, (first, days))
    return out


def _describe_not_started(template: str, f: Facts, raw: tuple) -> str:
    first, days = raw
    return template % {"first": _date(first), "days": days}


def payment_targets(params) -> dict[int, Fraction]:
    """The checkpoint months and their cumulative target payment rates from a rule's params (invalid entries ignored)."""
    targets = {}
    raw = (params or {}).get("targets") if isinstance(params, dict) else None
    for month, target in (raw or {}).items() if isinstance(raw, dict) else ():
        try:
            m, t = int(month), Fraction(Decimal(str(target)))
        except (TypeError, ValueError, InvalidOperation, ArithmeticError):
            continue
        if 1 <= m <= 12 and 0 <= t <= 1:
            targets[m] = t
    return targets


def checkpoint(targets: dict[int, Fraction], today: dt.date) -> int | None:
    """The latest checkpoint month of today's year whose last day has passed (≤ today), or None before the first."""
    due = [m for m in targets if dt.date(today.year, m, monthrange(today.year, m)[1]) <= today]
    return max(due) if due else None


def _payment_behind(f: Facts, rule: WarningRule) -> dict[int, Reading]:
    """target − paid/allocated = (target·allocated − paid) / allocated, with the target as a whole number of 1/SCALE."""
    targets = payment_targets(rule.params)
    month = checkpoint(targets, f.today)
    if month is None:
        return {}
    target = targets[month]
    if (target * SCALE).denominator != 1:
        return {}  # more than four decimal places: not a stored target (clean_targets refuses it)
    scaled = int(target * SCALE)
    out = {}
    projects, paid_by = f.projects, f.paid
    for pid, (_first, allocated) in f.allocations.items():
        p = projects.get(pid)
        if p is None or p.rank < APPROVED_RANK or allocated <= 0:
            continue
        paid = paid_by.get(pid, 0)
        out[pid] = (scaled * allocated - SCALE * paid, SCALE * allocated, (paid, allocated, month, scaled))
    return out


def _describe_payment(template: str, f: Facts, raw: tuple) -> str:
    paid, allocated, month, scaled = raw
    return template % {"today": _date(f.today), "rate": _percent(paid, allocated) + "%", "paid": fen_text(paid), "allocated": fen_text(allocated),
                       "month": month, "target": _percent(scaled, SCALE) + "%", "gap": _percent(scaled * allocated - SCALE * paid, SCALE * allocated)}


def _no_progress_report(f: Facts, rule: WarningRule) -> dict[int, Reading]:
    out = {}
    today = f.today
    month_end = today.replace(day=1) - dt.timedelta(days=1)
    reported = f.reported_last_month
    for pid, p in f.projects.items():
        under_way = p.stage == Stage.IMPLEMENTING or (p.stage == Stage.APPROVED and p.started(today))
        if not under_way or (p.actual_start is not None and p.actual_start > month_end):
            continue  # not under way, or started only this month: there is no last month to report
        day = f.deadline_day(p.division_code)
        out[pid] = (int(pid not in reported and today.day > day), 1, (day,))
    return out


def _describe_no_report(template: str, f: Facts, raw: tuple) -> str:
    day = min(max(raw[0], 1), monthrange(f.today.year, f.today.month)[1])
    return template % {"month": f"{f.last_month.year}年{f.last_month.month}月", "deadline": _date(f.today.replace(day=day))}


def _completion_overdue(f: Facts, rule: WarningRule) -> dict[int, Reading]:
    out = {}
    today = f.today
    for pid, p in f.projects.items():
        if p.rank < APPROVED_RANK or p.planned_completion is None or p.completed(today):
            continue
        days = (today - p.planned_completion).days
        out[pid] = (days, 1, (p.planned_completion, days))
    return out


def _describe_overdue(template: str, f: Facts, raw: tuple) -> str:
    planned, days = raw
    return template % {"planned": _date(planned), "days": days}


def _not_accepted(f: Facts, rule: WarningRule) -> dict[int, Reading]:
    out = {}
    today, accepted = f.today, f.accepted
    for pid, p in f.projects.items():
        if p.stage != Stage.COMPLETED or not p.completed(today) or pid in accepted:
            continue
        days = (today - p.actual_completion).days
        out[pid] = (days, 1, (p.actual_completion, days))
    return out


def _describe_not_accepted(template: str, f: Facts, raw: tuple) -> str:
    completed, days = raw
    return template % {"completed": _date(completed), "days": days}


def _rectification_overdue(f: Facts, rule: WarningRule) -> dict[int, Reading]:
    out = {}
    for pid, (first, n) in f.open_rectifications.items():
        if pid not in f.projects:
            continue
        days = (f.today - first).days
        out[pid] = (days, 1, (n, first, days))
    return out


def _describe_rectification(template: str, f: Facts, raw: tuple) -> str:
    n, first, days = raw
    return template % {"n": n, "deadline": _date(first), "days": days}


@dataclass(frozen=True)
class Measure:
    read: Callable[[Facts, WarningRule], dict[int, Reading]]
    describe: Callable[[str, Facts, tuple], str]
    per_rule: bool = False  # the reading depends on the rule's params (not only on the project)


MEASURES: dict[str, Measure] = {
    WarningRule.Measure.DAYS_NOT_STARTED: Measure(_days_not_started, _describe_not_started),
    WarningRule.Measure.PAYMENT_BEHIND: Measure(_payment_behind, _describe_payment, per_rule=True),
    WarningRule.Measure.NO_PROGRESS_REPORT: Measure(_no_progress_report, _describe_no_report),
    WarningRule.Measure.COMPLETION_OVERDUE: Measure(_completion_overdue, _describe_overdue),
    WarningRule.Measure.NOT_ACCEPTED: Measure(_not_accepted, _describe_not_accepted),
    WarningRule.Measure.RECTIFICATION_OVERDUE: Measure(_rectification_overdue, _describe_rectification),
}


def _threshold_scaled(rule: WarningRule) -> int | None:
    scaled = Decimal(rule.threshold) * SCALE
    return int(scaled) if scaled == scaled.to_integral_value() else None


def rule_holds(rule: WarningRule, numerator: int, denominator: int = 1) -> bool:
    """value <operator> threshold, for value = numerator / denominator (denominator > 0), in integers."""
    op, threshold = OPERATORS.get(rule.operator), _threshold_scaled(rule)
    return bool(op) and threshold is not None and op(numerator * SCALE, threshold * denominator)


def _stored(numerator: int, denominator: int) -> Decimal:
    return (Decimal(numerator) / Decimal(denominator)).quantize(FOUR_PLACES, rounding=ROUND_HALF_UP)


def applicable_rules(rules) -> dict[str, list[WarningRule]]:
    """Active rules by code, the narrowest scope first: the first whose scope prefixes a project's code applies to it."""
    by_code: dict[str, list[WarningRule]] = defaultdict(list)
    for rule in rules:
        if rule.active:
            by_code[rule.code].append(rule)
    for candidates in by_code.values():
        candidates.sort(key=lambda r: len(r.scope), reverse=True)
    return by_code


def rule_for(candidates: list[WarningRule], division_code: str) -> WarningRule | None:
    for rule in candidates:
        if division_code.startswith(rule.scope):
            return rule
    return None


# --- evaluation ---------------------------------------------------------------------------------------------------

def _evaluate_scope(actor, division_prefix: str) -> str:
    prefix = (division_prefix or "").strip()
    if prefix and (not prefix.isascii() or not prefix.isdigit() or len(prefix) > 12):
        raise ValidationFailed(MSG_SCOPE % {"code": prefix[:20]}, code="scope_invalid", detail={"field": "scope"})
    if actor is None:
        return prefix
    require_perm(actor, Perm.PROJECT_MANAGE)
    entry = actor.entry_prefix
    if not prefix or entry.startswith(prefix):
        return entry  # the actor's whole entry scope, never wider
    if not prefix.startswith(entry):
        raise NotFound()
    return prefix


def warnings_evaluate_check(*, actor, division_prefix: str = "") -> str:
    """The prefix an evaluation by `actor` covers, or the error it would raise."""
    return _evaluate_scope(actor, division_prefix)


def _county_clerks(prefix: str) -> dict[str, list[int]]:
    """Active 县级经办 by county prefix (6 digits), oldest account first."""
    from anju.accounts.models import User

    qs = User.objects.filter(role="county_clerk", is_active=True, entry_scope__isnull=False)
    if len(prefix) >= 6:
        qs = qs.filter(code_prefix_q("entry_scope", prefix[:6]))
    found: dict[str, list[int]] = defaultdict(list)
    for uid, scope in qs.order_by("id").values_list("id", "entry_scope_id"):
        found[scope[:6]].append(uid)
    return found


def warnings_evaluate(*, actor=None, today: dt.date | None = None, division_prefix: str = "") -> dict:
    """Evaluate every active rule over the projects of a scope on `today`: raise a warning (and send its inbox messages)
    where a rule holds and none is open, update the value and message of open ones that still hold, clear the rest and
    resolve their messages. One audit event per run. `actor` None: the daily housekeeping round (all divisions)."""
    prefix = _evaluate_scope(actor, division_prefix)
    today = today or timezone.localdate()
    now = timezone.now()
    with transaction.atomic(), translation.override("zh-hans"):
        # Locking the rules serialises evaluations (two runs would raise the same warning twice) and rule edits.
        rules = list(WarningRule.objects.select_for_update().order_by("id"))
        facts = Facts(prefix, today)
        desired = _desired(facts, rules)
        open_rows = _open_warnings(prefix)
        new_keys = [key for key in desired if key not in open_rows]
        raised = _raise(facts, desired, new_keys, {r.pk: r for r in rules}, now)
        updated = _update(facts, desired, open_rows)
        gone = [row[0] for key, row in open_rows.items() if key not in desired]
        _clear(gone, now)
        in_scope = Warning.objects.filter(cleared_at__isnull=True)
        if prefix:
            in_scope = in_scope.filter(code_prefix_q("division_code", prefix))
        result = {"raised": raised, "cleared": len(gone), "updated": updated, "open": in_scope.count()}
        audit_record(actor=actor if getattr(actor, "pk", None) else None, action="projects.warning.evaluated", object_type="warning_run",
                     object_id=prefix or "all", division_code=prefix.ljust(12, "0") if prefix else "",
                     after={"scope": prefix, "today": today, "projects": len(facts.projects), **result})
    return result


def _desired(facts: Facts, rules: list[WarningRule]) -> dict[tuple[int, int], tuple[WarningRule, Decimal, str]]:
    """(rule id, project id) → (rule, value, message) for every rule that holds on a project it applies to."""
    desired = {}
    readings: dict[object, dict[int, Reading]] = {}
    for candidates in applicable_rules(rules).values():
        applies: dict[str, WarningRule | None] = {}
        for rule in candidates:
            measure, op, threshold = MEASURES.get(rule.measure), OPERATORS.get(rule.operator), _threshold_scaled(rule)
            if measure is None or op is None or threshold is None:
                continue
            key = (rule.measure, rule.pk) if measure.per_rule else rule.measure
            if key not in readings:
                readings[key] = measure.read(facts, rule)
            template, prefix = str(MSG_DETAIL[rule.measure]), f"{rule.name}："
            for pid, (numerator, denominator, raw) in readings[key].items():
                if not op(numerator * SCALE, threshold * denominator):
                    continue
                code = facts.projects[pid].division_code
                if code not in applies:
                    applies[code] = rule_for(candidates, code)
                if applies[code] is rule:
                    desired[(rule.pk, pid)] = (rule, _stored(numerator, denominator), (prefix + measure.describe(template, facts, raw))[:300])
    return desired


def _open_warnings(prefix: str) -> dict[tuple[int, int], tuple]:
    qs = Warning.objects.filter(cleared_at__isnull=True)
    if prefix:
        qs = qs.filter(code_prefix_q("division_code", prefix) | code_prefix_q("project__division_code", prefix))
    rows = qs.values_list("id", "rule_id", "project_id", "value", "message", "level", "division_code")
    return {(r[1], r[2]): r for r in rows}


def _raise(facts: Facts, desired, new_keys, rules_by_id, now) -> int:
    """Insert the new warnings (ids allocated up front: COPY or executemany) and send their messages."""
    clerks = _county_clerks(facts.prefix) if new_keys else {}
    native = db_value()
    raised_at = native(now)
    subject_template, body_template = str(MSG_SUBJECT), str(MSG_BODY)
    levels = {rule_id: str(rule.get_level_display()) for rule_id, rule in rules_by_id.items()}
    rows, outgoing = [], []
    for wid, (rule_id, pid) in zip(allocate_ids(Warning._meta.db_table, len(new_keys)), new_keys, strict=True):
        rule, value, message = desired[(rule_id, pid)]
        p = facts.projects[pid]
        to = [p.owner_id] if p.owner_id else clerks.get(p.division_code[:6], [])
        rows.append((wid, rule_id, pid, p.division_code, rule.level, native(value), message, to[0] if to else None, raised_at, None))
        subject = subject_template % {"level": levels[rule_id], "project": p.name, "rule": rule.name}
        body = body_template % {"code": p.code, "name": p.name, "message": message}
        outgoing += [Outgoing(recipient_id=uid, subject=subject, body=body, link=project_link(pid), level=rule.level, source=source_of(wid),
                              division_code=p.division_code) for uid in to]
    bulk_insert(Warning._meta.db_table, ["id", "rule_id", "project_id", "division_code", "level", "value", "message", "assignee_id",
                                         "raised_at", "cleared_at"], rows, native=True)
    inbox_send(outgoing)
    return len(rows)


def _update(facts: Facts, desired, open_rows) -> int:
    """New figures of the open warnings that still hold, by primary key in one executemany (the ORM's bulk_update, a CASE
    over every row of a batch, is quadratic on SQLite)."""
    field = Warning._meta.get_field("value")
    changed = []
    for key, (wid, _rule_id, pid, value, message, level, division_code) in open_rows.items():
        if key not in desired:
            continue
        rule, new_value, new_message = desired[key]
        new_code = facts.projects[pid].division_code
        if (value, message, level, division_code) != (new_value, new_message, rule.level, new_code):
            changed.append((field.get_db_prep_save(new_value, connection), new_message, rule.level, new_code, wid))
    return _update_rows(changed)


def _update_rows(rows: list[tuple]) -> int:
    """(value, message, level, division_code, id) rows: executemany by primary key; on PostgreSQL, whose round trip per
    statement dominates, COPY into a temporary table and one UPDATE … FROM (the same rows, the same tests)."""
    if not rows or connection.vendor != "postgresql":
        return bulk_update(Warning._meta.db_table, "id", ["value", "message", "level", "division_code"], rows)
    table = Warning._meta.db_table
    with connection.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS pg_temp.anju_warning_update")
        cur.execute("CREATE TEMPORARY TABLE anju_warning_update (value numeric(14, 4), message varchar(300), level varchar(6), "
                    "division_code varchar(12), id bigint PRIMARY KEY) ON COMMIT DROP")
    bulk_insert("anju_warning_update", ["value", "message", "level", "division_code", "id"], rows)
    with connection.cursor() as cur:
        cur.execute(f"UPDATE {table} AS w SET value = u.value, message = u.message, level = u.level, "  # noqa: S608 (a model's table)
                    "division_code = u.division_code FROM anju_warning_update AS u WHERE w.id = u.id")
        cur.execute("DROP TABLE anju_warning_update")
    return len(rows)


def _clear(warning_ids: list[int], now) -> None:
    for start in range(0, len(warning_ids), _CHUNK):
        Warning.objects.filter(pk__in=warning_ids[start:start + _CHUNK]).update(cleared_at=now)
    inbox_resolve([source_of(wid) for wid in warning_ids], at=now)


# --- rules --------------------------------------------------------------------------------------------------------

def _invalid(field: str, message, code: str | None = None) -> ValidationFailed:
    return ValidationFailed(message, code=code or f"{field}_invalid", detail={"field": field})


def rule_may_enter(actor, rule: WarningRule) -> bool:
    """A rule for all divisions ("") is open to every holder of PROJECT_MANAGE; a scoped one to those whose entry scope
    covers it."""
    prefix = actor.entry_prefix
    return not rule.scope or (prefix.isdigit() and rule.scope.startswith(prefix))


def _check_entry(actor, rule: WarningRule) -> None:
    require_perm(actor, Perm.PROJECT_MANAGE)
    if not rule_may_enter(actor, rule):
        raise PermissionDenied(MSG_RULE_OUT_OF_ENTRY, code="rule_out_of_entry")


def _threshold(measure: str, value) -> Decimal:
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise _invalid("threshold", MSG_THRESHOLD) from None
    if not number.is_finite() or number < 0:
        raise _invalid("threshold", MSG_THRESHOLD)
    if measure in DAY_MEASURES and (number != number.to_integral_value() or number > 100000):
        raise _invalid("threshold", MSG_THRESHOLD_DAYS)
    if measure in FRACTION_MEASURES and number > 1:
        raise _invalid("threshold", MSG_THRESHOLD_FRACTION)
    if number >= 10**8 or number != number.quantize(FOUR_PLACES):
        raise _invalid("threshold", MSG_THRESHOLD)
    return number.quantize(FOUR_PLACES)


def clean_targets(targets) -> dict[str, str]:
    """{month: rate} from a form or the API (month 1–12, rate a fraction 0–1, cumulative so never falling) → the stored
    params["targets"] ({"6": "0.5"}, months as text in month order)."""
    if not isinstance(targets, dict) or not targets:
        raise _invalid("targets", MSG_TARGETS_EMPTY, "targets_empty")
    found: dict[int, Decimal] = {}
    for month, rate in targets.items():
        try:
            m = int(str(month).strip())
            r = Decimal(str(rate).strip())
        except (TypeError, ValueError, InvalidOperation):
            raise _invalid("targets", MSG_TARGETS) from None
        if not 1 <= m <= 12 or not r.is_finite() or not 0 <= r <= 1 or r != r.quantize(FOUR_PLACES):
            raise _invalid("targets", MSG_TARGETS)
        found[m] = r.normalize() if r else Decimal(0)
    previous = Decimal(0)
    for m in sorted(found):
        if found[m] < previous:
            raise _invalid("targets", MSG_TARGETS_ORDER % {"month": m}, "targets_order")
        previous = found[m]
    return {str(m): format(found[m], "f") for m in sorted(found)}


def _snapshot(rule: WarningRule) -> dict:
    return {"code": rule.code, "name": rule.name, "scope": rule.scope, "measure": rule.measure, "operator": rule.operator,
            "threshold": str(rule.threshold), "level": rule.level, "active": rule.active, "params": rule.params, "note": rule.note}


def rule_update(*, actor, rule: WarningRule, name: str | None = None, operator: str | None = None, threshold=None, level: str | None = None,
                active: bool | None = None, targets: dict | None = None, note: str | None = None) -> WarningRule:
    """Change a rule (from access_rule); None leaves a field. Takes effect at the next evaluation."""
    _check_entry(actor, rule)
    with transaction.atomic():
        locked = WarningRule.objects.select_for_update().get(pk=rule.pk)
        before = _snapshot(locked)
        if name is not None:
            name = " ".join(str(name).split())
            if not name or len(name) > 100 or "\x00" in name:
                raise _invalid("name", MSG_NAME)
            locked.name = name
        if operator is not None:
            if operator not in WarningRule.Operator.values:
                raise _invalid("operator", MSG_OPERATOR)
            locked.operator = operator
        if threshold is not None:
            locked.threshold = _threshold(locked.measure, threshold)
        if level is not None:
            if level not in WarningRule.Level.values:
                raise _invalid("level", MSG_LEVEL)
            locked.level = level
        if active is not None:
            locked.active = bool(active)
        if targets is not None:
            if locked.measure != WarningRule.Measure.PAYMENT_BEHIND:
                raise _invalid("targets", MSG_TARGETS_MEASURE, "targets_measure")
            locked.params = {**(locked.params or {}), "targets": clean_targets(targets)}
        if note is not None:
            note = str(note).strip()
            if len(note) > 300 or "\x00" in note:
                raise _invalid("note", MSG_NOTE)
            locked.note = note
        old, new = audit_diff(before, _snapshot(locked))
        if new:
            locked.save(update_fields=["name", "operator", "threshold", "level", "active", "params", "note"])
            action = "projects.warning_rule.updated"
            if set(new) == {"active"}:
                action = "projects.warning_rule.activated" if locked.active else "projects.warning_rule.deactivated"
            audit_record(actor=actor, action=action, object_type="warning_rule", object_id=locked.pk,
                         division_code=locked.scope.ljust(12, "0") if locked.scope else "", before=old, after=new)
    return locked


def _override_scope(actor, rule: WarningRule, scope) -> str:
    from anju.divisions.models import Division

    scope = str(scope or "").strip()
    if not (scope.isascii() and scope.isdigit() and len(scope) in (4, 6, 9, 12)) or len(scope) <= len(rule.scope) \
            or not scope.startswith(rule.scope):
        raise _invalid("scope", MSG_OVERRIDE_SCOPE, "scope_invalid")
    code = scope.ljust(12, "0")
    if not Division.objects.filter(code=code).exists():
        raise _invalid("scope", MSG_OVERRIDE_UNKNOWN % {"code": scope}, "scope_unknown")
    prefix = actor.entry_prefix
    if not (prefix.isdigit() and scope.startswith(prefix)):
        raise _invalid("scope", MSG_OVERRIDE_ENTRY, "scope_out_of_entry")
    return scope


def rule_override_create(*, actor, rule: WarningRule, scope: str) -> WarningRule:
    """A county's own setting of a rule: a copy of it (same code, measure and figures) for the projects under `scope`,
    which then replaces the wider rule there; edit it afterwards."""
    require_perm(actor, Perm.PROJECT_MANAGE)
    scope = _override_scope(actor, rule, scope)
    with transaction.atomic():
        source = WarningRule.objects.select_for_update().get(pk=rule.pk)
        if WarningRule.objects.filter(code=source.code, scope=scope).exists():
            raise Conflict(MSG_OVERRIDE_EXISTS % {"code": source.code}, code="override_exists", detail={"field": "scope"})
        override = WarningRule.objects.create(code=source.code, name=source.name, measure=source.measure, operator=source.operator,
                                              threshold=source.threshold, level=source.level, schedule=source.schedule,
                                              params=source.params, scope=scope, active=source.active, note=source.note)
        audit_record(actor=actor, action="projects.warning_rule.override_created", object_type="warning_rule", object_id=override.pk,
                     division_code=scope.ljust(12, "0"), after={**_snapshot(override), "copied_from": source.pk})
    return override


def rule_delete(*, actor, rule: WarningRule) -> None:
    """Delete a county's setting of a rule (a rule for all divisions cannot be deleted). Its open warnings clear and
    their messages are resolved; its warnings' history passes to the wider rule with the same code, which applies
    from the next evaluation."""
    _check_entry(actor, rule)
    if not rule.scope:
        raise Conflict(MSG_DELETE_BASE, code="rule_base")
    now = timezone.now()
    with transaction.atomic():
        locked = WarningRule.objects.select_for_update().get(pk=rule.pk)
        wider = [r for r in WarningRule.objects.filter(code=locked.code).exclude(pk=locked.pk)
                 if len(r.scope) < len(locked.scope) and locked.scope.startswith(r.scope)]
        heir = max(wider, key=lambda r: len(r.scope), default=None)
        history = Warning.objects.filter(rule=locked)
        if heir is None and history.exists():
            raise Conflict(MSG_DELETE_ORPHAN, code="rule_has_warnings")
        open_ids = list(history.filter(cleared_at__isnull=True).values_list("id", flat=True))
        _clear(open_ids, now)
        moved = history.update(rule=heir) if heir is not None else 0
        audit_record(actor=actor, action="projects.warning_rule.deleted", object_type="warning_rule", object_id=locked.pk,
                     division_code=locked.scope.ljust(12, "0"), before=_snapshot(locked),
                     after={"cleared": len(open_ids), "history_to": heir.pk if heir else None, "history": moved})
        locked.delete()


__all__ = ["warnings_evaluate", "warnings_evaluate_check", "rule_update", "rule_override_create", "rule_delete", "clean_targets",
           "payment_targets", "checkpoint", "rule_holds", "applicable_rules", "rule_for", "rule_may_enter", "source_of", "MEASURES"]

"""Entitlement computation: who is owed how many months and how much for a period, from a locked verification snapshot
(or, as a marked preview, from the live roster), under the policy versions in force month by month (POLICY.md §1).

The rule, per person and month m of the period:
- the support window: 现状人口 from `reservoir.period_start_current` for `reservoir.period_years_current` years, 原迁人口
  from the first day of the month the move was completed for `reservoir.period_years` years. The years are read as in
  force in month m, so a successor version effective 2026-07-01 extends the window from that month on;
- the person is still enrolled on the first day of m: a removal effective on the 15th leaves that month paid and cuts
  the months after it (从次月起停发); one effective on the 1st cuts that month too;
- 暂停 / 疑似重复 months count but hold the payment (an exception to resolve before approval);
- the amount is Σ standard(m)/12 over the paid months, rounded half up to the fen per year-to-date, so four quarters
  always sum to the yearly amount.
Persons whose support mode is not among `subsidies.direct_modes` are reported as project-support funds.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from fractions import Fraction
from typing import NamedTuple

from django.db import connection
from django.utils.translation import gettext_lazy

from anju.accounts.roles import Perm
from anju.core.access import code_prefix_q, require_perm
from anju.core.exceptions import NotFound, ValidationFailed, join_list
from anju.core.policy import PolicyMissing, PolicyTable
from anju.divisions.codes import full_code
from anju.divisions.models import Division, Level
from anju.divisions.selectors import division_names
from anju.registry.models import Enrolment, Program, Status, Verification
from anju.subsidies.models import SubsidyPolicy
from anju.subsidies.months import month_date, month_index, month_label, monthly_fen, period_bounds, round_half_up, yuan_text

Progress = Callable[[int, str], None]

KEYS = list(SubsidyPolicy.KEYS.values())
SOURCE_SNAPSHOT = "snapshot"
SOURCE_LIVE = "live"

MSG_YEAR = gettext_lazy("年度应在 2006 年至 %(last)s 年之间")
MSG_QUARTER = gettext_lazy("季度应为 1 至 4（按年发放填 0 或不填）")
MSG_SCOPE = gettext_lazy("“%(code)s”不是您辖区内的县或市")
MSG_NO_SNAPSHOT = gettext_lazy("%(county)s %(year)s 年度核定名单尚未锁定，不能按核定名单测算；可先用在册名单预览")
MSG_FREQUENCY_YEARLY = gettext_lazy("%(county)s 按年发放，不能按季度测算或发放")
MSG_FREQUENCY_QUARTERLY = gettext_lazy("%(county)s 按季度发放，请选择季度")

HOLD_STATUSES = {Status.SUSPENDED: "suspended", Status.DUPLICATE: "duplicate"}
_PAYABLE = {Status.ACTIVE, Status.SUSPENDED, Status.DUPLICATE}


class Entitlement(NamedTuple):
    enrolment_id: int
    person_id: int
    household_number: str
    division_code: str
    name: str
    id_hash: str
    id_masked: str
    category: str
    support_mode: str
    direct: bool
    month_from: int  # 1..12 of the year
    month_to: int
    months: int
    amount: int  # fen
    hold: str  # '' | suspended | duplicate


@dataclass
class EntitlementSet:
    county_code: str
    year: int
    quarter: int
    source: str
    verification: Verification | None
    policy: dict
    rows: list[Entitlement] = field(default_factory=list)
    counts: dict = field(default_factory=dict)  # persons read, not entitled in the period, without a move date


# --- policy, month by month -----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class MonthRule:
    fen: Fraction  # one month of the standard, in fen
    start_current: int  # month index the 现状人口 window starts
    years_current: int
    years_original: int


class CountyPolicy:
    """The policy of one county for the months of one year, resolved once."""

    def __init__(self, table: PolicyTable, county_code: str, year: int):
        self.county_code = county_code
        self.year = year
        self.months: dict[int, MonthRule | None] = {}
        first = year * 12
        for m in range(first, first + 12):
            on = month_date(m)
            try:
                self.months[m] = MonthRule(
                    fen=monthly_fen(table.value("reservoir.standard_yuan", on=on, division_code=county_code)),
                    start_current=month_index(dt.date.fromisoformat(table.value("reservoir.period_start_current", on=on, division_code=county_code))),
                    years_current=int(table.value("reservoir.period_years_current", on=on, division_code=county_code)),
                    years_original=int(table.value("reservoir.period_years", on=on, division_code=county_code)),
                )
            except PolicyMissing:
                self.months[m] = None  # before any policy (the first half of 2006): nothing is owed
        # the year-wide settings in force when the year starts, or when the policy first applies within it
        on = next((month_date(m) for m, rule in self.months.items() if rule is not None), dt.date(year, 12, 31))
        on = max(on, dt.date(year, 1, 1))
        self.cutoff = dt.date.fromisoformat(table.value("reservoir.cutoff_date", on=on, division_code=county_code))
        self.frequency = table.value("subsidies.frequency", on=on, division_code=county_code)
        self.direct_modes = set(table.value("subsidies.direct_modes", on=on, division_code=county_code))

    def trace(self) -> dict:
        """What the batch records about the policy it was computed under."""
        return {"frequency": self.frequency, "direct_modes": sorted(self.direct_modes), "cutoff_date": self.cutoff.isoformat(),
                "months": {month_label(m): {"standard": yuan_text(int(r.fen * 12)),
                                            "years_current": r.years_current, "years": r.years_original}
                           for m, r in self.months.items() if r is not None}}


def policy_table(overlay: SubsidyPolicy | None = None) -> PolicyTable:
    """The policy versions as stored, plus a draft's non-empty values as if published (what-if)."""
    extra = []
    if overlay is not None:
        for attr, key in SubsidyPolicy.KEYS.items():
            value = getattr(overlay, attr)
            if value in (None, "", []):
                continue
            if isinstance(value, dt.date):
                value = value.isoformat()
            elif attr == "standard_yuan":
                value = str(value)
            extra.append((key, overlay.scope or "", overlay.effective_from, value))
    return PolicyTable(KEYS, extra=extra)


def policy_documents(county_code: str, on: dt.date) -> list[dict]:
    """Published policy documents that apply to the county on a day (for the batch's trace)."""
    docs = SubsidyPolicy.objects.filter(state=SubsidyPolicy.State.PUBLISHED, effective_from__lte=on).order_by("effective_from", "scope")
    return [{"id": d.pk, "title": d.title, "doc_number": d.doc_number, "scope": d.scope, "effective_from": d.effective_from.isoformat()}
            for d in docs if county_code.startswith(d.scope)]


# --- one person -----------------------------------------------------------------------------------------------------

def _window_start(category: str, move_date: dt.date | None, policy: CountyPolicy) -> tuple[bool, int] | None:
    """(is current population, first month index of the window), or None without a move date."""
    if category == Enrolment.Category.CURRENT or (not category and move_date is not None and move_date <= policy.cutoff):
        return True, -1  # the start is the policy's, month by month
    if move_date is None:
        return None
    return False, month_index(move_date)


def _in_window(m: int, current: bool, start: int, rule: MonthRule) -> bool:
    if current:
        return rule.start_current <= m < rule.start_current + 12 * rule.years_current
    return start <= m < start + 12 * rule.years_original


def _status_on(periods: list[tuple[str, dt.date, dt.date | None]] | None, day: dt.date, default: str | None) -> str | None:
    if periods:
        for status, start, end in periods:
            if start <= day and (end is None or end > day):
                return status
    return default


def person_months(*, policy: CountyPolicy, current: bool, start: int, first: int, last: int,
                  periods: list | None, default_status: str | None) -> tuple[int, int, int, int, str]:
    """(months, first paid month, last paid month, amount in fen, hold) of one person for months first..last of a year."""
    year_start = policy.year * 12
    before = Fraction(0)
    within = Fraction(0)
    paid: list[int] = []
    hold = ""
    for m in range(year_start, last + 1):
        rule = policy.months[m]
        if rule is None or not _in_window(m, current, start, rule):
            continue
        status = _status_on(periods, month_date(m), default_status)
        if status not in _PAYABLE:
            continue
        if m < first:
            before += rule.fen
            continue
        within += rule.fen
        paid.append(m)
        if status in HOLD_STATUSES and not hold:
            hold = HOLD_STATUSES[status]
    if not paid:
        return 0, 0, 0, 0, ""
    amount = round_half_up(before + within) - round_half_up(before)
    return len(paid), paid[0] - year_start + 1, paid[-1] - year_start + 1, amount, hold


# --- reading the roster ---------------------------------------------------------------------------------------------

_SNAPSHOT_SQL = """
SELECT ve.enrolment_id, ve.person_id, ve.household_number, ve.division_code, p.name, p.id_hash, p.id_masked,
       ve.category, ve.support_mode, COALESCE(ve.move_date, e.move_date){accounts}
FROM registry_verificationentry ve
JOIN registry_enrolment e ON e.id = ve.enrolment_id
JOIN registry_person p ON p.id = ve.person_id{only}
WHERE ve.verification_id = %s
"""

_LIVE_SQL = """
SELECT e.id, e.person_id, h.number, e.division_code, p.name, p.id_hash, p.id_masked, e.category, e.support_mode, e.move_date{accounts}
FROM registry_enrolment e
JOIN registry_person p ON p.id = e.person_id
JOIN registry_household h ON h.id = e.household_id{only}
WHERE e.program = %s AND e.division_code >= %s AND e.division_code < %s
  AND EXISTS (SELECT 1 FROM registry_enrolmentstatus s WHERE s.enrolment_id = e.id AND s.status IN (%s, %s, %s)
              AND s.valid_from <= %s AND (s.valid_to IS NULL OR s.valid_to > %s))
"""
# the current account of each person, for batches (bank name, ciphertext, blind index, masked)
_ACCOUNT_COLUMNS = ", e.bank_name, e.bank_account_enc, e.bank_account_hash, e.bank_account_masked"

# Status periods overlapping the year: for a snapshot only the non-active ones (everyone in it was enrolled at its date),
# for the live roster all of them (a person enrolled mid-year has no status before).
_PERIODS_SNAPSHOT_SQL = """
SELECT s.enrolment_id, s.status, s.valid_from, s.valid_to
FROM registry_enrolmentstatus s
WHERE s.status <> %s AND s.valid_from <= %s AND (s.valid_to IS NULL OR s.valid_to > %s)
  AND EXISTS (SELECT 1 FROM registry_verificationentry ve WHERE ve.verification_id = %s AND ve.enrolment_id = s.enrolment_id)
"""
_PERIODS_LIVE_SQL = """
SELECT s.enrolment_id, s.status, s.valid_from, s.valid_to
FROM registry_enrolmentstatus s JOIN registry_enrolment e ON e.id = s.enrolment_id
WHERE e.program = %s AND e.division_code >= %s AND e.division_code < %s
  AND s.valid_from <= %s AND (s.valid_to IS NULL OR s.valid_to > %s)
"""


def _as_date(value):
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def locked_snapshot(county_code: str, year: int) -> Verification | None:
    """The locked verification a year's payments come from: the roster as of 12-31 of the year before."""
    return Verification.objects.filter(program=Program.RESERVOIR, division_code=full_code(county_code), year=year - 1,
                                       state=Verification.State.LOCKED).first()


def status_periods(*, county_code: str, year: int, quarter: int = 0, source: str = SOURCE_SNAPSHOT,
                   verification: Verification | None = None) -> dict[int, list]:
    """The status periods overlapping the year up to the period's end, by enrolment: for a snapshot only the non-active
    ones (everyone in it was enrolled at its date), for the live roster all of them (a person enrolled mid-year has no
    status before)."""
    last = period_bounds(year, quarter)[1]
    year_start, period_end = month_date(year * 12), month_date(last + 1) - dt.timedelta(days=1)
    prefix = full_code(county_code)[:6]
    with connection.cursor() as cur:
        if source == SOURCE_SNAPSHOT:
            cur.execute(_PERIODS_SNAPSHOT_SQL, [Status.ACTIVE, period_end, year_start, verification.pk])
        else:
            cur.execute(_PERIODS_LIVE_SQL, [Program.RESERVOIR, prefix, prefix + ":", period_end, year_start])
        periods: dict[int, list] = defaultdict(list)
        for enrolment_id, status, start, end in cur.fetchall():
            periods[enrolment_id].append((status, _as_date(start), _as_date(end)))
    return periods


def iter_entitlements(*, county_code: str, year: int, quarter: int = 0, source: str = SOURCE_SNAPSHOT,
                      verification: Verification | None = None, policy: CountyPolicy, counts: dict | None = None,
                      with_accounts: bool = False, only_table: str = "", periods: dict | None = None,
                      progress: Progress | None = None) -> Iterator[tuple]:
    """Entitlements of one county and period as plain tuples in Entitlement's field order (plus the four account
    columns with `with_accounts`), streamed in roster order (village, household); trusts the caller's checks.
    Persons with no paid month in the period are counted in `counts`, not yielded. In no particular order (sorting a
    million rows costs the database more than the computation). `only_table` limits the persons to the enrolment ids
    in that (temporary) table; `periods` passes the status periods when the caller has read them (`status_periods`).

    Everyone without a status change in the year shares the result of their (category, move date, support mode), so
    a million persons cost a dictionary lookup each, not a month loop."""
    county = full_code(county_code)
    first, last = period_bounds(year, quarter)
    year_start, period_end = month_date(year * 12), month_date(last + 1) - dt.timedelta(days=1)
    counts = counts if counts is not None else {}
    counts.update(read=0, not_entitled=0, no_move_date=0)
    prefix = county[:6]
    default = Status.ACTIVE if source == SOURCE_SNAPSHOT else None
    if periods is None:
        periods = status_periods(county_code=county, year=year, quarter=quarter, source=source, verification=verification)
    direct_modes = policy.direct_modes
    memo: dict[tuple, tuple | None] = {}

    def outcome(category, move_raw, mode, own):
        """(category, direct, month_from, month_to, months, amount, hold), or None (no move date / nothing owed)."""
        move = _as_date(move_raw)
        window = _window_start(category, move, policy)
        if window is None:
            return None
        current, start = window
        months, m_from, m_to, amount, hold = person_months(policy=policy, current=current, start=start, first=first, last=last,
                                                           periods=own, default_status=default)
        if not months:
            return ()
        category = category or (Enrolment.Category.CURRENT if current else Enrolment.Category.ORIGINAL)
        return category, mode in direct_modes, m_from, m_to, months, amount, hold

    only = ""
    if only_table:  # a join, so the database starts from the few ids rather than probing them for every row
        only = f"\nJOIN {only_table} only_ids ON only_ids.enrolment_id = {'ve.enrolment_id' if source == SOURCE_SNAPSHOT else 'e.id'}"
    sql = (_SNAPSHOT_SQL if source == SOURCE_SNAPSHOT else _LIVE_SQL).format(accounts=_ACCOUNT_COLUMNS if with_accounts else "", only=only)
    params = ([verification.pk] if source == SOURCE_SNAPSHOT else
              [Program.RESERVOIR, prefix, prefix + ":", Status.ACTIVE, Status.SUSPENDED, Status.DUPLICATE, period_end, year_start])
    read = not_entitled = no_move = 0
    with connection.cursor() as cur:
        cur.execute(sql, params)
        while True:
            chunk = cur.fetchmany(20000)
            if not chunk:
                break
            for row in chunk:
                own = periods.get(row[0])
                if own is None and default is not None:
                    key = (row[7], row[9], row[8])
                    result = memo.get(key, False)
                    if result is False:
                        result = memo[key] = outcome(row[7], row[9], row[8], None)
                else:
                    result = outcome(row[7], row[9], row[8], own)
                if not result:
                    if result is None:
                        no_move += 1
                    else:
                        not_entitled += 1
                    continue
                yield row[:7] + (result[0], row[8]) + result[1:] + row[10:]
            read += len(chunk)
            counts.update(read=read, not_entitled=not_entitled, no_move_date=no_move)
            if progress:
                progress(read, "")
    counts.update(read=read, not_entitled=not_entitled, no_move_date=no_move)


# --- the public entry points ----------------------------------------------------------------------------------------

def check_period(year: int, quarter: int) -> None:
    last = dt.date.today().year + 1
    if not 2006 <= int(year) <= last:
        raise ValidationFailed(MSG_YEAR % {"last": last}, code="entitlement_year")
    if not 0 <= int(quarter) <= 4:
        raise ValidationFailed(MSG_QUARTER, code="entitlement_quarter")


def check_frequency(policy: CountyPolicy, quarter: int, county_name: str) -> None:
    if quarter and policy.frequency != "quarterly":
        raise ValidationFailed(MSG_FREQUENCY_YEARLY % {"county": county_name}, code="frequency_yearly")
    if not quarter and policy.frequency == "quarterly":
        raise ValidationFailed(MSG_FREQUENCY_QUARTERLY % {"county": county_name}, code="frequency_quarterly")


def entitlements_compute(*, county_code: str, year: int, quarter: int = 0, source: str = SOURCE_SNAPSHOT,
                         overlay: SubsidyPolicy | None = None, table: PolicyTable | None = None,
                         progress: Progress | None = None) -> EntitlementSet:
    """Entitlements of one county for a period, materialised (a county's roster; batches stream `iter_entitlements`).

    Snapshot source: the locked verification of the year before (NotFound-free: ValidationFailed when missing).
    Live source: the roster as known now, everyone payable at some point of the period (a preview)."""
    check_period(year, quarter)
    county = full_code(county_code)
    verification = None
    if source == SOURCE_SNAPSHOT:
        verification = locked_snapshot(county, year)
        if verification is None:
            raise ValidationFailed(MSG_NO_SNAPSHOT % {"county": _county_name(county), "year": year - 1}, code="no_snapshot")
    policy = CountyPolicy(table or policy_table(overlay), county, year)
    counts: dict = {}
    rows = [Entitlement._make(r) for r in iter_entitlements(county_code=county, year=year, quarter=quarter, source=source,
                                                            verification=verification, policy=policy, counts=counts, progress=progress)]
    rows.sort(key=lambda r: (r.division_code, r.household_number, r.enrolment_id))  # roster order
    trace = policy.trace()
    trace["documents"] = policy_documents(county, month_date(period_bounds(year, quarter)[1]))
    return EntitlementSet(county, year, quarter, source, verification, trace, rows, counts)


def entitlements_totals(eset: EntitlementSet) -> dict:
    """Direct and project-support persons and fen, in all and by township (9-digit code) and village."""
    def blank():
        return {"direct_persons": 0, "direct_amount": 0, "project_persons": 0, "project_amount": 0, "held_persons": 0, "held_amount": 0}

    total, townships, villages = blank(), defaultdict(blank), defaultdict(blank)
    for r in eset.rows:
        for bucket in (total, townships[r.division_code[:9]], villages[r.division_code]):
            if r.direct:
                bucket["direct_persons"] += 1
                bucket["direct_amount"] += r.amount
                if r.hold:
                    bucket["held_persons"] += 1
                    bucket["held_amount"] += r.amount
            else:
                bucket["project_persons"] += 1
                bucket["project_amount"] += r.amount
    return {"total": total, "townships": dict(sorted(townships.items())), "villages": dict(sorted(villages.items())),
            "counts": eset.counts}


def _county_name(code: str) -> str:
    return division_names([full_code(code)]).get(full_code(code), code)


def entitlements_check(*, actor, scope: str, year: int, quarter: int = 0, preview: bool = False) -> list[str]:
    """The counties (12-digit codes) a computation for `scope` (a county or a city) covers, after the permission, scope,
    period and snapshot checks; raises with every county that lacks a locked snapshot unless previewing."""
    require_perm(actor, Perm.SUBSIDY_VIEW)
    check_period(year, quarter)
    code = (scope or "").strip()
    if not code.isdigit() or len(code) not in (4, 6, 12):
        raise ValidationFailed(MSG_SCOPE % {"code": scope}, code="entitlement_scope")
    division = Division.objects.filter(code=full_code(code)).first()
    if division is None or division.level not in (Level.CITY, Level.COUNTY) or not division.code.startswith(actor.view_prefix):
        raise NotFound(MSG_SCOPE % {"code": scope})
    if division.level == Level.COUNTY:
        counties = [division.code]
    else:
        counties = list(Division.objects.filter(code_prefix_q("code", division.code[:4]), level=Level.COUNTY)
                        .order_by("code").values_list("code", flat=True))
    county_names = division_names(counties)
    if not preview:
        locked = set(Verification.objects.filter(program=Program.RESERVOIR, year=year - 1, state=Verification.State.LOCKED,
                                                 division_code__in=counties).values_list("division_code", flat=True))
        missing = [c for c in counties if c not in locked]
        if missing:
            names = join_list(county_names.get(c, c) for c in missing)
            raise ValidationFailed(MSG_NO_SNAPSHOT % {"county": names, "year": year - 1}, code="no_snapshot")
    table = PolicyTable(KEYS)
    for c in counties:
        check_frequency(CountyPolicy(table, c, year), quarter, county_names.get(c, c))
    return counties

"""The 防返贫 warning list: risk signals raised from records (the scan) or department imports, and their handling —
open a monitoring case from a signal, attach it to the household's open case, or dismiss it with a note.

`signals_scan` is idempotent: a signal is raised once per household and cause (income below the line in year Y, a
recorded disability of a person), whatever became of it afterwards; it also recomputes every open case's colour.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy

from anju.accounts.roles import Perm
from anju.core.access import code_prefix_q, in_scope, require_perm
from anju.core.audit import audit_record
from anju.core.exceptions import Conflict, NotFound, PermissionDenied, ValidationFailed
from anju.core.inbox import Outgoing, inbox_send
from anju.core.policy import PolicyTable
from anju.registry.models import Enrolment, EnrolmentStatus, Program
from anju.relocation.models import Income, LabourCapacity, MonitoringCase, RiskSignal
from anju.relocation.services.monitoring import OPEN_STATES, _text, case_recolour, cases_recolour, open_case_of

MSG_SIGNAL_HANDLED = gettext_lazy("该风险预警已处理（%(state)s）")
MSG_NO_OPEN_CASE = gettext_lazy("该户没有在监测中的记录，请改为“纳入监测”")
MSG_NOTE_REQUIRED = gettext_lazy("请填写核实情况")
MSG_SCOPE = gettext_lazy("区划代码“%(code)s”无效")
MSG_SUBJECT = gettext_lazy("新增防返贫风险预警 %(n)s 条")
MSG_BODY = gettext_lazy("%(date)s 排查发现新的风险线索 %(n)s 条（收入低于监测线 %(income)s 条，新增残疾 %(disability)s 条，"
                        "其他 %(other)s 条），请及时核实处理。")
SCAN_INCOME, SCAN_DISABILITY = "scan:income", "scan:disability"


def signals_link() -> str:
    from django.urls import reverse

    return reverse("relocation_monitoring:signals")


# --- handling --------------------------------------------------------------------------------------------------------

def lock_open_signal(actor, signal: RiskSignal) -> RiskSignal:
    """The signal row-locked, open, in the actor's entry scope (trusted for the permission: the caller checks it)."""
    require_perm(actor, Perm.RELOCATION_EDIT)
    locked = RiskSignal.objects.select_for_update().filter(pk=getattr(signal, "pk", signal)).first()
    if locked is None or not in_scope(actor, locked.division_code):
        raise NotFound()
    if not in_scope(actor, locked.division_code, "entry"):
        raise PermissionDenied(gettext_lazy("该风险预警不在您的录入范围内"), code="entry_scope")
    if locked.state != RiskSignal.State.OPEN:
        raise Conflict(MSG_SIGNAL_HANDLED % {"state": RiskSignal.State(locked.state).label}, code="signal_handled")
    return locked


def signal_close(actor, signal: RiskSignal, *, state: str, case: MonitoringCase | None = None, note: str = "") -> RiskSignal:
    """Mark a locked open signal handled (trusted: inside the caller's transaction) and audit it."""
    signal.state, signal.case, signal.note = state, case, note[:300]
    signal.handled_by, signal.handled_on = (actor if getattr(actor, "pk", None) else None), timezone.localdate()
    signal.save(update_fields=["state", "case", "note", "handled_by", "handled_on"])
    audit_record(actor=actor, action=f"relocation.risk_signal.{'dismissed' if state == RiskSignal.State.DISMISSED else 'attached'}",
                 object_type="risk_signal", object_id=signal.pk, division_code=signal.division_code, before={"state": "open"},
                 after={"household": signal.household_id, "kind": signal.kind, "state": state, "case": case.pk if case else None,
                        "note": signal.note})
    return signal


def signal_attach(*, actor, signal: RiskSignal, note: str = "") -> RiskSignal:
    """Attach an open signal to the household's open monitoring case (the new risk is followed up in that case)."""
    note = _text(note, "note", gettext_lazy("核实情况"), 300)
    with transaction.atomic():
        s = lock_open_signal(actor, signal)
        case = open_case_of(s.household_id)
        if case is None:
            raise Conflict(MSG_NO_OPEN_CASE, code="no_open_case")
        signal_close(actor, s, state=RiskSignal.State.CASE, case=case, note=note or str(gettext_lazy("并入在监测记录")))
        case_recolour(case)
    return s


def signal_dismiss(*, actor, signal: RiskSignal, note: str) -> RiskSignal:
    """核实无风险: dismiss an open signal, with what the check found."""
    note = _text(note, "note", gettext_lazy("核实情况"), 300, MSG_NOTE_REQUIRED)
    with transaction.atomic():
        s = lock_open_signal(actor, signal)
        signal_close(actor, s, state=RiskSignal.State.DISMISSED, note=note)
        case = open_case_of(s.household_id)
        if case is not None:
            case_recolour(case)
    return s


# --- notification (also for the department imports that raise signals) -------------------------------------------

def _county_clerks(prefix: str) -> dict[str, list[int]]:
    """Active 县级经办 by county (6 digits)."""
    from anju.accounts.models import User

    qs = User.objects.filter(role="county_clerk", is_active=True, entry_scope__isnull=False)
    if len(prefix) >= 6:
        qs = qs.filter(code_prefix_q("entry_scope", prefix[:6]))
    elif prefix:
        qs = qs.filter(code_prefix_q("entry_scope", prefix))
    found: dict[str, list[int]] = {}
    for uid, scope in qs.order_by("id").values_list("id", "entry_scope_id"):
        found.setdefault(scope[:6], []).append(uid)
    return found


def signals_notify(signals: list[RiskSignal], *, on: dt.date | None = None) -> int:
    """Tell the county clerks about new signals: one inbox message per clerk and county, counting them by kind (trusted:
    call it inside the transaction that created the signals). Returns how many messages were sent."""
    if not signals:
        return 0
    on = on or timezone.localdate()
    by_county: dict[str, dict[str, int]] = {}
    for s in signals:
        counts = by_county.setdefault(s.division_code[:6], {})
        counts[s.kind] = counts.get(s.kind, 0) + 1
    clerks = _county_clerks("")  # few accounts; one query
    link = signals_link()
    outgoing = []
    with translation.override("zh-hans"):
        for county, counts in sorted(by_county.items()):
            n = sum(counts.values())
            income, disability = counts.get(RiskSignal.Kind.INCOME, 0), counts.get(RiskSignal.Kind.DISABILITY, 0)
            subject = str(MSG_SUBJECT % {"n": n})
            body = str(MSG_BODY % {"date": on.isoformat(), "n": n, "income": income, "disability": disability,
                                   "other": n - income - disability})
            outgoing += [Outgoing(recipient_id=uid, subject=subject, body=body, link=link, level="yellow",
                                  source=f"relocation.signals:{county}:{on.isoformat()}", division_code=county.ljust(12, "0"))
                         for uid in clerks.get(county, [])]
    return inbox_send(outgoing)


# --- the scan ----------------------------------------------------------------------------------------------------------

def _scan_prefix(actor, scope: str) -> str:
    prefix = (scope or "").strip()
    if prefix and (not prefix.isascii() or not prefix.isdigit() or len(prefix) > 12):
        raise ValidationFailed(MSG_SCOPE % {"code": prefix[:20]}, code="scope_invalid", detail={"field": "scope"})
    if actor is None:
        return prefix
    require_perm(actor, Perm.RELOCATION_MONITOR)
    entry = actor.entry_prefix
    if not prefix or entry.startswith(prefix):
        return entry  # the actor's whole entry scope, never wider
    if not prefix.startswith(entry):
        raise NotFound()
    return prefix


def _scoped(qs, prefix: str, field: str = "division_code"):
    return qs.filter(code_prefix_q(field, prefix)) if prefix else qs


def _population_q(as_of: dt.date, field: str = "household_id") -> Exists:
    """Households with a relocation enrolment active on `as_of` (the relocated population)."""
    active = EnrolmentStatus.objects.filter(enrolment=OuterRef("pk"), status="active", valid_from__lte=as_of).filter(
        Q(valid_to__isnull=True) | Q(valid_to__gt=as_of))
    return Exists(Enrolment.objects.filter(household_id=OuterRef(field), program=Program.RELOCATION).filter(Exists(active)))


def _watched_q(as_of: dt.date, field: str = "household_id") -> Exists:
    """Households already watched: an open case, or monitored on `as_of`."""
    return Exists(MonitoringCase.objects.filter(household_id=OuterRef(field)).filter(
        Q(state__in=OPEN_STATES) | (Q(included_on__lte=as_of) & (Q(eliminated_on__isnull=True) | Q(eliminated_on__gt=as_of)))))


def _lock_scan() -> None:
    """Serialise scans on PostgreSQL (two at once would raise the same signal twice); SQLite serialises writers already."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(%s)", [0x616E6A75 + 7])


def signals_scan(*, actor=None, as_of: dt.date | None = None, scope: str = "") -> dict:
    """Raise the signals the records call for (once each), tell the county clerks, recompute the colour of every open
    case, and write one audit event. `actor` None: the daily round over every division."""
    prefix = _scan_prefix(actor, scope)
    as_of = as_of or timezone.localdate()
    year = as_of.year - 1
    table = PolicyTable(["relocation.income_line_yuan"])
    with transaction.atomic():
        _lock_scan()
        new: list[RiskSignal] = []
        # income below the line in the last complete year
        seen = set(_scoped(RiskSignal.objects.filter(kind=RiskSignal.Kind.INCOME, source=SCAN_INCOME), prefix)
                   .values_list("household_id", "detail__year"))
        incomes = (_scoped(Income.objects.filter(year=year), prefix).filter(_population_q(as_of)).exclude(_watched_q(as_of))
                   .only("household_id", "division_code", "year", "persons", "wage_fen", "business_fen", "property_fen", "transfer_fen",
                         "costs_fen"))
        for i in incomes.iterator(chunk_size=2000):
            line = int(Decimal(str(table.value("relocation.income_line_yuan", on=as_of, division_code=i.division_code))) * 100)
            if (i.household_id, year) in seen or i.net_fen >= line * max(i.persons, 1):
                continue
            per_capita = i.net_fen // max(i.persons, 1)
            new.append(RiskSignal(household_id=i.household_id, division_code=i.division_code, kind=RiskSignal.Kind.INCOME, found_on=as_of,
                                  source=SCAN_INCOME, detail={"year": year, "per_capita_income_fen": per_capita, "line_fen": line,
                                                              "persons": i.persons}))
            seen.add((i.household_id, year))
        # a recorded disability
        seen_people = set(_scoped(RiskSignal.objects.filter(kind=RiskSignal.Kind.DISABILITY, source=SCAN_DISABILITY), prefix)
                          .values_list("person_id", flat=True))
        disabled = (_scoped(LabourCapacity.objects.filter(disability_grade__isnull=False), prefix).filter(_population_q(as_of))
                    .exclude(_watched_q(as_of)).values_list("person_id", "household_id", "division_code", "disability_grade",
                                                            "recorded_on"))
        for person_id, household_id, division_code, grade, recorded_on in disabled.iterator(chunk_size=2000):
            if person_id in seen_people:
                continue
            new.append(RiskSignal(household_id=household_id, person_id=person_id, division_code=division_code,
                                  kind=RiskSignal.Kind.DISABILITY, found_on=as_of, source=SCAN_DISABILITY,
                                  detail={"disability_grade": grade, "recorded_on": recorded_on.isoformat() if recorded_on else None}))
            seen_people.add(person_id)
        RiskSignal.objects.bulk_create(new, batch_size=1000)
        messages = signals_notify(new, on=as_of)
        cases = list(_scoped(MonitoringCase.objects.filter(state__in=OPEN_STATES), prefix))
        recoloured = cases_recolour(cases, as_of)
        open_count = _scoped(RiskSignal.objects.filter(state=RiskSignal.State.OPEN), prefix).count()
        result = {"raised": len(new), "income": sum(s.kind == RiskSignal.Kind.INCOME for s in new),
                  "disability": sum(s.kind == RiskSignal.Kind.DISABILITY for s in new), "recoloured": recoloured,
                  "cases": len(cases), "open": open_count, "messages": messages}
        audit_record(actor=actor if getattr(actor, "pk", None) else None, action="relocation.risk_signal.scanned",
                     object_type="risk_signal_scan", object_id=prefix or "all", division_code=prefix.ljust(12, "0") if prefix else "",
                     after={"scope": prefix, "as_of": as_of.isoformat(), "income_year": year, **result})
    return result

"""Recovery of overpayments (追缴): months paid after a removal took effect, found when the removal was recorded late;
repayments against them and write-offs (核销)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from fractions import Fraction

from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from anju.accounts.roles import Perm
from anju.core.access import code_prefix_q, in_scope, require_perm
from anju.core.audit import audit_record
from anju.core.exceptions import Conflict, NotFound, ValidationFailed
from anju.registry.models import EnrolmentStatus, Status
from anju.subsidies.models import Item, Recovery, Repayment
from anju.subsidies.months import round_half_up

Progress = Callable[[int, str], None]

MSG_SCOPE = gettext_lazy("“%(code)s”不是有效的区划代码前缀，或不在您的管辖范围内")
MSG_REPAY_STATE = gettext_lazy("只有“待追缴”或“部分追回”的追缴可以登记还款")
MSG_WAIVE_STATE = gettext_lazy("只有“待追缴”或“部分追回”的追缴可以核销")
MSG_AMOUNT = gettext_lazy("还款金额应为大于 0 的整数（分）")
MSG_AMOUNT_OVER = gettext_lazy("还款金额 %(amount)s 元超过尚欠金额 %(outstanding)s 元")
MSG_PAID_ON_FUTURE = gettext_lazy("还款日期不能晚于今天")
MSG_METHOD = gettext_lazy("还款方式应为 refund（退回）或 offset（从后续发放中抵扣）")
MSG_REASON_REQUIRED = gettext_lazy("请填写核销理由")
# Left on an open recovery when its removal was withdrawn or moved (recoveries are never deleted: a clerk decides).
MSG_NOTE_CHANGED = gettext_lazy("%(date)s 复核：该人核减已撤销或生效日期已变更，现多发 %(months)s 个月；请核实后登记还款或核销")

OPEN_STATES = (Recovery.State.OPEN, Recovery.State.PARTIAL)
_CHUNK = 500  # enrolment ids per IN (...) lookup, well under SQLite's parameter limit


def _fen(value: int) -> str:
    from anju.subsidies.months import fen_text

    return fen_text(value)


# --- detection ------------------------------------------------------------------------------------------------------

def _removals(enrolment_ids: list[int]) -> dict[int, list[tuple[dt.date, dt.date | None, str]]]:
    """Non-empty removed periods of each enrolment: (valid_from, valid_to, cause), earliest first."""
    found: dict[int, list] = defaultdict(list)
    ids = sorted(set(enrolment_ids))
    for start in range(0, len(ids), _CHUNK):
        rows = (EnrolmentStatus.objects.filter(enrolment_id__in=ids[start:start + _CHUNK], status=Status.REMOVED)
                .filter(Q(valid_to__isnull=True) | Q(valid_to__gt=F("valid_from")))
                .order_by("enrolment_id", "valid_from").values_list("enrolment_id", "valid_from", "valid_to", "cause"))
        for enrolment_id, valid_from, valid_to, cause in rows:
            found[enrolment_id].append((valid_from, valid_to, cause))
    return found


def overpaid_months(periods, year: int, month_from: int, month_to: int) -> tuple[int, tuple | None]:
    """How many of the item's months began while a removal was in force, and the first such removal period.

    A month is entitled when the person was still enrolled on its first day: a removal effective on the 1st cuts
    that month, one effective later in the month leaves it paid.
    """
    n, first = 0, None
    for m in range(month_from, month_to + 1):
        day = dt.date(year, m, 1)
        for period in periods or ():
            valid_from, valid_to = period[0], period[1]
            if valid_from <= day and (valid_to is None or valid_to > day):
                n += 1
                first = first or period
                break
    return n, first


def overpaid_amount(amount: int, months: int, overpaid: int) -> int:
    """The fen paid for `overpaid` of the item's `months`: the amount less the prorated amount of the months that remain,
    rounded half up to the fen (so the overpaid and kept parts add up to the item's amount exactly)."""
    if months <= 0 or overpaid <= 0:
        return 0
    overpaid = min(overpaid, months)
    return amount - round_half_up(Fraction(amount * (months - overpaid), months))


def _candidates(prefix: str):
    """Paid items without a recovery whose enrolment has a removal that began in or before the item's year and had not
    ended before it (a coarse filter in SQL; the months are counted exactly in Python)."""
    removal = (EnrolmentStatus.objects.filter(enrolment_id=OuterRef("enrolment_id"), status=Status.REMOVED, valid_from__year__lte=OuterRef("year"))
               .filter(Q(valid_to__isnull=True) | Q(valid_to__year__gte=OuterRef("year"))))
    # The IN (removed enrolments) lets the database start from the few removed persons and probe item_enrolment_year,
    # instead of testing every paid item of the county.
    removed = EnrolmentStatus.objects.filter(status=Status.REMOVED).values("enrolment_id")
    qs = Item.objects.filter(state=Item.State.PAID, recovery__isnull=True, enrolment_id__in=removed).filter(Exists(removal))
    if prefix:
        qs = qs.filter(code_prefix_q("division_code", prefix))
    return qs


def _detect_scope(actor, scope_prefix: str) -> str:
    prefix = (scope_prefix or "").strip()
    if prefix and (not prefix.isdigit() or not prefix.isascii() or len(prefix) > 12):
        raise ValidationFailed(MSG_SCOPE % {"code": prefix[:20]}, code="scope_invalid", detail={"field": "scope"})
    if actor is None:
        return prefix
    require_perm(actor, Perm.RECOVERY_MANAGE)
    entry = actor.entry_prefix
    if not prefix or entry.startswith(prefix):
        return entry  # the actor's whole entry scope (never wider)
    if not prefix.startswith(entry):
        raise NotFound()
    return prefix


def recoveries_detect_check(*, actor, scope_prefix: str = "") -> str:
    """The prefix a detection by `actor` covers (its entry scope, or a part of it), or the error it would raise."""
    return _detect_scope(actor, scope_prefix)


def recoveries_detect(*, actor=None, scope_prefix: str = "", progress: Progress | None = None) -> dict:
    """Find paid months that began after a removal took effect and open one recovery per item (rerunning finds the
    same items and creates nothing new). Open recoveries whose removal has since been withdrawn or moved get a note
    for the clerk; they are never deleted. One audit event per run. `actor` None: the daily housekeeping round."""
    prefix = _detect_scope(actor, scope_prefix)
    report = progress or (lambda percent, message="": None)
    today = timezone.localdate()
    report(5, _("查找核减生效后仍已发放的明细"))
    fields = ("id", "enrolment_id", "person_id", "division_code", "name", "id_masked", "year", "month_from", "month_to", "months", "amount")
    items = list(_candidates(prefix).values_list(*fields).order_by("id"))
    report(30, _("核对 %(n)s 笔明细的多发月数") % {"n": len(items)})
    removals = _removals([row[1] for row in items])
    new: list[Recovery] = []
    for item_id, enrolment_id, person_id, village, name, id_masked, year, month_from, month_to, months, amount in items:
        n, period = overpaid_months(removals.get(enrolment_id), year, month_from, month_to)
        fen = overpaid_amount(amount, months, n)
        if not n or fen <= 0:
            continue
        new.append(Recovery(item_id=item_id, enrolment_id=enrolment_id, person_id=person_id, division_code=village, name=name,
                            id_masked=id_masked, year=year, months=min(n, months), amount=fen, cause=period[2] or "", effective_on=period[0]))
    report(60, _("复核未结清的追缴"))
    with transaction.atomic():
        in_scope_q = code_prefix_q("division_code", prefix) if prefix else Q()
        before = Recovery.objects.filter(in_scope_q).count()
        Recovery.objects.bulk_create(new, batch_size=1000, ignore_conflicts=True)  # a concurrent run's rows stay as they are
        created = Recovery.objects.filter(in_scope_q).count() - before
        flagged = _flag_changed(prefix, today)
        audit_record(actor=actor if getattr(actor, "pk", None) else None, action="subsidies.recovery.detected", object_type="recovery_run",
                     object_id=prefix or "all", division_code=prefix.ljust(12, "0") if prefix else "",
                     after={"scope": prefix, "checked": len(items), "created": created, "amount": sum(r.amount for r in new),
                            "months": sum(r.months for r in new), "flagged": flagged})
    report(100, _("新增追缴 %(n)s 笔") % {"n": created})
    return {"scope": prefix, "checked": len(items), "created": created, "amount": sum(r.amount for r in new), "flagged": flagged}


def _flag_changed(prefix: str, today: dt.date) -> int:
    """Note on open recoveries whose overpaid months no longer match the registry (removal withdrawn or moved)."""
    qs = Recovery.objects.filter(state__in=OPEN_STATES)
    if prefix:
        qs = qs.filter(code_prefix_q("division_code", prefix))
    rows = list(qs.values_list("id", "enrolment_id", "months", "note", "item__year", "item__month_from", "item__month_to", "item__months"))
    removals = _removals([row[1] for row in rows])
    changed = []
    with translation.override("zh-hans"):
        for pk, enrolment_id, months, note, year, month_from, month_to, item_months in rows:
            n, _period = overpaid_months(removals.get(enrolment_id), year, month_from, month_to)
            n = min(n, item_months)
            if n == months:
                continue
            text = str(MSG_NOTE_CHANGED % {"date": today.isoformat(), "months": n})
            # Said once per change of the figure: the date in a note from an earlier run must not make it new again.
            if note.endswith(text.split("：", 1)[1]):
                continue
            changed.append(Recovery(pk=pk, note=text[:300]))
    Recovery.objects.bulk_update(changed, ["note"], batch_size=1000)
    return len(changed)


# --- repayments and write-offs --------------------------------------------------------------------------------------

def _locked(actor, recovery: Recovery) -> Recovery:
    if not in_scope(actor, recovery.division_code, kind="entry"):
        raise NotFound()
    return Recovery.objects.select_for_update().get(pk=recovery.pk)


def repayment_record(*, actor, recovery: Recovery, amount: int, paid_on: dt.date, method: str = Repayment.Method.REFUND,
                     receipt: str = "", note: str = "") -> Repayment:
    """登记还款: money back (refunded, or offset against a later payment) of at most what is still owed."""
    require_perm(actor, Perm.RECOVERY_MANAGE)
    if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
        raise ValidationFailed(MSG_AMOUNT, code="amount_invalid", detail={"field": "amount"})
    if method not in Repayment.Method.values:
        raise ValidationFailed(MSG_METHOD, code="method_invalid", detail={"field": "method"})
    if paid_on > timezone.localdate():
        raise ValidationFailed(MSG_PAID_ON_FUTURE, code="paid_on_future", detail={"field": "paid_on"})
    with transaction.atomic():
        r = _locked(actor, recovery)
        if r.state not in OPEN_STATES:
            raise Conflict(MSG_REPAY_STATE, code="recovery_state")
        outstanding = r.amount - r.recovered
        if amount > outstanding:
            raise ValidationFailed(MSG_AMOUNT_OVER % {"amount": _fen(amount), "outstanding": _fen(outstanding)}, code="amount_exceeds",
                                   detail={"field": "amount", "outstanding": outstanding})
        repayment = Repayment.objects.create(recovery=r, amount=amount, paid_on=paid_on, method=method, receipt=(receipt or "").strip()[:64],
                                             note=(note or "").strip()[:300], recorded_by=actor)
        before = {"state": r.state, "recovered": r.recovered}
        r.recovered += amount
        r.state = Recovery.State.SETTLED if r.recovered == r.amount else Recovery.State.PARTIAL
        r.save(update_fields=["recovered", "state"])
        audit_record(actor=actor, action="subsidies.recovery.repaid", object_type="recovery", object_id=r.pk, division_code=r.division_code,
                     before=before, after={"state": r.state, "recovered": r.recovered, "repayment": repayment.pk, "amount": amount,
                                           "method": method, "paid_on": paid_on, "receipt": repayment.receipt})
    recovery.state, recovery.recovered = r.state, r.recovered
    return repayment


def recovery_waive(*, actor, recovery: Recovery, reason: str) -> Recovery:
    """核销: the reviewer writes off what is still owed (the person died without estate, the amount is trivial …)."""
    require_perm(actor, Perm.SUBSIDY_REVIEW)
    reason = (reason or "").strip()
    with transaction.atomic():
        r = _locked(actor, recovery)
        if r.state not in OPEN_STATES:
            raise Conflict(MSG_WAIVE_STATE, code="recovery_state")
        if not reason:
            raise ValidationFailed(MSG_REASON_REQUIRED, code="reason_required", detail={"field": "reason"})
        before = {"state": r.state, "recovered": r.recovered}
        r.state, r.waived_by, r.waived_at, r.waive_reason = Recovery.State.WAIVED, actor, timezone.now(), reason[:300]
        r.save(update_fields=["state", "waived_by", "waived_at", "waive_reason"])
        audit_record(actor=actor, action="subsidies.recovery.waived", object_type="recovery", object_id=r.pk, division_code=r.division_code,
                     before=before, after={"state": r.state, "waived": r.amount - r.recovered, "reason": r.waive_reason})
    return r


__all__ = ["recoveries_detect", "recoveries_detect_check", "repayment_record", "recovery_waive", "overpaid_months", "overpaid_amount", "OPEN_STATES"]

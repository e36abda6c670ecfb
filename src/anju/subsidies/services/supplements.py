"""Supplementary batches (补发) and the manual resolution of items the bank settled outside the return file.

A supplementary batch re-issues a batch's failed items (and, when asked, its held ones) to the enrolment's CURRENT bank
account — a correction approved through a change request has updated it by then. The originals become `reissued` and
each new item points back at its original (`reissue_of`). The database guard (migration 0002) refuses a second live
item for the same months, so the originals leave the live states before the new items are inserted, in one transaction.
"""

from __future__ import annotations

import datetime as dt

from django.db import connection, transaction
from django.db.models import Count, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy

from anju.accounts.roles import Perm
from anju.core.access import in_scope, require_perm
from anju.core.audit import audit_record
from anju.core.bulk import allocate_ids, bulk_insert
from anju.core.crypto import decrypt
from anju.core.exceptions import Conflict, NotFound, ValidationFailed
from anju.registry.models import Enrolment, Status
from anju.subsidies.banks import BankRules, bank_account_problem
from anju.subsidies.models import Batch, Item
from anju.subsidies.services.batches import ITEM_COLUMNS, batch_totals_refresh

GUARD_MESSAGE = "subsidy months already claimed by another payment item"
SUPPLEMENTABLE = (Batch.State.EXPORTED, Batch.State.RETURNED, Batch.State.RECONCILED)
RESOLVABLE = (Batch.State.EXPORTED, Batch.State.RETURNED)
OUTCOMES = (Item.State.PAID, Item.State.FAILED)

MSG_SUPPLEMENT_STATE = gettext_lazy("只有已出盘、已回盘或已对账的批次可以生成补发批次（该批次为“%(state)s”）")
MSG_NOTHING = gettext_lazy("该批次没有需要补发的明细（发放失败%(held)s的明细都已补发或不存在）")
MSG_NOTHING_HELD = gettext_lazy("或暂缓发放")
MSG_CLAIMED = gettext_lazy("补发的月份已在其他批次中发放或待发放，未生成补发批次：请刷新后核对")
MSG_RESOLVE_STATE = gettext_lazy("只有已出盘或已回盘批次中的明细可以人工确认结果（该批次为“%(state)s”）")
MSG_RESOLVE_ITEM = gettext_lazy("只有“待发放”的明细可以人工确认结果（该明细为“%(state)s”）")
MSG_OUTCOME = gettext_lazy("处理结果应为 paid（已发放）或 failed（发放失败）")
MSG_REASON = gettext_lazy("发放失败时请填写失败原因")
MSG_PAID_ON_FUTURE = gettext_lazy("发放日期不能晚于今天")


def _lock(batch: Batch, actor) -> Batch:
    if not in_scope(actor, batch.division_code, kind="entry"):
        raise NotFound()
    return Batch.objects.select_for_update().get(pk=batch.pk)


# --- manual resolution ---------------------------------------------------------------------------------------------

def item_resolve(*, actor, item: Item, outcome: str, bank_ref: str = "", reason: str = "", paid_on: dt.date | None = None) -> Item:
    """Record the result of an exported item that the bank gave by phone or letter: paid (with the date and the bank's
    reference) or failed (with the reason). The batch moves exported → returned as a return file would move it."""
    require_perm(actor, Perm.SUBSIDY_RUN)
    bank_ref, reason = (bank_ref or "").strip()[:64], (reason or "").strip()[:200]
    if outcome not in OUTCOMES:
        raise ValidationFailed(MSG_OUTCOME, code="resolve_outcome", detail={"field": "outcome"})
    if outcome == Item.State.FAILED and not reason:
        raise ValidationFailed(MSG_REASON, code="reason_required", detail={"field": "reason"})
    today = timezone.localdate()
    if outcome == Item.State.PAID and paid_on is not None and paid_on > today:
        raise ValidationFailed(MSG_PAID_ON_FUTURE, code="paid_on_future", detail={"field": "paid_on"})
    with transaction.atomic():
        batch = _lock(item.batch, actor)
        if batch.state not in RESOLVABLE:
            raise Conflict(MSG_RESOLVE_STATE % {"state": batch.get_state_display()}, code="batch_state")
        current = Item.objects.select_for_update().get(pk=item.pk)
        if current.state != Item.State.PENDING:
            raise Conflict(MSG_RESOLVE_ITEM % {"state": current.get_state_display()}, code="item_state")
        before = {"state": current.state, "bank_ref": current.bank_ref, "failure_reason": current.failure_reason, "paid_on": current.paid_on}
        current.state, current.bank_ref = outcome, bank_ref
        if outcome == Item.State.PAID:
            current.paid_on, current.failure_reason = paid_on or today, ""
        else:
            current.paid_on, current.failure_reason = None, reason
        current.save(update_fields=["state", "bank_ref", "failure_reason", "paid_on"])
        if batch.state == Batch.State.EXPORTED:
            batch.state = Batch.State.RETURNED
            batch.save(update_fields=["state"])
        batch_totals_refresh(batch)
        audit_record(actor=actor, action="subsidies.item.resolved", object_type="item", object_id=current.pk,
                     division_code=current.division_code, before=before,
                     after={"state": current.state, "bank_ref": current.bank_ref, "failure_reason": current.failure_reason,
                            "paid_on": current.paid_on, "reason": reason, "batch": batch.pk, "number": batch.number,
                            "amount": current.amount, "name": current.name})
    item.refresh_from_db()
    return item


# --- supplementary batch -------------------------------------------------------------------------------------------

def supplement_sources(*, include_held: bool) -> list[str]:
    return [Item.State.FAILED, Item.State.HELD] if include_held else [Item.State.FAILED]


def batch_supplement_check(*, actor, batch: Batch) -> None:
    """What batch_supplement_create refuses before looking at the items."""
    require_perm(actor, Perm.SUBSIDY_RUN)
    if not in_scope(actor, batch.division_code, kind="entry"):
        raise NotFound()
    if batch.state not in SUPPLEMENTABLE:
        raise Conflict(MSG_SUPPLEMENT_STATE % {"state": batch.get_state_display()}, code="batch_state")


def _number(parent: Batch) -> str:
    k = Batch.objects.filter(parent=parent).count() + 1
    while Batch.objects.filter(number=f"{parent.number}-B{k}").exists():
        k += 1
    return f"{parent.number}-B{k}"


_SHARED_SQL = """
SELECT bank_account_hash FROM registry_enrolment
WHERE program = %s AND division_code >= %s AND division_code < %s AND bank_account_hash <> ''
GROUP BY bank_account_hash HAVING COUNT(DISTINCT household_id) > 1
"""


def batch_supplement_create(*, actor, batch: Batch, include_held: bool = False, note: str = "") -> Batch:
    """A draft supplementary batch re-issuing `batch`'s failed items (and held ones if `include_held`) to the current accounts.

    Each new item is checked as a new batch's would be: suspended or suspected-duplicate enrolments, missing, invalid or
    shared accounts give a held item with that reason (it is re-issued again later, once fixed)."""
    batch_supplement_check(actor=actor, batch=batch)
    sources = supplement_sources(include_held=include_held)
    try:
        with transaction.atomic():
            parent = _lock(batch, actor)
            if parent.state not in SUPPLEMENTABLE:
                raise Conflict(MSG_SUPPLEMENT_STATE % {"state": parent.get_state_display()}, code="batch_state")
            originals = list(Item.objects.filter(batch=parent, state__in=sources).order_by("id").values(
                "id", "state", "enrolment_id", "person_id", "household_number", "division_code", "name", "id_hash", "id_masked",
                "year", "month_from", "month_to", "months", "amount", "bank_account_hash"))
            if not originals:
                raise Conflict(MSG_NOTHING % {"held": MSG_NOTHING_HELD if include_held else ""}, code="supplement_empty")
            enrolments = _enrolments([o["enrolment_id"] for o in originals])
            with connection.cursor() as cur:
                prefix = parent.division_code[:6]
                cur.execute(_SHARED_SQL, [parent.program, prefix, prefix + ":"])
                shared = {h for (h,) in cur.fetchall()}
            child = Batch.objects.create(
                number=_number(parent), division_code=parent.division_code, program=parent.program, year=parent.year,
                quarter=parent.quarter, kind=Batch.Kind.SUPPLEMENTARY, parent=parent, state=Batch.State.DRAFT,
                verification=parent.verification, fund_source=parent.fund_source, layout=parent.layout, policy=parent.policy,
                note=(note or "").strip()[:300], created_by=actor)
            # Originals first: a held original is live and would make the guard refuse its own re-issue.
            moved = Item.objects.filter(batch=parent, state__in=sources).update(state=Item.State.REISSUED)
            if moved != len(originals):
                raise Conflict(MSG_CLAIMED, code="supplement_conflict")
            rows, summary = _new_items(child, originals, enrolments, shared)
            ids = allocate_ids("subsidies_item", len(rows))
            for row, pk in zip(rows, ids, strict=True):
                row[0] = pk
            bulk_insert("subsidies_item", ITEM_COLUMNS, rows)
            child.totals = {"supplement": summary}
            child.save(update_fields=["totals"])
            batch_totals_refresh(child)
            batch_totals_refresh(parent)
            audit_record(actor=actor, action="subsidies.batch.supplement_created", object_type="batch", object_id=child.pk,
                         division_code=child.division_code,
                         after={"number": child.number, "parent": parent.pk, "parent_number": parent.number, "include_held": include_held,
                                "note": child.note, **summary})
    except Exception as exc:
        if GUARD_MESSAGE in str(exc):
            raise Conflict(MSG_CLAIMED, code="supplement_conflict") from exc
        raise
    return child


def _enrolments(ids: list[int]) -> dict[int, tuple]:
    found: dict[int, tuple] = {}
    chunk = min(900, (connection.features.max_query_params or 900) - 1)
    for start in range(0, len(ids), chunk):
        found.update({e[0]: e[1:] for e in Enrolment.objects.filter(pk__in=ids[start:start + chunk]).values_list(
            "pk", "status", "bank_name", "bank_account_enc", "bank_account_hash", "bank_account_masked")})
    return found


def _new_items(child: Batch, originals: list[dict], enrolments: dict[int, tuple], shared: set[str]) -> tuple[list[list], dict]:
    rules = BankRules.load()
    summary = {"failed": 0, "held": 0, "items": 0, "amount": 0, "account_changed": 0, "account_unchanged": 0, "held_again": 0}
    rows = []
    for o in originals:
        summary["failed" if o["state"] == Item.State.FAILED else "held"] += 1
        status, bank_name, enc, account_hash, masked = enrolments.get(o["enrolment_id"], ("", "", "", "", ""))
        hold, note = "", ""
        if status == Status.SUSPENDED:
            hold = Item.Hold.SUSPENDED
        elif status == Status.DUPLICATE:
            hold = Item.Hold.DUPLICATE
        elif not enc:
            hold = Item.Hold.NO_ACCOUNT
        else:
            problem = bank_account_problem(rules, bank_name, decrypt(enc))
            if problem:
                hold, note = Item.Hold.BANK_INVALID, str(problem)[:300]
            elif account_hash in shared:
                hold = Item.Hold.SHARED_ACCOUNT
        if account_hash and account_hash == o["bank_account_hash"]:
            summary["account_unchanged"] += 1
        else:
            summary["account_changed"] += 1
        if hold:
            summary["held_again"] += 1
        summary["items"] += 1
        summary["amount"] += o["amount"]
        rows.append([0, child.pk, o["enrolment_id"], o["person_id"], o["household_number"], o["division_code"], o["name"], o["id_hash"],
                     o["id_masked"], bank_name, enc, account_hash, masked, o["year"], o["month_from"], o["month_to"], o["months"],
                     o["amount"], Item.State.HELD if hold else Item.State.PENDING, hold, note, "", "", None, o["id"]])
    return rows, summary


def supplement_preview(batch: Batch) -> dict:
    """How many items a supplement of `batch` would re-issue, without and with the held ones (for the form)."""
    counts = {s: (n, int(fen or 0)) for s, n, fen in Item.objects.filter(batch=batch, state__in=[Item.State.FAILED, Item.State.HELD])
              .values("state").annotate(n=Count("id"), fen=Sum("amount")).values_list("state", "n", "fen")}
    failed, held = counts.get(Item.State.FAILED, (0, 0)), counts.get(Item.State.HELD, (0, 0))
    return {"failed": failed[0], "failed_amount": failed[1], "held": held[0], "held_amount": held[1]}


__all__ = ["batch_supplement_check", "batch_supplement_create", "item_resolve", "supplement_preview"]

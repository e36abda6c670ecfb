"""The payment batch workflow: review, approval (four eyes), send-back, deletion of drafts, and holding or releasing
items of a draft, each an explicit, audited transition within the batch's county.

The states after approval (exported, returned, reconciled) belong to the bank file and ledger services.
"""

from __future__ import annotations

from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext_lazy

from anju.accounts.roles import Perm
from anju.core.access import in_scope, require_perm
from anju.core.audit import audit_record
from anju.core.crypto import decrypt
from anju.core.exceptions import Conflict, NotFound, PermissionDenied, ValidationFailed
from anju.registry.models import Enrolment, Program, Status
from anju.subsidies.banks import MSG_NO_ACCOUNT, BankRules, bank_account_problem
from anju.subsidies.models import Batch, Item
from anju.subsidies.services.batches import batch_totals_refresh

MSG_REVIEW_STATE = gettext_lazy("只有草稿状态的批次可以审核")
MSG_APPROVE_STATE = gettext_lazy("只有已审核的批次可以审批")
MSG_SEND_BACK_STATE = gettext_lazy("只有已审核或已审批（尚未出盘）的批次可以退回")
MSG_DELETE_STATE = gettext_lazy("只有草稿状态的批次可以删除")
MSG_DRAFT_ONLY = gettext_lazy("批次已提交审核，不能再修改明细；如需修改，请先退回为草稿")
MSG_REVIEWER_IS_CREATOR = gettext_lazy("审核人不能是批次的生成人")
MSG_APPROVER_IS_CREATOR = gettext_lazy("审批人不能是批次的生成人")
MSG_APPROVER_IS_REVIEWER = gettext_lazy("审批人不能是批次的审核人（须由另一人审批）")
MSG_REASON_REQUIRED = gettext_lazy("请填写退回理由")
MSG_HOLD_REASON_REQUIRED = gettext_lazy("请填写暂缓发放的原因")
MSG_HOLD_CAUSE = gettext_lazy("人工暂缓只能选择“暂停扶持”或“疑似重复”")
MSG_HOLD_STATE = gettext_lazy("只有待发放的明细可以暂缓发放")
MSG_RELEASE_STATE = gettext_lazy("只有暂缓发放的明细可以恢复发放")
MSG_HOLD_UNRESOLVED = gettext_lazy("暂缓原因尚未消除，不能恢复发放：%(reason)s")
MSG_STATUS_HELD = gettext_lazy("该人员在名册中的状态为“%(status)s”")
MSG_SHARED = gettext_lazy("银行账号与其他户共用")

# Holds a clerk may place by hand; those about accounts are found by the checks and lifted when the account is fixed.
MANUAL_HOLDS = (Item.Hold.SUSPENDED, Item.Hold.DUPLICATE)
ACCOUNT_HOLDS = (Item.Hold.NO_ACCOUNT, Item.Hold.BANK_INVALID, Item.Hold.SHARED_ACCOUNT)
REASON_MAX = 300


def _locked_batch(actor, batch: Batch) -> Batch:
    """Re-read the batch for update once the actor's entry scope is known to cover its county (else NotFound)."""
    if not in_scope(actor, batch.division_code, kind="entry"):
        raise NotFound()
    return Batch.objects.select_for_update().get(pk=batch.pk)


def _audit(actor, action: str, batch: Batch, before: dict, after: dict) -> None:
    audit_record(actor=actor, action=action, object_type="batch", object_id=batch.pk, division_code=batch.division_code,
                 before=before, after={"number": batch.number, **after})


def batch_review(*, actor, batch: Batch) -> Batch:
    """审核: a reviewer of the county other than its creator moves a draft to reviewed."""
    require_perm(actor, Perm.SUBSIDY_REVIEW)
    with transaction.atomic():
        b = _locked_batch(actor, batch)
        if b.state != Batch.State.DRAFT:
            raise Conflict(MSG_REVIEW_STATE, code="batch_state")
        if b.created_by_id == actor.pk:
            raise PermissionDenied(MSG_REVIEWER_IS_CREATOR, code="batch_four_eyes")
        b.state, b.reviewed_by, b.reviewed_at = Batch.State.REVIEWED, actor, timezone.now()
        b.save(update_fields=["state", "reviewed_by", "reviewed_at"])
        totals = b.totals or {}
        _audit(actor, "subsidies.batch.reviewed", b, {"state": Batch.State.DRAFT},
               {"state": b.state, "persons": totals.get("persons"), "amount": totals.get("amount"), "held": totals.get("held")})
    return b


def batch_approve(*, actor, batch: Batch) -> Batch:
    """审批: a reviewed batch approved by a third person (neither its creator nor its reviewer)."""
    require_perm(actor, Perm.SUBSIDY_REVIEW)
    with transaction.atomic():
        b = _locked_batch(actor, batch)
        if b.state != Batch.State.REVIEWED:
            raise Conflict(MSG_APPROVE_STATE, code="batch_state")
        if b.created_by_id == actor.pk:
            raise PermissionDenied(MSG_APPROVER_IS_CREATOR, code="batch_four_eyes")
        if b.reviewed_by_id == actor.pk:
            raise PermissionDenied(MSG_APPROVER_IS_REVIEWER, code="batch_four_eyes")
        b.state, b.approved_by, b.approved_at = Batch.State.APPROVED, actor, timezone.now()
        b.save(update_fields=["state", "approved_by", "approved_at"])
        totals = b.totals or {}
        _audit(actor, "subsidies.batch.approved", b, {"state": Batch.State.REVIEWED, "reviewed_by": b.reviewed_by_id},
               {"state": b.state, "persons": totals.get("persons"), "amount": totals.get("amount")})
    return b


def batch_send_back(*, actor, batch: Batch, reason: str) -> Batch:
    """退回: a reviewed or approved batch (not yet exported) goes back to draft with a reason; sign-offs are cleared."""
    require_perm(actor, Perm.SUBSIDY_REVIEW)
    reason = (reason or "").strip()
    with transaction.atomic():
        b = _locked_batch(actor, batch)
        if b.state not in (Batch.State.REVIEWED, Batch.State.APPROVED):
            raise Conflict(MSG_SEND_BACK_STATE, code="batch_state")
        if not reason:
            raise ValidationFailed(MSG_REASON_REQUIRED, code="reason_required", detail={"field": "reason"})
        before = {"state": b.state, "reviewed_by": b.reviewed_by_id, "approved_by": b.approved_by_id}
        b.state = Batch.State.DRAFT
        b.reviewed_by = b.reviewed_at = b.approved_by = b.approved_at = None
        b.totals = {**(b.totals or {}), "sent_back": {"reason": reason[:REASON_MAX], "by": actor.get_username(),
                                                      "at": timezone.now().isoformat(), "from": before["state"]}}
        b.save(update_fields=["state", "reviewed_by", "reviewed_at", "approved_by", "approved_at", "totals"])
        _audit(actor, "subsidies.batch.sent_back", b, before, {"state": b.state, "reason": reason[:REASON_MAX]})
    return b


def batch_delete(*, actor, batch: Batch) -> None:
    """Delete a draft batch and its items (nothing has left the county yet: no bank file, no return)."""
    require_perm(actor, Perm.SUBSIDY_RUN)
    with transaction.atomic():
        b = _locked_batch(actor, batch)
        if b.state != Batch.State.DRAFT:
            raise Conflict(MSG_DELETE_STATE, code="batch_state")
        totals = b.totals or {}
        before = {"number": b.number, "year": b.year, "quarter": b.quarter, "kind": b.kind, "state": b.state,
                  "persons": totals.get("persons"), "amount": totals.get("amount")}
        with connection.cursor() as cur:  # set-based: a draft's items are referenced by nothing (no returns, reissues, recoveries)
            cur.execute("DELETE FROM subsidies_item WHERE batch_id = %s", [b.pk])
            items = cur.rowcount
        audit_record(actor=actor, action="subsidies.batch.deleted", object_type="batch", object_id=b.pk, division_code=b.division_code,
                     before=before, after={"items": items})
        b.delete()


# --- items of a draft: hold and release ------------------------------------------------------------------------------

def _locked_item(actor, item: Item) -> tuple[Batch, Item]:
    """The item's batch (locked, a draft in the actor's entry scope) and the item re-read for update."""
    batch = _locked_batch(actor, item.batch)
    if batch.state != Batch.State.DRAFT:
        raise Conflict(MSG_DRAFT_ONLY, code="batch_state")
    return batch, Item.objects.select_for_update().get(pk=item.pk)


def _item_audit(actor, action: str, batch: Batch, item: Item, before: dict, after: dict) -> None:
    audit_record(actor=actor, action=action, object_type="item", object_id=item.pk, division_code=item.division_code,
                 before=before, after={"batch": batch.pk, "number": batch.number, "name": item.name, **after})


def item_hold(*, actor, item: Item, reason: str, cause: str = Item.Hold.SUSPENDED) -> Item:
    """暂缓发放: hold a pending item of a draft by hand, with a reason (kept as the item's exception note)."""
    require_perm(actor, Perm.SUBSIDY_RUN)
    reason = (reason or "").strip()
    with transaction.atomic():
        batch, it = _locked_item(actor, item)
        if it.state != Item.State.PENDING:
            raise Conflict(MSG_HOLD_STATE, code="item_state")
        if cause not in MANUAL_HOLDS:
            raise ValidationFailed(MSG_HOLD_CAUSE, code="hold_cause", detail={"field": "cause"})
        if not reason:
            raise ValidationFailed(MSG_HOLD_REASON_REQUIRED, code="reason_required", detail={"field": "reason"})
        it.state, it.exception, it.exception_note = Item.State.HELD, cause, reason[:REASON_MAX]
        it.save(update_fields=["state", "exception", "exception_note"])
        batch_totals_refresh(batch)
        _item_audit(actor, "subsidies.item.held", batch, it, {"state": Item.State.PENDING},
                    {"state": it.state, "cause": cause, "reason": it.exception_note})
    return it


def _shared_hashes(county_code: str, hashes: set[str]) -> set[str]:
    """Which of these account hashes more than one household of the county's reservoir roster uses."""
    hashes = {h for h in hashes if h}
    if not hashes:
        return set()
    prefix, found, ordered = county_code[:6], set(), sorted(hashes)
    for start in range(0, len(ordered), 500):
        chunk = ordered[start:start + 500]
        found |= set(Enrolment.objects.filter(program=Program.RESERVOIR, division_code__gte=prefix, division_code__lt=prefix + ":",
                                              bank_account_hash__in=chunk)
                     .values("bank_account_hash").annotate(n=Count("household_id", distinct=True)).filter(n__gt=1)
                     .values_list("bank_account_hash", flat=True))
    return found


def _reread_account(it: Item, enrolment: Enrolment) -> None:
    """Copy the enrolment's current account into the item (the roster may have been corrected since the batch was made)."""
    it.bank_name, it.bank_account_enc = enrolment.bank_name, enrolment.bank_account_enc
    it.bank_account_hash, it.bank_account_masked = enrolment.bank_account_hash, enrolment.bank_account_masked


def _problem(it: Item, enrolment: Enrolment, rules: BankRules, shared: set[str]) -> tuple[str, str] | None:
    """(hold cause, note) of what still stops the payment of the item as it now stands, or None when it may be paid."""
    if enrolment.status in (Status.SUSPENDED, Status.DUPLICATE):
        cause = Item.Hold.SUSPENDED if enrolment.status == Status.SUSPENDED else Item.Hold.DUPLICATE
        return cause, str(MSG_STATUS_HELD % {"status": enrolment.get_status_display()})
    if not it.bank_account_enc:
        return Item.Hold.NO_ACCOUNT, str(MSG_NO_ACCOUNT)
    problem = bank_account_problem(rules, it.bank_name, decrypt(it.bank_account_enc))
    if problem:
        return Item.Hold.BANK_INVALID, problem
    if it.bank_account_hash in shared:
        return Item.Hold.SHARED_ACCOUNT, str(MSG_SHARED)
    return None


def item_release(*, actor, item: Item) -> Item:
    """恢复发放: release a held item of a draft once its cause is gone: the enrolment's current account is read into
    the item and every check (status, account, bank rules, shared account) runs again; Conflict names what remains."""
    require_perm(actor, Perm.SUBSIDY_RUN)
    with transaction.atomic():
        batch, it = _locked_item(actor, item)
        if it.state != Item.State.HELD:
            raise Conflict(MSG_RELEASE_STATE, code="item_state")
        enrolment = Enrolment.objects.get(pk=it.enrolment_id)
        before = {"state": it.state, "cause": it.exception, "note": it.exception_note, "account": it.bank_account_masked}
        _reread_account(it, enrolment)
        found = _problem(it, enrolment, BankRules.load(), _shared_hashes(batch.division_code, {it.bank_account_hash}))
        if found is not None:
            raise Conflict(MSG_HOLD_UNRESOLVED % {"reason": found[1]}, code="hold_unresolved", detail={"cause": found[0]})
        it.state, it.exception, it.exception_note = Item.State.PENDING, "", ""
        it.save(update_fields=["state", "exception", "exception_note", "bank_name", "bank_account_enc", "bank_account_hash",
                               "bank_account_masked"])
        batch_totals_refresh(batch)
        _item_audit(actor, "subsidies.item.released", batch, it, before, {"state": it.state, "account": it.bank_account_masked})
    return it


def batch_refresh_accounts(*, actor, batch: Batch) -> dict:
    """Re-read the current account of every item held for an account reason and re-run the checks: those now fine are
    released, the others keep (or change) their hold. Holds placed by hand are left alone. Returns the counts."""
    require_perm(actor, Perm.SUBSIDY_RUN)
    with transaction.atomic():
        b = _locked_batch(actor, batch)
        if b.state != Batch.State.DRAFT:
            raise Conflict(MSG_DRAFT_ONLY, code="batch_state")
        items = list(Item.objects.select_for_update().filter(batch=b, state=Item.State.HELD, exception__in=ACCOUNT_HOLDS))
        enrolments = Enrolment.objects.in_bulk([it.enrolment_id for it in items])
        for it in items:
            _reread_account(it, enrolments[it.enrolment_id])
        rules, shared = BankRules.load(), _shared_hashes(b.division_code, {it.bank_account_hash for it in items})
        released, still = 0, 0
        for it in items:
            found = _problem(it, enrolments[it.enrolment_id], rules, shared)
            if found is None:
                it.state, it.exception, it.exception_note = Item.State.PENDING, "", ""
                released += 1
            else:
                it.exception, it.exception_note = found[0], found[1][:REASON_MAX]
                still += 1
        Item.objects.bulk_update(items, ["state", "exception", "exception_note", "bank_name", "bank_account_enc", "bank_account_hash",
                                         "bank_account_masked"], batch_size=500)
        totals = batch_totals_refresh(b)
        result = {"checked": len(items), "released": released, "held": still}
        _audit(actor, "subsidies.batch.accounts_refreshed", b, {}, {**result, "held_total": totals["held"]})
    return result


__all__ = ["batch_review", "batch_approve", "batch_send_back", "batch_delete", "item_hold", "item_release", "batch_refresh_accounts",
           "MANUAL_HOLDS", "ACCOUNT_HOLDS"]

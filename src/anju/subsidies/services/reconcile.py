"""Reconciliation of a payment batch (对账): entitled = paid + failed + pending to the fen, overall and by township, checked
against what the bank's return files confirmed, and the move of a returned batch to reconciled."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy

from anju.accounts.roles import Perm
from anju.core.access import code_prefix_q, in_scope, require_perm
from anju.core.audit import audit_record
from anju.core.exceptions import Conflict, NotFound, join_list
from anju.divisions.selectors import division_names
from anju.subsidies.models import BankReturnRow, Batch, Item
from anju.subsidies.months import fen_text

MSG_RECONCILE_STATE = gettext_lazy("只有“已回盘”的批次可以对账确认")
MSG_PENDING = gettext_lazy("还有 %(n)s 笔明细待发放（尚无回盘结果），不能对账确认；请先导入回盘文件")
MSG_NOT_TIED = gettext_lazy("对账不平（%(checks)s），不能对账确认")

# Item states in each column of the reconciliation; cancelled items are not entitled and appear nowhere.
BUCKETS = {
    "paid": (Item.State.PAID,),
    "failed": (Item.State.FAILED, Item.State.REISSUED),  # a failure re-issued in a supplementary batch is still this batch's failure
    "pending": (Item.State.PENDING, Item.State.HELD),
}
BUCKET_OF = {state: bucket for bucket, states in BUCKETS.items() for state in states}
FIGURE_KEYS = ("entitled", "paid", "failed", "pending")

CHECK_LABELS = {
    "parts": gettext_lazy("应发 = 已发 + 失败 + 待发"),
    "bank_paid": gettext_lazy("已发 = 银行回盘成功 + 人工确认已发"),
    "bank_failed": gettext_lazy("失败 = 银行回盘失败 + 人工确认失败或暂缓转补发"),
}


@dataclass
class Figures:
    """Fen and item counts of one batch, township or village: entitled and its three parts."""

    entitled: int = 0
    paid: int = 0
    failed: int = 0
    pending: int = 0
    entitled_n: int = 0
    paid_n: int = 0
    failed_n: int = 0
    pending_n: int = 0
    other: int = 0  # fen of items in a state no column knows (never expected; it breaks the tie)

    def add(self, state: str, n: int, fen: int) -> None:
        if state == Item.State.CANCELLED:
            return
        self.entitled += fen
        self.entitled_n += n
        bucket = BUCKET_OF.get(state)
        if bucket is None:
            self.other += fen
            return
        setattr(self, bucket, getattr(self, bucket) + fen)
        setattr(self, f"{bucket}_n", getattr(self, f"{bucket}_n") + n)

    def merge(self, other: Figures) -> None:
        for key in (*FIGURE_KEYS, *(f"{k}_n" for k in FIGURE_KEYS), "other"):
            setattr(self, key, getattr(self, key) + getattr(other, key))

    @property
    def ties(self) -> bool:
        return self.entitled == self.paid + self.failed + self.pending

    @property
    def difference(self) -> int:
        return self.entitled - (self.paid + self.failed + self.pending)

    @property
    def yuan(self) -> dict[str, str]:
        """Each amount as yuan text, for pages."""
        return {k: fen_text(getattr(self, k)) for k in (*FIGURE_KEYS, "difference")}

    def as_dict(self) -> dict:
        return {**{k: getattr(self, k) for k in FIGURE_KEYS}, **{f"{k}_count": getattr(self, f"{k}_n") for k in FIGURE_KEYS},
                "ties": self.ties}


@dataclass
class Check:
    code: str
    expected: int
    actual: int

    @property
    def ok(self) -> bool:
        return self.expected == self.actual

    @property
    def label(self) -> str:
        return str(CHECK_LABELS[self.code])

    @property
    def yuan(self) -> dict[str, str]:
        return {"expected": fen_text(self.expected), "actual": fen_text(self.actual)}

    def as_dict(self) -> dict:
        return {"code": self.code, "label": self.label, "expected": self.expected, "actual": self.actual, "ok": self.ok}


@dataclass
class Area:
    code: str
    name: str
    figures: Figures = field(default_factory=Figures)


@dataclass
class Reconciliation:
    batch: Batch
    totals: Figures
    townships: list[Area]
    checks: list[Check]
    bank_rows: int  # applied return rows the bank checks read
    bank: dict = field(default_factory=dict)  # fen: paid_rows, paid_manual, failed_rows, failed_other

    @property
    def ties(self) -> bool:
        return all(c.ok for c in self.checks)

    @property
    def failed_checks(self) -> list[Check]:
        return [c for c in self.checks if not c.ok]

    def as_dict(self) -> dict:
        return {"batch": self.batch.pk, "number": self.batch.number, "state": self.batch.state, **self.totals.as_dict(),
                "ties": self.ties, "checks": [c.as_dict() for c in self.checks], "bank_rows": self.bank_rows, "bank": self.bank,
                "townships": [{"code": t.code, "name": t.name, **t.figures.as_dict()} for t in self.townships]}


def batch_reconciliation(batch: Batch, *, part: str = "") -> Reconciliation:
    """The batch's figures by state, by township, and the checks against the bank's return (a few grouped queries).

    `part` limits the figures to a township or village (a township viewer sees its own part); the checks then compare
    that part only. Trusts the caller to have checked that the actor may see the batch.
    """
    items = Item.objects.filter(batch=batch)
    rows = BankReturnRow.objects.filter(bank_return__batch=batch, applied=True, item__isnull=False)
    if part:
        items = items.filter(code_prefix_q("division_code", part))
        rows = rows.filter(code_prefix_q("item__division_code", part))
    villages: dict[str, Figures] = {}
    for row in items.values("division_code", "state").annotate(n=Count("id"), fen=Sum("amount")).order_by():
        villages.setdefault(row["division_code"], Figures()).add(row["state"], row["n"], row["fen"] or 0)
    townships: dict[str, Figures] = {}
    totals = Figures()
    for code, figures in villages.items():
        townships.setdefault(code[:9].ljust(12, "0"), Figures()).merge(figures)
        totals.merge(figures)
    names = division_names(townships)
    areas = [Area(code, names.get(code, code), figures) for code, figures in sorted(townships.items())]

    checks = [Check("parts", totals.entitled, totals.paid + totals.failed + totals.pending)]
    bank, n_rows = _bank_figures(batch, items, rows)
    if totals.paid_n or totals.failed_n:
        checks.append(Check("bank_paid", totals.paid, bank["paid_rows"] + bank["paid_manual"]))
        checks.append(Check("bank_failed", totals.failed, bank["failed_rows"] + bank["failed_other"]))
    return Reconciliation(batch=batch, totals=totals, townships=areas, checks=checks, bank_rows=n_rows, bank=bank)


def _bank_figures(batch: Batch, items, rows) -> tuple[dict, int]:
    """What the bank's applied return rows say was paid and failed, and what was settled without a row: items resolved by
    hand (the bank answered by phone or letter) and held items moved to a supplementary batch.

    With every row agreeing with its item the checks tie by construction; they break where the bank and the ledger
    disagree: a success row for an item recorded as failed, two success rows for one item (paid twice), a row whose
    amount differs from its item."""
    figures = {"paid_rows": 0, "paid_manual": 0, "failed_rows": 0, "failed_other": 0}
    n_rows = 0
    for row in rows.values("success").annotate(n=Count("id"), fen=Sum("amount")).order_by():
        if row["success"] is not None:
            figures["paid_rows" if row["success"] else "failed_rows"] += row["fen"] or 0
            n_rows += row["n"]
    confirmed = BankReturnRow.objects.filter(bank_return__batch=batch, applied=True, item_id=OuterRef("pk"))
    figures["paid_manual"] = items.filter(state=Item.State.PAID).exclude(Exists(confirmed.filter(success=True))).aggregate(
        fen=Sum("amount"))["fen"] or 0
    figures["failed_other"] = items.filter(state__in=BUCKETS["failed"]).exclude(Exists(confirmed.filter(success=False))).aggregate(
        fen=Sum("amount"))["fen"] or 0
    return figures, n_rows


def batch_reconcile(*, actor, batch: Batch) -> Batch:
    """对账确认: a returned batch whose figures tie (no item still waiting for the bank) becomes reconciled."""
    require_perm(actor, Perm.SUBSIDY_RUN)
    if not in_scope(actor, batch.division_code, kind="entry"):
        raise NotFound()
    with transaction.atomic():
        b = Batch.objects.select_for_update().get(pk=batch.pk)
        if b.state != Batch.State.RETURNED:
            raise Conflict(MSG_RECONCILE_STATE, code="batch_state")
        pending = Item.objects.filter(batch=b, state=Item.State.PENDING).count()
        if pending:
            raise Conflict(MSG_PENDING % {"n": pending}, code="items_pending", detail={"pending": pending})
        rec = batch_reconciliation(b)
        if not rec.ties:
            failed = rec.failed_checks
            raise Conflict(MSG_NOT_TIED % {"checks": join_list(c.label for c in failed)}, code="not_tied",
                           detail=[{"code": c.code, "reason": f"{c.label}：{c.expected} ≠ {c.actual}"} for c in failed])
        b.state, b.reconciled_by, b.reconciled_at = Batch.State.RECONCILED, actor, timezone.now()
        b.save(update_fields=["state", "reconciled_by", "reconciled_at"])
        audit_record(actor=actor, action="subsidies.batch.reconciled", object_type="batch", object_id=b.pk, division_code=b.division_code,
                     before={"state": Batch.State.RETURNED},
                     after={"state": b.state, "number": b.number, **{k: getattr(rec.totals, k) for k in FIGURE_KEYS},
                            **{f"{k}_count": getattr(rec.totals, f"{k}_n") for k in FIGURE_KEYS}})
    return b


__all__ = ["batch_reconciliation", "batch_reconcile", "Reconciliation", "Figures", "BUCKETS", "MSG_RECONCILE_STATE", "MSG_PENDING",
           "MSG_NOT_TIED"]

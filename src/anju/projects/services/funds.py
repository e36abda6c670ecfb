"""Project money: allocations (资金下达) by fund source with their document (文号), and payments (支付) with their voucher,
never more paid than allocated at any date."""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy

from anju.accounts.roles import Perm
from anju.core.access import in_scope, require_perm
from anju.core.audit import audit_record
from anju.core.exceptions import Conflict, NotFound, ValidationFailed
from anju.projects.models import STAGE_ORDER, Allocation, Payment, Project, Stage, StageChange, Term
from anju.projects.money import fen_text, yuan_text
from anju.projects.selectors import term_names
from anju.projects.services.stages import stage_move

MSG_ALLOC_STAGE = gettext_lazy("项目处于“%(stage)s”阶段：须经评审后才能下达资金")
MSG_ARCHIVED = gettext_lazy("项目已归档，不能再登记资金")
MSG_SOURCE = gettext_lazy("请选择启用中的资金来源")
MSG_YEAR = gettext_lazy("资金年度应在 2000 年至 2100 年之间")
MSG_DOC_NUMBER = gettext_lazy("请填写下达文号")
MSG_DOC_DATE_FUTURE = gettext_lazy("下达日期不能晚于今天")
MSG_AMOUNT = gettext_lazy("金额应大于零")
MSG_ALLOC_DUPLICATE = gettext_lazy("该项目已登记过%(source)s的下达文号“%(doc_number)s”，不能重复登记")
MSG_REASON = gettext_lazy("请填写删除原因")
MSG_ALLOC_DELETE_EXCESS = gettext_lazy("删除后，%(source)s截至%(date)s累计支付%(paid)s元，将超过剩余下达资金%(allocated)s元：请先删除多出的支付记录")
MSG_PAY_NO_ALLOCATION = gettext_lazy("该项目尚无%(source)s的资金下达记录，不能登记支付")
MSG_PAY_DATE_FUTURE = gettext_lazy("支付日期不能晚于今天")
MSG_PAY_EXCESS = gettext_lazy("%(source)s截至%(date)s累计支付将达%(paid)s元，超过截至该日已下达的%(allocated)s元")
MSG_VOUCHER = gettext_lazy("请填写凭证号")
MSG_VOUCHER_DUPLICATE = gettext_lazy("该项目已登记过凭证号“%(voucher)s”的支付，不能重复登记")

FIRST_YEAR, LAST_YEAR = 2000, 2100


def _locked_project(actor, project: Project) -> Project:
    """The project row, locked, if it lies in the actor's entry scope."""
    locked = Project.objects.select_for_update().filter(pk=project.pk).first()
    if locked is None or not in_scope(actor, locked.division_code, "entry"):
        raise NotFound()
    return locked


def _source_name(code: str) -> str:
    return term_names(Term.Kind.FUND_SOURCE).get(code, code)


def _text(value, field: str, limit: int, message=None) -> str:
    text = str(value or "").strip()
    if "\x00" in text:
        raise ValidationFailed(detail={"field": field})
    if message is not None and not text:
        raise ValidationFailed(message, detail={"field": field})
    return text[:limit]


def _positive(amount_fen) -> int:
    if isinstance(amount_fen, bool) or not isinstance(amount_fen, int) or amount_fen <= 0:
        raise ValidationFailed(MSG_AMOUNT, detail={"field": "amount"})
    return amount_fen


def first_excess(project_id: int, fund_source: str, *, add: tuple[dt.date, int] | None = None, drop_allocation: int | None = None,
                 since: dt.date | None = None) -> tuple[dt.date, int, int] | None:
    """The first payment date (from `since` on) at which the cumulative payments of a source exceed its allocations dated up
    to that day, as (date, paid fen, allocated fen); None when payments never run ahead of the money allocated.

    `add` counts one more payment (date, fen); `drop_allocation` leaves an allocation out (a payment or a deletion being
    checked)."""
    allocations = Allocation.objects.filter(project_id=project_id, fund_source=fund_source)
    if drop_allocation:
        allocations = allocations.exclude(pk=drop_allocation)
    events = [(d, 0, a) for d, a in allocations.values_list("doc_date", "amount")]  # allocations of a day count before its payments
    events += [(d, 1, a) for d, a in Payment.objects.filter(project_id=project_id, fund_source=fund_source).values_list("paid_on", "amount")]
    if add:
        events.append((add[0], 1, add[1]))
    events.sort(key=lambda e: (e[0], e[1]))
    allocated = paid = 0
    for i, (day, kind, amount) in enumerate(events):
        if kind == 0:
            allocated += amount
        else:
            paid += amount
        last_of_day = i + 1 == len(events) or events[i + 1][0] != day
        if kind == 1 and last_of_day and paid > allocated and (since is None or day >= since):
            return day, paid, allocated
    return None


# --- allocations -----------------------------------------------------------------------------------------------------

def _allocation_dict(a: Allocation) -> dict:
    return {"project": a.project_id, "fund_source": a.fund_source, "year": a.year, "doc_number": a.doc_number,
            "doc_date": a.doc_date.isoformat(), "amount": a.amount, "amount_yuan": yuan_text(a.amount), "note": a.note}


def allocation_record(*, actor, project: Project, fund_source: str, year: int, doc_number: str, doc_date: dt.date, amount_fen: int,
                      note: str = "", today: dt.date | None = None) -> Allocation:
    """Record an allocation document for a project of the actor's entry scope; a project under review (评审) thereby
    becomes approved (立项/下达), dated the document's day."""
    require_perm(actor, Perm.PROJECT_FUNDS)
    today = today or dt.date.today()
    with transaction.atomic():
        project = _locked_project(actor, project)
        if project.stage == Stage.ARCHIVED:
            raise ValidationFailed(MSG_ARCHIVED, code="project_archived", detail={"field": "project"})
        if STAGE_ORDER[project.stage] < STAGE_ORDER[Stage.REVIEWING]:
            raise ValidationFailed(MSG_ALLOC_STAGE % {"stage": Stage(project.stage).label}, code="stage_not_allowed", detail={"field": "project"})
        fund_source = str(fund_source or "").strip()
        if not Term.objects.filter(kind=Term.Kind.FUND_SOURCE, code=fund_source, active=True).exists():
            raise ValidationFailed(MSG_SOURCE, detail={"field": "fund_source"})
        if isinstance(year, bool) or not isinstance(year, int) or not FIRST_YEAR <= year <= LAST_YEAR:
            raise ValidationFailed(MSG_YEAR, detail={"field": "year"})
        doc_number = _text(doc_number, "doc_number", 100, MSG_DOC_NUMBER)
        if doc_date > today:
            raise ValidationFailed(MSG_DOC_DATE_FUTURE, detail={"field": "doc_date"})
        amount_fen = _positive(amount_fen)
        note = _text(note, "note", 300)
        duplicate = MSG_ALLOC_DUPLICATE % {"source": _source_name(fund_source), "doc_number": doc_number}
        if Allocation.objects.filter(project=project, fund_source=fund_source, doc_number=doc_number).exists():
            raise Conflict(duplicate, code="allocation_duplicate", detail={"field": "doc_number"})
        try:
            with transaction.atomic():
                allocation = Allocation.objects.create(project=project, division_code=project.division_code, fund_source=fund_source, year=year,
                                                       doc_number=doc_number, doc_date=doc_date, amount=amount_fen, note=note, created_by=actor)
        except IntegrityError:  # a concurrent twin got in first
            raise Conflict(duplicate, code="allocation_duplicate", detail={"field": "doc_number"}) from None
        audit_record(actor=actor, action="projects.allocation.recorded", object_type="allocation", object_id=allocation.pk,
                     division_code=project.division_code, after={"code": project.code, **_allocation_dict(allocation)})
        if project.stage == Stage.REVIEWING:
            last = StageChange.objects.filter(project=project).order_by("-on", "-id").values_list("on", flat=True).first()
            on = max(doc_date, last) if last else doc_date
            stage_move(actor=actor, project=project, to_stage=Stage.APPROVED, on=min(on, dt.date.today()),
                       note=str(gettext_lazy("资金下达：%(doc)s") % {"doc": doc_number}))
    return allocation


def allocation_delete(*, actor, allocation: Allocation, reason: str) -> None:
    """Delete an allocation recorded in error, unless the payments of its source would then exceed what remains allocated."""
    require_perm(actor, Perm.PROJECT_FUNDS)
    reason = _text(reason, "reason", 300, MSG_REASON)
    with transaction.atomic():
        project = _locked_project(actor, allocation.project)
        allocation = Allocation.objects.filter(pk=allocation.pk, project=project).first()
        if allocation is None:
            raise NotFound()
        excess = first_excess(project.pk, allocation.fund_source, drop_allocation=allocation.pk, since=allocation.doc_date)
        if excess:
            day, paid, allocated = excess
            raise Conflict(MSG_ALLOC_DELETE_EXCESS % {"source": _source_name(allocation.fund_source), "date": day.isoformat(),
                                                      "paid": fen_text(paid), "allocated": fen_text(allocated)},
                           code="payments_exceed", detail={"paid": yuan_text(paid), "allocated": yuan_text(allocated), "date": day.isoformat()})
        before = _allocation_dict(allocation)
        pk = allocation.pk
        allocation.delete()
        audit_record(actor=actor, action="projects.allocation.deleted", object_type="allocation", object_id=pk,
                     division_code=project.division_code, before={"code": project.code, **before}, after={"reason": reason})


# --- payments ------------------------------------------------------------------------------------------------------

def _payment_dict(p: Payment) -> dict:
    return {"project": p.project_id, "fund_source": p.fund_source, "paid_on": p.paid_on.isoformat(), "amount": p.amount,
            "amount_yuan": yuan_text(p.amount), "voucher": p.voucher, "payee": p.payee, "note": p.note}


def payment_record(*, actor, project: Project, fund_source: str, paid_on: dt.date, amount_fen: int, voucher: str, payee: str = "",
                   note: str = "", today: dt.date | None = None) -> Payment:
    """Record a payment of a project of the actor's entry scope from a source it has allocations of; the payments of the
    source may at no date (this one's or any later payment's) exceed the allocations dated up to that day."""
    require_perm(actor, Perm.PROJECT_FUNDS)
    today = today or dt.date.today()
    with transaction.atomic():
        project = _locked_project(actor, project)
        if project.stage == Stage.ARCHIVED:
            raise ValidationFailed(MSG_ARCHIVED, code="project_archived", detail={"field": "project"})
        fund_source = str(fund_source or "").strip()
        if not Allocation.objects.filter(project=project, fund_source=fund_source).exists():
            raise ValidationFailed(MSG_PAY_NO_ALLOCATION % {"source": _source_name(fund_source)}, code="no_allocation",
                                   detail={"field": "fund_source"})
        if paid_on > today:
            raise ValidationFailed(MSG_PAY_DATE_FUTURE, detail={"field": "paid_on"})
        amount_fen = _positive(amount_fen)
        voucher = _text(voucher, "voucher", 60, MSG_VOUCHER)
        payee, note = _text(payee, "payee", 100), _text(note, "note", 300)
        excess = first_excess(project.pk, fund_source, add=(paid_on, amount_fen), since=paid_on)
        if excess:
            day, paid, allocated = excess
            raise ValidationFailed(MSG_PAY_EXCESS % {"source": _source_name(fund_source), "date": day.isoformat(), "paid": fen_text(paid),
                                                     "allocated": fen_text(allocated)},
                                   code="payment_exceeds_allocation",
                                   detail={"field": "amount", "paid": yuan_text(paid), "allocated": yuan_text(allocated), "date": day.isoformat()})
        duplicate = MSG_VOUCHER_DUPLICATE % {"voucher": voucher}
        if Payment.objects.filter(project=project, voucher=voucher).exists():
            raise Conflict(duplicate, code="voucher_duplicate", detail={"field": "voucher"})
        try:
            with transaction.atomic():
                payment = Payment.objects.create(project=project, division_code=project.division_code, fund_source=fund_source, paid_on=paid_on,
                                                 amount=amount_fen, voucher=voucher, payee=payee, note=note, created_by=actor)
        except IntegrityError:
            raise Conflict(duplicate, code="voucher_duplicate", detail={"field": "voucher"}) from None
        audit_record(actor=actor, action="projects.payment.recorded", object_type="payment", object_id=payment.pk,
                     division_code=project.division_code, after={"code": project.code, **_payment_dict(payment)})
    return payment


def payment_delete(*, actor, payment: Payment, reason: str) -> None:
    """Delete a payment recorded in error (audited with the reason)."""
    require_perm(actor, Perm.PROJECT_FUNDS)
    reason = _text(reason, "reason", 300, MSG_REASON)
    with transaction.atomic():
        project = _locked_project(actor, payment.project)
        payment = Payment.objects.filter(pk=payment.pk, project=project).first()
        if payment is None:
            raise NotFound()
        before = _payment_dict(payment)
        pk = payment.pk
        payment.delete()
        audit_record(actor=actor, action="projects.payment.deleted", object_type="payment", object_id=pk,
                     division_code=project.division_code, before={"code": project.code, **before}, after={"reason": reason})

"""Allocations (资金下达) and payments (支付): the stage move, the rules, never more paid than allocated at any date,
deletion, scope, permission and audit."""

from __future__ import annotations

import datetime as dt

import pytest

from anju.core.exceptions import Conflict, NotFound, PermissionDenied, ValidationFailed
from anju.core.models import AuditEvent
from anju.projects.models import Allocation, Payment, Stage, StageChange, Term
from anju.projects.money import to_fen
from anju.projects.services import funds as svc

from .factories import OTHER_VILLAGE, make_allocation, make_payment, make_project
from .funds_data import LAST_YEAR, TODAY, actors

D = dt.timedelta


@pytest.fixture
def people(make_user, other_city):
    return actors(make_user)


def _allocate(actor, project, amount_fen, *, doc_date=None, doc_number="清移发〔2026〕7号", fund_source="central", **kw):
    return svc.allocation_record(actor=actor, project=project, fund_source=fund_source, year=TODAY.year, doc_number=doc_number,
                                 doc_date=doc_date or TODAY - D(days=60), amount_fen=amount_fen, note=kw.pop("note", ""), **kw)


def _pay(actor, project, amount_fen, *, paid_on, voucher="PZ001", fund_source="central", **kw):
    return svc.payment_record(actor=actor, project=project, fund_source=fund_source, paid_on=paid_on, amount_fen=amount_fen, voucher=voucher,
                              payee=kw.pop("payee", "县建筑公司"), note="", **kw)


# --- allocations ---------------------------------------------------------------------------------------------------

def test_allocation_in_wan_moves_a_reviewing_project_to_approved(people):
    project = make_project(year=LAST_YEAR, stage=Stage.REVIEWING)
    doc_date = TODAY - D(days=30)
    a = _allocate(people["clerk"], project, to_fen("12.345678", "wan"), doc_date=doc_date, note="第一批")
    assert a.amount == 12_345_678 and a.division_code == project.division_code and a.created_by == people["clerk"]  # 123,456.78 元
    project.refresh_from_db()
    assert (project.stage, project.stage_on) == (Stage.APPROVED, doc_date)
    change = StageChange.objects.filter(project=project).order_by("-id").first()
    assert (change.from_stage, change.to_stage, change.on) == (Stage.REVIEWING, Stage.APPROVED, doc_date)
    assert "清移发〔2026〕7号" in change.note
    event = AuditEvent.objects.get(action="projects.allocation.recorded")
    assert event.after["amount"] == 12_345_678 and event.after["amount_yuan"] == "123456.78" and event.division_code == project.division_code
    assert AuditEvent.objects.filter(action="projects.project.stage_changed", object_id=str(project.pk)).count() == 1

    # a second document (another source, in 元) leaves the approved project where it is
    b = _allocate(people["clerk"], project, to_fen("1,000.05", "yuan"), doc_number="鄂移发〔2026〕3号", fund_source="provincial")
    assert b.amount == 100_005
    project.refresh_from_db()
    assert project.stage == Stage.APPROVED and StageChange.objects.filter(project=project).count() == 2


def test_allocation_stage_date_never_precedes_the_review(people):
    project = make_project(year=LAST_YEAR, stage=Stage.REVIEWING)
    reviewed_on = TODAY - D(days=10)
    StageChange.objects.create(project=project, from_stage=Stage.APPLIED, to_stage=Stage.REVIEWING, on=reviewed_on)
    _allocate(people["clerk"], project, 100, doc_date=TODAY - D(days=40))  # the document predates the review start
    project.refresh_from_db()
    assert (project.stage, project.stage_on) == (Stage.APPROVED, reviewed_on)


@pytest.mark.parametrize("stage", [Stage.RESERVE, Stage.APPLIED])
def test_allocation_needs_a_project_under_review_at_least(people, stage):
    project = make_project(year=LAST_YEAR, stage=stage)
    with pytest.raises(ValidationFailed) as exc:
        _allocate(people["clerk"], project, 100)
    assert exc.value.message == str(svc.MSG_ALLOC_STAGE % {"stage": Stage(stage).label})
    assert not Allocation.objects.exists() and not AuditEvent.objects.filter(action__startswith="projects.").exists()


def test_allocation_rules(people):
    project = make_project(year=LAST_YEAR)
    clerk = people["clerk"]
    Term.objects.filter(kind="fund_source", code="local").update(active=False)
    cases = [
        (dict(fund_source="local"), svc.MSG_SOURCE),
        (dict(fund_source="nonesuch"), svc.MSG_SOURCE),
        (dict(doc_date=TODAY + D(days=1)), svc.MSG_DOC_DATE_FUTURE),
        (dict(doc_number="  "), svc.MSG_DOC_NUMBER),
    ]
    for kw, message in cases:
        with pytest.raises(ValidationFailed) as exc:
            _allocate(clerk, project, 100, **kw)
        assert exc.value.message == str(message), kw
    for amount in (0, -5):
        with pytest.raises(ValidationFailed) as exc:
            _allocate(clerk, project, amount)
        assert exc.value.message == str(svc.MSG_AMOUNT)
    with pytest.raises(ValidationFailed) as exc:
        svc.allocation_record(actor=clerk, project=project, fund_source="central", year=1999, doc_number="X", doc_date=TODAY, amount_fen=1)
    assert exc.value.message == str(svc.MSG_YEAR)
    assert not Allocation.objects.exists()

    _allocate(clerk, project, 100)
    with pytest.raises(Conflict) as exc:
        _allocate(clerk, project, 200, doc_number=" 清移发〔2026〕7号 ")
    assert exc.value.message == str(svc.MSG_ALLOC_DUPLICATE % {"source": "中央水库移民扶持基金", "doc_number": "清移发〔2026〕7号"})
    assert exc.value.detail == {"field": "doc_number"}
    _allocate(clerk, project, 200, fund_source="provincial")  # the same 文号 of another source is another allocation
    assert Allocation.objects.count() == 2


def test_allocation_scope_and_permission(people):
    mine, theirs = make_project(year=LAST_YEAR), make_project(year=LAST_YEAR, division_code=OTHER_VILLAGE)
    with pytest.raises(NotFound):
        _allocate(people["clerk"], theirs, 100)
    with pytest.raises(NotFound):
        _allocate(people["city"], theirs, 100)  # another city
    for role in ("leader", "reviewer"):
        with pytest.raises(PermissionDenied):
            _allocate(people[role], mine, 100)
    _allocate(people["city"], mine, 100, doc_number="市级")  # the city records for any county of its scope
    _allocate(people["finance"], mine, 100, doc_number="财政")
    assert Allocation.objects.filter(project=mine).count() == 2 and not Allocation.objects.filter(project=theirs).exists()


def test_archived_project_takes_no_money(people):
    project = make_project(year=LAST_YEAR, stage=Stage.ARCHIVED)
    with pytest.raises(ValidationFailed) as exc:
        _allocate(people["clerk"], project, 100)
    assert exc.value.message == str(svc.MSG_ARCHIVED)


# --- payments ------------------------------------------------------------------------------------------------------

def test_payment_never_exceeds_allocations_with_both_figures_in_yuan(people):
    project = make_project(year=LAST_YEAR)
    clerk = people["clerk"]
    d1, d2, d3 = TODAY - D(days=90), TODAY - D(days=60), TODAY - D(days=30)
    _allocate(clerk, project, to_fen("10", "wan"), doc_date=d1)  # 100,000.00 元
    p = _pay(clerk, project, to_fen("60000"), paid_on=d2, voucher="PZ-1")
    assert p.amount == 6_000_000 and p.payee == "县建筑公司"
    with pytest.raises(ValidationFailed) as exc:
        _pay(clerk, project, to_fen("40000.01"), paid_on=d3, voucher="PZ-2")
    assert exc.value.message == str(svc.MSG_PAY_EXCESS % {"source": "中央水库移民扶持基金", "date": d3.isoformat(), "paid": "100,000.01",
                                                         "allocated": "100,000.00"})
    assert "100,000.01元" in exc.value.message and "100,000.00元" in exc.value.message
    assert exc.value.detail["paid"] == "100000.01" and exc.value.detail["allocated"] == "100000.00"
    _pay(clerk, project, to_fen("40000"), paid_on=d3, voucher="PZ-2")  # exactly all of it
    assert Payment.objects.filter(project=project).count() == 2
    assert AuditEvent.objects.filter(action="projects.payment.recorded").count() == 2


def test_payment_counts_only_allocations_dated_up_to_its_day(people):
    project = make_project(year=LAST_YEAR)
    clerk = people["clerk"]
    d = [TODAY - D(days=n) for n in (100, 80, 60, 40)]
    _allocate(clerk, project, 10_000, doc_date=d[1], doc_number="A1")
    with pytest.raises(ValidationFailed) as exc:  # paid before anything was allocated
        _pay(clerk, project, 100, paid_on=d[0])
    assert exc.value.message == str(svc.MSG_PAY_EXCESS % {"source": "中央水库移民扶持基金", "date": d[0].isoformat(), "paid": "1.00",
                                                         "allocated": "0.00"})
    _allocate(clerk, project, 10_000, doc_date=d[3], doc_number="A2")
    _pay(clerk, project, 15_000, paid_on=d[3], voucher="late")  # 150 元 of 200 allocated by then
    # a back-dated payment fits its own day (60 of 100) but pushes the later day over: 210 > 200
    with pytest.raises(ValidationFailed) as exc:
        _pay(clerk, project, 6_000, paid_on=d[2], voucher="back")
    assert exc.value.message == str(svc.MSG_PAY_EXCESS % {"source": "中央水库移民扶持基金", "date": d[3].isoformat(), "paid": "210.00",
                                                         "allocated": "200.00"})
    _pay(clerk, project, 5_000, paid_on=d[2], voucher="back")
    assert sorted(Payment.objects.values_list("amount", flat=True)) == [5_000, 15_000]


def test_payment_rules(people):
    project = make_project(year=LAST_YEAR)
    clerk = people["clerk"]
    with pytest.raises(ValidationFailed) as exc:
        _pay(clerk, project, 100, paid_on=TODAY)
    assert exc.value.message == str(svc.MSG_PAY_NO_ALLOCATION % {"source": "中央水库移民扶持基金"})
    _allocate(clerk, project, 100_000)
    with pytest.raises(ValidationFailed) as exc:
        _pay(clerk, project, 100, paid_on=TODAY, fund_source="provincial")
    assert exc.value.message == str(svc.MSG_PAY_NO_ALLOCATION % {"source": "省级资金"})
    with pytest.raises(ValidationFailed) as exc:
        _pay(clerk, project, 100, paid_on=TODAY + D(days=1))
    assert exc.value.message == str(svc.MSG_PAY_DATE_FUTURE)
    with pytest.raises(ValidationFailed) as exc:
        _pay(clerk, project, 100, paid_on=TODAY, voucher=" ")
    assert exc.value.message == str(svc.MSG_VOUCHER)
    with pytest.raises(ValidationFailed):
        _pay(clerk, project, 0, paid_on=TODAY)
    _pay(clerk, project, 100, paid_on=TODAY, voucher="V1")
    with pytest.raises(Conflict) as exc:
        _pay(clerk, project, 100, paid_on=TODAY, voucher="V1")
    assert exc.value.message == str(svc.MSG_VOUCHER_DUPLICATE % {"voucher": "V1"})
    other = make_project(year=LAST_YEAR)
    make_allocation(other, 1_000, doc_date=TODAY - D(days=5))
    _pay(clerk, other, 100, paid_on=TODAY, voucher="V1")  # vouchers are unique per project
    assert Payment.objects.count() == 2


def test_payment_scope_and_permission(people):
    project = make_project(year=LAST_YEAR)
    make_allocation(project, 100_000, doc_date=TODAY - D(days=5))
    foreign = make_project(year=LAST_YEAR, division_code=OTHER_VILLAGE)
    make_allocation(foreign, 100_000, doc_date=TODAY - D(days=5))
    with pytest.raises(NotFound):
        _pay(people["clerk"], foreign, 100, paid_on=TODAY)
    with pytest.raises(PermissionDenied):
        _pay(people["leader"], project, 100, paid_on=TODAY)
    _pay(people["finance"], project, 100, paid_on=TODAY)
    assert Payment.objects.count() == 1


# --- deletion ------------------------------------------------------------------------------------------------------

def test_allocation_delete_refused_while_payments_need_it(people):
    project = make_project(year=LAST_YEAR)
    clerk = people["clerk"]
    a1 = make_allocation(project, 10_000, doc_date=TODAY - D(days=50))
    a2 = make_allocation(project, 5_000, doc_date=TODAY - D(days=40))
    payment = make_payment(project, 12_000, paid_on=TODAY - D(days=20))
    with pytest.raises(Conflict) as exc:
        svc.allocation_delete(actor=clerk, allocation=a2, reason="文号录错")
    assert exc.value.message == str(svc.MSG_ALLOC_DELETE_EXCESS % {"source": "中央水库移民扶持基金", "date": payment.paid_on.isoformat(),
                                                                  "paid": "120.00", "allocated": "100.00"})
    with pytest.raises(ValidationFailed) as exc:
        svc.allocation_delete(actor=clerk, allocation=a1, reason="  ")
    assert exc.value.message == str(svc.MSG_REASON)
    with pytest.raises(PermissionDenied):
        svc.payment_delete(actor=people["leader"], payment=payment, reason="x")
    svc.payment_delete(actor=clerk, payment=payment, reason="重复录入")
    svc.allocation_delete(actor=clerk, allocation=a2, reason="文号录错")
    assert list(Allocation.objects.values_list("pk", flat=True)) == [a1.pk] and not Payment.objects.exists()
    deleted = AuditEvent.objects.get(action="projects.allocation.deleted")
    assert deleted.before["amount"] == 5_000 and deleted.after == {"reason": "文号录错"} and deleted.object_id == str(a2.pk)
    assert AuditEvent.objects.get(action="projects.payment.deleted").before["voucher"] == payment.voucher


def test_delete_out_of_scope_is_not_found(people):
    foreign = make_project(year=LAST_YEAR, division_code=OTHER_VILLAGE)
    a = make_allocation(foreign, 100)
    with pytest.raises(NotFound):
        svc.allocation_delete(actor=people["clerk"], allocation=a, reason="x")
    assert Allocation.objects.filter(pk=a.pk).exists()

"""Batch reconciliation (对账): entitled = paid + failed + pending to the fen, by township, checked against the bank's
return; the move of a returned batch to reconciled and its refusals."""

from __future__ import annotations

import pytest

from anju.core.exceptions import Conflict, NotFound, PermissionDenied
from anju.core.models import AuditEvent
from anju.registry.models import Enrolment
from anju.subsidies.models import BankReturn, BankReturnRow, Batch, Item
from anju.subsidies.services import reconcile as svc

from .factories import actors, make_batch, make_item, roster


@pytest.fixture
def people(make_user):
    return actors(make_user)


def enrolment(name: str) -> Enrolment:
    return Enrolment.objects.select_related("person", "household").get(person__name=name)


@pytest.fixture
def returned(tree, people):
    """A returned 2025 batch: 张 (township 1) paid ×2 and failed, 李 (township 2) paid and re-issued, 王 held, 赵 cancelled."""
    places = roster()
    batch = make_batch(year=2025, state=Batch.State.RETURNED)
    items = {
        "张一": make_item(batch, enrolment("张一"), state=Item.State.PAID, bank_ref="B001"),
        "张二": make_item(batch, enrolment("张二"), state=Item.State.PAID, bank_ref="B002"),
        "张三": make_item(batch, enrolment("张三"), state=Item.State.FAILED, failure_reason="账户已销户"),
        "李一": make_item(batch, enrolment("李一"), month_from=7, state=Item.State.PAID),  # half a year: 30000
        "李二": make_item(batch, enrolment("李二"), state=Item.State.REISSUED),
        "王一": make_item(batch, enrolment("王一"), state=Item.State.HELD, exception=Item.Hold.NO_ACCOUNT),
        "赵一": make_item(batch, enrolment("赵一"), state=Item.State.CANCELLED),
    }
    return {"batch": batch, "items": items, **places}


def bank_return(batch: Batch, rows: list[tuple[Item, bool]]) -> BankReturn:
    ret = BankReturn.objects.create(batch=batch, file_name="return.xlsx", state=BankReturn.State.APPLIED)
    BankReturnRow.objects.bulk_create([
        BankReturnRow(bank_return=ret, row=i, name=item.name, account_masked=item.bank_account_masked, amount=item.amount, success=ok,
                      item=item, applied=True) for i, (item, ok) in enumerate(rows, start=2)])
    return ret


def test_figures_tie_by_state_and_township(returned):
    rec = svc.batch_reconciliation(returned["batch"])
    t = rec.totals
    assert (t.entitled, t.paid, t.failed, t.pending) == (60000 * 5 + 30000, 150000, 120000, 60000)
    assert (t.entitled_n, t.paid_n, t.failed_n, t.pending_n) == (6, 3, 2, 1)
    assert t.ties and rec.ties and [c.code for c in rec.checks] == ["parts", "bank_paid", "bank_failed"] and rec.bank_rows == 0
    # no return file yet: every outcome was settled by hand (or moved to a supplementary batch)
    assert rec.bank == {"paid_rows": 0, "paid_manual": 150000, "failed_rows": 0, "failed_other": 120000}
    assert [t.code for t in rec.townships] == sorted([returned["v1"][:9] + "000", returned["v2"][:9] + "000"])
    areas = {t.code: t for t in rec.townships}
    first, second = areas[returned["v1"][:9] + "000"], areas[returned["v2"][:9] + "000"]
    assert (first.figures.entitled, first.figures.paid, first.figures.failed, first.figures.pending) == (240000, 120000, 60000, 60000)
    assert (second.figures.entitled, second.figures.paid, second.figures.failed) == (90000, 30000, 60000)
    assert first.name and first.figures.ties and second.figures.ties
    part = svc.batch_reconciliation(returned["batch"], part=returned["v2"][:9])
    assert part.totals.entitled == 90000 and len(part.townships) == 1


def test_bank_return_confirms_paid_and_failed(returned):
    items = returned["items"]
    bank_return(returned["batch"], [(items["张一"], True), (items["张二"], True), (items["李一"], True), (items["张三"], False),
                                    (items["李二"], False)])
    rec = svc.batch_reconciliation(returned["batch"])
    assert rec.bank_rows == 5 and rec.ties
    assert {c.code: (c.expected, c.actual) for c in rec.checks} == {"parts": (330000, 330000), "bank_paid": (150000, 150000),
                                                                      "bank_failed": (120000, 120000)}


def test_an_outcome_settled_by_hand_still_ties(returned):
    items = returned["items"]
    # 张二 was confirmed paid by the bank's letter (no row); 李二 failed in the file
    bank_return(returned["batch"], [(items["张一"], True), (items["李一"], True), (items["张三"], False), (items["李二"], False)])
    rec = svc.batch_reconciliation(returned["batch"])
    assert rec.ties and rec.bank == {"paid_rows": 90000, "paid_manual": 60000, "failed_rows": 120000, "failed_other": 0}


def test_the_bank_paying_what_the_ledger_says_failed_does_not_tie(returned, people):
    items = returned["items"]
    # the return says 张三 was paid, but the ledger has the item failed
    bank_return(returned["batch"], [(items["张一"], True), (items["张二"], True), (items["李一"], True), (items["张三"], True),
                                    (items["李二"], False)])
    rec = svc.batch_reconciliation(returned["batch"])
    assert not rec.ties and [c.code for c in rec.failed_checks] == ["bank_paid"]
    assert (rec.failed_checks[0].expected, rec.failed_checks[0].actual) == (150000, 210000)
    with pytest.raises(Conflict) as exc:
        svc.batch_reconcile(actor=people["clerk"], batch=returned["batch"])
    assert exc.value.code == "not_tied"
    assert exc.value.message == str(svc.MSG_NOT_TIED % {"checks": svc.CHECK_LABELS["bank_paid"]})
    assert Batch.objects.get(pk=returned["batch"].pk).state == Batch.State.RETURNED


def test_a_payment_confirmed_twice_does_not_tie(returned):
    items = returned["items"]
    bank_return(returned["batch"], [(items["张一"], True), (items["张二"], True), (items["李一"], True)])
    bank_return(returned["batch"], [(items["张一"], True)])  # a second file applied the same payment again
    rec = svc.batch_reconciliation(returned["batch"])
    assert [(c.code, c.expected, c.actual) for c in rec.failed_checks] == [("bank_paid", 150000, 210000)]


def test_an_item_in_an_unknown_state_breaks_the_tie(returned):
    Item.objects.filter(pk=returned["items"]["张一"].pk).update(state="lost")
    rec = svc.batch_reconciliation(returned["batch"])
    assert not rec.totals.ties and rec.totals.difference == 60000 and not rec.ties


def test_reconcile_moves_the_batch_and_is_audited(returned, people):
    batch = svc.batch_reconcile(actor=people["clerk"], batch=returned["batch"])
    assert batch.state == Batch.State.RECONCILED and batch.reconciled_by == people["clerk"] and batch.reconciled_at
    event = AuditEvent.objects.get(action="subsidies.batch.reconciled")
    assert event.object_id == str(batch.pk) and event.division_code == batch.division_code
    assert event.after["entitled"] == 330000 and event.after["paid"] == 150000 and event.before == {"state": "returned"}
    with pytest.raises(Conflict) as exc:
        svc.batch_reconcile(actor=people["clerk"], batch=batch)
    assert exc.value.message == str(svc.MSG_RECONCILE_STATE)


def test_refused_while_items_wait_for_the_bank(returned, people):
    Item.objects.filter(pk=returned["items"]["张二"].pk).update(state=Item.State.PENDING)
    with pytest.raises(Conflict) as exc:
        svc.batch_reconcile(actor=people["clerk"], batch=returned["batch"])
    assert exc.value.code == "items_pending" and exc.value.message == str(svc.MSG_PENDING % {"n": 1})
    assert not AuditEvent.objects.filter(action="subsidies.batch.reconciled").exists()


def test_refused_before_the_return(tree, people):
    roster()
    batch = make_batch(year=2025, state=Batch.State.EXPORTED)
    with pytest.raises(Conflict):
        svc.batch_reconcile(actor=people["clerk"], batch=batch)


def test_permission_and_scope(returned, people, make_user):
    with pytest.raises(PermissionDenied):
        svc.batch_reconcile(actor=people["reviewer"], batch=returned["batch"])
    with pytest.raises(NotFound):
        svc.batch_reconcile(actor=make_user("county_clerk", "429922"), batch=returned["batch"])
    assert svc.batch_reconcile(actor=people["city_clerk"], batch=returned["batch"]).state == Batch.State.RECONCILED

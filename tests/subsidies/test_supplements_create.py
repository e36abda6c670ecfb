"""Supplementary batches (补发) and manual resolution: re-issue once to the current account, the claim guard, audit."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction

from anju.core.crypto import blind_index, encrypt
from anju.core.exceptions import Conflict, NotFound, PermissionDenied, ValidationFailed
from anju.core.masking import mask_bank_account
from anju.core.models import AuditEvent
from anju.registry.models import Enrolment
from anju.subsidies.models import Batch, Item
from anju.subsidies.services import supplements as svc

from .bankfiles_data import account, exported, world
from .factories import card, make_batch, make_item


@pytest.fixture
def data(tree, make_user, tmp_path):
    people, batch, items = world(make_user)
    return people, exported(people, batch, tmp_path), items


def fresh(item: Item) -> Item:
    return Item.objects.get(pk=item.pk)


def new_account(enrolment_id: int) -> str:
    number = card()
    Enrolment.objects.filter(pk=enrolment_id).update(bank_name="中国农业银行", bank_account_enc=encrypt(number),
                                                     bank_account_hash=blind_index(number, kind="bank"),
                                                     bank_account_masked=mask_bank_account(number))
    return number


# --- manual resolution ---------------------------------------------------------------------------------------------

def test_resolve_paid_and_failed(data):
    people, batch, items = data
    item = svc.item_resolve(actor=people["clerk"], item=items["张一"], outcome="paid", bank_ref="PHONE-1", paid_on=dt.date(2026, 3, 2))
    assert (item.state, item.bank_ref, item.paid_on) == (Item.State.PAID, "PHONE-1", dt.date(2026, 3, 2))
    batch.refresh_from_db()
    assert batch.state == Batch.State.RETURNED and batch.totals["by_state"]["paid"] == [1, 60000]
    item = svc.item_resolve(actor=people["city_clerk"], item=items["张二"], outcome="failed", reason="  银行来函：账户冻结 ")
    assert (item.state, item.failure_reason, item.paid_on) == (Item.State.FAILED, "银行来函：账户冻结", None)
    events = AuditEvent.objects.filter(action="subsidies.item.resolved").order_by("id")
    assert [e.after["state"] for e in events] == ["paid", "failed"] and events[0].before["state"] == "pending"
    assert events[1].object_id == str(items["张二"].pk) and events[1].actor == people["city_clerk"]
    # paid without a date is paid today
    assert svc.item_resolve(actor=people["clerk"], item=items["张三"], outcome="paid").paid_on == dt.date.today()


def test_resolve_refuses(data, make_user):
    people, batch, items = data
    with pytest.raises(ValidationFailed) as exc:
        svc.item_resolve(actor=people["clerk"], item=items["张一"], outcome="failed", reason=" ")
    assert (exc.value.message, exc.value.detail) == (str(svc.MSG_REASON), {"field": "reason"})
    with pytest.raises(ValidationFailed) as exc:
        svc.item_resolve(actor=people["clerk"], item=items["张一"], outcome="held")
    assert exc.value.message == str(svc.MSG_OUTCOME)
    with pytest.raises(ValidationFailed) as exc:
        svc.item_resolve(actor=people["clerk"], item=items["张一"], outcome="paid", paid_on=dt.date.today() + dt.timedelta(days=1))
    assert exc.value.message == str(svc.MSG_PAID_ON_FUTURE)
    with pytest.raises(PermissionDenied):
        svc.item_resolve(actor=people["reviewer"], item=items["张一"], outcome="paid")
    with pytest.raises(NotFound):
        svc.item_resolve(actor=make_user("county_clerk", "429922", username="other_clerk"), item=items["张一"], outcome="paid")
    svc.item_resolve(actor=people["clerk"], item=items["张一"], outcome="paid")
    with pytest.raises(Conflict) as exc:
        svc.item_resolve(actor=people["clerk"], item=items["张一"], outcome="failed", reason="x")
    assert exc.value.message == str(svc.MSG_RESOLVE_ITEM % {"state": "已发放"})
    Batch.objects.filter(pk=batch.pk).update(state=Batch.State.RECONCILED)
    with pytest.raises(Conflict) as exc:
        svc.item_resolve(actor=people["clerk"], item=fresh(items["张二"]), outcome="paid")
    assert exc.value.message == str(svc.MSG_RESOLVE_STATE % {"state": "已对账"})


def test_resolve_needs_an_exported_batch(tree, make_user):
    people, batch, items = world(make_user)  # approved, not exported
    with pytest.raises(Conflict):
        svc.item_resolve(actor=people["clerk"], item=items["张一"], outcome="paid")


# --- supplementary batches ---------------------------------------------------------------------------------------

def returned_with_failures(people, items) -> None:
    svc.item_resolve(actor=people["clerk"], item=items["张一"], outcome="paid")
    svc.item_resolve(actor=people["clerk"], item=items["张二"], outcome="failed", reason="账户已销户")
    svc.item_resolve(actor=people["clerk"], item=items["李一"], outcome="failed", reason="户名不符")


def test_supplement_reissues_failed_items_to_the_current_account_once(data):
    people, batch, items = data
    Item.objects.filter(pk=items["王一"].pk).update(state=Item.State.HELD, exception=Item.Hold.NO_ACCOUNT)
    returned_with_failures(people, items)
    corrected = new_account(items["张二"].enrolment_id)  # approved correction of 张二's card; 李一's stays as it was
    child = svc.batch_supplement_create(actor=people["clerk"], batch=Batch.objects.get(pk=batch.pk), note="补发销户人员")
    assert (child.kind, child.parent, child.state, child.number, child.year, child.quarter, child.division_code) == (
        Batch.Kind.SUPPLEMENTARY, batch, Batch.State.DRAFT, f"{batch.number}-B1", batch.year, batch.quarter, batch.division_code)
    assert (child.created_by, child.note, child.fund_source) == (people["clerk"], "补发销户人员", batch.fund_source)
    new = {i.name: i for i in Item.objects.filter(batch=child)}
    assert set(new) == {"张二", "李一"}  # held 王一 stays: not asked for
    zhang2 = new["张二"]
    assert (zhang2.state, zhang2.reissue_of_id, zhang2.amount, zhang2.month_from, zhang2.month_to) == (
        Item.State.PENDING, items["张二"].pk, 60000, 1, 12)
    assert account(zhang2) == corrected and zhang2.bank_name == "中国农业银行"
    assert account(new["李一"]) == account(items["李一"])
    assert fresh(items["张二"]).state == Item.State.REISSUED and fresh(items["李一"]).state == Item.State.REISSUED
    assert fresh(items["王一"]).state == Item.State.HELD
    assert child.totals["supplement"] == {"failed": 2, "held": 0, "items": 2, "amount": 120000, "account_changed": 1, "account_unchanged": 1,
                                          "held_again": 0}
    assert child.totals["by_state"]["pending"] == [2, 120000]
    parent = Batch.objects.get(pk=batch.pk)
    assert parent.totals["by_state"]["reissued"] == [2, 120000] and parent.totals["by_state"]["failed"] == [0, 0]
    event = AuditEvent.objects.get(action="subsidies.batch.supplement_created")
    assert (event.object_id, event.after["parent"], event.after["items"]) == (str(child.pk), batch.pk, 2)
    # a second supplement finds nothing to re-issue
    with pytest.raises(Conflict) as exc:
        svc.batch_supplement_create(actor=people["clerk"], batch=parent)
    assert exc.value.code == "supplement_empty" and exc.value.message == str(svc.MSG_NOTHING % {"held": ""})


def test_held_items_on_request_with_holds_checked_again(data):
    people, batch, items = data
    Item.objects.filter(pk=items["王一"].pk).update(state=Item.State.HELD, exception=Item.Hold.NO_ACCOUNT)
    Item.objects.filter(pk=items["李二"].pk).update(state=Item.State.HELD, exception=Item.Hold.SUSPENDED)
    Enrolment.objects.filter(pk=items["李二"].enrolment_id).update(status="suspended")
    Enrolment.objects.filter(pk=items["王一"].enrolment_id).update(bank_account_enc="", bank_account_hash="", bank_account_masked="")
    svc.item_resolve(actor=people["clerk"], item=items["张三"], outcome="failed", reason="x")
    child = svc.batch_supplement_create(actor=people["clerk"], batch=Batch.objects.get(pk=batch.pk), include_held=True)
    new = {i.name: i for i in Item.objects.filter(batch=child)}
    assert (new["张三"].state, new["王一"].state, new["王一"].exception, new["李二"].state, new["李二"].exception) == (
        Item.State.PENDING, Item.State.HELD, Item.Hold.NO_ACCOUNT, Item.State.HELD, Item.Hold.SUSPENDED)
    assert child.totals["supplement"]["held"] == 2 and child.totals["supplement"]["held_again"] == 2
    # the held re-issues can be re-issued again from the supplement, once fixed
    Batch.objects.filter(pk=child.pk).update(state=Batch.State.EXPORTED)  # reviewed, approved and exported meanwhile
    second = svc.batch_supplement_create(actor=people["clerk"], batch=Batch.objects.get(pk=child.pk), include_held=True)
    assert second.number == f"{child.number}-B1" and Item.objects.filter(batch=second).count() == 2
    assert Item.objects.get(batch=second, name="王一").reissue_of_id == new["王一"].pk


def test_the_guard_refuses_a_reissue_of_months_paid_elsewhere(data):
    people, batch, items = data
    svc.item_resolve(actor=people["clerk"], item=items["张二"], outcome="failed", reason="x")
    other = make_batch(state=Batch.State.APPROVED, kind=Batch.Kind.SUPPLEMENTARY, parent=batch)
    make_item(other, Enrolment.objects.get(pk=items["张二"].enrolment_id), month_from=6, month_to=6)  # the months claimed meanwhile
    with pytest.raises(Conflict) as exc:
        svc.batch_supplement_create(actor=people["clerk"], batch=Batch.objects.get(pk=batch.pk))
    assert exc.value.code == "supplement_conflict"
    assert fresh(items["张二"]).state == Item.State.FAILED  # rolled back
    assert not Batch.objects.filter(number=f"{batch.number}-B1").exists()


def test_the_guard_would_refuse_a_live_duplicate_without_the_order(data):
    """Inserting the re-issue while the held original is still live is exactly what the triggers refuse."""
    people, batch, items = data
    original = fresh(items["王一"])
    Item.objects.filter(pk=original.pk).update(state=Item.State.HELD)
    child = make_batch(kind=Batch.Kind.SUPPLEMENTARY, parent=batch)
    with pytest.raises(Exception, match="already claimed"), transaction.atomic():
        make_item(child, Enrolment.objects.get(pk=original.enrolment_id))


def test_supplement_refuses(data, make_user, tree):
    people, batch, items = data
    with pytest.raises(Conflict) as exc:
        svc.batch_supplement_create(actor=people["clerk"], batch=batch)
    assert exc.value.code == "supplement_empty"
    with pytest.raises(PermissionDenied):
        svc.batch_supplement_create(actor=people["reviewer"], batch=batch)
    with pytest.raises(NotFound):
        svc.batch_supplement_create(actor=make_user("county_clerk", "429922", username="other_clerk"), batch=batch)
    Batch.objects.filter(pk=batch.pk).update(state=Batch.State.APPROVED)
    with pytest.raises(Conflict) as exc:
        svc.batch_supplement_create(actor=people["clerk"], batch=Batch.objects.get(pk=batch.pk))
    assert exc.value.message == str(svc.MSG_SUPPLEMENT_STATE % {"state": "已审批"})


def test_preview_counts(data):
    people, batch, items = data
    Item.objects.filter(pk=items["王一"].pk).update(state=Item.State.HELD)
    svc.item_resolve(actor=people["clerk"], item=items["张二"], outcome="failed", reason="x")
    assert svc.supplement_preview(batch) == {"failed": 1, "failed_amount": 60000, "held": 1, "held_amount": 60000}

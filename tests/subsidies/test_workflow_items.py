"""Items of a draft batch: holding by hand, releasing once the cause is gone (the account re-read and re-checked), and
re-reading the accounts of every item held for an account reason."""

from __future__ import annotations

import pytest

from anju.core.crypto import blind_index, encrypt
from anju.core.exceptions import Conflict, NotFound, PermissionDenied, ValidationFailed
from anju.core.masking import mask_bank_account
from anju.core.models import AuditEvent
from anju.registry.models import Enrolment
from anju.subsidies.banks import MSG_NO_ACCOUNT
from anju.subsidies.models import Batch, Item
from anju.subsidies.selectors import batch_exceptions
from anju.subsidies.services import workflow as wf
from anju.subsidies.services.batches import batch_create

from .factories import COUNTY, actors, card, locked, paying_household, roster

SHARED = card()  # a valid card two households give


@pytest.fixture
def people(make_user):
    return {**actors(make_user), "other_clerk": make_user("county_clerk", "429922", username="b_other_clerk")}


@pytest.fixture
def draft(tree, people):
    roster()
    paying_household("S005", ["孙一"], accounts=[""])
    paying_household("S006", ["周一"], accounts=["123456"])
    paying_household("S007", ["吴一"], accounts=[SHARED])
    paying_household("S008", ["郑一"], accounts=[SHARED])
    locked(people, 2025)
    return batch_create(actor=people["clerk"], county_code=COUNTY, year=2026)


def item(name: str) -> Item:
    return Item.objects.get(name=name)


def set_account(name: str, account: str, bank: str = "中国农业银行") -> None:
    Enrolment.objects.filter(person__name=name).update(bank_name=bank, bank_account_enc=encrypt(account),
                                                       bank_account_hash=blind_index(account, kind="bank"),
                                                       bank_account_masked=mask_bank_account(account))


def held(batch: Batch) -> int:
    return Batch.objects.get(pk=batch.pk).totals["held"]


def test_batch_holds_what_cannot_be_paid(draft, people):
    holds = {i.name: i.exception for i in batch_exceptions(actor=people["clerk"], batch=draft)}
    assert holds == {"孙一": "no_account", "周一": "bank_invalid", "吴一": "shared_account", "郑一": "shared_account"}
    assert held(draft) == 4


def test_release_needs_the_cause_resolved(draft, people):
    with pytest.raises(Conflict) as exc:
        wf.item_release(actor=people["clerk"], item=item("孙一"))
    assert exc.value.message == str(wf.MSG_HOLD_UNRESOLVED % {"reason": MSG_NO_ACCOUNT}) and exc.value.code == "hold_unresolved"
    set_account("孙一", "12345678")  # an account now, but not one 农行 issues
    with pytest.raises(Conflict) as exc:
        wf.item_release(actor=people["clerk"], item=item("孙一"))
    assert exc.value.detail == {"cause": "bank_invalid"} and "16、17、18、19" in exc.value.message
    assert item("孙一").bank_account_enc == ""  # a refused release changes nothing
    new = card()
    set_account("孙一", new)
    it = wf.item_release(actor=people["clerk"], item=item("孙一"))
    assert (it.state, it.exception, it.exception_note) == ("pending", "", "")
    assert item("孙一").bank_account_masked == mask_bank_account(new) and item("孙一").bank_account_hash == blind_index(new, kind="bank")
    assert held(draft) == 3
    event = AuditEvent.objects.get(action="subsidies.item.released")
    assert (event.object_type, event.object_id, event.before["cause"], event.after["state"]) == ("item", str(it.pk), "no_account", "pending")
    with pytest.raises(Conflict) as exc:  # released already
        wf.item_release(actor=people["clerk"], item=item("孙一"))
    assert exc.value.message == str(wf.MSG_RELEASE_STATE)


def test_shared_account_released_when_no_longer_shared(draft, people):
    with pytest.raises(Conflict) as exc:
        wf.item_release(actor=people["clerk"], item=item("吴一"))
    assert exc.value.message == str(wf.MSG_HOLD_UNRESOLVED % {"reason": wf.MSG_SHARED})
    set_account("郑一", card())
    assert wf.item_release(actor=people["clerk"], item=item("吴一")).state == "pending"


def test_refresh_accounts_releases_those_now_fine(draft, people):
    wf.item_hold(actor=people["clerk"], item=item("张一"), reason="户主反映银行卡已冻结")
    set_account("周一", card())
    set_account("郑一", card())
    result = wf.batch_refresh_accounts(actor=people["clerk"], batch=draft)
    assert result == {"checked": 4, "released": 3, "held": 1}
    assert {i.name: i.exception for i in Item.objects.filter(batch=draft, state="held")} == {"孙一": "no_account", "张一": "suspended"}
    assert held(draft) == 2
    event = AuditEvent.objects.get(action="subsidies.batch.accounts_refreshed")
    assert event.after == {"number": draft.number, "checked": 4, "released": 3, "held": 1, "held_total": 2}


def test_manual_hold_and_release(draft, people):
    zhang = item("张一")
    it = wf.item_hold(actor=people["clerk"], item=zhang, reason="待核实", cause=Item.Hold.DUPLICATE)
    assert (it.state, it.exception, it.exception_note) == ("held", "duplicate", "待核实")
    assert held(draft) == 5
    event = AuditEvent.objects.get(action="subsidies.item.held")
    assert event.after["cause"] == "duplicate" and event.after["reason"] == "待核实" and event.division_code == zhang.division_code
    with pytest.raises(Conflict) as exc:
        wf.item_hold(actor=people["clerk"], item=zhang, reason="再次")
    assert exc.value.message == str(wf.MSG_HOLD_STATE)
    assert wf.item_release(actor=people["clerk"], item=zhang).state == "pending"
    assert held(draft) == 4


def test_hold_refusals(draft, people):
    zhang = item("张一")
    with pytest.raises(ValidationFailed) as exc:
        wf.item_hold(actor=people["clerk"], item=zhang, reason=" ")
    assert exc.value.message == str(wf.MSG_HOLD_REASON_REQUIRED)
    with pytest.raises(ValidationFailed) as exc:
        wf.item_hold(actor=people["clerk"], item=zhang, reason="x", cause=Item.Hold.NO_ACCOUNT)
    assert exc.value.message == str(wf.MSG_HOLD_CAUSE)
    for who in ("township", "reviewer", "city"):
        with pytest.raises(PermissionDenied):
            wf.item_hold(actor=people[who], item=zhang, reason="x")
    with pytest.raises(NotFound):  # another county's clerk
        wf.item_hold(actor=people["other_clerk"], item=zhang, reason="x")
    wf.batch_review(actor=people["reviewer"], batch=draft)
    with pytest.raises(Conflict) as exc:
        wf.item_hold(actor=people["clerk"], item=zhang, reason="x")
    assert exc.value.message == str(wf.MSG_DRAFT_ONLY)
    with pytest.raises(Conflict):
        wf.item_release(actor=people["clerk"], item=item("孙一"))
    with pytest.raises(Conflict):
        wf.batch_refresh_accounts(actor=people["clerk"], batch=draft)
    assert item("张一").state == "pending"


def test_release_refused_while_the_person_is_suspended(draft, people):
    wf.item_hold(actor=people["clerk"], item=item("张二"), reason="外出务工失联")
    Enrolment.objects.filter(person__name="张二").update(status="suspended")
    with pytest.raises(Conflict) as exc:
        wf.item_release(actor=people["clerk"], item=item("张二"))
    assert exc.value.detail == {"cause": "suspended"} and "暂停" in exc.value.message
    Enrolment.objects.filter(person__name="张二").update(status="active")
    assert wf.item_release(actor=people["clerk"], item=item("张二")).state == "pending"

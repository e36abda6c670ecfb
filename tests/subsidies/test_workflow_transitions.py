"""Batch workflow: review, approval by a third person, send-back, deletion of drafts; refusals by state, person, role and scope."""

from __future__ import annotations

import pytest

from anju.core.exceptions import Conflict, NotFound, PermissionDenied, ValidationFailed
from anju.core.models import AuditEvent
from anju.subsidies.models import Batch, Item
from anju.subsidies.selectors import batch_actions, batch_timeline
from anju.subsidies.services import workflow as wf
from anju.subsidies.services.batches import batch_create

from .factories import COUNTY, actors, locked, make_batch, roster


@pytest.fixture
def people(make_user):
    return {**actors(make_user), "approver": make_user("county_reviewer", COUNTY, username="b_approver")}


@pytest.fixture
def draft(tree, people):
    roster()
    locked(people, 2025)
    return batch_create(actor=people["clerk"], county_code=COUNTY, year=2026)


def events(batch) -> list[str]:
    return list(AuditEvent.objects.filter(object_type="batch", object_id=str(batch.pk)).order_by("id").values_list("action", flat=True))


def test_review_then_approve_by_another_reviewer(draft, people):
    b = wf.batch_review(actor=people["reviewer"], batch=draft)
    assert (b.state, b.reviewed_by, b.approved_by) == (Batch.State.REVIEWED, people["reviewer"], None) and b.reviewed_at
    b = wf.batch_approve(actor=people["approver"], batch=b)
    assert (b.state, b.approved_by) == (Batch.State.APPROVED, people["approver"]) and b.approved_at
    assert events(b) == ["subsidies.batch.created", "subsidies.batch.reviewed", "subsidies.batch.approved"]
    reviewed = AuditEvent.objects.get(action="subsidies.batch.reviewed")
    assert reviewed.after["persons"] == 6 and reviewed.after["amount"] == 300000 and reviewed.division_code == draft.division_code
    timeline = batch_timeline(actor=people["clerk"], batch=b)
    assert [(e["label"], e["by"]) for e in timeline] == [("生成批次", "v_clerk"), ("审核", "v_reviewer"), ("审批", "b_approver")]


def test_wrong_state_is_a_conflict(draft, people):
    with pytest.raises(Conflict) as exc:
        wf.batch_approve(actor=people["approver"], batch=draft)
    assert (exc.value.message, exc.value.code) == (str(wf.MSG_APPROVE_STATE), "batch_state")
    with pytest.raises(Conflict) as exc:
        wf.batch_send_back(actor=people["reviewer"], batch=draft, reason="x")
    assert exc.value.message == str(wf.MSG_SEND_BACK_STATE)
    wf.batch_review(actor=people["reviewer"], batch=draft)
    with pytest.raises(Conflict) as exc:
        wf.batch_review(actor=people["approver"], batch=draft)
    assert exc.value.message == str(wf.MSG_REVIEW_STATE)
    with pytest.raises(Conflict) as exc:
        wf.batch_delete(actor=people["clerk"], batch=draft)
    assert exc.value.message == str(wf.MSG_DELETE_STATE)
    for quarter, state in enumerate((Batch.State.EXPORTED, Batch.State.RETURNED, Batch.State.RECONCILED), start=1):
        later = make_batch(year=2020, quarter=quarter, state=state)
        for call in (lambda b: wf.batch_review(actor=people["reviewer"], batch=b), lambda b: wf.batch_approve(actor=people["approver"], batch=b),
                     lambda b: wf.batch_send_back(actor=people["reviewer"], batch=b, reason="x"),
                     lambda b: wf.batch_delete(actor=people["clerk"], batch=b)):
            with pytest.raises(Conflict):
                call(later)
        assert Batch.objects.get(pk=later.pk).state == state


def test_four_eyes(tree, people):
    own = make_batch(created_by=people["reviewer"])
    with pytest.raises(PermissionDenied) as exc:
        wf.batch_review(actor=people["reviewer"], batch=own)
    assert (exc.value.message, exc.value.code) == (str(wf.MSG_REVIEWER_IS_CREATOR), "batch_four_eyes")
    assert Batch.objects.get(pk=own.pk).state == Batch.State.DRAFT
    b = make_batch(year=2025, created_by=people["clerk"])
    wf.batch_review(actor=people["reviewer"], batch=b)
    with pytest.raises(PermissionDenied) as exc:
        wf.batch_approve(actor=people["reviewer"], batch=b)
    assert exc.value.message == str(wf.MSG_APPROVER_IS_REVIEWER)
    created = make_batch(year=2024, state=Batch.State.REVIEWED, created_by=people["approver"], reviewed_by=people["reviewer"])
    with pytest.raises(PermissionDenied) as exc:
        wf.batch_approve(actor=people["approver"], batch=created)
    assert exc.value.message == str(wf.MSG_APPROVER_IS_CREATOR)
    assert Batch.objects.get(pk=created.pk).state == Batch.State.REVIEWED
    b = Batch.objects.get(pk=b.pk)
    assert batch_actions(people["reviewer"], b) == {"review": False, "approve": False, "send_back": True, "delete": False, "hold": False,
                                                    "refresh_accounts": False}
    assert batch_actions(people["approver"], b)["approve"] is True


def test_roles_and_scopes(draft, people):
    for who in ("township", "clerk", "city", "city_clerk"):  # no SUBSIDY_REVIEW
        with pytest.raises(PermissionDenied):
            wf.batch_review(actor=people[who], batch=draft)
    with pytest.raises(NotFound):  # another county's reviewer: as if it did not exist
        wf.batch_review(actor=people["other_reviewer"], batch=draft)
    for who in ("township", "reviewer"):  # no SUBSIDY_RUN
        with pytest.raises(PermissionDenied):
            wf.batch_delete(actor=people[who], batch=draft)
    wf.batch_review(actor=people["reviewer"], batch=draft)
    with pytest.raises(NotFound):
        wf.batch_approve(actor=people["other_reviewer"], batch=draft)
    with pytest.raises(NotFound):
        wf.batch_send_back(actor=people["other_reviewer"], batch=draft, reason="x")
    with pytest.raises(PermissionDenied):
        wf.batch_send_back(actor=people["township"], batch=draft, reason="x")
    assert Batch.objects.get(pk=draft.pk).state == Batch.State.REVIEWED


def test_send_back_needs_a_reason_and_clears_sign_offs(draft, people):
    wf.batch_review(actor=people["reviewer"], batch=draft)
    with pytest.raises(ValidationFailed) as exc:
        wf.batch_send_back(actor=people["approver"], batch=draft, reason="   ")
    assert (exc.value.message, exc.value.detail) == (str(wf.MSG_REASON_REQUIRED), {"field": "reason"})
    wf.batch_approve(actor=people["approver"], batch=draft)
    b = wf.batch_send_back(actor=people["approver"], batch=draft, reason="张三的月数有误")
    assert (b.state, b.reviewed_by, b.reviewed_at, b.approved_by, b.approved_at) == (Batch.State.DRAFT, None, None, None, None)
    assert b.totals["sent_back"]["reason"] == "张三的月数有误" and b.totals["sent_back"]["from"] == "approved"
    assert b.totals["persons"] == 6  # the figures survive
    event = AuditEvent.objects.get(action="subsidies.batch.sent_back")
    assert event.before == {"state": "approved", "reviewed_by": people["reviewer"].pk, "approved_by": people["approver"].pk}
    assert event.after["reason"] == "张三的月数有误" and event.after["state"] == "draft"
    # once a draft again, the same reviewer may review it afresh
    assert wf.batch_review(actor=people["reviewer"], batch=b).state == Batch.State.REVIEWED
    assert [e["label"] for e in batch_timeline(actor=people["reviewer"], batch=b)][-2:] == ["退回", "审核"]


def test_delete_draft_removes_its_items(draft, people):
    assert Item.objects.filter(batch=draft).count() == 6
    wf.batch_delete(actor=people["clerk"], batch=draft)
    assert not Batch.objects.filter(pk=draft.pk).exists() and not Item.objects.exists()
    event = AuditEvent.objects.get(action="subsidies.batch.deleted")
    assert event.before["number"] == draft.number and event.before["persons"] == 6 and event.after == {"items": 6}
    # the months are free again: the period can be created anew
    again = batch_create(actor=people["clerk"], county_code=COUNTY, year=2026)
    assert again.totals["persons"] == 6

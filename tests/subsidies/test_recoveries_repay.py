"""Repayments on a recovery (partial, settled), write-offs (核销) by the reviewer, and their refusals; all audited."""

from __future__ import annotations

import datetime as dt

import pytest

from anju.core.exceptions import Conflict, NotFound, PermissionDenied, ValidationFailed
from anju.core.models import AuditEvent
from anju.registry.models import Enrolment
from anju.registry.services.records import person_remove
from anju.subsidies.models import Item, Recovery, Repayment
from anju.subsidies.services import recoveries as svc

from .factories import actors, make_batch, make_item, roster

TODAY = dt.date.today()


@pytest.fixture
def people(make_user):
    return actors(make_user)


@pytest.fixture
def recovery(tree, people) -> Recovery:
    """张一 died; the removal (effective 2025-07-01) came after the 2025 payment: 300 yuan to recover."""
    roster()
    zhang = Enrolment.objects.get(person__name="张一")
    make_item(make_batch(year=2025, state="reconciled"), zhang, state=Item.State.PAID)
    person_remove(actor=people["clerk"], enrolment=zhang, cause="death", effective_on=dt.date(2025, 7, 1))
    svc.recoveries_detect()
    return Recovery.objects.get()


def test_partial_then_settled(recovery, people):
    first = svc.repayment_record(actor=people["clerk"], recovery=recovery, amount=10000, paid_on=TODAY, method="refund", receipt="R-1",
                                 note="家属退回")
    recovery.refresh_from_db()
    assert (recovery.state, recovery.recovered) == (Recovery.State.PARTIAL, 10000)
    assert (first.amount, first.receipt, first.recorded_by, first.method) == (10000, "R-1", people["clerk"], "refund")
    svc.repayment_record(actor=people["city_clerk"], recovery=recovery, amount=20000, paid_on=TODAY, method="offset")
    recovery.refresh_from_db()
    assert (recovery.state, recovery.recovered) == (Recovery.State.SETTLED, 30000)
    events = list(AuditEvent.objects.filter(action="subsidies.recovery.repaid").order_by("id"))
    assert [e.after["state"] for e in events] == ["partial", "settled"]
    assert events[0].before == {"state": "open", "recovered": 0} and events[0].after["receipt"] == "R-1"
    with pytest.raises(Conflict) as exc:
        svc.repayment_record(actor=people["clerk"], recovery=recovery, amount=1, paid_on=TODAY)
    assert exc.value.message == str(svc.MSG_REPAY_STATE)


def test_repayment_refusals(recovery, people, make_user):
    with pytest.raises(ValidationFailed) as exc:
        svc.repayment_record(actor=people["clerk"], recovery=recovery, amount=30001, paid_on=TODAY)
    assert exc.value.code == "amount_exceeds" and exc.value.message == str(svc.MSG_AMOUNT_OVER % {"amount": "300.01", "outstanding": "300.00"})
    for bad in (0, -5, "100"):
        with pytest.raises(ValidationFailed) as exc:
            svc.repayment_record(actor=people["clerk"], recovery=recovery, amount=bad, paid_on=TODAY)
        assert exc.value.message == str(svc.MSG_AMOUNT)
    with pytest.raises(ValidationFailed) as exc:
        svc.repayment_record(actor=people["clerk"], recovery=recovery, amount=100, paid_on=TODAY + dt.timedelta(days=1))
    assert exc.value.message == str(svc.MSG_PAID_ON_FUTURE)
    with pytest.raises(ValidationFailed) as exc:
        svc.repayment_record(actor=people["clerk"], recovery=recovery, amount=100, paid_on=TODAY, method="cash")
    assert exc.value.message == str(svc.MSG_METHOD)
    with pytest.raises(PermissionDenied):
        svc.repayment_record(actor=people["reviewer"], recovery=recovery, amount=100, paid_on=TODAY)
    with pytest.raises(NotFound):
        svc.repayment_record(actor=make_user("county_clerk", "429922"), recovery=recovery, amount=100, paid_on=TODAY)
    assert not Repayment.objects.exists() and not AuditEvent.objects.filter(action="subsidies.recovery.repaid").exists()


def test_waive(recovery, people, make_user):
    svc.repayment_record(actor=people["clerk"], recovery=recovery, amount=5000, paid_on=TODAY)
    with pytest.raises(PermissionDenied):
        svc.recovery_waive(actor=people["clerk"], recovery=recovery, reason="无遗产")
    with pytest.raises(NotFound):
        svc.recovery_waive(actor=people["other_reviewer"], recovery=recovery, reason="无遗产")
    with pytest.raises(ValidationFailed) as exc:
        svc.recovery_waive(actor=people["reviewer"], recovery=recovery, reason="  ")
    assert exc.value.message == str(svc.MSG_REASON_REQUIRED)
    r = svc.recovery_waive(actor=people["reviewer"], recovery=recovery, reason="本人死亡，无遗产可追")
    assert (r.state, r.waived_by, r.waive_reason, r.recovered) == (Recovery.State.WAIVED, people["reviewer"], "本人死亡，无遗产可追", 5000)
    event = AuditEvent.objects.get(action="subsidies.recovery.waived")
    assert event.after == {"state": "waived", "waived": 25000, "reason": "本人死亡，无遗产可追"} and event.before["state"] == "partial"
    with pytest.raises(Conflict) as exc:
        svc.recovery_waive(actor=people["reviewer"], recovery=r, reason="again")
    assert exc.value.message == str(svc.MSG_WAIVE_STATE)
    with pytest.raises(Conflict):
        svc.repayment_record(actor=people["clerk"], recovery=r, amount=100, paid_on=TODAY)

"""Recovery detection (追缴): months paid after a removal took effect, found late; rerunning is idempotent; a withdrawn
removal leaves the open recovery with a note; the daily housekeeping round runs it."""

from __future__ import annotations

import datetime as dt

import pytest

from anju.core.exceptions import NotFound, PermissionDenied, ValidationFailed
from anju.core.housekeeping import DAILY, housekeeping_once
from anju.core.models import AuditEvent
from anju.registry.models import Enrolment
from anju.registry.services.records import person_remove, person_restore
from anju.subsidies.models import Item, Recovery
from anju.subsidies.services import recoveries as svc

from .factories import actors, make_batch, make_item, roster


@pytest.fixture
def people(make_user):
    return actors(make_user)


@pytest.fixture
def paid(tree, people):
    """张一 paid for 2024 and 2025 (600 yuan a year), 王一 paid for 2024 in four quarters."""
    roster()
    zhang = Enrolment.objects.get(person__name="张一")
    wang = Enrolment.objects.get(person__name="王一")
    b2024, b2025 = make_batch(year=2024, state="reconciled"), make_batch(year=2025, state="reconciled")
    items = {"z2024": make_item(b2024, zhang, state=Item.State.PAID), "z2025": make_item(b2025, zhang, state=Item.State.PAID)}
    for q in range(4):
        batch = make_batch(year=2024, quarter=q + 1, state="reconciled")
        items[f"wq{q + 1}"] = make_item(batch, wang, month_from=3 * q + 1, month_to=3 * q + 3, state=Item.State.PAID)
    return {"zhang": zhang, "wang": wang, **items}


def test_death_found_two_years_on(paid, people):
    # the death in June 2024 is recorded only in 2026: the removal takes effect from 2024-07-01
    person_remove(actor=people["clerk"], enrolment=paid["zhang"], cause="death", effective_on=dt.date(2024, 7, 1))
    result = svc.recoveries_detect()
    assert (result["created"], result["amount"]) == (2, 30000 + 60000)
    r2024, r2025 = Recovery.objects.filter(person=paid["zhang"].person).order_by("year")
    assert (r2024.item, r2024.year, r2024.months, r2024.amount, r2024.state) == (paid["z2024"], 2024, 6, 30000, "open")
    assert (r2025.item, r2025.months, r2025.amount) == (paid["z2025"], 12, 60000)
    assert r2024.effective_on == dt.date(2024, 7, 1) and r2024.cause == "death" and r2024.division_code == paid["zhang"].division_code
    assert r2024.name == "张一" and r2024.id_masked == paid["zhang"].person.id_masked
    event = AuditEvent.objects.get(action="subsidies.recovery.detected")
    assert event.actor is None and event.after["created"] == 2 and event.after["amount"] == 90000 and event.after["months"] == 18

    again = svc.recoveries_detect()
    assert again["created"] == 0 and Recovery.objects.count() == 2
    assert AuditEvent.objects.filter(action="subsidies.recovery.detected").count() == 2


def test_a_removal_mid_month_leaves_that_month_paid(paid, people):
    # effective 2024-08-15: August began while still enrolled; September to December are overpaid (4 of 12 months)
    person_remove(actor=people["clerk"], enrolment=paid["zhang"], cause="prison", effective_on=dt.date(2024, 8, 15))
    svc.recoveries_detect()
    r = Recovery.objects.get(year=2024)
    assert (r.months, r.amount, r.cause) == (4, 20000, "prison")


def test_quarterly_items_before_the_removal_are_left_alone(paid, people):
    person_remove(actor=people["clerk"], enrolment=paid["wang"], cause="death", effective_on=dt.date(2024, 5, 1))
    svc.recoveries_detect()
    found = {r.item_id: (r.months, r.amount) for r in Recovery.objects.all()}
    # Q1 untouched, Q2: May and June (2 of 3 months), Q3 and Q4 in full
    assert found == {paid["wq2"].pk: (2, 10000), paid["wq3"].pk: (3, 15000), paid["wq4"].pk: (3, 15000)}


def test_rounding_keeps_the_parts_adding_up():
    assert svc.overpaid_amount(60000, 12, 6) == 30000
    assert svc.overpaid_amount(10001, 3, 1) == 10001 - 6667  # 10001 × 2/3 = 6667.33 kept, the rest overpaid
    assert svc.overpaid_amount(15000, 3, 5) == 15000  # never more than the item
    assert svc.overpaid_amount(15000, 3, 0) == 0


def test_only_paid_items_are_recovered(paid, people):
    pending = make_batch(year=2026)
    make_item(pending, paid["zhang"], state=Item.State.PENDING)
    Item.objects.filter(pk=paid["z2025"].pk).update(state=Item.State.FAILED)
    person_remove(actor=people["clerk"], enrolment=paid["zhang"], cause="death", effective_on=dt.date(2024, 7, 1))
    svc.recoveries_detect()
    assert list(Recovery.objects.values_list("item_id", flat=True)) == [paid["z2024"].pk]


def test_restored_person_keeps_the_recovery_with_a_note(paid, people):
    person_remove(actor=people["clerk"], enrolment=paid["zhang"], cause="prison", effective_on=dt.date(2024, 7, 1))
    svc.recoveries_detect()
    # the removal is withdrawn: restored from the same day (the removed period becomes empty)
    person_restore(actor=people["clerk"], enrolment=paid["zhang"], effective_on=dt.date(2024, 7, 1))
    result = svc.recoveries_detect()
    assert result["flagged"] == 2 and result["created"] == 0
    notes = list(Recovery.objects.order_by("year").values_list("state", "note"))
    assert all(state == "open" for state, _ in notes)
    assert all("核减已撤销或生效日期已变更，现多发 0 个月" in note for _, note in notes)
    assert svc.recoveries_detect()["flagged"] == 0  # said once


def test_restored_later_flags_the_new_figure(paid, people):
    person_remove(actor=people["clerk"], enrolment=paid["zhang"], cause="prison", effective_on=dt.date(2024, 7, 1))
    svc.recoveries_detect()
    person_restore(actor=people["clerk"], enrolment=paid["zhang"], effective_on=dt.date(2025, 4, 1))  # released in March 2025
    svc.recoveries_detect()
    r2024, r2025 = Recovery.objects.order_by("year")
    assert r2024.note == "" and (r2025.months, r2025.amount) == (12, 60000) and "现多发 3 个月" in r2025.note


def test_scope_and_permission(paid, people, make_user):
    person_remove(actor=people["clerk"], enrolment=paid["zhang"], cause="death", effective_on=dt.date(2024, 7, 1))
    with pytest.raises(PermissionDenied):
        svc.recoveries_detect(actor=people["reviewer"])
    with pytest.raises(NotFound):
        svc.recoveries_detect(actor=make_user("county_clerk", "429922"), scope_prefix="429921")
    with pytest.raises(ValidationFailed) as exc:
        svc.recoveries_detect(actor=people["clerk"], scope_prefix="42x")
    assert exc.value.code == "scope_invalid"
    # another county's clerk runs over its own county only
    assert svc.recoveries_detect(actor=make_user("county_clerk", "429922"))["created"] == 0
    # a city clerk asking for the whole province is narrowed to the city
    result = svc.recoveries_detect(actor=people["city_clerk"], scope_prefix="42")
    assert result["scope"] == "4299" and result["created"] == 2
    assert AuditEvent.objects.filter(action="subsidies.recovery.detected", actor=people["city_clerk"]).count() == 1


def test_daily_housekeeping_runs_detection(paid, people):
    assert "subsidies.recoveries.detect" in DAILY
    person_remove(actor=people["clerk"], enrolment=paid["zhang"], cause="death", effective_on=dt.date(2024, 7, 1))
    result = housekeeping_once()
    assert result.daily["subsidies.recoveries.detect"]["created"] == 2
    assert Recovery.objects.count() == 2

"""Creating a batch from last year's locked snapshot: amounts, holds, project funds, one batch per period, the guard."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, transaction

from anju.core.audit import AuditEvent
from anju.core.exceptions import Conflict, NotFound, PermissionDenied, ValidationFailed
from anju.core.models import PolicyVersion
from anju.registry.models import Enrolment, Status
from anju.subsidies.models import Batch, Item
from anju.subsidies.services import batches as services
from anju.subsidies.services.batches import MSG_EXISTS, MSG_NO_SNAPSHOT, batch_create
from anju.subsidies.services.entitlements import entitlements_check, entitlements_compute, entitlements_totals
from tests.registry.verification_data import set_status

from .factories import COUNTY, actors, card, locked, make_batch, make_item, paying_household, roster

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(make_user):
    a = actors(make_user)
    places = roster()
    locked(a, year=2025)
    return {**a, **places}


def _items(batch) -> dict[str, Item]:
    return {i.name: i for i in Item.objects.filter(batch=batch)}


def test_batch_pays_direct_persons_and_reports_project_funds(people):
    batch = batch_create(actor=people["clerk"], county_code=COUNTY, year=2026)
    items = _items(batch)
    assert batch.number == "429921-2026-Y" and batch.state == Batch.State.DRAFT and batch.verification.year == 2025
    # 张 moved 2008-03 (original): all of 2026; 李 moved 2005 (current): Jan–Jun 2026 only
    assert (items["张一"].months, items["张一"].amount, items["张一"].month_from, items["张一"].month_to) == (12, 60000, 1, 12)
    assert (items["李一"].months, items["李一"].amount, items["李一"].month_to) == (6, 30000, 6)
    assert "赵一" not in items  # 项目扶持
    assert batch.totals["project"] == {"persons": 2, "amount": 120000}
    assert batch.totals["persons"] == 6 and batch.totals["amount"] == 4 * 60000 + 2 * 30000
    assert all(i.state == Item.State.PENDING for i in items.values())
    assert items["张一"].bank_account_masked.startswith("6217") and items["张一"].bank_account_enc
    assert batch.policy["frequency"] == "yearly" and batch.policy["months"]["2026-01"]["standard"] == "600.00"
    assert batch.policy["documents"][0]["doc_number"] == "国发〔2006〕17号"
    event = AuditEvent.objects.get(action="subsidies.batch.created")
    assert event.object_id == str(batch.pk) and event.after["amount"] == batch.totals["amount"]


def test_engine_totals_by_township_match_the_batch(people):
    eset = entitlements_compute(county_code=COUNTY, year=2026)
    totals = entitlements_totals(eset)
    assert totals["total"]["direct_amount"] == 300000 and totals["total"]["project_amount"] == 120000
    assert set(totals["townships"]) == {people["v1"][:9], people["v2"][:9]}
    assert totals["townships"][people["v2"][:9]]["direct_amount"] == 60000


def test_exceptions_are_held_with_their_cause(make_user):
    a = actors(make_user)
    roster()
    paying_household("S010", ["钱一"], accounts=[""])
    paying_household("S011", ["孙一"], accounts=["6217000000000000001"])  # bad Luhn digit
    paying_household("S012", ["周一"], bank_name="火星银行")
    shared = card()
    paying_household("S013", ["吴一"], accounts=[shared])
    paying_household("S014", ["郑一"], accounts=[shared])
    paying_household("S015", ["冯一"])
    paying_household("S016", ["陈一"])
    locked(a, year=2025)
    set_status(Enrolment.objects.get(person__name="冯一"), dt.date(2026, 3, 1), Status.SUSPENDED)
    set_status(Enrolment.objects.get(person__name="陈一"), dt.date(2026, 3, 1), Status.DUPLICATE)
    batch = batch_create(actor=a["clerk"], county_code=COUNTY, year=2026)
    items = _items(batch)
    assert items["钱一"].exception == Item.Hold.NO_ACCOUNT
    assert items["孙一"].exception == Item.Hold.BANK_INVALID and "Luhn" in items["孙一"].exception_note
    assert items["周一"].exception == Item.Hold.BANK_INVALID and "火星银行" in items["周一"].exception_note
    assert items["吴一"].exception == items["郑一"].exception == Item.Hold.SHARED_ACCOUNT
    assert items["冯一"].exception == Item.Hold.SUSPENDED and items["陈一"].exception == Item.Hold.DUPLICATE
    assert items["冯一"].months == 12  # suspended months are owed, held until resolved
    assert all(items[n].state == Item.State.HELD for n in ("钱一", "孙一", "周一", "吴一", "郑一", "冯一", "陈一"))
    assert items["张一"].state == Item.State.PENDING and items["张一"].exception == ""
    assert batch.totals["held"] == 7 and batch.totals["holds"][Item.Hold.SHARED_ACCOUNT] == 2
    # creation sums the pending items as it checks them; a full recount agrees
    assert services.batch_totals_refresh(Batch.objects.get(pk=batch.pk))["by_state"] == batch.totals["by_state"]


def test_late_removal_cuts_months_and_snapshot_is_required(people):
    set_status(Enrolment.objects.get(person__name="张二"), dt.date(2026, 4, 1), Status.REMOVED, cause="death")
    batch = batch_create(actor=people["clerk"], county_code=COUNTY, year=2026)
    assert _items(batch)["张二"].months == 3
    with pytest.raises(ValidationFailed) as exc:
        batch_create(actor=people["clerk"], county_code=COUNTY, year=2025)  # 2024 not locked
    assert exc.value.message == MSG_NO_SNAPSHOT % {"county": "白云县", "year": 2024}


def test_items_carry_the_name_as_corrected_since_the_snapshot(people):
    from anju.registry.models import Person

    person = Person.objects.get(name="王一")
    person.name = "王壹"
    person.save(update_fields=["name", "updated_at"])
    batch = batch_create(actor=people["clerk"], county_code=COUNTY, year=2026)
    names = set(Item.objects.filter(batch=batch).values_list("name", flat=True))
    assert "王壹" in names and "王一" not in names and "张一" in names


def test_one_regular_batch_per_county_and_period(people):
    first = batch_create(actor=people["clerk"], county_code=COUNTY, year=2026)
    with pytest.raises(Conflict) as exc:
        batch_create(actor=people["clerk"], county_code=COUNTY, year=2026)
    assert exc.value.code == "batch_exists" and first.number in exc.value.message
    assert exc.value.message == MSG_EXISTS % {"county": "白云县", "period": "2026 年", "number": first.number}


def test_months_already_paid_elsewhere_are_skipped(people):
    other = make_batch(year=2026, kind=Batch.Kind.SUPPLEMENTARY, number="429921-2026-X")
    make_item(other, Enrolment.objects.get(person__name="王一"), month_from=1, month_to=3, state=Item.State.PAID)
    batch = batch_create(actor=people["clerk"], county_code=COUNTY, year=2026)
    assert "王一" not in _items(batch) and batch.totals["already_paid"] == 1


def test_database_refuses_paying_the_same_months_twice(people):
    enrolment = Enrolment.objects.get(person__name="王一")
    a = make_batch(year=2026, number="A")
    b = make_batch(year=2026, kind=Batch.Kind.SUPPLEMENTARY, number="B")
    make_item(a, enrolment, month_from=1, month_to=12)
    with pytest.raises(IntegrityError), transaction.atomic():
        make_item(b, enrolment, month_from=4, month_to=6)  # quarterly item inside a yearly one
    failed = make_item(b, enrolment, month_from=4, month_to=6, state=Item.State.FAILED)  # not live: allowed
    with pytest.raises(IntegrityError), transaction.atomic():
        Item.objects.filter(pk=failed.pk).update(state=Item.State.PENDING)  # becoming live again is checked
    other_year = make_batch(year=2027, number="C")
    make_item(other_year, enrolment, month_from=1, month_to=12)  # another year is fine
    assert Item.objects.filter(enrolment=enrolment, state__in=Item.LIVE).count() == 2


def test_scope_permission_and_frequency(people, make_user):
    with pytest.raises(PermissionDenied):
        batch_create(actor=people["reviewer"], county_code=COUNTY, year=2026)
    with pytest.raises(NotFound):
        batch_create(actor=make_user("county_clerk", "429922"), county_code=COUNTY, year=2026)
    with pytest.raises(ValidationFailed) as exc:
        batch_create(actor=people["clerk"], county_code=COUNTY, year=2026, quarter=2)
    assert exc.value.code == "frequency_yearly"
    PolicyVersion.objects.create(key="subsidies.frequency", value="quarterly", effective_from=dt.date(2026, 1, 1), scope=COUNTY)
    with pytest.raises(ValidationFailed):
        batch_create(actor=people["clerk"], county_code=COUNTY, year=2026)
    q2 = batch_create(actor=people["clerk"], county_code=COUNTY, year=2026, quarter=2)
    assert q2.number == "429921-2026-Q2" and _items(q2)["李一"].months == 3 and _items(q2)["张一"].amount == 15000
    q3 = batch_create(actor=people["clerk"], county_code=COUNTY, year=2026, quarter=3)
    assert "李一" not in _items(q3)


def test_entitlements_check_scopes(people):
    assert "429921000000" in entitlements_check(actor=people["city_clerk"], scope="4299", year=2026, preview=True)
    with pytest.raises(ValidationFailed):  # the other counties have no locked 2025 snapshot
        entitlements_check(actor=people["city_clerk"], scope="4299", year=2026)
    assert entitlements_check(actor=people["clerk"], scope=COUNTY, year=2026) == ["429921000000"]
    with pytest.raises(NotFound):
        entitlements_check(actor=people["clerk"], scope="4299", year=2026)


def test_live_preview_uses_the_roster_as_known_now(people):
    paying_household("S020", ["新一"])  # enrolled after the snapshot: only in the live preview
    live = entitlements_compute(county_code=COUNTY, year=2026, source="live")
    snap = entitlements_compute(county_code=COUNTY, year=2026)
    assert "新一" in {r.name for r in live.rows} and "新一" not in {r.name for r in snap.rows}
    assert live.verification is None and snap.verification is not None


def test_services_module_exports_totals_keys():
    assert "paid" in services.BATCH_TOTAL_KEYS


def test_fast_luhn_agrees_with_stdnum():
    import random

    from stdnum import luhn

    from anju.subsidies.banks import luhn_valid

    rng = random.Random(7)
    for _ in range(2000):
        number = str(rng.randrange(10**15, 10**19))
        assert luhn_valid(number) == luhn.is_valid(number)
        full = number + luhn.calc_check_digit(number)
        assert luhn_valid(full)


@pytest.mark.parametrize("quarterly", [False, True])
def test_set_based_items_equal_the_engine_row_by_row(make_user, quarterly):
    """The INSERT … SELECT fast path must give every person exactly what the per-person engine gives."""
    a = actors(make_user)
    moves = [dt.date(2006, 6, 30), dt.date(2006, 7, 1), dt.date(2006, 7, 31), dt.date(2010, 3, 1), dt.date(2010, 3, 31),
             dt.date(2016, 11, 15), dt.date(2025, 12, 31), dt.date(2005, 1, 1)]
    for k, move in enumerate(moves):
        category = Enrolment.Category.CURRENT if move <= dt.date(2006, 6, 30) else Enrolment.Category.ORIGINAL
        paying_household(f"E{k:03d}", [f"甲{k}", f"乙{k}"], move_date=move, category=category)
    paying_household("E100", ["丙一"], support_mode=Enrolment.SupportMode.PROJECT, move_date=dt.date(2012, 5, 5))
    locked(a, year=2025)
    set_status(Enrolment.objects.get(person__name="甲3"), dt.date(2026, 8, 16), Status.REMOVED, cause="death")
    set_status(Enrolment.objects.get(person__name="乙5"), dt.date(2026, 2, 1), Status.SUSPENDED)
    PolicyVersion.objects.create(key="reservoir.standard_yuan", value="780.00", effective_from=dt.date(2026, 4, 1), scope=COUNTY)
    PolicyVersion.objects.create(key="reservoir.period_years_current", value=23, effective_from=dt.date(2026, 7, 1), scope="4299")
    if quarterly:
        PolicyVersion.objects.create(key="subsidies.frequency", value="quarterly", effective_from=dt.date(2026, 1, 1), scope=COUNTY)
    for quarter in ((1, 2, 3, 4) if quarterly else (0,)):
        expected = {r.enrolment_id: r for r in entitlements_compute(county_code=COUNTY, year=2026, quarter=quarter).rows if r.direct}
        batch = batch_create(actor=a["clerk"], county_code=COUNTY, year=2026, quarter=quarter)
        got = {i.enrolment_id: i for i in Item.objects.filter(batch=batch)}
        assert set(got) == set(expected)
        for enrolment_id, e in expected.items():
            i = got[enrolment_id]
            assert (i.month_from, i.month_to, i.months, i.amount) == (e.month_from, e.month_to, e.months, e.amount), i.name
        assert batch.totals["project"]["persons"] == (1 if quarter in (0, 1, 2, 3, 4) else 0)

"""The metric facts: the segments of a person's days (status periods cut by employment kinds), the triggers that queue
every changed person whatever wrote the change (ORM, bulk COPY/executemany, raw SQL), and the rebuild that keeps the facts
equal to what they are made of — incremental or full."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection

from anju.core.bulk import bulk_insert
from anju.registry.models import Enrolment, EnrolmentStatus, Program
from anju.relocation import selectors_metrics as sm
from anju.relocation.models import Employment, LabourCapacity, MetricDirty, MetricSegment
from anju.relocation.services import metric_facts as mf
from tests.registry.factories import make_household
from tests.relocation.factories import OTHER_VILLAGE, make_capacity, make_employment, make_relocated_household, members_of

D = dt.date
COUNTY, WORKSHOP, FLEXIBLE = mf.SLOTS["county"], mf.SLOTS["workshop"], mf.SLOTS["flexible"]


# --- segments (pure) -------------------------------------------------------------------------------------------------

def test_no_spell_is_one_stretch_per_active_period():
    assert mf.segments([(D(2019, 6, 1), None)], []) == [(D(2019, 6, 1), None, 0)]
    assert mf.segments([(D(2019, 6, 1), D(2021, 1, 1)), (D(2022, 1, 1), None)], []) == [
        (D(2019, 6, 1), D(2021, 1, 1), 0), (D(2022, 1, 1), None, 0)]


def test_a_spell_inside_the_period_cuts_it_and_its_end_day_is_included():
    assert mf.segments([(D(2019, 6, 1), None)], [("county", D(2025, 3, 1), D(2025, 6, 30))]) == [
        (D(2019, 6, 1), D(2025, 3, 1), 0), (D(2025, 3, 1), D(2025, 7, 1), COUNTY), (D(2025, 7, 1), None, 0)]


def test_overlapping_spells_of_two_kinds_sum_their_slots_and_same_kinds_merge():
    spells = [("county", D(2024, 1, 1), D(2024, 12, 31)), ("county", D(2025, 1, 1), None), ("workshop", D(2024, 6, 1), D(2024, 8, 31))]
    assert mf.segments([(D(2020, 1, 1), None)], spells) == [
        (D(2020, 1, 1), D(2024, 1, 1), 0), (D(2024, 1, 1), D(2024, 6, 1), COUNTY), (D(2024, 6, 1), D(2024, 9, 1), COUNTY + WORKSHOP),
        (D(2024, 9, 1), None, COUNTY)]  # the county spells end and start on consecutive days: one stretch


def test_spells_are_clipped_to_the_periods_and_a_backwards_spell_covers_nothing():
    spells = [("flexible", D(2018, 1, 1), None), ("workshop", D(2021, 5, 1), D(2021, 4, 1))]
    assert mf.segments([(D(2019, 6, 1), D(2020, 1, 1))], spells) == [(D(2019, 6, 1), D(2020, 1, 1), FLEXIBLE)]
    assert mf.segments([(D(2019, 6, 1), D(2019, 6, 1))], spells) == []  # an empty period


def test_slots_hold_one_kind_each():
    assert sorted(mf.SLOTS.values()) == [1 << (9 * i) for i in range(len(Employment.Kind.values))]


# --- triggers and rebuild --------------------------------------------------------------------------------------------

def _day(number):
    return None if number is None else D(number // 10000, number // 100 % 100, number % 100)


def _facts(person) -> list[tuple]:
    rows = MetricSegment.objects.filter(person_id=person.pk).order_by("seg_from").values_list("seg_from", "seg_to", "slots", "able")
    return [(_day(start), _day(end), slots, able) for start, end, slots, able in rows]


def _queued() -> set[int]:
    return set(MetricDirty.objects.values_list("person_id", flat=True))


@pytest.mark.django_db
def test_orm_writes_queue_the_person_and_sync_rebuilds_their_facts():
    head, spouse, child = members_of(make_relocated_household())
    assert {head.pk, spouse.pk, child.pk} <= _queued()
    assert mf.metric_facts_sync() >= 3
    assert _queued() == set() and _facts(head) == [(D(2019, 6, 1), None, 0, True)]
    spell = make_employment(head, started_on=D(2025, 3, 1))
    make_capacity(spouse, LabourCapacity.Capacity.NONE)
    assert _queued() == {head.pk, spouse.pk}
    assert mf.metric_facts_sync() == 2
    assert _facts(head) == [(D(2019, 6, 1), D(2025, 3, 1), 0, True), (D(2025, 3, 1), None, COUNTY, True)]
    assert _facts(spouse) == [(D(2019, 6, 1), None, 0, False)]
    spell.delete()
    head.birth_date = D(1981, 1, 1)
    head.save()
    mf.metric_facts_sync()
    assert _facts(head) == [(D(2019, 6, 1), None, 0, True)]
    assert MetricSegment.objects.get(person_id=head.pk).birth_day == 19810101


@pytest.mark.django_db
def test_bulk_and_raw_writes_queue_too(make_user):
    head, *_rest = members_of(make_relocated_household())
    mf.metric_facts_sync()
    household = head.memberships.get().household
    bulk_insert(Employment._meta.db_table, ["person_id", "household_id", "division_code", "kind", "employer", "started_on", "ended_on",
                                            "monthly_income_fen", "source", "created_at", "place"],
                [(head.pk, household.pk, household.division_code, "workshop", "车间", D(2026, 1, 1), None, 100_000, "manual",
                  dt.datetime(2026, 1, 2, tzinfo=dt.UTC), "")])
    assert _queued() == {head.pk}
    enrolment = Enrolment.objects.get(person=head, program=Program.RELOCATION)
    with connection.cursor() as cur:  # suspended from 2026-03-01: the open period closes, a suspension follows
        cur.execute("UPDATE registry_enrolmentstatus SET valid_to = %s WHERE enrolment_id = %s", [D(2026, 3, 1), enrolment.pk])
    EnrolmentStatus.objects.create(enrolment=enrolment, status="suspended", valid_from=D(2026, 3, 1))
    rows = sm.relocation_metrics(actor=make_user("county_clerk", "429921"), as_of=D(2026, 2, 1), scope="429921", by="county")
    assert rows[0]["employed_by_kind"]["workshop"] == 1 and rows[0]["persons"] == 3
    assert _facts(head) == [(D(2019, 6, 1), D(2026, 1, 1), 0, True), (D(2026, 1, 1), D(2026, 3, 1), WORKSHOP, True)]
    assert sm.relocation_metrics(actor=make_user("county_clerk", "429921"), as_of=D(2026, 3, 1), scope="429921", by="county")[0]["persons"] == 2


@pytest.mark.django_db
def test_other_programs_do_not_queue():
    MetricDirty.objects.all().delete()
    make_household("RES-1", [("甲", "户主"), ("乙", "配偶")])
    assert _queued() == set()


@pytest.mark.django_db
def test_full_rebuild_equals_the_incremental_one(monkeypatch):
    households = [make_relocated_household() for _ in range(3)]
    for i, person in enumerate(p for h in households for p in members_of(h)):
        if i % 2:
            make_employment(person, kind=Employment.Kind.values[i % 7], started_on=D(2020 + i % 5, 1 + i % 12, 1),
                            ended_on=None if i % 3 else D(2026, 1, 31))
    mf.metric_facts_sync()
    columns = list(mf.COLUMNS)
    incremental = sorted(MetricSegment.objects.values_list(*columns))
    monkeypatch.setattr(mf, "FULL_REBUILD", 1)
    MetricDirty.objects.create(person_id=members_of(households[0])[0].pk)
    assert mf.metric_facts_sync() == 1
    assert sorted(MetricSegment.objects.values_list(*columns)) == incremental
    assert Enrolment.objects.filter(program=Program.RELOCATION).count() == len({r[0] for r in incremental})


@pytest.mark.django_db
def test_a_scope_holding_every_fact_reads_without_the_division_range(make_user, other_city):
    make_relocated_household()
    mf.metric_facts_sync()
    assert sm._holds_every_fact("4299") and sm._holds_every_fact("429921") and not sm._holds_every_fact("429922")
    assert "division_code >=" not in sm._statement(prefix="4299", as_of=D(2026, 6, 30), by="county", income_year=2025)[0]
    make_relocated_household(village=OTHER_VILLAGE)  # another city's household: the city's read must leave it out
    mf.metric_facts_sync()
    assert not sm._holds_every_fact("4299")
    assert "division_code >=" in sm._statement(prefix="4299", as_of=D(2026, 6, 30), by="county", income_year=2025)[0]
    total = sm.metrics_total(sm.relocation_metrics(actor=make_user("city_clerk", "4299"), as_of=D(2026, 6, 30)))
    assert (total["households"], total["persons"]) == (1, 3)

"""Occupancy of a site on a day (the relocated population: active relocation enrolments at the site), moved-in
Relocation rows, facilities in use, and the per-person housing area check against relocation.max_area_per_person."""

import datetime as dt
from decimal import Decimal

import pytest

from anju.core.models import PolicyVersion
from anju.registry.models import Enrolment, EnrolmentStatus
from anju.relocation import selectors
from anju.relocation.models import Facility, Relocation, Step
from tests.relocation.factories import OTHER_VILLAGE, make_relocated_household, make_site

TODAY = dt.date.today()
B = dt.date(1980, 1, 1)


def _household(site, n: int, *, area=None, persons=None, registered=True, step=Step.MOVED_IN, enrolment_area="20.00", **kw):
    household = make_relocated_household([(f"成员{i}", "户主" if i == 0 else "子女", B) for i in range(n)], site=site, step=step, **kw)
    Enrolment.objects.filter(household=household).update(poverty_registered=registered, housing_area=enrolment_area)
    if step:
        Relocation.objects.filter(household=household).update(house_area=area, persons=n if persons is None else persons)
    return household


@pytest.fixture
def site(tree):
    return make_site("OC1", capacity=10)


def test_occupancy_counts_the_population_of_the_day(site, other_city, make_user):
    _household(site, 3, area=60)
    _household(site, 2, area=40, step=Step.ALLOCATED)  # allocated, not yet moved in
    gone = _household(site, 4, area=80)
    EnrolmentStatus.objects.filter(enrolment__household=gone).update(valid_to=TODAY)  # removed today: not in today's population
    _household(site, 1, area=20, since=TODAY + dt.timedelta(days=1))  # enrolled from tomorrow
    _household(site, 2, area=40, village=OTHER_VILLAGE)  # another city's: outside every scope here
    _household(make_site("OC2"), 5, area=100)  # another site
    Facility.objects.create(site=site, kind="school", name="小学", status=Facility.Status.IN_USE)
    Facility.objects.create(site=site, kind="clinic", name="卫生室", status=Facility.Status.BUILDING)
    city = make_user("leader", "4299")
    o = selectors.site_occupancy(actor=city, sites=[site], as_of=TODAY)[site.pk]
    assert (o.households, o.persons, o.capacity) == (2, 5, 10)
    assert o.rate == 0.5
    assert o.moved_in == 2  # Relocation rows moved in by today, in scope (the removed household too: it did move in)
    assert (o.facilities_in_use, o.facilities_total) == (1, 2)
    yesterday = selectors.site_occupancy(actor=city, sites=[site], as_of=TODAY - dt.timedelta(days=1))[site.pk]
    assert (yesterday.households, yesterday.persons) == (3, 9)
    other_township = make_user("leader", "429921102")
    assert selectors.site_occupancy(actor=other_township, sites=[site], as_of=TODAY)[site.pk].persons == 0


def test_rate_is_none_without_capacity(tree, make_user):
    site = make_site("OC0", capacity=0)
    _household(site, 2, area=40)
    o = selectors.site_occupancy(actor=make_user("leader", "4299"), sites=[site])[site.pk]
    assert o.persons == 2 and o.rate is None


def test_household_list_has_steps_and_todays_persons(site, make_user):
    moved = _household(site, 3, area=60)
    allocated = _household(site, 2, area=40, step=Step.ALLOCATED)
    elsewhere = make_relocated_household(site=None, step=Step.AGREEMENT)  # a Relocation row of the site, enrolment without site
    Relocation.objects.filter(household=elsewhere).update(site=site)
    rows = list(selectors.site_households(actor=make_user("leader", "4299"), site=site))
    selectors.decorate_households(rows)
    by_id = {h.pk: (h.persons, h.step) for h in rows}
    assert by_id == {moved.pk: (3, Step.MOVED_IN), allocated.pk: (2, Step.ALLOCATED), elsewhere.pk: (0, Step.AGREEMENT)}


# ------------------------------------------------------------------------------------------------------- housing area
@pytest.mark.parametrize(("area", "persons", "over"), [
    ("100.00", 4, False),  # exactly 25 m² per person passes
    ("100.04", 4, True),  # 25.01 fails
    ("75.01", 3, True),  # 25.0033…: over, although it shows as 25.00
    ("24.99", 1, False),
])
def test_housing_area_edge_from_relocation(site, make_user, area, persons, over):
    household = _household(site, persons, area=Decimal(area))
    rows = selectors.housing_area_check(actor=make_user("leader", "4299"), sites=[site])
    assert [r.household_id for r in rows] == ([household.pk] if over else [])
    if over:
        r = rows[0]
        assert (r.source, r.limit, r.house_area, r.persons, r.poverty_registered) == ("relocation", 25, Decimal(area), persons, True)
        assert r.area_per_person == Decimal(area) / persons


@pytest.mark.parametrize(("enrolment_area", "over"), [("25.00", False), ("25.01", True)])
def test_housing_area_edge_from_enrolments_without_relocation(site, make_user, enrolment_area, over):
    household = _household(site, 2, step=None, enrolment_area=enrolment_area, registered=False)
    rows = selectors.housing_area_check(actor=make_user("leader", "4299"), sites=[site], only_over=False)
    assert len(rows) == 1 and rows[0].source == "enrolment" and rows[0].over is over
    assert rows[0].household_id == household.pk and rows[0].area_per_person == Decimal(enrolment_area)


def test_relocation_without_area_falls_back_to_enrolments(site, make_user):
    _household(site, 2, area=None, enrolment_area="30.00")
    [row] = selectors.housing_area_check(actor=make_user("leader", "4299"), sites=[site])
    assert row.source == "enrolment" and row.area_per_person == 30


def test_policy_version_by_date_and_division_and_site_counts(site, make_user):
    registered = _household(site, 2, area=Decimal("54"))  # 27 per person
    plain = _household(site, 1, area=Decimal("26"), registered=False)
    _household(site, 1, area=Decimal("25"))
    leader = make_user("leader", "4299")
    rows = selectors.housing_area_check(actor=leader, sites=[site])
    assert [(r.household_id, r.poverty_registered) for r in rows] == [(registered.pk, True), (plain.pk, False)]  # red line first
    o = selectors.site_occupancy(actor=leader, sites=[site])[site.pk]
    assert (o.area_over, o.area_over_registered) == (2, 1)
    PolicyVersion.objects.create(key="relocation.max_area_per_person", scope="429921", effective_from=TODAY, value=30)
    assert selectors.housing_area_check(actor=leader, sites=[site]) == []
    assert len(selectors.housing_area_check(actor=leader, sites=[site], as_of=TODAY - dt.timedelta(days=1))) == 2
    assert len(selectors.housing_area_check(actor=leader, prefix="429921")) == 0
    assert len(selectors.housing_area_check(actor=make_user("leader", "429922"), sites=[site], only_over=False)) == 0  # out of scope

"""Relocation test data built straight into the tables (each area's tests prove its own services). The sample county
is 白云县 429921 of the demo city 4299 (fixture `tree`); the foreign one 外县 429821 (fixture `other_city`)."""

from __future__ import annotations

import datetime as dt
import itertools

from anju.registry.models import Enrolment, EnrolmentStatus, Household, Membership, Program
from anju.relocation.models import Employment, LabourCapacity, Relocation, RelocationStep, Site, Step
from tests.registry.factories import make_person

COUNTY = "429921000000"
TOWNSHIP = "429921101000"
VILLAGE = "429921101201"
OTHER_COUNTY = "429821000000"
OTHER_VILLAGE = "429821100200"

_seq = itertools.count(1)


def make_site(code: str = "", *, division_code: str = TOWNSHIP, name: str = "", capacity: int = 500, placement: str = "concentrated",
              area_type: str = "urban", **kw) -> Site:
    n = next(_seq)
    return Site.objects.create(code=code or f"S{division_code[:6]}{n:03d}", name=name or f"测试安置点{n}", division_code=division_code,
                               placement=placement, area_type=area_type, capacity=capacity, **kw)


def make_relocated_household(members: list[tuple[str, str, dt.date]] | None = None, *, site: Site | None = None, village: str = VILLAGE,
                             since: dt.date = dt.date(2019, 6, 1), number: str = "", year: int = 2019,
                             step: str | None = Step.MOVED_IN) -> Household:
    """A household enrolled in the relocation program since `since`, members [(name, relation, birth date)], the first its
    head, each enrolled at `site`. With `step`, also a Relocation at that step (each earlier step dated `since`)."""
    members = members or [("户主甲", "户主", dt.date(1980, 1, 1)), ("配偶乙", "配偶", dt.date(1982, 2, 2)),
                          ("子女丙", "子女", dt.date(2010, 3, 3))]
    n = next(_seq)
    household = Household.objects.create(number=number or f"YB{village[:6]}{n:05d}", county_code=village[:6], division_code=village)
    for i, (name, relation, birth) in enumerate(members):
        person = make_person(name, village=village, birth=birth, male=i % 2 == 0)
        Membership.objects.create(person=person, household=household, relation=relation, valid_from=since)
        enrolment = Enrolment.objects.create(person=person, household=household, program=Program.RELOCATION, division_code=village,
                                             status="active", status_since=since, enrolled_on=since, poverty_registered=True,
                                             relocation_year=year, placement=site.placement if site else "concentrated",
                                             area_type=site.area_type if site else "urban", housing_area="20.00", site=site)
        EnrolmentStatus.objects.create(enrolment=enrolment, status="active", valid_from=since)
        if i == 0:
            household.head = person
            household.save(update_fields=["head"])
    if step:
        reached = Step.values[: Step.values.index(step) + 1]
        dates = {s: since for s in reached}
        relocation = Relocation.objects.create(
            household=household, division_code=village, site=site, year=year, persons=len(members), step=step,
            house_area=20 * len(members), confirmed_on=dates.get(Step.CONFIRMED), agreement_on=dates.get(Step.AGREEMENT),
            allocated_on=dates.get(Step.ALLOCATED), moved_in_on=dates.get(Step.MOVED_IN), demolished_on=dates.get(Step.DEMOLISHED))
        RelocationStep.objects.bulk_create([RelocationStep(relocation=relocation, step=s, on=since) for s in reached])
    return household


def members_of(household: Household) -> list:
    return [m.person for m in household.memberships.select_related("person").order_by("id")]


def make_employment(person, *, kind: str = Employment.Kind.COUNTY, started_on: dt.date = dt.date(2025, 3, 1), ended_on: dt.date | None = None,
                    monthly_income_fen: int = 300_000, employer: str = "县工业园某公司") -> Employment:
    household = person.memberships.get(valid_to__isnull=True).household
    return Employment.objects.create(person=person, household=household, division_code=household.division_code, kind=kind, employer=employer,
                                     started_on=started_on, ended_on=ended_on, monthly_income_fen=monthly_income_fen)


def make_capacity(person, capacity: str, *, disability_grade: int | None = None) -> LabourCapacity:
    household = person.memberships.get(valid_to__isnull=True).household
    return LabourCapacity.objects.create(person=person, household=household, division_code=household.division_code, capacity=capacity,
                                         disability_grade=disability_grade, recorded_on=dt.date(2025, 1, 1))

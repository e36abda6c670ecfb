"""The relocation factories build what their docstrings promise (the other relocation tests lean on them)."""

from __future__ import annotations

import datetime as dt

import pytest

from anju.registry.models import Enrolment
from anju.relocation.models import EligibilityRule, Relocation, Step, Term
from tests.relocation.factories import make_capacity, make_employment, make_relocated_household, make_site, members_of

pytestmark = pytest.mark.django_db


def test_relocated_household_has_enrolments_steps_and_records(tree):
    site = make_site()
    household = make_relocated_household(site=site, step=Step.ALLOCATED)
    people = members_of(household)
    assert [p.name for p in people] == ["户主甲", "配偶乙", "子女丙"]
    assert Enrolment.objects.filter(household=household, program="relocation", site=site).count() == 3
    relocation = Relocation.objects.get(household=household)
    assert relocation.step == Step.ALLOCATED and relocation.moved_in_on is None
    assert list(relocation.steps.values_list("step", flat=True)) == ["confirmed", "agreement", "allocated"]
    assert make_employment(people[0], ended_on=dt.date(2025, 12, 31)).division_code == household.division_code
    assert make_capacity(people[1], "none").capacity == "none"


def test_seeds_are_loaded():
    assert Term.objects.filter(kind="living_condition").count() == 7
    assert Term.objects.filter(kind="risk").count() == 8
    assert set(EligibilityRule.objects.values_list("code", flat=True)) == {"poverty_registered", "living_condition"}

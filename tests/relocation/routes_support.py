"""Authorisation-walker routes of the relocation support area (see tests/test_authz_walker.py)."""

from __future__ import annotations

import datetime as dt

from anju.accounts.roles import Perm
from tests.test_authz_walker import Route

VIEW, EDIT, PII = Perm.RELOCATION_VIEW, Perm.RELOCATION_EDIT, Perm.REGISTRY_VIEW_PII
W = "/relocation/support"
A = "/api/v1/relocation/support"

WEB: dict = {
    "relocation_support:households": Route(f"{W}/households/", perm=VIEW, denied="sysadmin"),
    "relocation_support:household": Route(f"{W}/households/{{rs_household}}/", perm=VIEW, denied="auditadmin", scoped=True),
    "relocation_support:household_reveal": Route(f"{W}/households/{{rs_household}}/reveal/", "POST", PII, denied="leader", scoped=True),
    "relocation_support:record_new": Route(f"{W}/households/{{rs_household}}/employment/new/", perm=EDIT, denied="leader", scoped=True),
    "relocation_support:record_edit": Route(f"{W}/records/employment/{{rs_employment}}/edit/", perm=EDIT, denied="leader", scoped=True),
    "relocation_support:record_end": Route(f"{W}/records/employment/{{rs_employment}}/end/", perm=EDIT, denied="auditor", scoped=True),
    "relocation_support:record_delete": Route(f"{W}/records/training/{{rs_training_web}}/delete/", "POST", EDIT, denied="leader",
                                              scoped=True),
    "relocation_support:employment": Route(f"{W}/employment/", perm=VIEW, denied="sysadmin"),
    "relocation_support:employment_export": Route(f"{W}/employment/export/", perm=VIEW, denied="secadmin"),
}

# (entity, plural in the API, a valid create body: the member id is a sample, so the permitted call may answer 422)
KINDS = [
    ("capacity", "capacities", {"person": 1, "capacity": "able"}),
    ("employment", "employments", {"person": 1, "kind": "county", "started_on": "2025-01-01"}),
    ("training", "trainings", {"person": 1, "course": "巡检培训", "started_on": "2025-01-01"}),
    ("insurance", "insurances", {"person": 1, "year": 2025}),
    ("medical", "medical-costs", {"person": 1, "year": 2025}),
    ("welfare", "welfare", {"kind": "tekun", "started_on": "2020-01-01", "ended_on": "2020-12-31"}),
    ("income", "incomes", {"year": 2020, "persons": 3}),
    ("industry", "industries", {"year": 2025, "kind": "planting", "mode": "own"}),
    ("service", "services", {"kind": "other", "on": "2025-01-01"}),
]

API: dict = {
    f"GET {A}/households": Route(f"{A}/households", perm=VIEW, denied="sysadmin"),
    f"GET {A}/households/{{household_id}}": Route(f"{A}/households/{{rs_household}}", perm=VIEW, denied="secadmin", scoped=True),
    f"GET {A}/employments": Route(f"{A}/employments", perm=VIEW, denied="sysadmin"),
    f"POST {A}/employments/{{record_id}}/end": Route(f"{A}/employments/{{rs_employment}}/end", perm=EDIT, denied="leader", scoped=True,
                                                      data={"ended_on": "2025-12-31"}),
    f"POST {A}/welfare/{{record_id}}/end": Route(f"{A}/welfare/{{rs_welfare}}/end", perm=EDIT, denied="finance", scoped=True,
                                                  data={"ended_on": "2025-12-31"}),
}
for _entity, _plural, _body in KINDS:
    API[f"GET {A}/households/{{household_id}}/{_plural}"] = Route(f"{A}/households/{{rs_household}}/{_plural}", perm=VIEW,
                                                                  denied="sysadmin", scoped=True)
    API[f"POST {A}/households/{{household_id}}/{_plural}"] = Route(f"{A}/households/{{rs_household}}/{_plural}", perm=EDIT,
                                                                   denied="leader", scoped=True, data=_body)
    API[f"PATCH {A}/{_plural}/{{record_id}}"] = Route(f"{A}/{_plural}/{{rs_{_entity}}}", perm=EDIT, denied="auditor", scoped=True,
                                                      data={})
    API[f"DELETE {A}/{_plural}/{{record_id}}"] = Route(f"{A}/{_plural}/{{rs_{_entity}_del}}", perm=EDIT, denied="leader", scoped=True)


def _records(household) -> dict:
    """One record of every kind (and a second, to delete) for the household's head."""
    from anju.relocation.models import Employment, Income, Industry, Insurance, LabourCapacity, MedicalCost, Service, Training, Welfare

    person = household.head
    common = {"household": household, "division_code": household.division_code}
    start = dt.date(2025, 1, 1)
    out = {}
    for suffix in ("", "_del"):
        year = 2024 if suffix else 2025
        made = {
            "capacity": LabourCapacity.objects.create(person=person, capacity="able", recorded_on=start, **common) if not suffix else
            LabourCapacity.objects.create(person=household.memberships.exclude(person=person).first().person, capacity="weak",
                                          recorded_on=start, **common),
            "employment": Employment.objects.create(person=person, kind="county", started_on=start, **common),
            "training": Training.objects.create(person=person, course="电工", started_on=start, **common),
            "insurance": Insurance.objects.create(person=person, year=year, **common),
            "medical": MedicalCost.objects.create(person=person, year=year, **common),
            "welfare": Welfare.objects.create(kind="dibao", started_on=dt.date(year, 1, 1), ended_on=None if not suffix else dt.date(year, 12, 31),
                                              **common),
            "income": Income.objects.create(year=year, persons=3, surveyed_on=start, **common),
            "industry": Industry.objects.create(year=year, kind="planting", mode="own", **common),
            "service": Service.objects.create(kind="other", on=start, **common),
        }
        out.update({f"rs_{entity}{suffix}": row.pk for entity, row in made.items()})
    out["rs_training_web"] = Training.objects.create(person=person, course="web", started_on=start, **common).pk  # the page deletes it
    return out


def objects(users: dict) -> tuple[dict, dict]:
    """Sample objects the paths above name: (inside the actors' city 4299, outside it in 4298)."""
    from tests.relocation.factories import OTHER_VILLAGE, make_relocated_household

    ours = make_relocated_household()
    theirs = make_relocated_household(village=OTHER_VILLAGE)
    return {"rs_household": ours.pk, **_records(ours)}, {"rs_household": theirs.pk, **_records(theirs)}

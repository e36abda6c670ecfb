"""Authorisation-walker routes of the registry's crosschecks area (see tests/test_authz_walker.py)."""

from __future__ import annotations

from anju.accounts.roles import Perm
from tests.test_authz_walker import Route

_DISMISS = {"reason": "walker"}

WEB: dict = {
    "registry_crosschecks:list": Route("/registry/crosschecks/", perm=Perm.REGISTRY_VIEW, denied="sysadmin"),
    "registry_crosschecks:new": Route("/registry/crosschecks/new/", perm=Perm.CROSSCHECK_RUN, denied="city_admin"),
    "registry_crosschecks:detail": Route("/registry/crosschecks/{xck_batch}/", perm=Perm.REGISTRY_VIEW, denied="secadmin", scoped=True),
    "registry_crosschecks:confirm": Route("/registry/crosschecks/matches/{xck_match}/confirm/", "POST", Perm.REQUEST_SUBMIT,
                                          denied="city_admin", scoped=True),
    "registry_crosschecks:dismiss": Route("/registry/crosschecks/matches/{xck_match_d}/dismiss/", "POST", Perm.REQUEST_SUBMIT,
                                          denied="city_admin", scoped=True, data=_DISMISS),
    "registry_crosschecks:duplicates": Route("/registry/crosschecks/duplicates/", perm=Perm.REGISTRY_VIEW, denied="auditadmin"),
    "registry_crosschecks:duplicates_export": Route("/registry/crosschecks/duplicates/export/", "POST", Perm.REGISTRY_EXPORT,
                                                    denied="city_admin"),
}

_API = "/api/v1/registry/crosschecks"
API: dict = {
    "GET /api/v1/registry/crosschecks": Route(_API, perm=Perm.REGISTRY_VIEW, denied="sysadmin"),
    "POST /api/v1/registry/crosschecks": Route(_API, perm=Perm.CROSSCHECK_RUN, denied="city_admin"),
    "GET /api/v1/registry/crosschecks/{batch_id}": Route(_API + "/{xck_batch}", perm=Perm.REGISTRY_VIEW, denied="secadmin", scoped=True),
    "GET /api/v1/registry/crosschecks/{batch_id}/matches": Route(_API + "/{xck_batch}/matches", perm=Perm.REGISTRY_VIEW, denied="auditadmin",
                                                                 scoped=True),
    "POST /api/v1/registry/crosschecks/matches/{match_id}/confirm": Route(_API + "/matches/{xck_match}/confirm", perm=Perm.REQUEST_SUBMIT,
                                                                          denied="city_admin", scoped=True),
    "POST /api/v1/registry/crosschecks/matches/{match_id}/dismiss": Route(_API + "/matches/{xck_match_d}/dismiss", perm=Perm.REQUEST_SUBMIT,
                                                                          denied="city_admin", scoped=True, data=_DISMISS),
    "GET /api/v1/registry/crosschecks/duplicates": Route(_API + "/duplicates", perm=Perm.REGISTRY_VIEW, denied="sysadmin"),
    "GET /api/v1/registry/crosschecks/duplicates/export": Route(_API + "/duplicates/export", perm=Perm.REGISTRY_EXPORT, denied="city_admin"),
}


def _batch_with_matches(village: str, scope: str, number: str) -> tuple[int, int, int]:
    """A batch run at `scope` with two suggested matches (one to confirm, one to dismiss) of a household in `village`."""
    from anju.registry.models import CrossCheckBatch, CrossCheckMatch
    from tests.registry.factories import make_household

    household = make_household(number, [("比对甲", "户主"), ("比对乙", "配偶")], village=village)
    batch = CrossCheckBatch.objects.create(kind="dibao", source="民政局", as_of="2025-12-31", file_name="walker.xlsx", division_code=scope,
                                           counts={"rows": 2})
    ids = []
    for row, enrolment in enumerate(household.enrolments.select_related("person").order_by("id"), start=2):
        match = CrossCheckMatch.objects.create(batch=batch, row=row, name=enrolment.person.name, id_masked=enrolment.person.id_masked,
                                               person=enrolment.person, enrolment=enrolment, division_code=village, method="id")
        ids.append(match.pk)
    return batch.pk, ids[0], ids[1]


def objects(users: dict) -> tuple[dict, dict]:
    """Sample objects the paths above name: (inside the actors' city 4299, outside it in 4298)."""
    from tests.registry.factories import OTHER_VILLAGE, VILLAGE

    batch, match, match_d = _batch_with_matches(VILLAGE, "429900000000", "XCK-W1")
    o_batch, o_match, o_match_d = _batch_with_matches(OTHER_VILLAGE, "429800000000", "XCK-W2")
    return ({"xck_batch": batch, "xck_match": match, "xck_match_d": match_d},
            {"xck_batch": o_batch, "xck_match": o_match, "xck_match_d": o_match_d})

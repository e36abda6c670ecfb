"""Authorisation-walker routes of the registry's registry area (see tests/test_authz_walker.py)."""

from __future__ import annotations

from anju.accounts.roles import Perm
from tests.test_authz_walker import Route

VIEW, PII, REF = Perm.REGISTRY_VIEW, Perm.REGISTRY_VIEW_PII, Perm.REFERENCE_MANAGE

WEB: dict = {
    "registry:search": Route("/registry/?q=张", perm=VIEW, denied="sysadmin"),
    "registry:household": Route("/registry/households/{registry_household}/", perm=VIEW, denied="secadmin", scoped=True),
    "registry:person": Route("/registry/persons/{registry_person}/", perm=VIEW, denied="auditadmin", scoped=True),
    "registry:person_reveal": Route("/registry/persons/{registry_person}/reveal/", "POST", PII, denied="city_admin", scoped=True,
                                    data={"field": "id_number"}),
    "registry:roster": Route("/registry/roster/", perm=VIEW, denied="auditadmin"),
    "registry:reservoirs": Route("/registry/reservoirs/", perm=VIEW, denied="sysadmin"),
    "registry:reservoir_new": Route("/registry/reservoirs/new/", perm=REF, denied="city_admin"),
    "registry:reservoir_edit": Route("/registry/reservoirs/{registry_reservoir}/edit/", perm=REF, denied="city_admin", scoped=True),
}

API: dict = {
    "GET /api/v1/registry/persons": Route("/api/v1/registry/persons?q=张", perm=VIEW, denied="sysadmin"),
    "GET /api/v1/registry/persons/{person_id}": Route("/api/v1/registry/persons/{registry_person}", perm=VIEW, denied="secadmin",
                                                      scoped=True),
    "GET /api/v1/registry/persons/{person_id}/timeline": Route("/api/v1/registry/persons/{registry_person}/timeline", perm=VIEW,
                                                               denied="auditadmin", scoped=True),
    "POST /api/v1/registry/persons/{person_id}/reveal": Route("/api/v1/registry/persons/{registry_person}/reveal", perm=PII,
                                                              denied="city_admin", scoped=True, data={"field": "id_number"}),
    "GET /api/v1/registry/households": Route("/api/v1/registry/households?q=W", perm=VIEW, denied="sysadmin"),
    "GET /api/v1/registry/households/{household_id}": Route("/api/v1/registry/households/{registry_household}", perm=VIEW,
                                                            denied="secadmin", scoped=True),
    "GET /api/v1/registry/households/{household_id}/timeline": Route("/api/v1/registry/households/{registry_household}/timeline",
                                                                     perm=VIEW, denied="auditadmin", scoped=True),
    "GET /api/v1/registry/roster": Route("/api/v1/registry/roster?program=reservoir", perm=VIEW, denied="sysadmin"),
    "GET /api/v1/registry/reservoirs": Route("/api/v1/registry/reservoirs", perm=VIEW, denied="secadmin"),
    "POST /api/v1/registry/reservoirs": Route("/api/v1/registry/reservoirs", perm=REF, denied="city_admin",
                                              data={"code": "WALK-NEW", "name": "巡检水库", "scale": "medium", "county": "429921"}),
    "PATCH /api/v1/registry/reservoirs/{reservoir_id}": Route("/api/v1/registry/reservoirs/{registry_reservoir}", perm=REF,
                                                              denied="city_admin", scoped=True, data={"name": "改名水库"}),
}


def objects(users: dict) -> tuple[dict, dict]:
    """Sample objects the paths above name: (inside the actors' city 4299, outside it in 4298)."""
    from anju.registry.models import Reservoir
    from tests.registry.factories import OTHER_VILLAGE, make_household

    inside = make_household("WALK-IN", [("张巡检", "户主")])
    outside = make_household("WALK-OUT", [("张外市", "户主")], village=OTHER_VILLAGE)
    ours = Reservoir.objects.create(code="WALK-R-IN", name="本市水库", scale="medium", division_code="429921000000")
    theirs = Reservoir.objects.create(code="WALK-R-OUT", name="外市水库", scale="medium", division_code="429821000000")
    return ({"registry_household": inside.pk, "registry_person": inside.head_id, "registry_reservoir": ours.pk},
            {"registry_household": outside.pk, "registry_person": outside.head_id, "registry_reservoir": theirs.pk})

"""Authorisation-walker routes of the relocation module (sites) (see tests/test_authz_walker.py)."""

from __future__ import annotations

from anju.accounts.roles import Perm
from tests.test_authz_walker import Route

VIEW, REF = Perm.REGISTRY_VIEW, Perm.REFERENCE_MANAGE

WEB: dict = {
    "relocation:sites": Route("/relocation/sites/", perm=VIEW, denied="sysadmin"),
    "relocation:site_new": Route("/relocation/sites/new/", perm=REF, denied="city_admin"),
    "relocation:site": Route("/relocation/sites/{relocation_site}/", perm=VIEW, denied="auditadmin", scoped=True),
    "relocation:site_edit": Route("/relocation/sites/{relocation_site}/edit/", perm=REF, denied="city_admin", scoped=True),
}

API: dict = {
    "GET /api/v1/relocation/sites": Route("/api/v1/relocation/sites", perm=VIEW, denied="sysadmin"),
    "POST /api/v1/relocation/sites": Route("/api/v1/relocation/sites", perm=REF, denied="city_admin",
                                           data={"code": "WALK-S-NEW", "name": "巡检安置点", "division": "429921101",
                                                 "placement": "concentrated", "area_type": "urban", "capacity": 10}),
    "GET /api/v1/relocation/sites/{site_id}": Route("/api/v1/relocation/sites/{relocation_site}", perm=VIEW, denied="secadmin",
                                                    scoped=True),
    "PATCH /api/v1/relocation/sites/{site_id}": Route("/api/v1/relocation/sites/{relocation_site}", perm=REF, denied="city_admin",
                                                      scoped=True, data={"capacity": 12}),
}


def objects(users: dict) -> tuple[dict, dict]:
    """Sample objects the paths above name: (inside the actors' city 4299, outside it in 4298)."""
    from anju.relocation.models import Site

    ours = Site.objects.create(code="WALK-S-IN", name="本市安置点", division_code="429921101000", placement="concentrated",
                               area_type="urban", capacity=100)
    theirs = Site.objects.create(code="WALK-S-OUT", name="外市安置点", division_code="429821100000", placement="dispersed",
                                 area_type="rural", capacity=50)
    return {"relocation_site": ours.pk}, {"relocation_site": theirs.pk}

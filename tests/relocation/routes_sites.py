"""Authorisation-walker routes of the relocation module (sites) (see tests/test_authz_walker.py)."""

from __future__ import annotations

from anju.accounts.roles import Perm
from tests.test_authz_walker import Route

VIEW, REF, CONFIRM = Perm.RELOCATION_VIEW, Perm.REFERENCE_MANAGE, Perm.RELOCATION_CONFIRM
S = "/relocation/sites/{relocation_site}"
A = "/api/v1/relocation/sites"
AS = A + "/{relocation_site}"

WEB: dict = {
    "relocation:sites": Route("/relocation/sites/", perm=VIEW, denied="sysadmin"),
    "relocation:sites_export": Route("/relocation/sites/export/", perm=VIEW, denied="secadmin"),
    "relocation:site_new": Route("/relocation/sites/new/", perm=REF, denied="city_admin"),
    "relocation:site": Route(S + "/", perm=VIEW, denied="auditadmin", scoped=True),
    "relocation:site_edit": Route(S + "/edit/", perm=REF, denied="city_admin", scoped=True),
    "relocation:facility_new": Route(S + "/facilities/new/", perm=CONFIRM, denied="leader", scoped=True),
    "relocation:facility_edit": Route(S + "/facilities/{rs_facility}/edit/", perm=CONFIRM, denied="leader", scoped=True),
    "relocation:facility_delete": Route(S + "/facilities/{rs_facility_web_del}/delete/", "POST", perm=CONFIRM, denied="leader",
                                        scoped=True),
    "relocation:organisation_new": Route(S + "/organisations/new/", perm=CONFIRM, denied="leader", scoped=True),
    "relocation:organisation_edit": Route(S + "/organisations/{rs_organisation}/edit/", perm=CONFIRM, denied="leader", scoped=True),
    "relocation:organisation_delete": Route(S + "/organisations/{rs_organisation_web_del}/delete/", "POST", perm=CONFIRM,
                                            denied="leader", scoped=True),
}

API: dict = {
    "GET /api/v1/relocation/sites": Route(A, perm=VIEW, denied="sysadmin"),
    "POST /api/v1/relocation/sites": Route(A, perm=REF, denied="city_admin",
                                           data={"code": "WALK-S-NEW", "name": "巡检安置点", "division": "429921101",
                                                 "placement": "concentrated", "area_type": "urban", "capacity": 10}),
    "GET /api/v1/relocation/sites/{site_id}": Route(AS, perm=VIEW, denied="secadmin", scoped=True),
    "PATCH /api/v1/relocation/sites/{site_id}": Route(AS, perm=REF, denied="city_admin", scoped=True, data={"capacity": 12}),
    "POST /api/v1/relocation/sites/{site_id}/facilities": Route(AS + "/facilities", perm=CONFIRM, denied="leader", scoped=True,
                                                                data={"kind": "school", "name": "巡检小学"}),
    "PATCH /api/v1/relocation/sites/{site_id}/facilities/{facility_id}": Route(AS + "/facilities/{rs_facility}", perm=CONFIRM,
                                                                               denied="leader", scoped=True, data={"jobs": 3}),
    "DELETE /api/v1/relocation/sites/{site_id}/facilities/{facility_id}": Route(AS + "/facilities/{rs_facility_api_del}", perm=CONFIRM,
                                                                                denied="leader", scoped=True),
    "POST /api/v1/relocation/sites/{site_id}/organisations": Route(AS + "/organisations", perm=CONFIRM, denied="leader", scoped=True,
                                                                   data={"kind": "party", "name": "巡检党支部"}),
    "PATCH /api/v1/relocation/sites/{site_id}/organisations/{organisation_id}": Route(AS + "/organisations/{rs_organisation}",
                                                                                      perm=CONFIRM, denied="leader", scoped=True,
                                                                                      data={"members": 4}),
    "DELETE /api/v1/relocation/sites/{site_id}/organisations/{organisation_id}": Route(AS + "/organisations/{rs_organisation_api_del}",
                                                                                       perm=CONFIRM, denied="leader", scoped=True),
}


def objects(users: dict) -> tuple[dict, dict]:
    """Sample objects the paths above name: (inside the actors' city 4299, outside it in 4298)."""
    from anju.relocation.models import Facility, Organisation, Site

    ours = Site.objects.create(code="WALK-S-IN", name="本市安置点", division_code="429921101000", placement="concentrated",
                               area_type="urban", capacity=100)
    theirs = Site.objects.create(code="WALK-S-OUT", name="外市安置点", division_code="429821100000", placement="dispersed",
                                 area_type="rural", capacity=50)

    def items(site):
        out = {"relocation_site": site.pk}
        for key in ("rs_facility", "rs_facility_web_del", "rs_facility_api_del"):
            out[key] = Facility.objects.create(site=site, kind="school", name=f"巡检设施{key}").pk
        for key in ("rs_organisation", "rs_organisation_web_del", "rs_organisation_api_del"):
            out[key] = Organisation.objects.create(site=site, kind="party", name=f"巡检组织{key}").pk
        return out

    return items(ours), items(theirs)

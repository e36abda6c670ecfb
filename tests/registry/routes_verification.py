"""Authorisation-walker routes of the registry's verification area (see tests/test_authz_walker.py)."""

from __future__ import annotations

from anju.accounts.roles import Perm
from tests.test_authz_walker import Route

V = "/registry/verification/{verification_id}"
A = "/api/v1/registry/verifications"
AV = A + "/{verification_id}"

# The sample verification is county-signed: county sign-off by the city signer answers 409 (its state is checked
# before the signer's level), city sign-off locks it, later transitions answer 409. Nothing answers 401/403/404.
WEB: dict = {
    "registry_verification:list": Route("/registry/verification/", perm=Perm.REGISTRY_VIEW, denied="sysadmin"),
    "registry_verification:run": Route("/registry/verification/run/", perm=Perm.VERIFICATION_RUN, denied="city_admin"),
    "registry_verification:detail": Route(V + "/", perm=Perm.REGISTRY_VIEW, denied="auditadmin", scoped=True),
    "registry_verification:entries": Route(V + "/entries/", perm=Perm.REGISTRY_VIEW, denied="secadmin", scoped=True),
    "registry_verification:sign_county": Route(V + "/sign-county/", "POST", Perm.VERIFICATION_SIGN, allowed="city_admin",
                                               denied="city_clerk", scoped=True),
    "registry_verification:sign_city": Route(V + "/sign-city/", "POST", Perm.VERIFICATION_SIGN, allowed="city_admin",
                                             denied="city_clerk", scoped=True),
    "registry_verification:reopen": Route(V + "/reopen/", "POST", Perm.VERIFICATION_SIGN, allowed="city_admin", denied="city_clerk",
                                          scoped=True, data={"reason": "walker"}),
    "registry_verification:roster": Route(V + "/roster/", "POST", Perm.REGISTRY_EXPORT, denied="city_admin", scoped=True),
    "registry_verification:summary": Route(V + "/summary.xlsx", perm=Perm.REGISTRY_VIEW, denied="sysadmin", scoped=True),
    "registry_verification:report": Route(V + "/report.docx", perm=Perm.REGISTRY_VIEW, allowed="city_admin", denied="auditadmin",
                                          scoped=True),
}

API: dict = {
    f"GET {A}": Route(A, perm=Perm.REGISTRY_VIEW, denied="sysadmin"),
    f"POST {A}": Route(A, perm=Perm.VERIFICATION_RUN, denied="city_admin", data={"year": 2025, "program": "reservoir", "county": "429921"}),
    f"GET {A}/{{verification_id}}": Route(AV, perm=Perm.REGISTRY_VIEW, denied="secadmin", scoped=True),
    f"POST {A}/{{verification_id}}/sign-county": Route(AV + "/sign-county", perm=Perm.VERIFICATION_SIGN, allowed="city_admin",
                                                       denied="city_clerk", scoped=True),
    f"POST {A}/{{verification_id}}/sign-city": Route(AV + "/sign-city", perm=Perm.VERIFICATION_SIGN, allowed="city_admin",
                                                     denied="city_clerk", scoped=True),
    f"POST {A}/{{verification_id}}/reopen": Route(AV + "/reopen", perm=Perm.VERIFICATION_SIGN, allowed="city_admin", denied="city_clerk",
                                                  scoped=True, data={"reason": "walker"}),
    f"GET {A}/{{verification_id}}/changes": Route(AV + "/changes", perm=Perm.REGISTRY_VIEW, denied="auditadmin", scoped=True),
    f"GET {A}/{{verification_id}}/entries": Route(AV + "/entries", perm=Perm.REGISTRY_VIEW, denied="sysadmin", scoped=True),
    f"POST {A}/{{verification_id}}/roster-exports": Route(AV + "/roster-exports", perm=Perm.REGISTRY_EXPORT, denied="city_admin",
                                                          scoped=True, data={"unmasked": False}),
    f"GET {A}/{{verification_id}}/summary": Route(AV + "/summary", perm=Perm.REGISTRY_VIEW, denied="secadmin", scoped=True),
    f"GET {A}/{{verification_id}}/report": Route(AV + "/report", perm=Perm.REGISTRY_VIEW, denied="sysadmin", scoped=True),
}


def objects(users: dict) -> tuple[dict, dict]:
    """Sample objects the paths above name: (inside the actors' city 4299, outside it in 4298)."""
    import datetime as dt

    from anju.registry.models import Verification

    def sample(county: str) -> Verification:
        return Verification.objects.create(year=2024, program="reservoir", division_code=county, as_of=dt.date(2024, 12, 31),
                                           state=Verification.State.COUNTY_SIGNED, counts={"total": 0})

    return {"verification_id": sample("429921000000").pk}, {"verification_id": sample("429821000000").pk}

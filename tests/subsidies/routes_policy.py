"""Authorisation-walker routes of the subsidies' policy area (see tests/test_authz_walker.py)."""

from __future__ import annotations

from anju.accounts.roles import Perm
from tests.test_authz_walker import Route

P = "/subsidies/policies"
PD = P + "/{subsidy_policy_id}"
PP = P + "/{subsidy_published_id}"
A = "/api/v1/subsidies/policies"
AD = A + "/{subsidy_policy_id}"
AP = A + "/{subsidy_published_id}"

# The sample draft (city scope 4299) is published by the web route first: later publishes, edits and what-ifs of it answer
# 409, which is past authorisation. The sample published version is revoked likewise. Nothing answers 401/403/404.
WEB: dict = {
    "subsidies_policy:list": Route(P + "/", perm=Perm.SUBSIDY_VIEW, denied="sysadmin"),
    "subsidies_policy:new": Route(P + "/new/", perm=Perm.SUBSIDY_POLICY, denied="leader"),
    "subsidies_policy:detail": Route(PD + "/", perm=Perm.SUBSIDY_VIEW, denied="auditadmin", scoped=True),
    "subsidies_policy:edit": Route(PD + "/edit/", perm=Perm.SUBSIDY_POLICY, denied="finance", scoped=True),
    "subsidies_policy:copy": Route(PP + "/copy/", perm=Perm.SUBSIDY_POLICY, denied="auditor", scoped=True),
    "subsidies_policy:publish": Route(PD + "/publish/", "POST", Perm.SUBSIDY_POLICY_PUBLISH, allowed="city_admin", denied="city_clerk",
                                      scoped=True),
    "subsidies_policy:revoke": Route(PP + "/revoke/", "POST", Perm.SUBSIDY_POLICY_PUBLISH, allowed="city_admin", denied="city_clerk",
                                     scoped=True, data={"reason": "walker"}),
    "subsidies_policy:whatif": Route(PD + "/whatif/", "POST", Perm.SUBSIDY_POLICY, denied="leader", scoped=True, data={"years": 2}),
}

API: dict = {
    f"GET {A}": Route(A, perm=Perm.SUBSIDY_VIEW, denied="secadmin"),
    f"POST {A}": Route(A, perm=Perm.SUBSIDY_POLICY, denied="leader",
                       data={"title": "walker", "scope": "4299", "effective_from": "2032-01-01", "standard_yuan": "700"}),
    f"GET {A}/{{policy_id}}": Route(AD, perm=Perm.SUBSIDY_VIEW, denied="sysadmin", scoped=True),
    f"PATCH {A}/{{policy_id}}": Route(AD, perm=Perm.SUBSIDY_POLICY, denied="finance", scoped=True, data={"note": "walker"}),
    f"POST {A}/{{policy_id}}/copy": Route(AP + "/copy", perm=Perm.SUBSIDY_POLICY, denied="auditor", scoped=True, data={}),
    f"POST {A}/{{policy_id}}/publish": Route(AD + "/publish", perm=Perm.SUBSIDY_POLICY_PUBLISH, allowed="city_admin", denied="city_clerk",
                                             scoped=True),
    f"POST {A}/{{policy_id}}/revoke": Route(AP + "/revoke", perm=Perm.SUBSIDY_POLICY_PUBLISH, allowed="city_admin", denied="city_clerk",
                                            scoped=True, data={"reason": "walker"}),
    f"GET {A}/{{policy_id}}/effective": Route(AD + "/effective", perm=Perm.SUBSIDY_VIEW, denied="auditadmin", scoped=True),
    f"POST {A}/{{policy_id}}/whatif": Route(AD + "/whatif", perm=Perm.SUBSIDY_POLICY, denied="leader", scoped=True, data={"years": 2}),
    f"GET {A}/{{policy_id}}/whatif": Route(AD + "/whatif", perm=Perm.SUBSIDY_POLICY, denied="finance", scoped=True),
}


def objects(users: dict) -> tuple[dict, dict]:
    """Sample objects the paths above name: (inside the actors' city 4299, outside it in 4298)."""
    import datetime as dt

    from anju.subsidies.models import SubsidyPolicy
    from anju.subsidies.services.policy import subsidy_policy_create, subsidy_policy_publish

    def create(scope: str, day: dt.date):
        return subsidy_policy_create(actor=users["city_clerk"], title="walker", scope=scope, effective_from=day, period_years=25)

    published = subsidy_policy_publish(actor=users["city_admin"], policy=create("4299", dt.date(2031, 7, 1)))
    inside = {"subsidy_policy_id": create("429921", dt.date(2031, 1, 1)).pk, "subsidy_published_id": published.pk}

    def foreign(state: str) -> int:
        return SubsidyPolicy.objects.create(title="外市", scope="4298", effective_from=dt.date(2031, 1, 1), state=state, period_years=25).pk

    return inside, {"subsidy_policy_id": foreign("draft"), "subsidy_published_id": foreign("published")}

"""Authorisation-walker routes of the subsidies' batches area (see tests/test_authz_walker.py)."""

from __future__ import annotations

from anju.accounts.roles import Perm
from tests.test_authz_walker import Route

B = "/subsidies/batches"
BI = B + "/{sb_batch_id}"
A = "/api/v1/subsidies/batches"
AB = A + "/{sb_batch_id}"
E = "/api/v1/subsidies/entitlements"

# Review and approval belong to the 县级审核 alone (no city-level role holds SUBSIDY_REVIEW): objects() adds such an actor,
# in scope of the sample batches, as users["county_reviewer"]. The sample draft is reviewed by the first review call;
# later calls on it answer 409. Approval and send-back use a batch reviewed by someone else; deletion its own drafts.
# Object keys carry an sb_ prefix: the sample objects of every area share one namespace (registry imports has batch_id).
REVIEWER = "county_reviewer"

WEB: dict = {
    "subsidies:batch_list": Route(B + "/", perm=Perm.SUBSIDY_VIEW, denied="sysadmin"),
    "subsidies:batch_create": Route(B + "/new/", perm=Perm.SUBSIDY_RUN, denied="city_admin"),
    "subsidies:batch_detail": Route(BI + "/", perm=Perm.SUBSIDY_VIEW, denied="auditadmin", scoped=True),
    "subsidies:batch_review": Route(BI + "/review/", "POST", Perm.SUBSIDY_REVIEW, allowed=REVIEWER, denied="city_clerk", scoped=True),
    "subsidies:batch_approve": Route(B + "/{sb_reviewed_batch_id}/approve/", "POST", Perm.SUBSIDY_REVIEW, allowed=REVIEWER,
                                     denied="city_clerk", scoped=True),
    "subsidies:batch_send_back": Route(B + "/{sb_reviewed_batch_id}/send-back/", "POST", Perm.SUBSIDY_REVIEW, allowed=REVIEWER,
                                       denied="city_clerk", scoped=True, data={"reason": "walker"}),
    "subsidies:batch_delete": Route(B + "/{sb_deletable_batch_id}/delete/", "POST", Perm.SUBSIDY_RUN, denied="city_admin", scoped=True),
    "subsidies:batch_refresh_accounts": Route(BI + "/refresh-accounts/", "POST", Perm.SUBSIDY_RUN, denied="leader", scoped=True),
    "subsidies:item_hold": Route(BI + "/items/{sb_item_id}/hold/", "POST", Perm.SUBSIDY_RUN, denied="city_admin", scoped=True,
                                 data={"cause": "suspended", "reason": "walker"}),
    "subsidies:item_release": Route(BI + "/items/{sb_item_id}/release/", "POST", Perm.SUBSIDY_RUN, denied="finance", scoped=True),
    "subsidies:entitlements": Route("/subsidies/entitlements/?scope={code}&year=2026&quarter=0&preview=on", perm=Perm.SUBSIDY_VIEW,
                                    denied="sysadmin"),
    "subsidies:entitlements_export": Route("/subsidies/entitlements/export/", "POST", Perm.SUBSIDY_VIEW, denied="secadmin",
                                           data={"scope": "429921", "year": 2026, "quarter": 0, "preview": "on"}),
}

API: dict = {
    f"GET {A}": Route(A, perm=Perm.SUBSIDY_VIEW, denied="sysadmin"),
    f"POST {A}": Route(A, perm=Perm.SUBSIDY_RUN, denied="city_admin", data={"county": "429921", "year": 2026}),
    f"GET {A}/{{batch_id}}": Route(AB, perm=Perm.SUBSIDY_VIEW, denied="secadmin", scoped=True),
    f"DELETE {A}/{{batch_id}}": Route(A + "/{sb_api_deletable_batch_id}", perm=Perm.SUBSIDY_RUN, denied="auditor", scoped=True),
    f"POST {A}/{{batch_id}}/review": Route(AB + "/review", perm=Perm.SUBSIDY_REVIEW, allowed=REVIEWER, denied="city_clerk", scoped=True),
    f"POST {A}/{{batch_id}}/approve": Route(A + "/{sb_reviewed_batch_id}/approve", perm=Perm.SUBSIDY_REVIEW, allowed=REVIEWER,
                                            denied="city_clerk", scoped=True),
    f"POST {A}/{{batch_id}}/send-back": Route(A + "/{sb_reviewed_batch_id}/send-back", perm=Perm.SUBSIDY_REVIEW, allowed=REVIEWER,
                                              denied="city_clerk", scoped=True, data={"reason": "walker"}),
    f"POST {A}/{{batch_id}}/refresh-accounts": Route(AB + "/refresh-accounts", perm=Perm.SUBSIDY_RUN, denied="city_admin", scoped=True),
    f"GET {A}/{{batch_id}}/items": Route(AB + "/items", perm=Perm.SUBSIDY_VIEW, denied="auditadmin", scoped=True),
    f"GET {A}/{{batch_id}}/exceptions": Route(AB + "/exceptions", perm=Perm.SUBSIDY_VIEW, denied="sysadmin", scoped=True),
    f"GET {A}/{{batch_id}}/townships": Route(AB + "/townships", perm=Perm.SUBSIDY_VIEW, denied="secadmin", scoped=True),
    f"POST {A}/{{batch_id}}/items/{{item_id}}/hold": Route(AB + "/items/{sb_item_id}/hold", perm=Perm.SUBSIDY_RUN, denied="leader", scoped=True,
                                                          data={"cause": "suspended", "reason": "walker"}),
    f"POST {A}/{{batch_id}}/items/{{item_id}}/release": Route(AB + "/items/{sb_item_id}/release", perm=Perm.SUBSIDY_RUN, denied="finance",
                                                             scoped=True),
    f"GET {E}": Route(E + "?scope={code}&year=2026&preview=true", perm=Perm.SUBSIDY_VIEW, denied="auditadmin", scoped=True),
    f"POST {E}/exports": Route(E + "/exports", perm=Perm.SUBSIDY_VIEW, denied="sysadmin",
                               data={"scope": "429921", "year": 2026, "preview": True}),
}


def objects(users: dict) -> tuple[dict, dict]:
    """Sample objects the paths above name: (inside the actors' city 4299, outside it in 4298)."""
    from anju.accounts.roles import ROLES
    from anju.accounts.services import user_create
    from anju.divisions.models import Division
    from anju.registry.models import Enrolment
    from anju.subsidies.models import Batch
    from tests.conftest import DEMO_PASSWORD
    from tests.registry.factories import OTHER_VILLAGE, VILLAGE, make_household

    from .factories import make_batch, make_item

    if REVIEWER not in users:  # another area may have added the same actor
        county = Division.objects.get(code="429921000000")
        users[REVIEWER] = user_create(actor=None, username="w_county_reviewer", role=ROLES[REVIEWER], entry_scope=county, view_scope=county,
                                      password=DEMO_PASSWORD, must_change_password=False)

    def sample(county: str, village: str, number: str) -> tuple[Batch, int]:
        enrolment = Enrolment.objects.get(household=make_household(number, [("走" + number, "户主")], village=village))
        batch = make_batch(county=county, year=2026)
        return batch, make_item(batch, enrolment).pk

    inside, item = sample("429921000000", VILLAGE, "WB01")
    reviewed = make_batch(year=2025, state=Batch.State.REVIEWED, reviewed_by=users["city_clerk"])
    outside, outside_item = sample("429821000000", OTHER_VILLAGE, "WB02")
    return ({"sb_batch_id": inside.pk, "sb_item_id": item, "sb_reviewed_batch_id": reviewed.pk,
             "sb_deletable_batch_id": make_batch(year=2024).pk, "sb_api_deletable_batch_id": make_batch(year=2023).pk},
            {"sb_batch_id": outside.pk, "sb_item_id": outside_item, "sb_reviewed_batch_id": outside.pk, "sb_deletable_batch_id": outside.pk,
             "sb_api_deletable_batch_id": outside.pk})

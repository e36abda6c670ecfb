"""Authorisation-walker routes of the relocation spot-check area (see tests/test_authz_walker.py)."""

from __future__ import annotations

from anju.accounts.roles import Perm
from tests.test_authz_walker import Route

VIEW, INSPECT, EDIT = Perm.RELOCATION_VIEW, Perm.RELOCATION_INSPECT, Perm.RELOCATION_EDIT
W, A = "/relocation/checks", "/api/v1/relocation/checks"
RESULT = {"result": "consistent", "checked_on": "2025-07-01", "checker": "巡检"}
RESOLVE = {"note": "已整改", "resolved_on": "2025-07-10"}

WEB: dict = {
    "relocation_checks:list": Route(W + "/", perm=VIEW, denied="sysadmin"),
    "relocation_checks:draw": Route(W + "/new/", perm=INSPECT, denied="leader"),
    "relocation_checks:follow_ups": Route(W + "/follow-ups/", perm=VIEW, denied="secadmin"),
    "relocation_checks:item_result": Route(W + "/items/{sc_item}/result/", perm=INSPECT, denied="finance", scoped=True),
    "relocation_checks:follow_up": Route(W + "/items/{sc_follow_up}/follow-up/", perm=INSPECT, denied="leader", scoped=True),
    "relocation_checks:check": Route(W + "/{sc_check}/", perm=VIEW, denied="auditadmin", scoped=True),
    "relocation_checks:verify": Route(W + "/{sc_check}/verify/", "POST", perm=VIEW, denied="sysadmin", scoped=True),
    "relocation_checks:close": Route(W + "/{sc_check}/close/", "POST", perm=INSPECT, denied="leader", scoped=True),
    "relocation_checks:sample_export": Route(W + "/{sc_check}/sample.xlsx", perm=VIEW, denied="secadmin", scoped=True),
    "relocation_checks:results_export": Route(W + "/{sc_check}/results.xlsx", perm=VIEW, denied="auditadmin", scoped=True),
}

API: dict = {
    "GET /api/v1/relocation/checks": Route(A, perm=VIEW, denied="sysadmin"),
    "POST /api/v1/relocation/checks": Route(A, perm=INSPECT, denied="leader",
                                            data={"scope": "429921", "as_of": "2025-06-30", "size": 1, "seed": "walker"}),
    "GET /api/v1/relocation/checks/follow-ups": Route(A + "/follow-ups", perm=VIEW, denied="secadmin"),
    "GET /api/v1/relocation/checks/{check_id}": Route(A + "/{sc_check}", perm=VIEW, denied="auditadmin", scoped=True),
    "POST /api/v1/relocation/checks/{check_id}/verify": Route(A + "/{sc_check}/verify", perm=VIEW, denied="sysadmin", scoped=True),
    "POST /api/v1/relocation/checks/{check_id}/close": Route(A + "/{sc_check}/close", perm=INSPECT, denied="finance", scoped=True),
    "GET /api/v1/relocation/checks/{check_id}/sample.xlsx": Route(A + "/{sc_check}/sample.xlsx", perm=VIEW, denied="secadmin",
                                                                   scoped=True),
    "GET /api/v1/relocation/checks/{check_id}/results.xlsx": Route(A + "/{sc_check}/results.xlsx", perm=VIEW, denied="auditadmin",
                                                                    scoped=True),
    "POST /api/v1/relocation/checks/items/{item_id}/result": Route(A + "/items/{sc_item}/result", perm=INSPECT, denied="leader",
                                                                    scoped=True, data=RESULT),
    "POST /api/v1/relocation/checks/items/{item_id}/resolve": Route(A + "/items/{sc_follow_up}/resolve", perm=INSPECT, denied="leader",
                                                                     scoped=True, data=RESOLVE),
}


def objects(users: dict) -> tuple[dict, dict]:
    """Sample objects the paths above name: (inside the actors' city 4299, outside it in 4298)."""
    import datetime as dt

    from anju.relocation.models import SpotCheck, SpotCheckItem

    from .factories import OTHER_VILLAGE, VILLAGE, make_relocated_household

    def sample(village: str) -> dict:
        a, b = make_relocated_household(village=village), make_relocated_household(village=village)
        check = SpotCheck.objects.create(name="巡检抽查", division_code=village[:6].ljust(12, "0"), seed="walker", population=2,
                                         sample_size=2, as_of=dt.date(2025, 6, 30))
        item = SpotCheckItem.objects.create(spot_check=check, household=a, division_code=village, order=1)
        follow_up = SpotCheckItem.objects.create(spot_check=check, household=b, division_code=village, order=2, result="discrepancy",
                                                 findings="问题", checked_on=dt.date(2025, 7, 1), checker="巡检", follow_up="open",
                                                 follow_up_owner="张三", follow_up_deadline=dt.date(2025, 7, 31))
        return {"sc_check": check.pk, "sc_item": item.pk, "sc_follow_up": follow_up.pk}

    return sample(VILLAGE), sample(OTHER_VILLAGE)

"""Authorisation-walker routes of the relocation monitoring area (see tests/test_authz_walker.py)."""

from __future__ import annotations

from anju.accounts.roles import Perm
from tests.test_authz_walker import Route

VIEW, EDIT, MONITOR = Perm.RELOCATION_VIEW, Perm.RELOCATION_EDIT, Perm.RELOCATION_MONITOR
M = "/relocation/monitoring"
A = "/api/v1/relocation/monitoring"
CASE = {"category": "marginal", "channel": "visit", "risks": ["illness"], "identified_on": "2025-01-01"}

WEB: dict = {
    "relocation_monitoring:cases": Route(f"{M}/cases/", perm=VIEW, denied="sysadmin"),
    "relocation_monitoring:case_new": Route(f"{M}/cases/new/", perm=EDIT, denied="city_admin"),
    "relocation_monitoring:case": Route(f"{M}/cases/{{rm_case}}/", perm=VIEW, denied="auditadmin", scoped=True),
    "relocation_monitoring:case_approve": Route(f"{M}/cases/{{rm_case}}/approve/", "POST", MONITOR, denied="leader", scoped=True,
                                                data={"included_on": "2025-01-02"}),
    "relocation_monitoring:case_reject": Route(f"{M}/cases/{{rm_case}}/reject/", "POST", MONITOR, denied="auditor", scoped=True,
                                               data={"reason": "巡检"}),
    "relocation_monitoring:measure_new": Route(f"{M}/cases/{{rm_case}}/measures/new/", perm=EDIT, denied="finance", scoped=True),
    "relocation_monitoring:measure_edit": Route(f"{M}/measures/{{rm_measure}}/edit/", perm=EDIT, denied="leader", scoped=True),
    "relocation_monitoring:elimination": Route(f"{M}/cases/{{rm_case}}/elimination/", perm=EDIT, denied="city_admin", scoped=True),
    "relocation_monitoring:elimination_approve": Route(f"{M}/cases/{{rm_case}}/elimination/approve/", "POST", MONITOR, denied="city_admin",
                                                       scoped=True, data={"eliminated_on": "2025-01-02"}),
    "relocation_monitoring:elimination_send_back": Route(f"{M}/cases/{{rm_case}}/elimination/send-back/", "POST", MONITOR,
                                                         denied="leader", scoped=True, data={"reason": "巡检"}),
    "relocation_monitoring:signals": Route(f"{M}/signals/", perm=VIEW, denied="secadmin"),
    "relocation_monitoring:signal_case": Route(f"{M}/signals/{{rm_signal}}/case/", perm=EDIT, denied="auditor", scoped=True),
    "relocation_monitoring:signal_attach": Route(f"{M}/signals/{{rm_signal}}/attach/", "POST", EDIT, denied="leader", scoped=True),
    "relocation_monitoring:signal_dismiss": Route(f"{M}/signals/{{rm_signal}}/dismiss/", "POST", EDIT, denied="finance", scoped=True,
                                                  data={"note": "巡检"}),
    "relocation_monitoring:scan": Route(f"{M}/scan/", "POST", MONITOR, denied="city_admin"),
}

API: dict = {
    f"GET {A}/cases": Route(f"{A}/cases", perm=VIEW, denied="sysadmin"),
    f"GET {A}/cases/counts": Route(f"{A}/cases/counts", perm=VIEW, denied="auditadmin"),
    f"POST {A}/cases": Route(f"{A}/cases", perm=EDIT, denied="city_admin", data={**CASE, "household_id": 2**31 - 1}),
    f"GET {A}/cases/{{case_id}}": Route(f"{A}/cases/{{rm_case}}", perm=VIEW, denied="secadmin", scoped=True),
    f"POST {A}/cases/{{case_id}}/approve": Route(f"{A}/cases/{{rm_case}}/approve", perm=MONITOR, denied="leader", scoped=True,
                                                data={"included_on": "2025-01-02"}),
    f"POST {A}/cases/{{case_id}}/reject": Route(f"{A}/cases/{{rm_case}}/reject", perm=MONITOR, denied="auditor", scoped=True,
                                               data={"reason": "巡检"}),
    f"POST {A}/cases/{{case_id}}/measures": Route(f"{A}/cases/{{rm_case}}/measures", perm=EDIT, denied="finance", scoped=True,
                                                 data={"kind": "employment", "content": "巡检", "started_on": "2025-01-01"}),
    f"PATCH {A}/measures/{{measure_id}}": Route(f"{A}/measures/{{rm_measure}}", perm=EDIT, denied="leader", scoped=True,
                                               data={"responsible": "巡检"}),
    f"GET {A}/cases/{{case_id}}/elimination": Route(f"{A}/cases/{{rm_case}}/elimination", perm=VIEW, denied="sysadmin", scoped=True),
    f"POST {A}/cases/{{case_id}}/elimination": Route(f"{A}/cases/{{rm_case}}/elimination", perm=EDIT, denied="city_admin", scoped=True,
                                                    data={"confirmed": ["food_clothing"]}),
    f"POST {A}/cases/{{case_id}}/elimination/approve": Route(f"{A}/cases/{{rm_case}}/elimination/approve", perm=MONITOR, denied="leader",
                                                            scoped=True, data={}),
    f"POST {A}/cases/{{case_id}}/elimination/send-back": Route(f"{A}/cases/{{rm_case}}/elimination/send-back", perm=MONITOR,
                                                              denied="finance", scoped=True, data={"reason": "巡检"}),
    f"GET {A}/signals": Route(f"{A}/signals", perm=VIEW, denied="secadmin"),
    f"POST {A}/signals/{{signal_id}}/case": Route(f"{A}/signals/{{rm_signal}}/case", perm=EDIT, denied="auditor", scoped=True,
                                                 data={"category": "sudden", "risks": ["illness"]}),
    f"POST {A}/signals/{{signal_id}}/attach": Route(f"{A}/signals/{{rm_signal}}/attach", perm=EDIT, denied="leader", scoped=True, data={}),
    f"POST {A}/signals/{{signal_id}}/dismiss": Route(f"{A}/signals/{{rm_signal}}/dismiss", perm=EDIT, denied="finance", scoped=True,
                                                    data={"note": "巡检"}),
    f"POST {A}/scan": Route(f"{A}/scan", perm=MONITOR, denied="city_admin", data={}),
}


def objects(users: dict) -> tuple[dict, dict]:
    """Sample objects the paths above name: (inside the actors' city 4299, outside it in 4298). The cases are proposed by
    nobody in the walk, so the four-eyes rule never refuses the walking city clerk."""
    import datetime as dt

    from anju.relocation.models import Measure, MonitoringCase, RiskSignal
    from tests.relocation.factories import OTHER_VILLAGE, VILLAGE, make_relocated_household

    def sample(village: str):
        household = make_relocated_household(village=village)
        case = MonitoringCase.objects.create(household=household, division_code=village, category="marginal", channel="visit",
                                             risks=["illness"], identified_on=dt.date(2025, 1, 1))
        measure = Measure.objects.create(case=case, kind="employment", content="巡检措施", started_on=dt.date(2025, 1, 1))
        signal = RiskSignal.objects.create(household=make_relocated_household(village=village), division_code=village, kind="medical",
                                           found_on=dt.date(2025, 1, 1), source="manual")
        return {"rm_case": case.pk, "rm_measure": measure.pk, "rm_signal": signal.pk}

    return sample(VILLAGE), sample(OTHER_VILLAGE)

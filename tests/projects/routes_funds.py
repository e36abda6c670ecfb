"""Authorisation-walker routes of the projects' funds area (see tests/test_authz_walker.py)."""

from __future__ import annotations

import datetime as dt

from anju.accounts.roles import Perm
from tests.test_authz_walker import Route

W = "/projects/funds"
WP = W + "/projects/{pf_project_id}"
A = "/api/v1/projects/funds"
AP = A + "/projects/{pf_project_id}"

_TODAY = dt.date.today()
MONTH = f"{_TODAY.year}-{_TODAY.month:02d}"  # the current month is always open for reporting
LAST = (_TODAY.replace(day=1) - dt.timedelta(days=1)).strftime("%Y-%m")
YESTERDAY = (_TODAY - dt.timedelta(days=1)).isoformat()
UNTIL = (_TODAY + dt.timedelta(days=7)).isoformat()

# Object keys carry a pf_ prefix: the sample objects of every area share one namespace. Each delete route has its own
# allocation or payment (of a source with no payments), so that deleting succeeds for the role that may, and the reads
# that follow still find theirs.
WEB: dict = {
    "projects_funds:allocations": Route(W + "/allocations/?year=2026", perm=Perm.PROJECT_VIEW, denied="sysadmin"),
    "projects_funds:allocations_export": Route(W + "/allocations/export.xlsx", perm=Perm.PROJECT_VIEW, denied="secadmin"),
    "projects_funds:allocation_delete": Route(W + "/allocations/{pf_web_allocation_id}/delete/", "POST", Perm.PROJECT_FUNDS, denied="leader",
                                              scoped=True, data={"reason": "walker"}),
    "projects_funds:payments": Route(W + "/payments/", perm=Perm.PROJECT_VIEW, denied="auditadmin"),
    "projects_funds:payments_export": Route(W + "/payments/export.xlsx?county=429921", perm=Perm.PROJECT_VIEW, denied="sysadmin"),
    "projects_funds:payment_delete": Route(W + "/payments/{pf_web_payment_id}/delete/", "POST", Perm.PROJECT_FUNDS, denied="auditor",
                                           scoped=True, data={"reason": "walker"}),
    "projects_funds:project": Route(WP + "/", perm=Perm.PROJECT_VIEW, denied="sysadmin", scoped=True),
    "projects_funds:allocation_create": Route(WP + "/allocations/new/", "POST", Perm.PROJECT_FUNDS, denied="leader", scoped=True,
                                              data={"fund_source": "central", "year": _TODAY.year, "doc_number": "walker-web",
                                                    "doc_date": YESTERDAY, "amount": "1", "unit": "wan"}),
    "projects_funds:payment_create": Route(WP + "/payments/new/", "POST", Perm.PROJECT_FUNDS, denied="city_admin", scoped=True,
                                           data={"fund_source": "central", "paid_on": YESTERDAY, "amount": "1", "unit": "yuan",
                                                 "voucher": "walker-web"}),
    "projects_funds:progress": Route(WP + "/progress/", perm=Perm.PROJECT_VIEW, denied="secadmin", scoped=True),
    "projects_funds:progress_report": Route(WP + "/progress/report/", "POST", Perm.PROJECT_EDIT, denied="finance", scoped=True,
                                            data={"month": MONTH, "physical_percent": "10", "investment_completed": "1", "unit": "wan"}),
    "projects_funds:monthly": Route(W + f"/monthly/?month={LAST}", perm=Perm.PROJECT_VIEW, denied="auditadmin"),
    "projects_funds:unlocks": Route(W + "/unlocks/", perm=Perm.PROJECT_VIEW, denied="sysadmin"),
    "projects_funds:unlock_create": Route(W + "/unlocks/new/", "POST", Perm.PROJECT_REVIEW, denied="finance",
                                          data={"county": "429921", "month": LAST, "until": UNTIL, "reason": "walker"}),
}

API: dict = {
    f"GET {A}/allocations": Route(A + "/allocations?year=2026", perm=Perm.PROJECT_VIEW, denied="sysadmin"),
    f"GET {A}/allocations/{{allocation_id}}": Route(A + "/allocations/{pf_allocation_id}", perm=Perm.PROJECT_VIEW, denied="secadmin", scoped=True),
    f"DELETE {A}/allocations/{{allocation_id}}": Route(A + "/allocations/{pf_api_allocation_id}?reason=walker", perm=Perm.PROJECT_FUNDS,
                                                       denied="leader", scoped=True),
    f"GET {A}/payments": Route(A + "/payments?county=429921", perm=Perm.PROJECT_VIEW, denied="auditadmin"),
    f"GET {A}/payments/{{payment_id}}": Route(A + "/payments/{pf_payment_id}", perm=Perm.PROJECT_VIEW, denied="sysadmin", scoped=True),
    f"DELETE {A}/payments/{{payment_id}}": Route(A + "/payments/{pf_api_payment_id}?reason=walker", perm=Perm.PROJECT_FUNDS, denied="auditor",
                                                 scoped=True),
    f"GET {A}/projects/{{project_id}}": Route(AP, perm=Perm.PROJECT_VIEW, denied="secadmin", scoped=True),
    f"GET {A}/projects/{{project_id}}/allocations": Route(AP + "/allocations", perm=Perm.PROJECT_VIEW, denied="sysadmin", scoped=True),
    f"POST {A}/projects/{{project_id}}/allocations": Route(AP + "/allocations", perm=Perm.PROJECT_FUNDS, denied="leader", scoped=True,
                                                           data={"fund_source": "central", "year": _TODAY.year, "doc_number": "walker-api",
                                                                 "doc_date": YESTERDAY, "amount_yuan": "100.00"}),
    f"GET {A}/projects/{{project_id}}/payments": Route(AP + "/payments", perm=Perm.PROJECT_VIEW, denied="auditadmin", scoped=True),
    f"POST {A}/projects/{{project_id}}/payments": Route(AP + "/payments", perm=Perm.PROJECT_FUNDS, denied="auditor", scoped=True,
                                                        data={"fund_source": "central", "paid_on": YESTERDAY, "amount_yuan": "1.00",
                                                              "voucher": "walker-api"}),
    f"GET {A}/projects/{{project_id}}/progress": Route(AP + "/progress", perm=Perm.PROJECT_VIEW, denied="sysadmin", scoped=True),
    f"GET {A}/projects/{{project_id}}/progress/{{month}}": Route(AP + f"/progress/{MONTH}", perm=Perm.PROJECT_VIEW, denied="secadmin",
                                                                 scoped=True),
    f"PUT {A}/projects/{{project_id}}/progress/{{month}}": Route(AP + f"/progress/{MONTH}", perm=Perm.PROJECT_EDIT, denied="finance",
                                                                 scoped=True, data={"physical_percent": "10", "investment_completed_yuan": "10000"}),
    f"GET {A}/progress/monthly": Route(A + f"/progress/monthly?month={LAST}", perm=Perm.PROJECT_VIEW, denied="auditadmin"),
    f"GET {A}/progress/unlocks": Route(A + "/progress/unlocks", perm=Perm.PROJECT_VIEW, denied="sysadmin"),
    f"POST {A}/progress/unlocks": Route(A + "/progress/unlocks", perm=Perm.PROJECT_REVIEW, denied="finance",
                                        data={"county": "429921", "month": LAST, "until": UNTIL, "reason": "walker"}),
}


def objects(users: dict) -> tuple[dict, dict]:
    """Sample objects the paths above name: (inside the actors' city 4299, outside it in 4298)."""
    from anju.projects.models import Stage

    from .factories import OTHER_VILLAGE, VILLAGE, make_allocation, make_payment, make_progress, make_project

    month_start = _TODAY.replace(day=1)
    earlier = month_start - dt.timedelta(days=60)

    def sample(division_code: str, code: str) -> dict:
        project = make_project(division_code=division_code, stage=Stage.APPROVED, year=_TODAY.year - 1, code=code)
        allocation = make_allocation(project, 100_000_000, doc_date=earlier, doc_number=f"{code}-A")
        payment = make_payment(project, 100_000, paid_on=earlier, voucher=f"{code}-P")
        make_progress(project, month_start, "10", investment_completed=1_000_000)
        spare = {f"pf_{k}_allocation_id": make_allocation(project, 1_000, doc_date=earlier, fund_source="provincial", doc_number=f"{code}-{k}").pk
                 for k in ("web", "api")}
        spare.update({f"pf_{k}_payment_id": make_payment(project, 100, paid_on=earlier, voucher=f"{code}-{k}").pk for k in ("web", "api")})
        return {"pf_project_id": project.pk, "pf_allocation_id": allocation.pk, "pf_payment_id": payment.pk, **spare}

    return sample(VILLAGE, "WALK-PF-IN"), sample(OTHER_VILLAGE, "WALK-PF-OUT")

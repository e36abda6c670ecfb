"""Authorisation-walker routes of the relocation dashboards area (see tests/test_authz_walker.py).

The pages and operations name no object, but their scope parameter names a division: a county of the actors' city in
scope, the foreign county 外县 429821 outside it, which answers 404 like an unknown object. The ledger is asked for as the
small 安置点台账 (returned at once on the page, a job through the API)."""

from __future__ import annotations

from anju.accounts.roles import Perm
from tests.test_authz_walker import Route

VIEW = Perm.RELOCATION_VIEW
W = "/relocation/dashboards"
A = "/api/v1/relocation/dashboards"
Q = "?as_of=2026-06-30&scope={rd_scope}"
LEDGER = {"kind": "sites", "as_of": "2026-06-30"}
REPORT = {"as_of": "2026-06-30", "doc_number": "清搬办〔2026〕1号"}

WEB: dict = {
    "relocation_dashboards:index": Route(W + "/" + Q, perm=VIEW, denied="sysadmin", scoped=True),
    "relocation_dashboards:map": Route(W + "/map.svg" + Q, perm=VIEW, denied="secadmin", scoped=True),
    "relocation_dashboards:ledger": Route(W + "/ledgers/", "POST", VIEW, denied="auditadmin", data=LEDGER),
    "relocation_dashboards:report": Route(W + "/report/", "POST", VIEW, denied="sysadmin", data=REPORT),
}

API: dict = {
    f"GET {A}/dashboard": Route(A + "/dashboard" + Q, perm=VIEW, denied="sysadmin", scoped=True),
    f"GET {A}/map": Route(A + "/map" + Q, perm=VIEW, denied="auditadmin", scoped=True),
    f"POST {A}/ledgers": Route(A + "/ledgers", perm=VIEW, denied="secadmin", data=LEDGER),
    f"POST {A}/reports": Route(A + "/reports", perm=VIEW, denied="sysadmin", data=REPORT),
}


def objects(users: dict) -> tuple[dict, dict]:
    return {"rd_scope": "429921"}, {"rd_scope": "429821"}

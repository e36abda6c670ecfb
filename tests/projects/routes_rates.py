"""Authorisation-walker routes of the projects' rates area (see tests/test_authz_walker.py).

The rate pages and operations name no object, but their scope parameter names a division: a county of the actors' city
in scope, one of the foreign city (外县 429821) outside it, which answers 404 like an unknown object. The bulletin is
started as xlsx (no charts to draw) with the actor's own scope."""

from __future__ import annotations

from anju.accounts.roles import Perm
from tests.test_authz_walker import Route

W = "/projects/rates"
A = "/api/v1/projects/rates"
Q = "?year=2026&as_of=2026-09-30&scope={rates_scope}"
BULLETIN = {"year": 2026, "as_of": "2026-09-30", "format": "xlsx", "doc_number": "清移办〔2026〕1号"}

WEB: dict = {
    "projects_rates:index": Route(W + "/" + Q + "&by=fund_source", perm=Perm.PROJECT_VIEW, denied="sysadmin", scoped=True),
    "projects_rates:dashboard": Route(W + "/dashboard/" + Q, perm=Perm.PROJECT_VIEW, denied="secadmin", scoped=True),
    "projects_rates:bulletin": Route(W + "/bulletin/", "POST", Perm.PROJECT_VIEW, denied="auditadmin", data=BULLETIN),
}

API: dict = {
    f"GET {A}": Route(A + Q + "&carried_over=true", perm=Perm.PROJECT_VIEW, denied="sysadmin", scoped=True),
    f"GET {A}/dashboard": Route(A + "/dashboard" + Q, perm=Perm.PROJECT_VIEW, denied="auditadmin", scoped=True),
    f"POST {A}/bulletins": Route(A + "/bulletins", perm=Perm.PROJECT_VIEW, denied="secadmin", data=BULLETIN),
}


def objects(users: dict) -> tuple[dict, dict]:
    return {"rates_scope": "429921"}, {"rates_scope": "429821"}

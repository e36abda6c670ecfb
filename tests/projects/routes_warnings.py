"""Authorisation-walker routes of the projects' warnings area (see tests/test_authz_walker.py)."""

from __future__ import annotations

from anju.accounts.roles import Perm
from tests.test_authz_walker import Route

W = "/projects/warnings"
A = "/api/v1/projects/warnings"

# Rules for every division ("") are visible to all: the scoped samples are settings of a walker rule for the city (4299,
# inside) and for the other city (4298, outside); deletions use settings of their own (one for the web, one for the API).
WEB: dict = {
    "projects_warnings:list": Route(W + "/", perm=Perm.PROJECT_VIEW, denied="sysadmin"),
    "projects_warnings:export": Route(W + "/export/?level=red", perm=Perm.PROJECT_VIEW, denied="secadmin"),
    "projects_warnings:evaluate": Route(W + "/evaluate/", "POST", Perm.PROJECT_MANAGE, denied="leader"),
    "projects_warnings:project": Route(W + "/project/{pw_project_id}/", perm=Perm.PROJECT_VIEW, denied="auditadmin", scoped=True),
    "projects_warnings:rules": Route(W + "/rules/", perm=Perm.PROJECT_VIEW, denied="sysadmin"),
    "projects_warnings:rule_edit": Route(W + "/rules/{pw_rule_id}/edit/", perm=Perm.PROJECT_MANAGE, denied="finance", scoped=True),
    "projects_warnings:rule_override": Route(W + "/rules/{pw_rule_id}/override/", perm=Perm.PROJECT_MANAGE, denied="auditor", scoped=True),
    "projects_warnings:rule_delete": Route(W + "/rules/{pw_web_rule_id}/delete/", "POST", Perm.PROJECT_MANAGE, denied="leader", scoped=True),
}

API: dict = {
    f"GET {A}": Route(A + "?state=all", perm=Perm.PROJECT_VIEW, denied="sysadmin"),
    f"GET {A}/counts": Route(A + "/counts", perm=Perm.PROJECT_VIEW, denied="auditadmin"),
    f"POST {A}/evaluate": Route(A + "/evaluate", perm=Perm.PROJECT_MANAGE, denied="leader", data={}),
    f"GET {A}/projects/{{project_id}}": Route(A + "/projects/{pw_project_id}", perm=Perm.PROJECT_VIEW, denied="secadmin", scoped=True),
    f"GET {A}/rules": Route(A + "/rules", perm=Perm.PROJECT_VIEW, denied="sysadmin"),
    f"GET {A}/rules/{{rule_id}}": Route(A + "/rules/{pw_rule_id}", perm=Perm.PROJECT_VIEW, denied="auditadmin", scoped=True),
    f"PATCH {A}/rules/{{rule_id}}": Route(A + "/rules/{pw_rule_id}", perm=Perm.PROJECT_MANAGE, denied="finance", scoped=True,
                                          data={"note": "walker"}),
    f"POST {A}/rules/{{rule_id}}/overrides": Route(A + "/rules/{pw_rule_id}/overrides", perm=Perm.PROJECT_MANAGE, denied="auditor",
                                                   scoped=True, data={"scope": "429921"}),
    f"DELETE {A}/rules/{{rule_id}}": Route(A + "/rules/{pw_api_rule_id}", perm=Perm.PROJECT_MANAGE, denied="leader", scoped=True),
    f"GET {A}/{{warning_id}}": Route(A + "/{pw_warning_id}", perm=Perm.PROJECT_VIEW, denied="secadmin", scoped=True),
}


def objects(users: dict) -> tuple[dict, dict]:
    """Sample objects the paths above name: (inside the actors' city 4299, outside it in 4298)."""
    import datetime as dt

    from django.utils import timezone

    from anju.projects.models import Warning, WarningRule
    from tests.projects.factories import OTHER_VILLAGE, VILLAGE, make_project

    def rule(scope: str) -> WarningRule:
        return WarningRule.objects.create(code="walker_rule", name="走查规则", measure="days_not_started", operator="gt", threshold=90,
                                          level="yellow", scope=scope)

    def sample(village: str, rule_scope: str, web_scope: str, api_scope: str) -> dict:
        project = make_project(division_code=village, name="走查预警项目")
        r = rule(rule_scope)
        warning = Warning.objects.create(rule=r, project=project, division_code=village, level="yellow", value=100, message="走查",
                                         raised_at=timezone.now() - dt.timedelta(days=1))
        return {"pw_project_id": project.pk, "pw_rule_id": r.pk, "pw_web_rule_id": rule(web_scope).pk, "pw_api_rule_id": rule(api_scope).pk,
                "pw_warning_id": warning.pk}

    return sample(VILLAGE, "4299", "429923", "429924"), sample(OTHER_VILLAGE, "4298", "429821", "429821100")

"""Authorisation-walker routes of the projects' projects area (see tests/test_authz_walker.py)."""

from __future__ import annotations

from anju.accounts.roles import Perm
from tests.test_authz_walker import Route

W = "/projects"
WP = W + "/{pj_project_id}"
A = "/api/v1/projects"
AP = A + "/{pj_project_id}"
T = "/projects/terms/{pj_term_id}"
AT = A + "/terms/{pj_term_id}"

# Object keys carry a pj_ prefix: the sample objects of every area share one namespace. Terms are shared by the whole
# installation (not scoped); the sample terms are unused, and each delete route has its own, so deleting succeeds for the
# role that may.
WEB: dict = {
    "projects_projects:list": Route(W + "/", perm=Perm.PROJECT_VIEW, denied="sysadmin"),
    "projects_projects:export": Route(W + "/export/?year=2025", perm=Perm.PROJECT_VIEW, denied="secadmin"),
    "projects_projects:create": Route(W + "/new/", perm=Perm.PROJECT_EDIT, denied="city_admin"),
    "projects_projects:detail": Route(WP + "/", perm=Perm.PROJECT_VIEW, denied="auditadmin", scoped=True),
    "projects_projects:edit": Route(WP + "/edit/", perm=Perm.PROJECT_EDIT, denied="leader", scoped=True),
    "projects_projects:dates": Route(WP + "/dates/", perm=Perm.PROJECT_EDIT, denied="finance", scoped=True),
    "projects_projects:stage": Route(WP + "/stage/", perm=Perm.PROJECT_EDIT, denied="auditor", scoped=True),
    "projects_projects:terms": Route(W + "/terms/?kind=fund_source", perm=Perm.PROJECT_MANAGE, denied="finance"),
    "projects_projects:term_create": Route(W + "/terms/new/?kind=category", perm=Perm.PROJECT_MANAGE, denied="leader"),
    "projects_projects:term_edit": Route(T + "/edit/", perm=Perm.PROJECT_MANAGE, denied="auditor"),
    "projects_projects:term_move": Route(T + "/move/", "POST", Perm.PROJECT_MANAGE, denied="finance", data={"direction": "up"}),
    "projects_projects:term_active": Route(T + "/active/", "POST", Perm.PROJECT_MANAGE, denied="leader", data={"active": "0"}),
    "projects_projects:term_delete": Route(W + "/terms/{pj_deletable_term_id}/delete/", "POST", Perm.PROJECT_MANAGE, denied="sysadmin"),
}

API: dict = {
    f"GET {A}": Route(A + "?year=2025", perm=Perm.PROJECT_VIEW, denied="sysadmin"),
    f"POST {A}": Route(A, perm=Perm.PROJECT_EDIT, denied="city_admin",
                       data={"code": "WALK-NEW-1", "name": "走查新项目", "division_code": "429921101201", "program": "reservoir",
                             "category": "infrastructure", "planned_investment_yuan": "300000"}),
    f"GET {A}/{{project_id}}": Route(AP, perm=Perm.PROJECT_VIEW, denied="secadmin", scoped=True),
    f"PATCH {A}/{{project_id}}": Route(AP, perm=Perm.PROJECT_EDIT, denied="leader", scoped=True, data={"note": "走查"}),
    f"POST {A}/{{project_id}}/stage": Route(AP + "/stage", perm=Perm.PROJECT_EDIT, denied="auditor", scoped=True,
                                            data={"to_stage": "applied", "note": "走查"}),
    f"POST {A}/{{project_id}}/dates": Route(A + "/{pj_approved_id}/dates", perm=Perm.PROJECT_EDIT, denied="finance", scoped=True,
                                            data={"actual_start": "2025-04-01"}),
    f"GET {A}/{{project_id}}/timeline": Route(AP + "/timeline", perm=Perm.PROJECT_VIEW, denied="auditadmin", scoped=True),
    f"GET {A}/terms": Route(A + "/terms?kind=category", perm=Perm.PROJECT_VIEW, denied="secadmin"),
    f"POST {A}/terms": Route(A + "/terms", perm=Perm.PROJECT_MANAGE, denied="finance",
                             data={"kind": "inspection_kind", "code": "walker", "name": "走查检查"}),
    f"PATCH {A}/terms/{{term_id}}": Route(AT, perm=Perm.PROJECT_MANAGE, denied="auditor", data={"name": "走查改名"}),
    f"DELETE {A}/terms/{{term_id}}": Route(A + "/terms/{pj_api_deletable_term_id}", perm=Perm.PROJECT_MANAGE, denied="leader"),
}


def objects(users: dict) -> tuple[dict, dict]:
    """Sample objects the paths above name: (inside the actors' city 4299, outside it in 4298)."""
    from anju.projects.models import Stage, Term

    from .factories import OTHER_VILLAGE, VILLAGE, make_project

    reserve = make_project(division_code=VILLAGE, stage=Stage.RESERVE, year=2025, code="WALK-PJ-IN")
    approved = make_project(division_code=VILLAGE, stage=Stage.APPROVED, year=2025, code="WALK-PJ-APPROVED")
    outside = make_project(division_code=OTHER_VILLAGE, stage=Stage.RESERVE, year=2025, code="WALK-PJ-OUT")
    term, deletable, api_deletable = (Term.objects.create(kind=Term.Kind.CATEGORY, code=f"walker_{n}", name=f"走查类别{n}", sort=900 + n)
                                      for n in range(3))
    ids = {"pj_term_id": term.pk, "pj_deletable_term_id": deletable.pk, "pj_api_deletable_term_id": api_deletable.pk}
    return ({"pj_project_id": reserve.pk, "pj_approved_id": approved.pk, **ids},
            {"pj_project_id": outside.pk, "pj_approved_id": outside.pk, **ids})

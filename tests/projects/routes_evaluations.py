"""Authorisation-walker routes of the projects' evaluations area (see tests/test_authz_walker.py).

Sample objects: a draft evaluation (ev_id), a submitted one whose submitter is nobody among the walker's actors
(ev_submitted_id, so the city clerk may review it), both in 白云县 with twins in 外县, and an unused, inactive template
(ev_template_id; templates are city-wide, so no out-of-scope twin). The create calls name projects by code: WKEV-WEB
and WKEV-API, at 验收 in 白云县."""

from __future__ import annotations

from anju.accounts.roles import Perm
from tests.test_authz_walker import Route

W = "/projects/evaluations"
A = "/api/v1/projects/evaluations"
V, E, M, R = Perm.PROJECT_VIEW, Perm.PROJECT_EDIT, Perm.PROJECT_MANAGE, Perm.PROJECT_REVIEW


def _indicators() -> list:
    from anju.projects.seeds import EVALUATION_TEMPLATE

    return EVALUATION_TEMPLATE[1]


WEB: dict = {
    "projects_evaluations:list": Route(W + "/", perm=V, denied="sysadmin"),
    "projects_evaluations:summary": Route(W + "/summary/?year=2025", perm=V, denied="secadmin"),
    "projects_evaluations:scores": Route(W + "/scores/?year=2025", perm=V, denied="auditadmin"),
    "projects_evaluations:summary_report": Route(W + "/report/?year=2025&scope=429921", perm=V, denied="sysadmin"),
    "projects_evaluations:start": Route(W + "/new/", perm=E, denied="city_admin"),
    "projects_evaluations:detail": Route(W + "/{ev_id}/", perm=V, denied="sysadmin", scoped=True),
    "projects_evaluations:self": Route(W + "/{ev_id}/self/", perm=E, denied="city_admin", scoped=True),
    "projects_evaluations:submit": Route(W + "/{ev_id}/submit/", "POST", E, denied="leader", scoped=True),
    "projects_evaluations:review": Route(W + "/{ev_submitted_id}/review/", perm=R, denied="auditor", scoped=True),
    "projects_evaluations:send_back": Route(W + "/{ev_submitted_id}/send-back/", "POST", R, denied="finance", scoped=True,
                                            data={"reason": "walker"}),
    "projects_evaluations:report": Route(W + "/{ev_id}/report/", perm=V, denied="secadmin", scoped=True),
    "projects_evaluations:templates": Route(W + "/templates/", perm=V, denied="sysadmin"),
    "projects_evaluations:template": Route(W + "/templates/{ev_template_id}/", perm=V, denied="auditadmin"),
    "projects_evaluations:template_copy": Route(W + "/templates/{ev_template_id}/copy/", perm=M, denied="finance"),
    "projects_evaluations:template_edit": Route(W + "/templates/{ev_template_id}/edit/", perm=M, denied="auditor"),
    "projects_evaluations:template_activate": Route(W + "/templates/{ev_template_id}/activate/", "POST", M, denied="leader"),
    "projects_evaluations:template_deactivate": Route(W + "/templates/{ev_template_id}/deactivate/", "POST", M, denied="finance"),
}

API: dict = {
    f"GET {A}/templates": Route(A + "/templates", perm=V, denied="sysadmin"),
    f"POST {A}/templates": Route(A + "/templates", perm=M, denied="finance", data={"name": "走查模板", "indicators": _indicators()}),
    f"GET {A}/templates/{{template_id}}": Route(A + "/templates/{ev_template_id}", perm=V, denied="secadmin"),
    f"PUT {A}/templates/{{template_id}}": Route(A + "/templates/{ev_template_id}", perm=M, denied="auditor",
                                                data={"name": "走查模板（改）", "indicators": _indicators()}),
    f"POST {A}/templates/{{template_id}}/activate": Route(A + "/templates/{ev_template_id}/activate", perm=M, denied="leader"),
    f"POST {A}/templates/{{template_id}}/deactivate": Route(A + "/templates/{ev_template_id}/deactivate", perm=M, denied="finance"),
    f"GET {A}": Route(A + "?year=2025", perm=V, denied="auditadmin"),
    f"POST {A}": Route(A, perm=E, denied="city_admin", data={"project_code": "WKEV-API", "year": 2025}),
    f"GET {A}/summary": Route(A + "/summary?year=2025", perm=V, denied="sysadmin"),
    f"GET {A}/report": Route(A + "/report?year=2025&scope=429921", perm=V, denied="secadmin"),
    f"GET {A}/{{evaluation_id}}": Route(A + "/{ev_id}", perm=V, denied="sysadmin", scoped=True),
    f"PUT {A}/{{evaluation_id}}/self-scores": Route(A + "/{ev_id}/self-scores", perm=E, denied="leader", scoped=True,
                                                    data={"scores": {"output_quantity": "12.5"}, "comment": "walker"}),
    f"POST {A}/{{evaluation_id}}/submit": Route(A + "/{ev_id}/submit", perm=E, denied="city_admin", scoped=True),
    f"POST {A}/{{evaluation_id}}/review": Route(A + "/{ev_submitted_id}/review", perm=R, denied="auditor", scoped=True,
                                                data={"comment": "walker"}),
    f"POST {A}/{{evaluation_id}}/send-back": Route(A + "/{ev_submitted_id}/send-back", perm=R, denied="finance", scoped=True,
                                                   data={"reason": "walker"}),
    f"GET {A}/{{evaluation_id}}/report": Route(A + "/{ev_id}/report", perm=V, denied="auditadmin", scoped=True),
}


def objects(users: dict) -> tuple[dict, dict]:
    """Sample objects the paths above name: (inside the actors' city 4299, outside it in 4298)."""
    from anju.projects.models import Evaluation, EvaluationTemplate, Stage
    from anju.projects.seeds import EVALUATION_TEMPLATE

    from .factories import OTHER_VILLAGE, VILLAGE, make_project

    template = EvaluationTemplate.objects.filter(name=EVALUATION_TEMPLATE[0]).first() or EvaluationTemplate.objects.create(
        name=EVALUATION_TEMPLATE[0], indicators=EVALUATION_TEMPLATE[1])
    spare = EvaluationTemplate.objects.create(name="走查备用模板", indicators=EVALUATION_TEMPLATE[1], active=False)
    full = {i["code"]: str(i["weight"]) for g in EVALUATION_TEMPLATE[1] for i in g["items"]}
    for code in ("WKEV-WEB", "WKEV-API"):
        make_project(division_code=VILLAGE, stage=Stage.ACCEPTED, code=code, year=2024)

    def pair(village: str) -> tuple[int, int]:
        draft = Evaluation.objects.create(project=make_project(division_code=village, stage=Stage.ACCEPTED, year=2024), template=template,
                                          division_code=village, year=2025)
        submitted = Evaluation.objects.create(project=make_project(division_code=village, stage=Stage.AUDITED, year=2024), template=template,
                                              division_code=village, year=2025, state=Evaluation.State.SUBMITTED, self_scores=full,
                                              self_total=100)
        return draft.pk, submitted.pk

    inside, outside = pair(VILLAGE), pair(OTHER_VILLAGE)
    return ({"ev_id": inside[0], "ev_submitted_id": inside[1], "ev_template_id": spare.pk},
            {"ev_id": outside[0], "ev_submitted_id": outside[1], "ev_template_id": spare.pk})

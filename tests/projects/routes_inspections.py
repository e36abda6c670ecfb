"""Authorisation-walker routes of the projects' inspections area (see tests/test_authz_walker.py)."""

from __future__ import annotations

from anju.accounts.roles import Perm
from tests.test_authz_walker import Route

W = "/projects/quality"
WP = W + "/{pi_project_id}"
A = "/api/v1/projects/quality"
AP = A + "/{pi_project_id}"

# Object keys carry a pi_ prefix: the sample objects of every area share one namespace. The sample project is completed
# (acceptance allowed); its document was uploaded by the city clerk, so the city clerk (same unit) may delete it. Archive
# uploads, deletions and rectification closing take PROJECT_EDIT or PROJECT_INSPECT: the denied role holds neither.
# The checklist (DocumentType) is city configuration, not scoped.
WEB: dict = {
    "projects_inspections:rectifications": Route(W + "/rectifications/?state=overdue", perm=Perm.PROJECT_VIEW, denied="sysadmin"),
    "projects_inspections:rectification_close": Route(W + "/rectifications/{pi_rectification_id}/close/", perm=Perm.PROJECT_INSPECT,
                                                      denied="finance", scoped=True),
    "projects_inspections:finding_new": Route(W + "/findings/inspection/{pi_inspection_id}/new/", perm=Perm.PROJECT_INSPECT,
                                              denied="city_admin", scoped=True),
    "projects_inspections:completeness": Route(W + "/archives/?year=2026", perm=Perm.PROJECT_VIEW, denied="secadmin"),
    "projects_inspections:document_download": Route(W + "/documents/{pi_document_id}/", perm=Perm.PROJECT_VIEW, denied="auditadmin",
                                                    scoped=True),
    "projects_inspections:document_delete": Route(W + "/documents/{pi_deletable_id}/delete/", "POST", Perm.PROJECT_INSPECT, denied="leader",
                                                  scoped=True, data={"reason": "走查"}),
    "projects_inspections:checklist": Route(W + "/checklist/", perm=Perm.PROJECT_VIEW, denied="sysadmin"),
    "projects_inspections:checklist_new": Route(W + "/checklist/new/", perm=Perm.PROJECT_MANAGE, denied="auditor"),
    "projects_inspections:checklist_edit": Route(W + "/checklist/{pi_type_id}/edit/", perm=Perm.PROJECT_MANAGE, denied="leader"),
    "projects_inspections:project": Route(WP + "/", perm=Perm.PROJECT_VIEW, denied="secadmin", scoped=True),
    "projects_inspections:inspection_new": Route(WP + "/inspections/new/", perm=Perm.PROJECT_INSPECT, denied="finance", scoped=True),
    "projects_inspections:acceptance_new": Route(WP + "/acceptances/new/", perm=Perm.PROJECT_INSPECT, denied="leader", scoped=True),
    "projects_inspections:audit_new": Route(WP + "/audits/new/", perm=Perm.PROJECT_INSPECT, denied="city_admin", scoped=True),
    "projects_inspections:archive": Route(WP + "/archive/", perm=Perm.PROJECT_VIEW, denied="auditadmin", scoped=True),
    "projects_inspections:document_upload": Route(WP + "/archive/upload/", "POST", Perm.PROJECT_INSPECT, denied="finance", scoped=True),
    "projects_inspections:package": Route(WP + "/archive/package/", perm=Perm.PROJECT_VIEW, denied="sysadmin", scoped=True),
}

FINDING = {"finding": "走查发现的问题", "owner": "张三", "deadline": "2026-12-31"}

API: dict = {
    f"GET {A}/rectifications": Route(A + "/rectifications?overdue=true", perm=Perm.PROJECT_VIEW, denied="sysadmin"),
    f"GET {A}/rectifications/{{rectification_id}}": Route(A + "/rectifications/{pi_rectification_id}", perm=Perm.PROJECT_VIEW,
                                                          denied="secadmin", scoped=True),
    f"POST {A}/rectifications/{{rectification_id}}/close": Route(A + "/rectifications/{pi_rectification_id}/close", perm=Perm.PROJECT_INSPECT,
                                                                 denied="finance", scoped=True),
    f"POST {A}/inspections/{{inspection_id}}/findings": Route(A + "/inspections/{pi_inspection_id}/findings", perm=Perm.PROJECT_INSPECT,
                                                              denied="leader", scoped=True, data=FINDING),
    f"POST {A}/acceptances/{{acceptance_id}}/findings": Route(A + "/acceptances/{pi_acceptance_id}/findings", perm=Perm.PROJECT_INSPECT,
                                                              denied="finance", scoped=True, data=FINDING),
    f"POST {A}/audits/{{audit_id}}/findings": Route(A + "/audits/{pi_audit_id}/findings", perm=Perm.PROJECT_INSPECT, denied="city_admin",
                                                    scoped=True, data=FINDING),
    f"GET {A}/inspections/{{inspection_id}}": Route(A + "/inspections/{pi_inspection_id}", perm=Perm.PROJECT_VIEW, denied="auditadmin",
                                                    scoped=True),
    f"GET {A}/{{project_id}}/inspections": Route(AP + "/inspections", perm=Perm.PROJECT_VIEW, denied="sysadmin", scoped=True),
    f"POST {A}/{{project_id}}/inspections": Route(AP + "/inspections", perm=Perm.PROJECT_INSPECT, denied="leader", scoped=True,
                                                  data={"kind": "quality", "on": "2026-03-01", "inspectors": "走查组", "findings": [FINDING]}),
    f"GET {A}/{{project_id}}/acceptances": Route(AP + "/acceptances", perm=Perm.PROJECT_VIEW, denied="secadmin", scoped=True),
    f"POST {A}/{{project_id}}/acceptances": Route(AP + "/acceptances", perm=Perm.PROJECT_INSPECT, denied="finance", scoped=True,
                                                  data={"on": "2026-03-01", "conclusion": "failed", "opinion": "走查"}),
    f"GET {A}/{{project_id}}/audits": Route(AP + "/audits", perm=Perm.PROJECT_VIEW, denied="auditadmin", scoped=True),
    f"POST {A}/{{project_id}}/audits": Route(AP + "/audits", perm=Perm.PROJECT_INSPECT, denied="city_admin", scoped=True,
                                             data={"on": "2026-03-01", "auditor": "走查审计所", "amount_audited_yuan": "1000.50"}),
    f"GET {A}/archive/completeness": Route(A + "/archive/completeness?year=2026", perm=Perm.PROJECT_VIEW, denied="sysadmin"),
    f"GET {A}/archive/checklist": Route(A + "/archive/checklist", perm=Perm.PROJECT_VIEW, denied="secadmin"),
    f"POST {A}/archive/checklist": Route(A + "/archive/checklist", perm=Perm.PROJECT_MANAGE, denied="auditor",
                                         data={"code": "walker_doc", "name": "走查材料", "stage": "implementing"}),
    f"PATCH {A}/archive/checklist/{{type_id}}": Route(A + "/archive/checklist/{pi_type_id}", perm=Perm.PROJECT_MANAGE, denied="leader",
                                                      data={"name": "走查改名"}),
    f"GET {A}/archive/documents/{{document_id}}": Route(A + "/archive/documents/{pi_document_id}", perm=Perm.PROJECT_VIEW,
                                                        denied="sysadmin", scoped=True),
    f"DELETE {A}/archive/documents/{{document_id}}": Route(A + "/archive/documents/{pi_api_deletable_id}?reason=walker", perm=Perm.PROJECT_INSPECT,
                                                           denied="finance", scoped=True),
    f"GET {A}/{{project_id}}/archive": Route(AP + "/archive", perm=Perm.PROJECT_VIEW, denied="auditadmin", scoped=True),
    f"POST {A}/{{project_id}}/archive/documents": Route(AP + "/archive/documents", perm=Perm.PROJECT_INSPECT, denied="leader", scoped=True),
    f"GET {A}/{{project_id}}/archive/package": Route(AP + "/archive/package", perm=Perm.PROJECT_VIEW, denied="secadmin", scoped=True),
}


def objects(users: dict) -> tuple[dict, dict]:
    """Sample objects the paths above name: (inside the actors' city 4299, outside it in 4298)."""
    import datetime as dt

    from anju.projects.models import Acceptance, Document, DocumentType, Inspection, ProjectAudit, Rectification, Stage
    from anju.projects.services import archives

    from .factories import OTHER_VILLAGE, VILLAGE, make_project

    def sample(village: str) -> dict:
        project = make_project(division_code=village, stage=Stage.COMPLETED, actual_start=dt.date(2026, 1, 10),
                               actual_completion=dt.date(2026, 2, 1))
        on = dt.date(2026, 2, 10)
        inspection = Inspection.objects.create(project=project, division_code=village, kind="quality", on=on, inspectors="检查组")
        acceptance = Acceptance.objects.create(project=project, division_code=village, on=on, conclusion="failed")
        audit = ProjectAudit.objects.create(project=project, division_code=village, on=on, auditor="审计所")
        r = Rectification.objects.create(project=project, division_code=village, source="inspection", inspection=inspection, finding="问题",
                                         owner="张三", deadline=dt.date(2026, 3, 1))
        return {"pi_project_id": project.pk, "pi_inspection_id": inspection.pk, "pi_acceptance_id": acceptance.pk, "pi_audit_id": audit.pk,
                "pi_rectification_id": r.pk, "project": project}

    inside, outside = sample(VILLAGE), sample(OTHER_VILLAGE)
    project, foreign = inside.pop("project"), outside.pop("project")
    for key in ("pi_document_id", "pi_deletable_id", "pi_api_deletable_id"):
        inside[key] = archives.document_upload(actor=users["city_clerk"], project=project, name="可研.pdf", data=b"%PDF-1.4\n%%EOF\n",
                                               doc_type="feasibility").pk
        outside[key] = Document.objects.create(project=foreign, path="projects/none.pdf", original_name="x.pdf", content_type="application/pdf",
                                               size=1, sha256="0" * 64).pk
    inside["pi_type_id"] = outside["pi_type_id"] = DocumentType.objects.get(code="photos").pk
    return inside, outside

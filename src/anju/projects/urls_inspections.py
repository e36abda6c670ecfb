"""Project pages of the inspections area: quality (inspections, rectification, acceptance, audit) and the archive."""

from django.urls import path

from anju.projects import views_inspections as views

app_name = "projects_inspections"
urlpatterns: list = [
    path("rectifications/", views.rectification_index, name="rectifications"),
    path("rectifications/<int:rectification_id>/close/", views.rectification_close, name="rectification_close"),
    path("findings/<str:source>/<int:parent_id>/new/", views.finding_new, name="finding_new"),
    path("archives/", views.completeness_index, name="completeness"),
    path("documents/<int:document_id>/", views.document_download, name="document_download"),
    path("documents/<int:document_id>/delete/", views.document_delete, name="document_delete"),
    path("checklist/", views.checklist, name="checklist"),
    path("checklist/new/", views.checklist_new, name="checklist_new"),
    path("checklist/<int:type_id>/edit/", views.checklist_edit, name="checklist_edit"),
    path("<int:project_id>/", views.project_quality, name="project"),
    path("<int:project_id>/inspections/new/", views.inspection_new, name="inspection_new"),
    path("<int:project_id>/acceptances/new/", views.acceptance_new, name="acceptance_new"),
    path("<int:project_id>/audits/new/", views.audit_new, name="audit_new"),
    path("<int:project_id>/archive/", views.archive, name="archive"),
    path("<int:project_id>/archive/upload/", views.document_upload, name="document_upload"),
    path("<int:project_id>/archive/package/", views.archive_package, name="package"),
]

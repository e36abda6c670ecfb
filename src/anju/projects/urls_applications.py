"""Project pages of the applications area: five-year plans, guidelines, applications and their review."""

from django.urls import path

from anju.projects import views_applications as views

app_name = "projects_applications"
urlpatterns: list = [
    path("plans/", views.plan_index, name="plan_list"),
    path("plans/new/", views.plan_new, name="plan_new"),
    path("plans/<int:plan_id>/", views.plan_detail, name="plan_detail"),
    path("plans/<int:plan_id>/edit/", views.plan_edit, name="plan_edit"),
    path("plans/<int:plan_id>/targets/", views.plan_targets, name="plan_targets"),
    path("plans/<int:plan_id>/projects/", views.plan_assign, name="plan_assign"),
    path("plans/<int:plan_id>/projects/<int:project_id>/remove/", views.plan_project_remove, name="plan_project_remove"),
    path("plans/<int:plan_id>/publish/", views.plan_publish, name="plan_publish"),
    path("plans/<int:plan_id>/close/", views.plan_close, name="plan_close"),
    path("plans/<int:plan_id>/delete/", views.plan_delete, name="plan_delete"),
    path("plans/<int:plan_id>/report/", views.plan_report, name="plan_report"),
    path("plans/<int:plan_id>/report/export/", views.plan_report_export, name="plan_report_export"),
    path("guidelines/", views.guideline_index, name="guideline_list"),
    path("guidelines/new/", views.guideline_new, name="guideline_new"),
    path("guidelines/<int:guideline_id>/", views.guideline_detail, name="guideline_detail"),
    path("guidelines/<int:guideline_id>/edit/", views.guideline_edit, name="guideline_edit"),
    path("guidelines/<int:guideline_id>/publish/", views.guideline_publish, name="guideline_publish"),
    path("guidelines/<int:guideline_id>/close/", views.guideline_close, name="guideline_close"),
    path("guidelines/<int:guideline_id>/delete/", views.guideline_delete, name="guideline_delete"),
    path("guidelines/<int:guideline_id>/ranking/", views.guideline_ranking, name="guideline_ranking"),
    path("guidelines/<int:guideline_id>/ranking/export/", views.guideline_ranking_export, name="guideline_ranking_export"),
    path("applications/", views.application_index, name="application_list"),
    path("applications/new/", views.application_new, name="application_new"),
    path("applications/<int:application_id>/", views.application_detail, name="application_detail"),
    path("applications/<int:application_id>/edit/", views.application_edit, name="application_edit"),
    path("applications/<int:application_id>/submit/", views.application_submit, name="application_submit"),
    path("applications/<int:application_id>/start-review/", views.application_start_review, name="application_start_review"),
    path("applications/<int:application_id>/score/", views.application_score, name="application_score"),
    path("applications/<int:application_id>/approve/", views.application_approve, name="application_approve"),
    path("applications/<int:application_id>/return/", views.application_return, name="application_return"),
    path("applications/<int:application_id>/reject/", views.application_reject, name="application_reject"),
    path("applications/<int:application_id>/delete/", views.application_delete, name="application_delete"),
]

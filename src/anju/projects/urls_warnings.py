"""Project pages of the warnings area: open warnings and their history, one project's warnings, evaluation, rules."""

from django.urls import path

from anju.projects import views_warnings as views

app_name = "projects_warnings"
urlpatterns: list = [
    path("", views.warning_index, name="list"),
    path("export/", views.warning_export, name="export"),
    path("evaluate/", views.warning_evaluate, name="evaluate"),
    path("project/<int:project_id>/", views.warning_project, name="project"),
    path("rules/", views.rule_index, name="rules"),
    path("rules/<int:rule_id>/edit/", views.rule_edit, name="rule_edit"),
    path("rules/<int:rule_id>/override/", views.rule_override, name="rule_override"),
    path("rules/<int:rule_id>/delete/", views.rule_delete, name="rule_delete"),
]

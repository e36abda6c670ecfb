"""Relocation pages: steps."""

from django.urls import path

from anju.relocation import views_steps as views

app_name = "relocation_steps"
urlpatterns: list = [
    path("", views.progress, name="progress"),
    path("progress.xlsx", views.progress_export, name="progress_export"),
    path("households/", views.household_index, name="households"),
    path("households/<int:household_id>/", views.household, name="household"),
    path("households/<int:household_id>/record/", views.record, name="record"),
    path("households/<int:household_id>/undo/", views.undo, name="undo"),
    path("evidence/<int:step_id>/", views.evidence, name="evidence"),
]

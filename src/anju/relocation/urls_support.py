"""Relocation pages: follow-up support (household work list, household follow-up page, record forms, employment)."""

from django.urls import path

from anju.relocation import views_support as views

app_name = "relocation_support"
urlpatterns: list = [
    path("households/", views.household_list, name="households"),
    path("households/<int:household_id>/", views.household_detail, name="household"),
    path("households/<int:household_id>/reveal/", views.household_reveal, name="household_reveal"),
    path("households/<int:household_id>/<str:entity>/new/", views.record_new, name="record_new"),
    path("records/<str:entity>/<int:record_id>/edit/", views.record_edit, name="record_edit"),
    path("records/<str:entity>/<int:record_id>/end/", views.record_end, name="record_end"),
    path("records/<str:entity>/<int:record_id>/delete/", views.record_delete, name="record_delete"),
    path("employment/", views.employment_index, name="employment"),
    path("employment/export/", views.employment_export, name="employment_export"),
]

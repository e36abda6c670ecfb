"""Project pages of the inspections area."""

from django.urls import path  # noqa: F401

app_name = "projects_inspections"
urlpatterns: list = []

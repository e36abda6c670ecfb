"""Project pages of the evaluations area."""

from django.urls import path  # noqa: F401

app_name = "projects_evaluations"
urlpatterns: list = []

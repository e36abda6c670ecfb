"""Project pages of the projects area."""

from django.urls import path  # noqa: F401

app_name = "projects_projects"
urlpatterns: list = []

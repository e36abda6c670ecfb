"""Project pages of the warnings area."""

from django.urls import path  # noqa: F401

app_name = "projects_warnings"
urlpatterns: list = []

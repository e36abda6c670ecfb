"""Project pages of the imports area."""

from django.urls import path  # noqa: F401

app_name = "projects_imports"
urlpatterns: list = []

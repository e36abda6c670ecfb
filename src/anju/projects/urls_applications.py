"""Project pages of the applications area."""

from django.urls import path  # noqa: F401

app_name = "projects_applications"
urlpatterns: list = []

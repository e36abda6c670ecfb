"""Project pages of the rates area."""

from django.urls import path  # noqa: F401

app_name = "projects_rates"
urlpatterns: list = []

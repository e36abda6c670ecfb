"""Project pages of the funds area."""

from django.urls import path  # noqa: F401

app_name = "projects_funds"
urlpatterns: list = []

"""Relocation pages: dashboards."""

from django.urls import path  # noqa: F401

app_name = "relocation_dashboards"
urlpatterns: list = []

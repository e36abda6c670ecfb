"""Relocation pages: monitoring."""

from django.urls import path  # noqa: F401

app_name = "relocation_monitoring"
urlpatterns: list = []

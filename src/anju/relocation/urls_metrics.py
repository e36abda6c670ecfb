"""Relocation pages: metrics."""

from django.urls import path  # noqa: F401

app_name = "relocation_metrics"
urlpatterns: list = []

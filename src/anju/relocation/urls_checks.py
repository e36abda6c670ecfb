"""Relocation pages: checks."""

from django.urls import path  # noqa: F401

app_name = "relocation_checks"
urlpatterns: list = []

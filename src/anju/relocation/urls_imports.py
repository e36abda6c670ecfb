"""Relocation pages: imports."""

from django.urls import path  # noqa: F401

app_name = "relocation_imports"
urlpatterns: list = []

"""Relocation pages: support."""

from django.urls import path  # noqa: F401

app_name = "relocation_support"
urlpatterns: list = []

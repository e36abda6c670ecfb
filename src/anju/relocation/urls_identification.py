"""Relocation pages: identification."""

from django.urls import path  # noqa: F401

app_name = "relocation_identification"
urlpatterns: list = []

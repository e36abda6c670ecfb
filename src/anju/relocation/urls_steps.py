"""Relocation pages: steps."""

from django.urls import path  # noqa: F401

app_name = "relocation_steps"
urlpatterns: list = []

"""Subsidy pages: reference."""

from django.urls import path  # noqa: F401

app_name = "subsidies_reference"
urlpatterns: list = []

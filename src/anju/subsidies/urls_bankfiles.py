"""Subsidy pages: bankfiles."""

from django.urls import path  # noqa: F401

app_name = "subsidies_bankfiles"
urlpatterns: list = []

"""Subsidy pages: ledger."""

from django.urls import path  # noqa: F401

app_name = "subsidies_ledger"
urlpatterns: list = []

"""Subsidy pages: entitlements and payment batches."""

from django.urls import path  # noqa: F401

app_name = "subsidies"
urlpatterns: list = []

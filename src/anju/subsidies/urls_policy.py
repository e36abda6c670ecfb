"""Subsidy pages: policy."""

from django.urls import path  # noqa: F401

app_name = "subsidies_policy"
urlpatterns: list = []

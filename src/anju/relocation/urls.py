"""Relocation pages: resettlement sites."""

from django.urls import path  # noqa: F401

app_name = "relocation"
urlpatterns: list = []

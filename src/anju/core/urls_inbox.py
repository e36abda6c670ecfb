"""The personal inbox pages (messages such as project warnings)."""

from django.urls import path  # noqa: F401

app_name = "inbox"
urlpatterns: list = []

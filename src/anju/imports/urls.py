"""Import settings pages: header aliases."""

from django.urls import path  # noqa: F401

app_name = "imports"
urlpatterns: list = []

"""Roster import and export pages."""

from django.urls import path

from anju.registry import views_imports

app_name = "registry_imports"
urlpatterns = [
    path("", views_imports.import_index, name="index"),
    path("template/<str:program>/", views_imports.import_template, name="template"),
    path("export/", views_imports.export_start, name="export"),
]

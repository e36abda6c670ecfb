"""Relocation pages: imports of department lists (upload as a job, past imports, error workbooks, templates)."""

from django.urls import path

from anju.relocation import views_imports

app_name = "relocation_imports"
urlpatterns = [
    path("", views_imports.import_index, name="index"),
    path("template/<str:kind>/", views_imports.import_template, name="template"),
    path("<int:batch_id>/", views_imports.import_batch, name="batch"),
    path("<int:batch_id>/errors/", views_imports.import_errors, name="errors"),
]

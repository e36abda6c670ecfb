"""Relocation pages: metrics (the follow-up metrics table and its Excel file)."""

from django.urls import path

from anju.relocation import views_metrics as views

app_name = "relocation_metrics"
urlpatterns: list = [
    path("", views.metrics_index, name="index"),
    path("export/", views.metrics_export, name="export"),
]

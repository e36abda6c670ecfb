"""Project pages of the funds area: a project's funds and progress, the monthly reporting status, unlocks, and the
allocation and payment lists with their Excel exports."""

from django.urls import path

from anju.projects import views_funds as views

app_name = "projects_funds"
urlpatterns: list = [
    path("allocations/", views.allocations_view, name="allocations"),
    path("allocations/export.xlsx", views.allocations_export_view, name="allocations_export"),
    path("allocations/<int:allocation_id>/delete/", views.allocation_delete, name="allocation_delete"),
    path("payments/", views.payments_view, name="payments"),
    path("payments/export.xlsx", views.payments_export_view, name="payments_export"),
    path("payments/<int:payment_id>/delete/", views.payment_delete, name="payment_delete"),
    path("projects/<int:project_id>/", views.project_funds_view, name="project"),
    path("projects/<int:project_id>/allocations/new/", views.allocation_create, name="allocation_create"),
    path("projects/<int:project_id>/payments/new/", views.payment_create, name="payment_create"),
    path("projects/<int:project_id>/progress/", views.project_progress_view, name="progress"),
    path("projects/<int:project_id>/progress/report/", views.progress_report_view, name="progress_report"),
    path("monthly/", views.monthly_view, name="monthly"),
    path("unlocks/", views.unlocks_view, name="unlocks"),
    path("unlocks/new/", views.unlock_create, name="unlock_create"),
]

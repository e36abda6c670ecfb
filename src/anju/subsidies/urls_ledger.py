"""Subsidy pages: recoveries, reconciliation, the per-person ledger, the fund summary and the reports."""

from django.urls import path

from anju.subsidies import views_ledger as views

app_name = "subsidies_ledger"
urlpatterns: list = [
    path("recoveries/", views.recovery_index, name="recoveries"),
    path("recoveries/detect/", views.recovery_detect_view, name="recoveries_detect"),
    path("recoveries/<int:recovery_id>/", views.recovery_detail, name="recovery"),
    path("recoveries/<int:recovery_id>/repay/", views.recovery_repay_view, name="recovery_repay"),
    path("recoveries/<int:recovery_id>/waive/", views.recovery_waive_view, name="recovery_waive"),
    path("ledger/", views.ledger_index, name="ledger"),
    path("ledger/<int:person_id>/", views.ledger_person, name="ledger_person"),
    path("funds/", views.funds_view, name="funds"),
    path("funds/summary.xlsx", views.funds_export_view, name="funds_export"),
    path("reports/", views.reports_view, name="reports"),
    path("batches/<int:batch_id>/reconciliation/", views.reconciliation_view, name="reconciliation"),
    path("batches/<int:batch_id>/reconciliation/confirm/", views.reconcile_view, name="reconcile"),
    path("batches/<int:batch_id>/posting.xlsx", views.posting_xlsx_view, name="posting_xlsx"),
    path("batches/<int:batch_id>/posting.pdf", views.posting_pdf_view, name="posting_pdf"),
    path("batches/<int:batch_id>/summary.xlsx", views.batch_summary_view, name="batch_summary"),
]

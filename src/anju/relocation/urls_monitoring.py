"""Relocation pages: 防返贫 monitoring (cases, measures, risk elimination, the warning list)."""

from django.urls import path

from anju.relocation import views_monitoring as views

app_name = "relocation_monitoring"
urlpatterns: list = [
    path("cases/", views.case_index, name="cases"),
    path("cases/new/", views.case_new, name="case_new"),
    path("cases/<int:case_id>/", views.case_detail, name="case"),
    path("cases/<int:case_id>/approve/", views.case_approve, name="case_approve"),
    path("cases/<int:case_id>/reject/", views.case_reject, name="case_reject"),
    path("cases/<int:case_id>/measures/new/", views.measure_new, name="measure_new"),
    path("measures/<int:measure_id>/edit/", views.measure_edit, name="measure_edit"),
    path("cases/<int:case_id>/elimination/", views.elimination_propose, name="elimination"),
    path("cases/<int:case_id>/elimination/approve/", views.elimination_approve, name="elimination_approve"),
    path("cases/<int:case_id>/elimination/send-back/", views.elimination_send_back, name="elimination_send_back"),
    path("signals/", views.signal_index, name="signals"),
    path("signals/<int:signal_id>/case/", views.signal_case, name="signal_case"),
    path("signals/<int:signal_id>/attach/", views.signal_attach, name="signal_attach"),
    path("signals/<int:signal_id>/dismiss/", views.signal_dismiss, name="signal_dismiss"),
    path("scan/", views.scan, name="scan"),
]

"""Registry requests pages: inbox, create, detail and decisions, evidence, 公示表, bulk removal lists."""

from django.urls import path

from anju.registry import views_requests as views

app_name = "registry_requests"
urlpatterns = [
    path("", views.request_index, name="list"),
    path("new/", views.request_create, name="create"),
    path("import/", views.request_import, name="import"),
    path("posting/", views.posting_index, name="posting"),
    path("posting/download/", views.posting_download, name="posting_download"),
    path("<int:request_id>/", views.request_detail, name="detail"),
    path("<int:request_id>/submit/", views.request_submit, name="submit"),
    path("<int:request_id>/approve/", views.request_approve, name="approve"),
    path("<int:request_id>/reject/", views.request_reject, name="reject"),
    path("<int:request_id>/withdraw/", views.request_withdraw, name="withdraw"),
    path("<int:request_id>/copy/", views.request_copy, name="copy"),
    path("<int:request_id>/evidence/", views.evidence_upload, name="evidence_upload"),
    path("<int:request_id>/evidence/<int:evidence_id>/", views.evidence_download, name="evidence_download"),
]

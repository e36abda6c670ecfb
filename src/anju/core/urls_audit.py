from django.urls import path

from anju.core import views_audit

app_name = "audit"

urlpatterns = [
    path("", views_audit.audit_list, name="list"),
    path("export/", views_audit.audit_export, name="export"),
    path("verify/", views_audit.audit_verify, name="verify"),
    path("purge/", views_audit.audit_purge, name="purge"),
]

"""Subsidy pages: entitlements (测算) and payment batches."""

from django.urls import path

from anju.subsidies import views

app_name = "subsidies"
urlpatterns: list = [
    path("batches/", views.batch_index, name="batch_list"),
    path("batches/new/", views.batch_create_view, name="batch_create"),
    path("batches/<int:batch_id>/", views.batch_detail, name="batch_detail"),
    path("batches/<int:batch_id>/review/", views.batch_review_view, name="batch_review"),
    path("batches/<int:batch_id>/approve/", views.batch_approve_view, name="batch_approve"),
    path("batches/<int:batch_id>/send-back/", views.batch_send_back_view, name="batch_send_back"),
    path("batches/<int:batch_id>/delete/", views.batch_delete_view, name="batch_delete"),
    path("batches/<int:batch_id>/refresh-accounts/", views.batch_refresh_accounts_view, name="batch_refresh_accounts"),
    path("batches/<int:batch_id>/items/<int:item_id>/hold/", views.item_hold_view, name="item_hold"),
    path("batches/<int:batch_id>/items/<int:item_id>/release/", views.item_release_view, name="item_release"),
    path("entitlements/", views.entitlements_view, name="entitlements"),
    path("entitlements/export/", views.entitlements_export_view, name="entitlements_export"),
]

"""Bank-file pages of a payment batch (mounted at /subsidies/batches/, beside the batch pages' own paths)."""

from django.urls import path

from anju.subsidies import views_bankfiles as views

app_name = "subsidies_bankfiles"
urlpatterns: list = [
    path("<int:batch_id>/bank-file/", views.bankfile_export_view, name="export"),
    path("<int:batch_id>/returns/", views.bank_return_index, name="returns"),
    path("<int:batch_id>/returns/new/", views.bank_return_new, name="return_new"),
    path("<int:batch_id>/outstanding/", views.outstanding_view, name="outstanding"),
    path("<int:batch_id>/items/<int:item_id>/resolve/", views.item_resolve_view, name="resolve"),
    path("<int:batch_id>/supplement/", views.supplement_view, name="supplement"),
    path("returns/<int:return_id>/", views.bank_return_detail, name="return_detail"),
    path("returns/<int:return_id>/errors.xlsx", views.bank_return_errors, name="return_errors"),
]

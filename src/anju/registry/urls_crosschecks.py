"""Registry crosschecks pages."""

from django.urls import path

from anju.registry import views_crosschecks as views

app_name = "registry_crosschecks"
urlpatterns: list = [
    path("", views.crosscheck_index, name="list"),
    path("new/", views.crosscheck_new, name="new"),
    path("<int:batch_id>/", views.crosscheck_detail, name="detail"),
    path("matches/<int:match_id>/confirm/", views.match_confirm, name="confirm"),
    path("matches/<int:match_id>/dismiss/", views.match_dismiss, name="dismiss"),
    path("duplicates/", views.duplicates, name="duplicates"),
    path("duplicates/export/", views.duplicates_download, name="duplicates_export"),
]

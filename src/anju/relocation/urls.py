"""Relocation pages: resettlement sites, their facilities and community organisations."""

from django.urls import path

from anju.relocation import views

app_name = "relocation"
urlpatterns = [
    path("sites/", views.site_list_view, name="sites"),
    path("sites/export/", views.sites_export, name="sites_export"),
    path("sites/new/", views.site_new, name="site_new"),
    path("sites/<int:site_id>/", views.site_detail, name="site"),
    path("sites/<int:site_id>/edit/", views.site_edit, name="site_edit"),
    path("sites/<int:site_id>/facilities/new/", views.facility_new, name="facility_new"),
    path("sites/<int:site_id>/facilities/<int:facility_id>/edit/", views.facility_edit, name="facility_edit"),
    path("sites/<int:site_id>/facilities/<int:facility_id>/delete/", views.facility_delete, name="facility_delete"),
    path("sites/<int:site_id>/organisations/new/", views.organisation_new, name="organisation_new"),
    path("sites/<int:site_id>/organisations/<int:organisation_id>/edit/", views.organisation_edit, name="organisation_edit"),
    path("sites/<int:site_id>/organisations/<int:organisation_id>/delete/", views.organisation_delete, name="organisation_delete"),
]

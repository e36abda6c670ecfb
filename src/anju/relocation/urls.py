"""Relocation pages: resettlement sites."""

from django.urls import path

from anju.relocation import views

app_name = "relocation"
urlpatterns = [
    path("sites/", views.site_list_view, name="sites"),
    path("sites/new/", views.site_new, name="site_new"),
    path("sites/<int:site_id>/", views.site_detail, name="site"),
    path("sites/<int:site_id>/edit/", views.site_edit, name="site_edit"),
]

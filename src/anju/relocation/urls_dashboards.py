"""Relocation pages: dashboards, the map of sites, ledgers and the situation report."""

from django.urls import path

from anju.relocation import views_dashboards as views

app_name = "relocation_dashboards"
urlpatterns: list = [
    path("", views.dashboard, name="index"),
    path("map.svg", views.map_download, name="map"),
    path("ledgers/", views.ledger, name="ledger"),
    path("report/", views.report, name="report"),
]

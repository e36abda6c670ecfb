"""Project pages of the rates area: the rate table, the city dashboard and the bulletin job."""

from django.urls import path

from anju.projects import views_rates as views

app_name = "projects_rates"
urlpatterns: list = [
    path("", views.rates_index, name="index"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("bulletin/", views.bulletin_start, name="bulletin"),
]

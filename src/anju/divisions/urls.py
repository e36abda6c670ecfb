from django.urls import path

from anju.divisions import views

app_name = "divisions"

urlpatterns = [
    path("", views.division_index, name="list"),
    path("load/", views.division_load, name="load"),
    path("<str:code>/", views.division_detail, name="detail"),
    path("<str:code>/children/", views.division_children_partial, name="children"),
]

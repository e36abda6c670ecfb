"""Relocation pages: spot checks."""

from django.urls import path

from anju.relocation import views_checks as views

app_name = "relocation_checks"
urlpatterns: list = [
    path("", views.check_index, name="list"),
    path("new/", views.draw, name="draw"),
    path("follow-ups/", views.follow_up_index, name="follow_ups"),
    path("items/<int:item_id>/result/", views.item_result, name="item_result"),
    path("items/<int:item_id>/follow-up/", views.follow_up, name="follow_up"),
    path("<int:check_id>/", views.check_detail, name="check"),
    path("<int:check_id>/verify/", views.verify, name="verify"),
    path("<int:check_id>/close/", views.close, name="close"),
    path("<int:check_id>/sample.xlsx", views.sample_export, name="sample_export"),
    path("<int:check_id>/results.xlsx", views.results_export, name="results_export"),
]

"""Subsidy pages: policy versions (政策版本) and their what-if costing."""

from django.urls import path

from anju.subsidies import views_policy as views

app_name = "subsidies_policy"
urlpatterns: list = [
    path("", views.policy_index, name="list"),
    path("new/", views.policy_new, name="new"),
    path("<int:policy_id>/", views.policy_detail, name="detail"),
    path("<int:policy_id>/edit/", views.policy_edit, name="edit"),
    path("<int:policy_id>/copy/", views.policy_copy, name="copy"),
    path("<int:policy_id>/publish/", views.policy_publish, name="publish"),
    path("<int:policy_id>/revoke/", views.policy_revoke, name="revoke"),
    path("<int:policy_id>/whatif/", views.policy_whatif, name="whatif"),
]

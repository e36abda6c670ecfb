"""Subsidy pages: reference lists — banks (银行名录) and bank file layouts (银行文件格式)."""

from django.urls import path

from anju.subsidies import views_reference as views

app_name = "subsidies_reference"
urlpatterns: list = [
    path("banks/", views.bank_index, name="banks"),
    path("banks/new/", views.bank_new, name="bank_new"),
    path("banks/<int:bank_id>/edit/", views.bank_edit, name="bank_edit"),
    path("banks/<int:bank_id>/active/", views.bank_active, name="bank_active"),
    path("layouts/", views.layout_index, name="layouts"),
    path("layouts/new/", views.layout_new, name="layout_new"),
    path("layouts/<int:layout_id>/edit/", views.layout_edit, name="layout_edit"),
    path("layouts/<int:layout_id>/delete/", views.layout_delete, name="layout_delete"),
]

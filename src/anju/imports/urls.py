"""Import settings pages: header aliases."""

from django.urls import path

from anju.imports import views

app_name = "imports"
urlpatterns = [
    path("aliases/", views.alias_list, name="aliases"),
    path("aliases/<int:alias_id>/delete/", views.alias_delete, name="alias_delete"),
]

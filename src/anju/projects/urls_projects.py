"""Project pages of the projects area: the register, one project's page, its dates and stage, and the vocabularies."""

from django.urls import path

from anju.projects import views_projects as views

app_name = "projects_projects"
urlpatterns: list = [
    path("", views.project_index, name="list"),
    path("export/", views.project_export, name="export"),
    path("new/", views.project_create, name="create"),
    path("<int:project_id>/", views.project_detail, name="detail"),
    path("<int:project_id>/edit/", views.project_edit, name="edit"),
    path("<int:project_id>/dates/", views.project_dates, name="dates"),
    path("<int:project_id>/stage/", views.project_stage, name="stage"),
    path("terms/", views.term_index, name="terms"),
    path("terms/new/", views.term_create, name="term_create"),
    path("terms/<int:term_id>/edit/", views.term_edit, name="term_edit"),
    path("terms/<int:term_id>/move/", views.term_move, name="term_move"),
    path("terms/<int:term_id>/active/", views.term_active, name="term_active"),
    path("terms/<int:term_id>/delete/", views.term_delete, name="term_delete"),
]

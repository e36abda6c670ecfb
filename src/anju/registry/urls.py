"""Registry pages: search, households, persons, roster, reservoirs."""

from django.urls import path

from anju.registry import views

app_name = "registry"
urlpatterns = [
    path("", views.search, name="search"),
    path("households/<int:household_id>/", views.household_detail, name="household"),
    path("persons/<int:person_id>/", views.person_detail, name="person"),
    path("persons/<int:person_id>/reveal/", views.person_reveal, name="person_reveal"),
    path("roster/", views.roster_view, name="roster"),
    path("reservoirs/", views.reservoir_list, name="reservoirs"),
    path("reservoirs/new/", views.reservoir_new, name="reservoir_new"),
    path("reservoirs/<int:reservoir_id>/edit/", views.reservoir_edit, name="reservoir_edit"),
]

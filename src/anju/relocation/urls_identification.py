"""Relocation pages: identification (vocabularies, rules, designated areas, surveys, candidates, coverage)."""

from django.urls import path

from anju.relocation import views_identification as views

app_name = "relocation_identification"
urlpatterns: list = [
    path("terms/", views.term_index, name="terms"),
    path("terms/new/", views.term_create, name="term_new"),
    path("terms/<int:term_id>/edit/", views.term_edit, name="term_edit"),
    path("terms/<int:term_id>/move/", views.term_move, name="term_move"),
    path("terms/<int:term_id>/active/", views.term_active, name="term_active"),
    path("rules/", views.rule_index, name="rules"),
    path("rules/new/", views.rule_create, name="rule_new"),
    path("rules/<int:rule_id>/edit/", views.rule_edit, name="rule_edit"),
    path("areas/", views.area_index, name="areas"),
    path("areas/new/", views.area_create, name="area_new"),
    path("areas/<int:area_id>/edit/", views.area_edit, name="area_edit"),
    path("areas/<int:area_id>/delete/", views.area_delete, name="area_delete"),
    path("surveys/", views.survey_index, name="surveys"),
    path("surveys/new/", views.survey_create, name="survey_new"),
    path("surveys/<int:survey_id>/", views.survey_detail, name="survey"),
    path("surveys/<int:survey_id>/edit/", views.survey_edit, name="survey_edit"),
    path("surveys/<int:survey_id>/reveal/", views.survey_reveal, name="survey_reveal"),
    path("surveys/<int:survey_id>/submit/", views.survey_submit, name="survey_submit"),
    path("surveys/<int:survey_id>/township-confirm/", views.survey_township, name="survey_township"),
    path("surveys/<int:survey_id>/confirm/", views.survey_confirm, name="survey_confirm"),
    path("surveys/<int:survey_id>/reject/", views.survey_reject, name="survey_reject"),
    path("surveys/<int:survey_id>/request-household/", views.survey_request, name="survey_request"),
    path("surveys/<int:survey_id>/link-household/", views.survey_link, name="survey_link"),
    path("candidates/", views.candidate_index, name="candidates"),
    path("candidates/export/", views.candidate_export, name="candidates_export"),
    path("coverage/", views.coverage_index, name="coverage"),
    path("coverage/export/", views.coverage_export, name="coverage_export"),
]

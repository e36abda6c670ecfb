"""Project pages of the evaluations area (绩效评价), mounted at /projects/evaluations/."""

from django.urls import path

from anju.projects import views_evaluations as views

app_name = "projects_evaluations"
urlpatterns = [
    path("", views.evaluation_index, name="list"),
    path("summary/", views.evaluation_summary, name="summary"),
    path("scores/", views.evaluation_scores_page, name="scores"),
    path("report/", views.evaluation_summary_report, name="summary_report"),
    path("new/", views.evaluation_start, name="start"),
    path("<int:evaluation_id>/", views.evaluation_detail, name="detail"),
    path("<int:evaluation_id>/self/", views.evaluation_self, name="self"),
    path("<int:evaluation_id>/submit/", views.evaluation_submit, name="submit"),
    path("<int:evaluation_id>/review/", views.evaluation_review, name="review"),
    path("<int:evaluation_id>/send-back/", views.evaluation_send_back, name="send_back"),
    path("<int:evaluation_id>/report/", views.evaluation_report, name="report"),
    path("templates/", views.template_index, name="templates"),
    path("templates/<int:template_id>/", views.template_detail, name="template"),
    path("templates/<int:template_id>/copy/", views.template_copy, name="template_copy"),
    path("templates/<int:template_id>/edit/", views.template_edit, name="template_edit"),
    path("templates/<int:template_id>/activate/", views.template_activate, name="template_activate"),
    path("templates/<int:template_id>/deactivate/", views.template_deactivate, name="template_deactivate"),
]

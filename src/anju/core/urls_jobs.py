from django.urls import path

from anju.core import views_jobs

app_name = "jobs"

urlpatterns = [
    path("", views_jobs.job_index, name="list"),
    path("<uuid:job_id>/", views_jobs.job_detail, name="detail"),
    path("<uuid:job_id>/status/", views_jobs.job_status, name="status"),
    path("<uuid:job_id>/download/", views_jobs.job_download, name="download"),
]

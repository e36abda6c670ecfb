"""Registry verification pages."""

from django.urls import path

from anju.registry import views_verification as views

app_name = "registry_verification"
urlpatterns: list = [
    path("", views.verification_index, name="list"),
    path("run/", views.verification_run_view, name="run"),
    path("<int:verification_id>/", views.verification_detail, name="detail"),
    path("<int:verification_id>/entries/", views.verification_entries_view, name="entries"),
    path("<int:verification_id>/sign-county/", views.verification_sign_county_view, name="sign_county"),
    path("<int:verification_id>/sign-city/", views.verification_sign_city_view, name="sign_city"),
    path("<int:verification_id>/reopen/", views.verification_reopen_view, name="reopen"),
    path("<int:verification_id>/roster/", views.verification_roster_view, name="roster"),
    path("<int:verification_id>/summary.xlsx", views.verification_summary_view, name="summary"),
    path("<int:verification_id>/report.docx", views.verification_report_view, name="report"),
]

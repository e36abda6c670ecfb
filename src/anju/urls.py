"""Project URL map: the web shell, each app's pages, and the API."""

from django.urls import include, path

from anju.api import api

urlpatterns = [
    path("api/v1/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("divisions/", include("anju.divisions.urls")),
    path("accounts/", include("anju.accounts.urls")),
    path("audit/", include("anju.core.urls_audit")),
    path("jobs/", include("anju.core.urls_jobs")),
    path("registry/imports/", include("anju.registry.urls_imports")),
    path("registry/requests/", include("anju.registry.urls_requests")),
    path("registry/verification/", include("anju.registry.urls_verification")),
    path("registry/crosschecks/", include("anju.registry.urls_crosschecks")),
    path("registry/", include("anju.registry.urls")),
    path("subsidies/policies/", include("anju.subsidies.urls_policy")),
    path("subsidies/reference/", include("anju.subsidies.urls_reference")),
    path("subsidies/batches/", include("anju.subsidies.urls_bankfiles")),
    path("subsidies/", include("anju.subsidies.urls_ledger")),
    path("subsidies/", include("anju.subsidies.urls")),
    path("projects/planning/", include("anju.projects.urls_applications")),
    path("projects/funds/", include("anju.projects.urls_funds")),
    path("projects/imports/", include("anju.projects.urls_imports")),
    path("projects/rates/", include("anju.projects.urls_rates")),
    path("projects/warnings/", include("anju.projects.urls_warnings")),
    path("projects/quality/", include("anju.projects.urls_inspections")),
    path("projects/evaluations/", include("anju.projects.urls_evaluations")),
    path("projects/", include("anju.projects.urls_projects")),
    path("inbox/", include("anju.core.urls_inbox")),
    path("relocation/identification/", include("anju.relocation.urls_identification")),
    path("relocation/steps/", include("anju.relocation.urls_steps")),
    path("relocation/support/", include("anju.relocation.urls_support")),
    path("relocation/imports/", include("anju.relocation.urls_imports")),
    path("relocation/metrics/", include("anju.relocation.urls_metrics")),
    path("relocation/monitoring/", include("anju.relocation.urls_monitoring")),
    path("relocation/checks/", include("anju.relocation.urls_checks")),
    path("relocation/dashboards/", include("anju.relocation.urls_dashboards")),
    path("relocation/", include("anju.relocation.urls")),
    path("imports/", include("anju.imports.urls")),
    path("", include("anju.web.urls")),
]

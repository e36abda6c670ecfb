from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RelocationConfig(AppConfig):
    name = "anju.relocation"
    label = "relocation"
    verbose_name = _("易地搬迁后续扶持")

    def ready(self) -> None:
        from anju.relocation import hooks, jobs_dashboards, jobs_imports  # noqa: F401  (the daily 防返贫 signal scan; job kinds)

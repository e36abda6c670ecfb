from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProjectsConfig(AppConfig):
    name = "anju.projects"
    label = "projects"
    verbose_name = _("扶持项目")

    def ready(self) -> None:
        from anju.projects import hooks, jobs  # noqa: F401  (the daily warning round; every area's job kinds)

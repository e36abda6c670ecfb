from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "anju.core"
    label = "core"
    verbose_name = _("平台核心")

    def ready(self) -> None:
        from anju.core import jobs_builtin  # noqa: F401  (registers job kinds)

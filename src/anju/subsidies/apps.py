from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SubsidiesConfig(AppConfig):
    name = "anju.subsidies"
    label = "subsidies"
    verbose_name = _("直补资金发放")

    def ready(self) -> None:
        from anju.subsidies import hooks, jobs  # noqa: F401  (the daily recovery check; every area's job kinds)

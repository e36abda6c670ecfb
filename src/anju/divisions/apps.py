from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DivisionsConfig(AppConfig):
    name = "anju.divisions"
    label = "divisions"
    verbose_name = _("行政区划")

    def ready(self) -> None:
        from anju.divisions import jobs  # noqa: F401  (registers the divisions.load job kind)

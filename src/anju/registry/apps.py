from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistryConfig(AppConfig):
    name = "anju.registry"
    label = "registry"
    verbose_name = _("人口名册")

    def ready(self) -> None:
        from anju.registry import jobs  # noqa: F401  (registers job kinds)

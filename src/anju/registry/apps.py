from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistryConfig(AppConfig):
    name = "anju.registry"
    label = "registry"
    verbose_name = _("人口名册")

    def ready(self) -> None:
        from anju.core.housekeeping import register_daily
        from anju.registry import jobs  # noqa: F401  (registers job kinds)

        def apply_due_requests():
            from anju.registry.services.requests import change_requests_apply_due

            return change_requests_apply_due()

        register_daily("registry.requests.apply_due", apply_due_requests)

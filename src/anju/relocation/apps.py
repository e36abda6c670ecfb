from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RelocationConfig(AppConfig):
    name = "anju.relocation"
    label = "relocation"
    verbose_name = _("易地搬迁后续扶持")

"""Relocation tables. This issue adds resettlement sites; follow-up support and monitoring come later."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Placement(models.TextChoices):
    CONCENTRATED = "concentrated", _("集中安置")
    DISPERSED = "dispersed", _("分散安置")


class AreaType(models.TextChoices):
    URBAN = "urban", _("城镇")
    RURAL = "rural", _("农村")


class Site(models.Model):
    """A resettlement site (安置点)."""

    Placement = Placement
    AreaType = AreaType

    code = models.CharField(_("安置点编码"), max_length=32, unique=True)
    name = models.CharField(_("安置点名称"), max_length=100)
    division_code = models.CharField(_("所在区划"), max_length=12, db_index=True)
    placement = models.CharField(_("安置方式"), max_length=14, choices=Placement.choices)
    area_type = models.CharField(_("城镇/农村"), max_length=8, choices=AreaType.choices)
    capacity = models.PositiveIntegerField(_("设计安置人数"), default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("安置点")
        ordering = ["division_code", "code"]

    def __str__(self) -> str:
        return self.name

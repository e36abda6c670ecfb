"""Import tables: user-added header aliases and one row per import run with its counts."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class HeaderAlias(models.Model):
    """A column heading users' spreadsheets use for a template field, beyond the built-in variants."""

    template = models.CharField(_("模板"), max_length=40)
    field = models.CharField(_("字段"), max_length=40)
    alias = models.CharField(_("表头"), max_length=60)  # normalised: no spaces, full-width folded
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("表头别名")
        constraints = [models.UniqueConstraint(fields=["template", "alias"], name="header_alias_unique")]

    def __str__(self) -> str:
        return f"{self.template}.{self.field} ← {self.alias}"


class ImportBatch(models.Model):
    """One import of one file: who, what, the mode, and rows read = imported + updated + unchanged + rejected."""

    class Mode(models.TextChoices):
        ALL_OR_NOTHING = "all-or-nothing", _("全部或不导入")
        VALID_ONLY = "valid-only", _("仅导入正确行")

    template = models.CharField(_("模板"), max_length=40)
    file_name = models.CharField(_("文件名"), max_length=200)
    file_sha256 = models.CharField(max_length=64)
    mode = models.CharField(_("模式"), max_length=16, choices=Mode.choices)
    division_code = models.CharField(max_length=12, db_index=True)
    rows = models.PositiveIntegerField(_("读取行数"), default=0)
    imported = models.PositiveIntegerField(_("新增"), default=0)
    updated = models.PositiveIntegerField(_("更新"), default=0)
    unchanged = models.PositiveIntegerField(_("未变"), default=0)
    rejected = models.PositiveIntegerField(_("拒绝"), default=0)
    applied = models.BooleanField(_("已写入"), default=False)
    errors_file = models.CharField(max_length=300, blank=True)
    job = models.ForeignKey("core.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("导入批次")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.created_at:%Y-%m-%d})"

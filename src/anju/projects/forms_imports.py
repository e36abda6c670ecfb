"""Forms of the project import page: the shared upload form (`anju.imports.kinds_web`) with the project kinds."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from anju.imports.kinds_web import MSG_EXTENSION, MSG_TOO_LARGE, KindImportForm  # noqa: F401  (kept importable from here)
from anju.projects.imports import KIND_LABELS


class ProjectImportForm(KindImportForm):
    labels = KIND_LABELS
    file = forms.FileField(label=_("文件"), help_text=_("Excel（.xlsx/.xls）或 CSV（UTF-8 或 GBK），可直接用现有台账；金额单位按表头（万元或元）识别"))

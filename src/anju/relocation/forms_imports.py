"""Forms of the relocation import page: the shared upload form (`anju.imports.kinds_web`) with the relocation kinds."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from anju.imports.kinds_web import MSG_EXTENSION, MSG_TOO_LARGE, KindImportForm  # noqa: F401  (kept importable from here)
from anju.relocation.imports import KIND_LABELS


class RelocationImportForm(KindImportForm):
    labels = KIND_LABELS
    file = forms.FileField(label=_("文件"), help_text=_("Excel（.xlsx/.xls）或 CSV（UTF-8 或 GBK），可直接用部门下发的名单；金额按元填写"))

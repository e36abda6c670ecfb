"""Forms of the relocation import page."""

from __future__ import annotations

from pathlib import Path

from django import forms
from django.utils.translation import gettext_lazy as _

from anju.imports.models import ImportBatch
from anju.imports.readers import CSV_EXTENSIONS, EXCEL_EXTENSIONS, MAX_FILE_BYTES
from anju.relocation.imports import KIND_LABELS

MSG_EXTENSION = _("请上传 .xlsx、.xls 或 .csv 文件")
MSG_TOO_LARGE = _("文件超过 %(limit)s MB")


class RelocationImportForm(forms.Form):
    kind = forms.ChoiceField(label=_("导入内容"))
    mode = forms.ChoiceField(label=_("导入模式"), choices=ImportBatch.Mode.choices, initial=ImportBatch.Mode.ALL_OR_NOTHING,
                             help_text=_("“全部或不导入”：任何一行有错都不写入；“仅导入正确行”：写入正确的行，错误行列入错误报告"))
    file = forms.FileField(label=_("文件"), help_text=_("Excel（.xlsx/.xls）或 CSV（UTF-8 或 GBK），可直接用部门下发的名单；金额按元填写"))

    def __init__(self, *args, kinds: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [(k, KIND_LABELS[k]) for k in kinds]

    def clean_file(self):
        f = self.cleaned_data["file"]
        if Path(f.name).suffix.lower() not in EXCEL_EXTENSIONS | CSV_EXTENSIONS:
            raise forms.ValidationError(MSG_EXTENSION, code="file_type")
        if f.size > MAX_FILE_BYTES:
            raise forms.ValidationError(MSG_TOO_LARGE % {"limit": MAX_FILE_BYTES // (1024 * 1024)}, code="file_too_large")
        return f

"""Forms of the roster import and export pages."""

from __future__ import annotations

from pathlib import Path

from django import forms
from django.utils.translation import gettext_lazy as _

from anju.imports.models import ImportBatch
from anju.imports.readers import CSV_EXTENSIONS, EXCEL_EXTENSIONS, MAX_FILE_BYTES
from anju.registry.models import Program

MSG_EXTENSION = _("请上传 .xlsx、.xls 或 .csv 文件")
MSG_TOO_LARGE = _("文件超过 %(limit)s MB")


class ImportForm(forms.Form):
    program = forms.ChoiceField(label=_("项目类别"), choices=Program.choices)
    file = forms.FileField(label=_("名册文件"), help_text=_("Excel（.xlsx/.xls）或 CSV（UTF-8 或 GBK），可直接用县里现有的表格"))
    mode = forms.ChoiceField(label=_("导入模式"), choices=ImportBatch.Mode.choices, initial=ImportBatch.Mode.ALL_OR_NOTHING,
                             help_text=_("“全部或不导入”：任何一行有错都不写入；“仅导入正确行”：写入正确的行，错误行列入错误报告"))
    scope = forms.CharField(label=_("只导入此区划"), required=False, max_length=12, help_text=_("区划代码，留空则为您的录入范围"))

    def clean_file(self):
        f = self.cleaned_data["file"]
        suffix = Path(f.name).suffix.lower()
        if suffix not in EXCEL_EXTENSIONS | CSV_EXTENSIONS:
            raise forms.ValidationError(MSG_EXTENSION, code="file_type")
        if f.size > MAX_FILE_BYTES:
            raise forms.ValidationError(MSG_TOO_LARGE % {"limit": MAX_FILE_BYTES // (1024 * 1024)}, code="file_too_large")
        return f


class ExportForm(forms.Form):
    program = forms.ChoiceField(label=_("项目类别"), choices=Program.choices)
    as_of = forms.DateField(label=_("名册截至日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}),
                            help_text=_("留空为今天；可查询任一历史日期的在册名单"))
    format = forms.ChoiceField(label=_("文件格式"), choices=[("xlsx", "Excel (.xlsx)"), ("csv", "CSV (UTF-8)")], initial="xlsx")
    scope = forms.CharField(label=_("只导出此区划"), required=False, max_length=12)

"""Cross-check forms: upload a department's list, dismiss a match, filter the duplicate report."""

from __future__ import annotations

from pathlib import PurePath

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from anju.registry.models import CrossCheckBatch, CrossCheckMatch, Program
from anju.registry.services.crosschecks import (
    LIST_SUFFIXES as ALLOWED_SUFFIXES,
)
from anju.registry.services.crosschecks import (
    MAX_FILE_BYTES,
    MSG_AS_OF_FUTURE,
    MSG_FILE_TOO_BIG,
    MSG_FILE_TYPE,
    MSG_SOURCE_REQUIRED,
)

SOURCE_SUGGESTIONS = ("公安局", "民政局", "人力资源和社会保障局", "司法局", "人民法院", "财政局")


class CrossCheckUploadForm(forms.Form):
    kind = forms.ChoiceField(label=_("比对类型"), choices=CrossCheckBatch.Kind.choices)
    source = forms.CharField(label=_("来源部门"), max_length=50, help_text=_("例如 公安局、民政局、人社局、司法局"),
                             widget=forms.TextInput(attrs={"list": "crosscheck-sources"}))
    as_of = forms.DateField(label=_("数据日期"), widget=forms.DateInput(attrs={"type": "date"}), help_text=_("对方名单的截止日期"))
    file = forms.FileField(label=_("名单文件"), widget=forms.ClearableFileInput(attrs={"accept": ",".join(ALLOWED_SUFFIXES)}),
                           help_text=_("Excel 或 CSV，含 姓名、身份证号、出生日期、事件日期（死亡日期/入职日期/判决日期等）、备注 列"))

    def clean_source(self):
        source = self.cleaned_data["source"].strip()
        if not source:
            raise forms.ValidationError(MSG_SOURCE_REQUIRED)
        return source

    def clean_as_of(self):
        as_of = self.cleaned_data["as_of"]
        if as_of > timezone.localdate():
            raise forms.ValidationError(MSG_AS_OF_FUTURE)
        return as_of

    def clean_file(self):
        f = self.cleaned_data["file"]
        if PurePath(f.name).suffix.lower() not in ALLOWED_SUFFIXES:
            raise forms.ValidationError(MSG_FILE_TYPE % {"name": f.name})
        if f.size > MAX_FILE_BYTES:
            raise forms.ValidationError(MSG_FILE_TOO_BIG % {"mb": MAX_FILE_BYTES // (1024 * 1024)})
        return f


class CrossCheckFilterForm(forms.Form):
    kind = forms.ChoiceField(label=_("比对类型"), required=False, choices=[("", _("全部"))] + list(CrossCheckBatch.Kind.choices))


class MatchFilterForm(forms.Form):
    state = forms.ChoiceField(label=_("处理状态"), required=False, choices=[("", _("全部"))] + list(CrossCheckMatch.State.choices))


class DismissForm(forms.Form):
    reason = forms.CharField(label=_("排除理由"), max_length=500, widget=forms.TextInput(attrs={"placeholder": _("如：非同一人")}))


class DuplicatesFilterForm(forms.Form):
    program = forms.ChoiceField(label=_("项目类别"), required=False, choices=[("", _("全部"))] + list(Program.choices))

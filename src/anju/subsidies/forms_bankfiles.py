"""Bank-file forms: choose a layout, upload a return file, resolve an item by hand, create a supplementary batch, filters."""

from __future__ import annotations

from pathlib import PurePath

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from anju.subsidies.models import BankReturn, BankReturnRow, Item
from anju.subsidies.selectors_bankfiles import FLAGGED
from anju.subsidies.services.returns import MAX_FILE_BYTES, MSG_FILE_TOO_BIG, MSG_FILE_TYPE, SUFFIXES
from anju.subsidies.services.supplements import MSG_PAID_ON_FUTURE, MSG_REASON

DIGITS = r"^\d{1,12}$"
MODE_HELP = {
    BankReturn.Mode.ALL: _("推荐。文件中只要有一行无法匹配（账号不在本批次、金额不符、重复、已有结果或数据有误），整个文件都不入账，"
                           "下载问题清单交银行核对后重新导入。"),
    BankReturn.Mode.VALID_ONLY: _("无误的行立即入账；有问题的行不入账，列在结果页，可逐笔人工确认或待银行更正后再导入。"),
}


def _clean_text(value: str) -> str:
    value = (value or "").strip()
    if "\x00" in value:
        raise forms.ValidationError(_("包含不允许的字符"))
    return value


class BankFileExportForm(forms.Form):
    layout = forms.TypedChoiceField(label=_("银行文件格式"), coerce=int, choices=(),
                                    help_text=_("代发文件含完整银行账号和身份证号，生成与下载均留痕"))

    def __init__(self, *args, layouts=(), initial_layout=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["layout"].choices = [(layout.pk, f"{layout.name}（{layout.summary}）") for layout in layouts]
        if initial_layout:
            self.fields["layout"].initial = initial_layout


class ReturnUploadForm(forms.Form):
    file = forms.FileField(label=_("回盘文件"), widget=forms.ClearableFileInput(attrs={"accept": ",".join(SUFFIXES)}),
                           help_text=_("银行返回的 Excel 或 CSV（GBK 或 UTF-8），须含 账号、金额、处理结果 列；业务编号、户名、失败原因、"
                                       "银行流水号、交易日期 列可选"))
    mode = forms.ChoiceField(label=_("入账方式"), choices=BankReturn.Mode.choices, initial=BankReturn.Mode.ALL, widget=forms.RadioSelect)
    layout = forms.TypedChoiceField(label=_("按哪个银行文件格式识别列名"), coerce=int, required=False, empty_value=None, choices=(),
                                    help_text=_("默认为该批次出盘时使用的格式；常见列名都能自动识别"))

    def __init__(self, *args, layouts=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["layout"].choices = [("", _("出盘时使用的格式"))] + [(layout.pk, layout.name) for layout in layouts]
        self.fields["mode"].choices = [(value, f"{label}：{MODE_HELP[value]}") for value, label in BankReturn.Mode.choices]

    def clean_file(self):
        f = self.cleaned_data["file"]
        if PurePath(f.name).suffix.lower() not in SUFFIXES:
            raise forms.ValidationError(MSG_FILE_TYPE % {"name": f.name})
        if f.size > MAX_FILE_BYTES:
            raise forms.ValidationError(MSG_FILE_TOO_BIG % {"mb": MAX_FILE_BYTES // (1024 * 1024)})
        return f


class ResolveForm(forms.Form):
    outcome = forms.ChoiceField(label=_("银行处理结果"), widget=forms.RadioSelect,
                                choices=[(Item.State.PAID, _("已发放（银行确认已入账）")), (Item.State.FAILED, _("发放失败"))])
    paid_on = forms.DateField(label=_("入账日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}),
                              help_text=_("已发放时填写；不填为今天"))
    bank_ref = forms.CharField(label=_("银行流水号或来函文号"), required=False, max_length=64)
    reason = forms.CharField(label=_("失败原因"), required=False, max_length=200, help_text=_("发放失败时必填，如 账户已销户、户名与账号不符"))

    def clean_bank_ref(self):
        return _clean_text(self.cleaned_data["bank_ref"])

    def clean_reason(self):
        return _clean_text(self.cleaned_data["reason"])

    def clean(self):
        data = super().clean()
        if data.get("outcome") == Item.State.FAILED and not data.get("reason"):
            self.add_error("reason", MSG_REASON)
        paid_on = data.get("paid_on")
        if paid_on and paid_on > timezone.localdate():
            self.add_error("paid_on", MSG_PAID_ON_FUTURE)
        return data


class SupplementForm(forms.Form):
    include_held = forms.BooleanField(label=_("同时补发暂缓发放的明细"), required=False,
                                      help_text=_("暂缓原因（无账号、账号有误、暂停扶持等）已解决的，可一并补发；仍未解决的在补发批次中继续暂缓"))
    note = forms.CharField(label=_("备注"), required=False, max_length=300, widget=forms.Textarea(attrs={"rows": 2}))

    def clean_note(self):
        return _clean_text(self.cleaned_data["note"])


class ReturnRowFilterForm(forms.Form):
    flag = forms.ChoiceField(label=_("筛选"), required=False, choices=[("", _("全部")), (FLAGGED, _("有问题的行")), ("ok", _("无误的行"))]
                             + list(BankReturnRow.Flag.choices))


class OutstandingFilterForm(forms.Form):
    division = forms.RegexField(label=_("区划代码（前缀）"), required=False, regex=DIGITS, max_length=12,
                                error_messages={"invalid": _("区划代码只能是数字")})
    q = forms.CharField(label=_("姓名或户编号"), required=False, max_length=64)

    def clean_q(self):
        return _clean_text(self.cleaned_data["q"])

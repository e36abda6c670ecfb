"""Ledger forms: recovery filter, repayment, write-off, detection scope, ledger person search, fund filter, annual report."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from anju.core.access import code_prefix_q
from anju.divisions.models import Division, Level
from anju.subsidies.models import FundSource, Recovery, Repayment

DIGITS = r"^\d{1,12}$"
FIRST_YEAR = 2006
MSG_YUAN = _("请输入金额（元），最多两位小数，如 150 或 150.50")


def _years(empty: bool) -> list:
    years = [(y, str(y)) for y in range(timezone.localdate().year, FIRST_YEAR - 1, -1)]
    return [("", _("全部"))] + years if empty else years


def _clean_text(value: str) -> str:
    value = (value or "").strip()
    if "\x00" in value:
        raise forms.ValidationError(_("包含不允许的字符"))
    return value


def yuan_to_fen(value) -> int:
    """'150.5' -> 15050: exact, at most two decimals, positive; raises ValueError otherwise."""
    try:
        amount = Decimal(str(value).strip().replace(",", ""))
    except (InvalidOperation, ValueError):
        raise ValueError(value) from None
    if not amount.is_finite() or amount <= 0 or amount != amount.quantize(Decimal("0.01")) or amount > Decimal("100000000"):
        raise ValueError(value)
    return int(amount * 100)


class RecoveryFilterForm(forms.Form):
    state = forms.ChoiceField(label=_("状态"), required=False, choices=[("", _("全部"))] + list(Recovery.State.choices))
    county = forms.RegexField(label=_("区划代码（前缀）"), required=False, regex=DIGITS, max_length=12,
                              error_messages={"invalid": _("区划代码只能是数字")})
    year = forms.TypedChoiceField(label=_("年度"), required=False, coerce=int, empty_value=None, choices=())
    q = forms.CharField(label=_("姓名"), required=False, max_length=64)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = _years(empty=True)

    def clean_q(self):
        return _clean_text(self.cleaned_data["q"])


class RepaymentForm(forms.Form):
    amount = forms.CharField(label=_("还款金额（元）"), max_length=16)
    paid_on = forms.DateField(label=_("还款日期"), widget=forms.DateInput(attrs={"type": "date"}))
    method = forms.ChoiceField(label=_("方式"), choices=Repayment.Method.choices, initial=Repayment.Method.REFUND)
    receipt = forms.CharField(label=_("票据号"), required=False, max_length=64)
    note = forms.CharField(label=_("说明"), required=False, max_length=300)

    def clean_amount(self) -> int:
        try:
            return yuan_to_fen(_clean_text(self.cleaned_data["amount"]))
        except ValueError:
            raise forms.ValidationError(MSG_YUAN) from None

    def clean_receipt(self):
        return _clean_text(self.cleaned_data["receipt"])

    def clean_note(self):
        return _clean_text(self.cleaned_data["note"])


class WaiveForm(forms.Form):
    reason = forms.CharField(label=_("核销理由"), max_length=300, widget=forms.Textarea(attrs={"rows": 2}))

    def clean_reason(self):
        return _clean_text(self.cleaned_data["reason"])


class DetectForm(forms.Form):
    scope = forms.ChoiceField(label=_("范围"), choices=())

    def __init__(self, *args, actor=None, **kwargs):
        super().__init__(*args, **kwargs)
        choices = []
        if actor is not None and actor.entry_scope_id:
            entry = actor.entry_scope
            choices.append((entry.prefix, f"{entry.name}（{entry.prefix}）"))
            if entry.level == Level.CITY:
                counties = Division.objects.filter(code_prefix_q("code", entry.prefix), level=Level.COUNTY).order_by("code")
                choices += [(d.prefix, f"{d.name}（{d.prefix}）") for d in counties]
        self.fields["scope"].choices = choices


class LedgerSearchForm(forms.Form):
    q = forms.CharField(label=_("姓名、身份证号或户编号"), required=False, max_length=64)

    def clean_q(self):
        return _clean_text(self.cleaned_data["q"])


class FundFilterForm(forms.Form):
    year = forms.TypedChoiceField(label=_("年度"), required=False, coerce=int, empty_value=None, choices=())
    county = forms.RegexField(label=_("县（区划代码）"), required=False, regex=DIGITS, max_length=12,
                              error_messages={"invalid": _("区划代码只能是数字")})
    fund_source = forms.ChoiceField(label=_("资金来源"), required=False, choices=[("", _("全部"))] + list(FundSource.choices))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = _years(empty=True)


class PostingForm(forms.Form):
    division = forms.RegexField(label=_("乡镇或村（区划代码前缀）"), required=False, regex=DIGITS, max_length=12,
                                error_messages={"invalid": _("区划代码只能是数字")})


class AnnualReportForm(forms.Form):
    year = forms.TypedChoiceField(label=_("年度"), coerce=int, choices=())
    scope = forms.ChoiceField(label=_("范围"), choices=())
    format = forms.ChoiceField(label=_("格式"), choices=[("xlsx", _("Excel（xlsx）")), ("docx", _("Word（docx）"))], initial="docx")

    def __init__(self, *args, actor=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = _years(empty=False)
        choices = []
        view = actor.view_scope if actor is not None and actor.view_scope_id else None
        if view is not None and view.level in (Level.CITY, Level.COUNTY):
            choices.append((view.prefix, f"{view.name}（{view.prefix}）"))
            if view.level == Level.CITY:
                counties = Division.objects.filter(code_prefix_q("code", view.prefix), level=Level.COUNTY).order_by("code")
                choices += [(d.prefix, f"{d.name}（{d.prefix}）") for d in counties]
        self.fields["scope"].choices = choices

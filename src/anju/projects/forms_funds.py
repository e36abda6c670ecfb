"""Forms of project money and progress: allocation, payment (amounts in 元 or 万元 by a unit select), deletion reason,
monthly report, unlock, and the list filters."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from anju.projects.models import Term
from anju.projects.money import UNIT_LABELS, WAN, YUAN, AmountError, to_fen
from anju.projects.selectors import terms

MONTH_RE = r"^\s*\d{4}\s*[-/年.]\s*\d{1,2}\s*月?\s*$"
MSG_MONTH = _("月份应写成“年-月”，如 2026-03")
MSG_TEXT = _("包含不允许的字符")
UNIT_CHOICES = [(YUAN, UNIT_LABELS[YUAN]), (WAN, UNIT_LABELS[WAN])]
DATE = {"type": "date"}


def _clean_text(value: str) -> str:
    value = (value or "").strip()
    if "\x00" in value:
        raise forms.ValidationError(MSG_TEXT)
    return value


def _years(empty: bool) -> list:
    years = [(y, str(y)) for y in range(timezone.localdate().year + 1, 2014, -1)]
    return [("", _("全部"))] + years if empty else years


class _AmountMixin:
    """`amount` (text) in the unit the `unit` select names becomes `amount_fen` (exact, or the field's error)."""

    amount_field = "amount"

    def _amount_fen(self, cleaned: dict, *, allow_zero: bool = False):
        value, unit = cleaned.get(self.amount_field), cleaned.get("unit") or YUAN
        if value in (None, ""):
            return cleaned
        try:
            fen = to_fen(value, unit)
        except AmountError as exc:
            self.add_error(self.amount_field, str(exc.message))
            return cleaned
        if fen <= 0 and not allow_zero:
            self.add_error(self.amount_field, _("金额应大于零"))
            return cleaned
        cleaned[f"{self.amount_field}_fen"] = fen
        return cleaned


class AllocationForm(_AmountMixin, forms.Form):
    fund_source = forms.ChoiceField(label=_("资金来源"), choices=())
    year = forms.IntegerField(label=_("资金年度"), min_value=2000, max_value=2100)
    doc_number = forms.CharField(label=_("下达文号"), max_length=100, help_text=_("如 清移发〔2026〕12号"))
    doc_date = forms.DateField(label=_("下达日期"), widget=forms.DateInput(attrs=DATE))
    amount = forms.CharField(label=_("下达金额"), max_length=24)
    unit = forms.ChoiceField(label=_("金额单位"), choices=UNIT_CHOICES, initial=WAN)
    note = forms.CharField(label=_("备注"), required=False, max_length=300)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["fund_source"].choices = terms(Term.Kind.FUND_SOURCE)
        self.fields["year"].initial = timezone.localdate().year

    def clean_doc_number(self):
        return _clean_text(self.cleaned_data["doc_number"])

    def clean_note(self):
        return _clean_text(self.cleaned_data["note"])

    def clean(self):
        return self._amount_fen(super().clean())

    def service_args(self) -> dict:
        d = self.cleaned_data
        return {"fund_source": d["fund_source"], "year": d["year"], "doc_number": d["doc_number"], "doc_date": d["doc_date"],
                "amount_fen": d["amount_fen"], "note": d["note"]}


class PaymentForm(_AmountMixin, forms.Form):
    fund_source = forms.ChoiceField(label=_("资金来源"), choices=())
    paid_on = forms.DateField(label=_("支付日期"), widget=forms.DateInput(attrs=DATE))
    amount = forms.CharField(label=_("支付金额"), max_length=24)
    unit = forms.ChoiceField(label=_("金额单位"), choices=UNIT_CHOICES, initial=YUAN)
    voucher = forms.CharField(label=_("凭证号"), max_length=60)
    payee = forms.CharField(label=_("收款单位"), required=False, max_length=100)
    note = forms.CharField(label=_("备注"), required=False, max_length=300)

    def __init__(self, *args, sources=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["fund_source"].choices = list(sources)

    def clean_voucher(self):
        return _clean_text(self.cleaned_data["voucher"])

    def clean_payee(self):
        return _clean_text(self.cleaned_data["payee"])

    def clean_note(self):
        return _clean_text(self.cleaned_data["note"])

    def clean(self):
        return self._amount_fen(super().clean())

    def service_args(self) -> dict:
        d = self.cleaned_data
        return {"fund_source": d["fund_source"], "paid_on": d["paid_on"], "amount_fen": d["amount_fen"], "voucher": d["voucher"],
                "payee": d["payee"], "note": d["note"]}


class DeleteForm(forms.Form):
    reason = forms.CharField(label=_("删除原因"), max_length=300)

    def clean_reason(self):
        return _clean_text(self.cleaned_data["reason"])


def month_value(text: str) -> str:
    m = re.match(r"^\s*(\d{4})\s*[-/年.]\s*(\d{1,2})", text or "")
    return f"{m.group(1)}-{int(m.group(2)):02d}" if m else ""


class MonthField(forms.RegexField):
    """A month as "YYYY-MM" (the browser's month input), cleaned to that spelling."""

    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("月份"))
        super().__init__(regex=MONTH_RE, max_length=12, error_messages={"invalid": MSG_MONTH},
                         widget=forms.TextInput(attrs={"type": "month", "placeholder": "2026-03"}), **kwargs)

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return value
        text = month_value(value)
        if not 1 <= int(text[5:]) <= 12:
            raise forms.ValidationError(MSG_MONTH)
        return text


class ProgressForm(_AmountMixin, forms.Form):
    amount_field = "investment_completed"

    month = MonthField()
    physical_percent = forms.DecimalField(label=_("形象进度（%）"), min_value=Decimal(0), max_value=Decimal(100), max_digits=5, decimal_places=2)
    investment_completed = forms.CharField(label=_("累计完成投资"), max_length=24)
    unit = forms.ChoiceField(label=_("金额单位"), choices=UNIT_CHOICES, initial=WAN)
    problems = forms.CharField(label=_("存在问题"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))
    actual_start = forms.DateField(label=_("实际开工日期"), required=False, widget=forms.DateInput(attrs=DATE),
                                   help_text=_("首次填写后，立项/下达的项目转入“实施”"))
    actual_completion = forms.DateField(label=_("实际完工日期"), required=False, widget=forms.DateInput(attrs=DATE),
                                        help_text=_("形象进度100%时必填；填写后项目转入“完工”"))

    def clean_problems(self):
        return _clean_text(self.cleaned_data["problems"])

    def clean(self):
        return self._amount_fen(super().clean(), allow_zero=True)

    def service_args(self) -> dict:
        d = self.cleaned_data
        return {"month": d["month"], "physical_percent": d["physical_percent"], "investment_completed_fen": d["investment_completed_fen"],
                "problems": d["problems"], "actual_start": d.get("actual_start"), "actual_completion": d.get("actual_completion")}


class UnlockForm(forms.Form):
    county = forms.ChoiceField(label=_("县（市、区）"), choices=())
    month = MonthField()
    until = forms.DateField(label=_("开放至"), widget=forms.DateInput(attrs=DATE))
    reason = forms.CharField(label=_("解锁原因"), max_length=300)

    def __init__(self, *args, counties=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["county"].choices = [(d.prefix, f"{d.name}（{d.prefix}）") for d in counties]
        self.fields["until"].initial = timezone.localdate() + dt.timedelta(days=7)

    def clean_reason(self):
        return _clean_text(self.cleaned_data["reason"])


class FundFilterForm(forms.Form):
    year = forms.TypedChoiceField(label=_("年度"), required=False, coerce=int, empty_value=None, choices=())
    fund_source = forms.ChoiceField(label=_("资金来源"), required=False, choices=())
    county = forms.ChoiceField(label=_("县（市、区）"), required=False, choices=())
    q = forms.CharField(label=_("项目编码或名称"), required=False, max_length=64)

    def __init__(self, *args, counties=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = _years(empty=True)
        self.fields["fund_source"].choices = [("", _("全部"))] + terms(Term.Kind.FUND_SOURCE, active_only=False)
        self.fields["county"].choices = [("", _("全部"))] + [(d.prefix, d.name) for d in counties]

    def clean_q(self):
        return _clean_text(self.cleaned_data["q"])

    def filters(self) -> dict:
        d = self.cleaned_data if self.is_valid() else {}
        return {"year": d.get("year"), "fund_source": d.get("fund_source") or "", "county": d.get("county") or "", "q": d.get("q") or ""}


class MonthlyFilterForm(forms.Form):
    month = MonthField(required=False)
    county = forms.ChoiceField(label=_("县（市、区）"), required=False, choices=())
    state = forms.ChoiceField(label=_("填报情况"), required=False, choices=[("", _("全部")), ("missing", _("未报")), ("reported", _("已报")),
                                                                        ("not_due", _("无需填报"))])

    def __init__(self, *args, counties=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["county"].choices = [("", _("全部"))] + [(d.prefix, d.name) for d in counties]

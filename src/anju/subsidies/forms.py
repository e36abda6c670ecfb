"""Batch and entitlement forms: list and item filters, batch creation, send-back reason, manual hold, the 测算 query."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from anju.core.access import code_prefix_q
from anju.core.policy import PolicyMissing, policy_value
from anju.divisions.models import Division, Level
from anju.subsidies.models import Batch, Frequency, FundSource, Item
from anju.subsidies.selectors import entitlement_scopes
from anju.subsidies.services.workflow import MANUAL_HOLDS

DIGITS = r"^\d{1,12}$"
FIRST_YEAR = 2006
QUARTERS = [(0, _("全年")), (1, _("第一季度")), (2, _("第二季度")), (3, _("第三季度")), (4, _("第四季度"))]


def _years(empty: bool) -> list:
    years = [(y, str(y)) for y in range(timezone.localdate().year + 1, FIRST_YEAR - 1, -1)]
    return [("", _("全部"))] + years if empty else years


def _clean_text(value: str) -> str:
    value = (value or "").strip()
    if "\x00" in value:
        raise forms.ValidationError(_("包含不允许的字符"))
    return value


def _frequency_label(county: Division) -> str:
    try:
        value = policy_value("subsidies.frequency", division_code=county.code)
    except PolicyMissing:
        return ""
    return str(dict(Frequency.choices).get(value, value))


class BatchFilterForm(forms.Form):
    year = forms.TypedChoiceField(label=_("年度"), required=False, coerce=int, empty_value=None, choices=())
    county = forms.RegexField(label=_("县（区划代码）"), required=False, regex=DIGITS, max_length=12,
                              error_messages={"invalid": _("区划代码只能是数字")})
    state = forms.ChoiceField(label=_("状态"), required=False, choices=[("", _("全部"))] + list(Batch.State.choices))
    kind = forms.ChoiceField(label=_("批次类型"), required=False, choices=[("", _("全部"))] + list(Batch.Kind.choices))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = _years(empty=True)


class BatchCreateForm(forms.Form):
    county = forms.ChoiceField(label=_("县（市、区）"), choices=())
    year = forms.TypedChoiceField(label=_("发放年度"), coerce=int, choices=(),
                                  help_text=_("依据上一年度 12 月 31 日已锁定的核定名单生成"))
    quarter = forms.TypedChoiceField(label=_("季度"), coerce=int, choices=QUARTERS, initial=0,
                                     help_text=_("按季度发放的县选择季度；按年发放的县选“全年”"))
    fund_source = forms.ChoiceField(label=_("资金来源"), choices=FundSource.choices, initial=FundSource.CENTRAL)
    note = forms.CharField(label=_("备注"), required=False, max_length=300)

    def __init__(self, *args, actor=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = _years(empty=False)
        self.fields["year"].initial = timezone.localdate().year
        counties = (Division.objects.filter(code_prefix_q("code", actor.entry_prefix), level=Level.COUNTY).order_by("code")
                    if actor is not None else [])
        self.fields["county"].choices = [(d.prefix, f"{d.name}（{'，'.join(filter(None, [d.prefix, _frequency_label(d)]))}）")
                                         for d in counties]

    def clean_note(self):
        return _clean_text(self.cleaned_data["note"])


class ItemFilterForm(forms.Form):
    state = forms.ChoiceField(label=_("状态"), required=False, choices=[("", _("全部"))] + list(Item.State.choices))
    hold = forms.ChoiceField(label=_("暂缓原因"), required=False, choices=[("", _("全部"))] + list(Item.Hold.choices))
    division = forms.RegexField(label=_("乡镇或村（区划代码前缀）"), required=False, regex=DIGITS, max_length=12,
                                error_messages={"invalid": _("区划代码只能是数字")})
    q = forms.CharField(label=_("姓名或户编号"), required=False, max_length=64)

    def clean_q(self):
        return _clean_text(self.cleaned_data["q"])


class SendBackForm(forms.Form):
    reason = forms.CharField(label=_("退回理由"), max_length=300, widget=forms.Textarea(attrs={"rows": 2}))


class HoldForm(forms.Form):
    cause = forms.ChoiceField(label=_("暂缓原因"), choices=[(c, Item.Hold(c).label) for c in MANUAL_HOLDS])
    reason = forms.CharField(label=_("说明"), max_length=300)


class EntitlementForm(forms.Form):
    scope = forms.ChoiceField(label=_("范围"), choices=())
    year = forms.TypedChoiceField(label=_("年度"), coerce=int, choices=())
    quarter = forms.TypedChoiceField(label=_("季度"), coerce=int, choices=QUARTERS, initial=0, required=False, empty_value=0)
    preview = forms.BooleanField(label=_("按当前在册名单预览（核定名单尚未锁定时）"), required=False)

    def __init__(self, *args, actor=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = _years(empty=False)
        self.fields["year"].initial = timezone.localdate().year
        scopes = entitlement_scopes(actor) if actor is not None else []
        self.fields["scope"].choices = [(d.prefix, f"{d.name}（{d.prefix}）{_('全市') if d.level == Level.CITY else ''}") for d in scopes]


class EntitlementExportForm(EntitlementForm):
    unmasked = forms.BooleanField(label=_("导出完整身份证号（留痕）"), required=False)

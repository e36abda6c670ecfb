"""Verification forms: list filter, run, changes filter, send-back reason, roster export options."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from anju.core.access import code_prefix_q
from anju.divisions.models import Division, Level
from anju.registry.models import Program, Verification, VerificationChange
from anju.registry.services.verification import FIRST_YEAR

DIGITS = r"^\d{1,12}$"


def _year_choices(empty: bool) -> list:
    last = timezone.localdate().year - 1
    years = [(y, str(y)) for y in range(last, FIRST_YEAR - 1, -1)]
    return [("", _("全部"))] + years if empty else years


class VerificationFilterForm(forms.Form):
    year = forms.TypedChoiceField(label=_("年度"), required=False, coerce=int, empty_value=None, choices=())
    program = forms.ChoiceField(label=_("项目类别"), required=False, choices=[("", _("全部"))] + list(Program.choices))
    state = forms.ChoiceField(label=_("状态"), required=False, choices=[("", _("全部"))] + list(Verification.State.choices))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = _year_choices(empty=True)


class VerificationRunForm(forms.Form):
    year = forms.TypedChoiceField(label=_("核定年度"), coerce=int, choices=(), help_text=_("以该年 12 月 31 日 24 时为基准日"))
    program = forms.ChoiceField(label=_("项目类别"), choices=Program.choices)
    county = forms.ChoiceField(label=_("县（市、区）"), choices=())

    def __init__(self, *args, actor=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = _year_choices(empty=False)
        counties = Division.objects.filter(code_prefix_q("code", actor.entry_prefix), level=Level.COUNTY).order_by("code") if actor else []
        self.fields["county"].choices = [(d.prefix, f"{d.name}（{d.prefix}）") for d in counties]


class ChangeFilterForm(forms.Form):
    kind = forms.ChoiceField(label=_("类型"), required=False, choices=[("", _("全部"))] + list(VerificationChange.Kind.choices))
    division = forms.RegexField(label=_("区划代码（前缀）"), required=False, regex=DIGITS, max_length=12,
                                error_messages={"invalid": _("区划代码只能是数字")})
    q = forms.CharField(label=_("姓名"), required=False, max_length=64)

    def clean_q(self):
        q = self.cleaned_data["q"].strip()
        if "\x00" in q:
            raise forms.ValidationError(_("包含不允许的字符"))
        return q


class ReopenForm(forms.Form):
    reason = forms.CharField(label=_("退回理由"), max_length=300, widget=forms.Textarea(attrs={"rows": 2}))


class RosterExportForm(forms.Form):
    unmasked = forms.BooleanField(label=_("导出完整身份证号（留痕）"), required=False)

"""Registry forms: the search box and its filters, the as-of date, the roster, reservoirs, reveal."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from anju.registry.models import Program, Reservoir, Status

PROGRAM_CHOICES = [("", _("全部项目"))] + list(Program.choices)
STATUS_CHOICES = [("", _("全部状态"))] + list(Status.choices)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class SearchForm(forms.Form):
    q = forms.CharField(label=_("姓名、身份证号或户编号"), required=False, max_length=64,
                        widget=forms.TextInput(attrs={"type": "search", "autofocus": True, "placeholder": _("如 张三、4299…、H001")}))
    program = forms.ChoiceField(label=_("项目类别"), required=False, choices=PROGRAM_CHOICES)
    division = forms.CharField(label=_("区划代码"), required=False, max_length=12)
    status = forms.ChoiceField(label=_("状态"), required=False, choices=STATUS_CHOICES)
    as_of = forms.DateField(label=_("截至日期"), required=False, widget=DateInput())

    def clean_q(self):
        return self.cleaned_data["q"].replace("\x00", "")


class AsOfForm(forms.Form):
    as_of = forms.DateField(label=_("截至日期"), required=False, widget=DateInput())


class RosterForm(forms.Form):
    program = forms.ChoiceField(label=_("项目类别"), choices=list(Program.choices))
    as_of = forms.DateField(label=_("截至日期"), required=False, widget=DateInput())
    division = forms.CharField(label=_("区划代码"), required=False, max_length=12)
    status = forms.ChoiceField(label=_("状态"), required=False, choices=[("", _("全部状态"))] + list(Status.choices),
                               initial=Status.ACTIVE)


class RevealForm(forms.Form):
    field = forms.ChoiceField(choices=[("id_number", _("身份证号")), ("bank_account", _("银行账号"))])


class ReservoirForm(forms.Form):
    code = forms.CharField(label=_("水库编码"), max_length=32)
    name = forms.CharField(label=_("水库名称"), max_length=100)
    scale = forms.ChoiceField(label=_("规模"), choices=list(Reservoir.Scale.choices))
    county = forms.CharField(label=_("所在县"), max_length=12, help_text=_("县级区划代码，如 429921"))


class ReferenceFilterForm(forms.Form):
    q = forms.CharField(label=_("名称或编码"), required=False, max_length=64)

    def clean_q(self):
        return self.cleaned_data["q"].replace("\x00", "")

"""Policy version forms: list filter, draft (create / edit), copy, revoke reason, the resolved view, what-if years."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from anju.registry.models import Enrolment
from anju.subsidies.models import Frequency, RemovalRule, SubsidyPolicy
from anju.subsidies.services.policy import WHATIF_YEARS_MAX

INHERIT = [("", _("（继承）"))]


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class PolicyFilterForm(forms.Form):
    state = forms.ChoiceField(label=_("状态"), required=False, choices=[("", _("全部"))] + list(SubsidyPolicy.State.choices))
    q = forms.CharField(label=_("名称或文号"), required=False, max_length=64)


class PolicyForm(forms.Form):
    """A draft's fields; the service checks the values and their ranges (its messages go on the fields)."""

    title = forms.CharField(label=_("名称"), max_length=200)
    doc_number = forms.CharField(label=_("文号"), required=False, max_length=100)
    scope = forms.CharField(label=_("适用区划"), required=False, max_length=12,
                            help_text=_("省、市或县级区划代码，如 4299（市）或 429921（县）；全国政策留空"))
    effective_from = forms.DateField(label=_("生效日期"), widget=DateInput())
    standard_yuan = forms.DecimalField(label=_("扶持标准（元/人·年）"), required=False, help_text=_("留空表示继承上级或更早的版本，下同"))
    frequency = forms.ChoiceField(label=_("发放频次"), required=False, choices=INHERIT + list(Frequency.choices))
    cutoff_date = forms.DateField(label=_("现状人口截止日"), required=False, widget=DateInput())
    period_start_current = forms.DateField(label=_("现状人口扶持起始日"), required=False, widget=DateInput())
    period_years_current = forms.IntegerField(label=_("现状人口扶持年限"), required=False)
    period_years = forms.IntegerField(label=_("原迁人口扶持年限"), required=False)
    removal_effective = forms.ChoiceField(label=_("核减生效规则"), required=False, choices=INHERIT + list(RemovalRule.choices))
    direct_modes = forms.MultipleChoiceField(label=_("直补的扶持方式"), required=False, choices=Enrolment.SupportMode.choices,
                                             widget=forms.CheckboxSelectMultiple, help_text=_("都不选表示继承"))
    note = forms.CharField(label=_("说明"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    @classmethod
    def initial_from(cls, policy: SubsidyPolicy) -> dict:
        return {f: getattr(policy, f) for f in cls.base_fields if f != "direct_modes"} | {"direct_modes": policy.direct_modes or []}


class CopyForm(forms.Form):
    title = forms.CharField(label=_("名称"), max_length=200)
    scope = forms.CharField(label=_("适用区划"), required=False, max_length=12, help_text=_("省、市或县级区划代码；全国政策留空"))
    effective_from = forms.DateField(label=_("生效日期"), widget=DateInput())


class RevokeForm(forms.Form):
    reason = forms.CharField(label=_("撤销理由"), max_length=300, widget=forms.Textarea(attrs={"rows": 2}))


class EffectiveForm(forms.Form):
    """The resolved view: a county and a day."""

    county = forms.ChoiceField(label=_("县（市、区）"), required=False, choices=())
    on = forms.DateField(label=_("日期"), required=False, widget=DateInput())

    def __init__(self, *args, counties=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["county"].choices = [(d.prefix, f"{d.name}（{d.prefix}）") for d in counties]


class WhatIfForm(forms.Form):
    years = forms.TypedChoiceField(label=_("测算年数"), coerce=int, initial=5,
                                   choices=[(n, str(n)) for n in range(1, WHATIF_YEARS_MAX + 1)],
                                   help_text=_("从生效年度起测算的年数"))

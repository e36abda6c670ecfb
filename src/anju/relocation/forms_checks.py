"""Forms of spot checks: drawing a sample, recording a result, resolving a follow-up, filtering the lists."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from anju.relocation.forms_steps import site_choices
from anju.relocation.models import SpotCheck, SpotCheckItem

DATE = forms.DateInput(attrs={"type": "date"})


class DrawForm(forms.Form):
    name = forms.CharField(label=_("抽查名称"), required=False, max_length=100, help_text=_("不填则按范围和日期生成"))
    scope = forms.RegexField(label=_("抽查范围（县或乡镇区划代码）"), required=False, regex=r"^\d{6}(\d{3})?(000)?$", max_length=12)
    site = forms.TypedChoiceField(label=_("或安置点"), required=False, coerce=int, empty_value=None, choices=())
    as_of = forms.DateField(label=_("名册日期"), widget=DATE, help_text=_("总体为该日在册的搬迁户"))
    size = forms.IntegerField(label=_("抽样户数"), required=False, min_value=1)
    percent = forms.FloatField(label=_("或抽样比例（%）"), required=False, min_value=0, max_value=100)
    method = forms.ChoiceField(label=_("方式"), choices=SpotCheck.Method.choices)
    seed = forms.CharField(label=_("随机种子"), required=False, max_length=64, help_text=_("不填则自动生成并记录；用同一种子可复现样本"))

    def __init__(self, *args, actor=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["site"].choices = site_choices(actor, blank=_("（不指定）")) if actor is not None else []


class ResultForm(forms.Form):
    result = forms.ChoiceField(label=_("核查结果"), choices=[c for c in SpotCheckItem.Result.choices if c[0] != "pending"],
                               widget=forms.RadioSelect)
    checked_on = forms.DateField(label=_("核查日期"), widget=DATE)
    checker = forms.CharField(label=_("核查人"), max_length=50)
    findings = forms.CharField(label=_("发现问题"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 3}),
                               help_text=_("“存在问题”时必填"))
    follow_up_owner = forms.CharField(label=_("整改责任人"), required=False, max_length=50, help_text=_("“存在问题”时必填"))
    follow_up_deadline = forms.DateField(label=_("整改期限"), required=False, widget=DATE, help_text=_("“存在问题”时必填"))


class ResolveForm(forms.Form):
    note = forms.CharField(label=_("整改情况"), max_length=300, widget=forms.Textarea(attrs={"rows": 3}))
    resolved_on = forms.DateField(label=_("整改完成日期"), widget=DATE)


class CheckFilterForm(forms.Form):
    state = forms.ChoiceField(label=_("状态"), required=False, choices=[("", _("全部")), *SpotCheck.State.choices])
    division = forms.RegexField(label=_("区划代码"), required=False, regex=r"^\d{2,12}$", max_length=12)
    q = forms.CharField(label=_("名称"), required=False, max_length=64)


class FollowUpFilterForm(forms.Form):
    state = forms.ChoiceField(label=_("整改状态"), required=False,
                              choices=[("", _("整改中")), ("overdue", _("已逾期")), ("resolved", _("已整改"))])

"""Forms of 防返贫 monitoring: list filters, identification, decisions, measures, risk elimination, signal handling."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from anju.projects.money import YUAN, AmountError, to_fen
from anju.relocation.models import Measure, MonitoringCase, RiskSignal, Term
from anju.relocation.selectors_common import term_choices
from anju.relocation.services.monitoring import CRITERIA, MANUAL_CRITERIA

CONFIRMABLE = ("income", *MANUAL_CRITERIA)  # income is confirmed by hand only when there is no income survey
DATE = forms.DateInput(attrs={"type": "date"})
ALL = [("", _("全部"))]


def _yuan_to_fen(value, field: str, form: forms.Form):
    if value in (None, ""):
        return None
    try:
        return to_fen(value, YUAN)
    except AmountError as exc:
        raise forms.ValidationError(exc.message) from None


class CaseFilterForm(forms.Form):
    category = forms.ChoiceField(label=_("类别"), required=False, choices=ALL + list(MonitoringCase.Category.choices))
    state = forms.ChoiceField(label=_("状态"), required=False, choices=ALL + list(MonitoringCase.State.choices))
    colour = forms.ChoiceField(label=_("风险等级"), required=False, choices=ALL + list(MonitoringCase.Colour.choices))
    county = forms.ChoiceField(label=_("县（市、区）"), required=False, choices=())
    division = forms.RegexField(label=_("乡镇或村代码"), required=False, regex=r"^\d{2,12}$", max_length=12)
    site = forms.ChoiceField(label=_("安置点"), required=False, choices=())
    q = forms.CharField(label=_("户编号或户主"), required=False, max_length=64)

    def __init__(self, *args, counties=(), sites=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["county"].choices = ALL + [(d.prefix, d.name) for d in counties]
        self.fields["site"].choices = ALL + [(str(s.pk), s.name) for s in sites]

    def filters(self) -> dict:
        d = self.cleaned_data if self.is_valid() else {}
        return {"category": d.get("category") or "", "state": d.get("state") or "", "colour": d.get("colour") or "",
                "division": d.get("division") or d.get("county") or "", "site": int(d["site"]) if d.get("site") else None,
                "q": (d.get("q") or "").replace("\x00", "")}


class CaseForm(forms.Form):
    household_number = forms.CharField(label=_("户编号"), max_length=32, required=False)
    category = forms.ChoiceField(label=_("监测对象类别"), choices=MonitoringCase.Category.choices)
    channel = forms.ChoiceField(label=_("识别途径"), choices=MonitoringCase.Channel.choices)
    risks = forms.MultipleChoiceField(label=_("风险类型"), choices=(), widget=forms.CheckboxSelectMultiple,
                                      help_text=_("至少选择一项"))
    per_capita_income = forms.CharField(label=_("人均纯收入（元/年）"), required=False, max_length=20)
    identified_on = forms.DateField(label=_("识别日期"), widget=DATE)
    description = forms.CharField(label=_("致贫返贫风险情况"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, *args, household=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.household = household
        self.fields["risks"].choices = term_choices(Term.Kind.RISK)
        if household is not None:
            del self.fields["household_number"]
        else:
            self.fields["household_number"].required = True

    def clean_per_capita_income(self):
        return _yuan_to_fen(self.cleaned_data.get("per_capita_income"), "per_capita_income", self)

    def service_kwargs(self) -> dict:
        d = self.cleaned_data
        return {"category": d["category"], "channel": d["channel"], "risks": d["risks"], "per_capita_income_fen": d["per_capita_income"],
                "identified_on": d["identified_on"], "description": d["description"]}


class ApproveForm(forms.Form):
    included_on = forms.DateField(label=_("纳入监测日期"), widget=DATE)
    note = forms.CharField(label=_("审批意见"), required=False, max_length=300)


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("理由"), max_length=300, widget=forms.Textarea(attrs={"rows": 2}))


class MeasureForm(forms.Form):
    kind = forms.ChoiceField(label=_("措施类型"), choices=())
    content = forms.CharField(label=_("措施内容"), max_length=300)
    responsible = forms.CharField(label=_("帮扶责任人"), required=False, max_length=50)
    started_on = forms.DateField(label=_("开始日期"), widget=DATE)
    ended_on = forms.DateField(label=_("结束日期"), required=False, widget=DATE)
    amount = forms.CharField(label=_("帮扶资金（元）"), required=False, max_length=20)
    effect = forms.ChoiceField(label=_("帮扶成效"), choices=Measure.Effect.choices)
    effect_note = forms.CharField(label=_("成效说明"), required=False, max_length=300, help_text=_("评定成效时必填"))

    def __init__(self, *args, current_kind: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = term_choices(Term.Kind.ASSISTANCE, include=current_kind)

    def clean_amount(self):
        return _yuan_to_fen(self.cleaned_data.get("amount"), "amount", self) or 0

    def service_kwargs(self) -> dict:
        d = dict(self.cleaned_data)
        d["amount_fen"] = d.pop("amount")
        return d


class EliminationForm(forms.Form):
    proposed_on = forms.DateField(label=_("申请日期"), widget=DATE)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for code in CONFIRMABLE:
            self.fields[f"confirm_{code}"] = forms.BooleanField(label=CRITERIA[code], required=False)
            self.fields[f"note_{code}"] = forms.CharField(label=_("核实情况"), required=False, max_length=300)

    def service_kwargs(self) -> dict:
        d = self.cleaned_data
        return {"confirmed": [c for c in CONFIRMABLE if d.get(f"confirm_{c}")],
                "notes": {c: d[f"note_{c}"] for c in CONFIRMABLE if d.get(f"note_{c}")}, "proposed_on": d["proposed_on"]}


class EliminationApproveForm(forms.Form):
    eliminated_on = forms.DateField(label=_("风险消除日期"), widget=DATE)
    note = forms.CharField(label=_("审批意见"), required=False, max_length=300)


class SignalFilterForm(forms.Form):
    state = forms.ChoiceField(label=_("状态"), required=False, choices=list(RiskSignal.State.choices) + [("all", _("全部"))])
    kind = forms.ChoiceField(label=_("风险线索"), required=False, choices=ALL + list(RiskSignal.Kind.choices))
    county = forms.ChoiceField(label=_("县（市、区）"), required=False, choices=())

    def __init__(self, *args, counties=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["county"].choices = ALL + [(d.prefix, d.name) for d in counties]

    def filters(self) -> dict:
        d = self.cleaned_data if self.is_valid() else {}
        return {"state": d.get("state") or "open", "kind": d.get("kind") or "", "division": d.get("county") or ""}


class NoteForm(forms.Form):
    note = forms.CharField(label=_("核实情况"), max_length=300)


class ScanForm(forms.Form):
    as_of = forms.DateField(label=_("排查日期"), required=False, widget=DATE)

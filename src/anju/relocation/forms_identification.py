"""Forms of identification: vocabulary terms, eligibility rules, designated areas, surveys, decisions and list filters.
Values are passed on as typed; the services check them and name the field in their Chinese messages."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from anju.core.terms import TermForm as BaseTermForm
from anju.projects.money import YUAN, AmountError, to_fen, yuan_text
from anju.relocation.forms import DateInput
from anju.relocation.models import Survey, Term
from anju.relocation.selectors_common import term_choices
from anju.relocation.services.identification_rules import FIELD_LABELS, FIELDS, NUMBER, OPERATOR_LABELS


class TermForm(BaseTermForm):
    kind_choices = Term.Kind.choices


class RuleForm(forms.Form):
    code = forms.RegexField(label=_("规则编码"), regex=r"^[A-Za-z0-9_-]{1,32}$", max_length=32, help_text=_("创建后不能修改"),
                            error_messages={"invalid": _("规则编码应为 1 至 32 位英文字母、数字、下划线或短横线")})
    name = forms.CharField(label=_("规则名称"), max_length=100)
    field = forms.ChoiceField(label=_("判断项"), choices=[(f, FIELD_LABELS[f]) for f in FIELDS])
    operator = forms.ChoiceField(label=_("条件"), choices=list(OPERATOR_LABELS.items()))
    value = forms.CharField(label=_("取值"), required=False, max_length=500,
                            help_text=_("是/否类判断项留空；生存条件填编码，用逗号分隔（如 deep_mountain,stony）；收入填元；家庭人口填人数"))
    sort = forms.IntegerField(label=_("排序"), required=False, min_value=0, max_value=32767)
    active = forms.BooleanField(label=_("启用"), required=False, initial=True)
    note = forms.CharField(label=_("说明"), required=False, max_length=300, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if editing:
            self.fields["code"].disabled = True
            self.fields["code"].required = False
        codes = ", ".join(f"{c}={n}" for c, n in term_choices(Term.Kind.LIVING_CONDITION))
        self.fields["value"].help_text = f"{self.fields['value'].help_text}。{_('生存条件编码')}：{codes}"

    @staticmethod
    def initial_from(rule) -> dict:
        value = rule.value
        if isinstance(value, list):
            value = ",".join(value)
        elif rule.field == "per_capita_income_fen" and isinstance(value, int):
            value = yuan_text(value).replace(",", "")
        return {"code": rule.code, "name": rule.name, "field": rule.field, "operator": rule.operator,
                "value": "" if value is None else value, "sort": rule.sort, "active": rule.active, "note": rule.note}

    def clean(self):
        d = super().clean()
        raw = (d.get("value") or "").strip()
        field = d.get("field")
        if field == "per_capita_income_fen" and raw:
            try:
                d["value"] = to_fen(raw, YUAN)
            except AmountError as exc:
                self.add_error("value", str(exc))
        elif field in FIELDS and FIELDS[field] == NUMBER and raw:
            d["value"] = int(raw) if raw.isdigit() else raw
        else:
            d["value"] = raw or None
        return d


class AreaForm(forms.Form):
    division = forms.CharField(label=_("区划"), max_length=12, help_text=_("乡镇（9 位）或村（12 位）区划代码"))
    conditions = forms.MultipleChoiceField(label=_("生存条件"), choices=(), widget=forms.CheckboxSelectMultiple)
    designated_on = forms.DateField(label=_("划定日期"), widget=DateInput())
    document = forms.CharField(label=_("依据文件"), required=False, max_length=100)
    note = forms.CharField(label=_("备注"), required=False, max_length=300)

    def __init__(self, *args, editing=None, **kwargs):
        super().__init__(*args, **kwargs)
        current = editing.conditions if editing is not None else []
        choices = term_choices(Term.Kind.LIVING_CONDITION)
        choices += [(c, c) for c in current if c not in dict(choices)]
        self.fields["conditions"].choices = choices
        if editing is not None:
            self.fields["division"].disabled = True
            self.fields["division"].required = False


class SurveyForm(forms.Form):
    village = forms.CharField(label=_("所在村"), required=False, max_length=12,
                              help_text=_("12 位村（居）区划代码；填写名册户编号时可留空"))
    household_number = forms.CharField(label=_("名册户编号"), required=False, max_length=32,
                                       help_text=_("选填：该户已在人口名册中时填写（在您的录入范围内按户编号查找）"))
    head_name = forms.CharField(label=_("户主姓名"), max_length=64)
    head_id = forms.CharField(label=_("户主身份证号"), max_length=24, required=False)
    members = forms.IntegerField(label=_("家庭人口"), min_value=1, max_value=50, initial=1)
    address = forms.CharField(label=_("现住址"), required=False, max_length=200)
    conditions = forms.MultipleChoiceField(label=_("生存条件"), required=False, choices=(), widget=forms.CheckboxSelectMultiple)
    poverty_registered = forms.BooleanField(label=_("建档立卡"), required=False)
    housing_unsafe = forms.BooleanField(label=_("住房不安全"), required=False)
    income_yuan = forms.CharField(label=_("上年人均纯收入（元）"), required=False, max_length=20)
    surveyed_on = forms.DateField(label=_("调查日期"), widget=DateInput())
    surveyor = forms.CharField(label=_("调查人"), required=False, max_length=50)

    def __init__(self, *args, survey: Survey | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        current = list(survey.conditions) if survey is not None else []
        choices = term_choices(Term.Kind.LIVING_CONDITION)
        choices += [(c, c) for c in current if c not in dict(choices)]
        self.fields["conditions"].choices = choices
        if survey is None:
            self.fields["head_id"].required = True
        else:
            self.fields["head_id"].help_text = _("已登记 %(masked)s；不修改请留空") % {"masked": survey.head_id_masked}

    @staticmethod
    def initial_from(s: Survey) -> dict:
        return {"village": s.division_code, "household_number": s.household.number if s.household_id else "", "head_name": s.head_name,
                "members": s.members, "address": s.address, "conditions": list(s.conditions), "poverty_registered": s.poverty_registered,
                "housing_unsafe": s.housing_unsafe,
                "income_yuan": "" if s.per_capita_income_fen is None else yuan_text(s.per_capita_income_fen).replace(",", ""),
                "surveyed_on": s.surveyed_on, "surveyor": s.surveyor}

    def clean_income_yuan(self):
        raw = (self.cleaned_data.get("income_yuan") or "").strip()
        if not raw:
            return None
        try:
            return to_fen(raw, YUAN)
        except AmountError as exc:
            raise forms.ValidationError(str(exc)) from None

    def service_kwargs(self, *, editing: bool = False) -> dict:
        d = dict(self.cleaned_data)
        d["per_capita_income_fen"] = d.pop("income_yuan")
        if editing and not (d.get("head_id") or "").strip():
            d.pop("head_id", None)
        return d


class DecisionForm(forms.Form):
    on = forms.DateField(label=_("确认日期"), required=False, widget=DateInput())
    note = forms.CharField(label=_("确认意见"), required=False, max_length=300)


class RejectForm(forms.Form):
    reason = forms.CharField(label=_("不予认定理由"), max_length=300, widget=forms.Textarea(attrs={"rows": 2}))


class RequestForm(forms.Form):
    number = forms.CharField(label=_("新户编号"), max_length=32, help_text=_("按本县户编号规则编制，在本县内不能重复"))
    reason = forms.CharField(label=_("申请理由"), required=False, max_length=500)


class SurveyFilterForm(forms.Form):
    division = forms.CharField(label=_("区划代码"), required=False, max_length=12)
    state = forms.ChoiceField(label=_("状态"), required=False, choices=[("", _("全部"))] + list(Survey.State.choices))
    q = forms.CharField(label=_("户主、住址或户编号"), required=False, max_length=64)

    def clean_division(self):
        value = (self.cleaned_data.get("division") or "").strip()
        if value and (not value.isdigit() or len(value) not in (2, 4, 6, 9, 12)):
            raise forms.ValidationError(_("区划代码应为 2、4、6、9 或 12 位数字"))
        return value

    def clean_q(self):
        return (self.cleaned_data.get("q") or "").replace("\x00", "")


class CandidateFilterForm(SurveyFilterForm):
    state = forms.ChoiceField(label=_("状态"), required=False, choices=[("", _("全部"))] + [
        (s.value, s.label) for s in (Survey.State.DRAFT, Survey.State.SUBMITTED, Survey.State.TOWNSHIP_CONFIRMED)])
    q = None


class CoverageFilterForm(forms.Form):
    division = forms.CharField(label=_("区划代码"), required=False, max_length=12)
    days = forms.IntegerField(label=_("逾期天数"), required=False, min_value=1, max_value=3650, initial=30)

    clean_division = SurveyFilterForm.clean_division

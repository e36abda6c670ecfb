"""Forms of the follow-up support pages: one per record kind (field names are the service inputs; amounts in 元 are
text the services convert exactly), the household list filters and the employment list filters."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _

from anju.projects.money import yuan_text
from anju.relocation.models import Employment, Industry, LabourCapacity, Term, Welfare
from anju.relocation.selectors_common import term_choices

DATE = forms.DateInput(attrs={"type": "date"})
MONEY = forms.TextInput(attrs={"inputmode": "decimal"})
MONEY_HELP = _("单位：元，最多两位小数")
TRI = [("", _("不详")), ("true", _("是")), ("false", _("否"))]


def _money(label, required=False):
    return forms.CharField(label=label, required=required, max_length=20, widget=MONEY, help_text=MONEY_HELP)


def _blank(choices):
    return [("", "—")] + list(choices)


class SupportForm(forms.Form):
    """A record form; `members` [(person id, label)] adds the member choice (per-person kinds, when creating)."""

    entity = ""
    money_fields: tuple[str, ...] = ()

    def __init__(self, *args, members=None, **kwargs):
        super().__init__(*args, **kwargs)
        if members is not None:
            self.fields = {"person": forms.TypedChoiceField(label=_("家庭成员"), coerce=int, choices=_blank(members)), **self.fields}

    def service_data(self) -> dict:
        data = dict(self.cleaned_data)
        data.pop("person", None)
        return data

    @classmethod
    def initial_from(cls, record) -> dict:
        out = {}
        for name in cls.base_fields:
            target = f"{name}_fen" if name in cls.money_fields else name
            value = getattr(record, target, None)
            if name in cls.money_fields:
                value = yuan_text(value or 0)
            elif isinstance(value, bool):
                value = "true" if value else "false"
            out[name] = value
        return out


class CapacityForm(SupportForm):
    entity = "capacity"
    capacity = forms.ChoiceField(label=_("劳动能力"), choices=_blank(LabourCapacity.Capacity.choices))
    disability_grade = forms.TypedChoiceField(label=_("残疾等级"), required=False, coerce=int, empty_value=None,
                                              choices=[("", _("无残疾"))] + [(n, _("%(n)s级") % {"n": n}) for n in range(1, 5)])
    recorded_on = forms.DateField(label=_("登记日期"), required=False, widget=DATE)


class EmploymentForm(SupportForm):
    entity = "employment"
    money_fields = ("monthly_income",)
    kind = forms.ChoiceField(label=_("就业类型"), choices=_blank(Employment.Kind.choices))
    employer = forms.CharField(label=_("就业单位"), required=False, max_length=100)
    place = forms.CharField(label=_("就业地点"), required=False, max_length=100)
    started_on = forms.DateField(label=_("开始日期"), widget=DATE)
    ended_on = forms.DateField(label=_("结束日期"), required=False, widget=DATE, help_text=_("仍在就业的留空"))
    monthly_income = _money(_("月收入（元）"))


class TrainingForm(SupportForm):
    entity = "training"
    course = forms.CharField(label=_("培训项目"), max_length=100)
    organiser = forms.CharField(label=_("培训机构"), required=False, max_length=100)
    started_on = forms.DateField(label=_("开始日期"), widget=DATE)
    ended_on = forms.DateField(label=_("结束日期"), required=False, widget=DATE)
    certificate = forms.CharField(label=_("取得证书"), required=False, max_length=100)


class InsuranceForm(SupportForm):
    entity = "insurance"
    year = forms.IntegerField(label=_("年度"), min_value=2000, max_value=2100)
    medical = forms.ChoiceField(label=_("参加基本医疗保险"), required=False, choices=TRI)
    pension = forms.ChoiceField(label=_("参加基本养老保险"), required=False, choices=TRI)


class MedicalForm(SupportForm):
    entity = "medical"
    money_fields = ("total", "out_of_pocket")
    year = forms.IntegerField(label=_("年度"), min_value=2000, max_value=2100)
    total = _money(_("医疗总费用（元）"))
    out_of_pocket = _money(_("合规自付费用（元）"))


class WelfareForm(SupportForm):
    entity = "welfare"
    money_fields = ("monthly",)
    kind = forms.ChoiceField(label=_("救助类型"), choices=_blank(Welfare.Kind.choices))
    persons = forms.IntegerField(label=_("保障人数"), min_value=1, max_value=99, initial=1)
    monthly = _money(_("月保障金（元）"))
    started_on = forms.DateField(label=_("起始日期"), widget=DATE)
    ended_on = forms.DateField(label=_("终止日期"), required=False, widget=DATE, help_text=_("仍在保障的留空"))


class IncomeForm(SupportForm):
    entity = "income"
    money_fields = ("wage", "business", "property", "transfer", "costs")
    year = forms.IntegerField(label=_("年度"), min_value=2000, max_value=2100)
    persons = forms.IntegerField(label=_("家庭人口"), min_value=1, max_value=99)
    wage = _money(_("工资性收入（元）"))
    business = _money(_("生产经营性收入（元）"))
    property = _money(_("财产性收入（元）"))
    transfer = _money(_("转移性收入（元）"))
    costs = _money(_("生产经营性支出（元）"))
    surveyed_on = forms.DateField(label=_("调查日期"), required=False, widget=DATE)


class IndustryForm(SupportForm):
    entity = "industry"
    money_fields = ("benefit",)
    year = forms.IntegerField(label=_("年度"), min_value=2000, max_value=2100)
    kind = forms.ChoiceField(label=_("产业类型"), choices=())
    mode = forms.ChoiceField(label=_("参与方式"), choices=_blank(Industry.Mode.choices))
    partner = forms.CharField(label=_("带动主体"), required=False, max_length=100)
    benefit = _money(_("年收益（元）"))

    def __init__(self, *args, current: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = _blank(term_choices(Term.Kind.INDUSTRY, include=current))


class ServiceForm(SupportForm):
    entity = "service"
    kind = forms.ChoiceField(label=_("服务类型"), choices=())
    on = forms.DateField(label=_("服务日期"), widget=DATE)
    provider = forms.CharField(label=_("服务主体"), required=False, max_length=100)
    note = forms.CharField(label=_("服务内容"), required=False, max_length=300, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, current: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = _blank(term_choices(Term.Kind.SERVICE, include=current))


FORMS = {f.entity: f for f in (CapacityForm, EmploymentForm, TrainingForm, InsuranceForm, MedicalForm, WelfareForm, IncomeForm,
                               IndustryForm, ServiceForm)}


class EndForm(forms.Form):
    ended_on = forms.DateField(label=_("结束日期"), widget=DATE)


class HouseholdFilterForm(forms.Form):
    county = forms.ChoiceField(label=_("县（市、区）"), required=False, choices=())
    township = forms.CharField(label=_("乡镇代码"), required=False, max_length=9, widget=forms.TextInput(attrs={"size": 10}))
    site = forms.TypedChoiceField(label=_("安置点"), required=False, coerce=int, empty_value=None, choices=())
    q = forms.CharField(label=_("姓名或户编号"), required=False, max_length=32)
    gap = forms.BooleanField(label=_("有劳动力但无人就业"), required=False)
    no_income = forms.BooleanField(label=_("缺上年收入调查"), required=False)
    as_of = forms.DateField(label=_("统计日期"), required=False, widget=DATE)

    def __init__(self, *args, counties=(), sites=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["county"].choices = [("", _("全部"))] + list(counties)
        self.fields["site"].choices = [("", _("全部"))] + list(sites)

    def clean_township(self):
        value = (self.cleaned_data.get("township") or "").strip()
        if value and (not value.isdigit() or len(value) not in (9, 12)):
            raise forms.ValidationError(_("乡镇代码应为 9 位数字"))
        return value[:9]

    def division(self) -> str:
        d = self.cleaned_data
        return d.get("township") or d.get("county") or ""


class EmploymentFilterForm(forms.Form):
    on = forms.DateField(label=_("在岗日期"), required=False, widget=DATE)
    kind = forms.ChoiceField(label=_("就业类型"), required=False, choices=[("", _("全部"))] + list(Employment.Kind.choices))
    county = forms.ChoiceField(label=_("县（市、区）"), required=False, choices=())
    q = forms.CharField(label=_("姓名或单位"), required=False, max_length=32)

    def __init__(self, *args, counties=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["county"].choices = [("", _("全部"))] + list(counties)


def default_on(form) -> dt.date | None:
    return form.cleaned_data.get("on") if form.is_valid() else None

"""Forms of the project register: the list filters, a project (planned investment in 元 or 万元), its actual dates, a stage
move, and a vocabulary term."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from anju.accounts.roles import Perm
from anju.core.access import code_prefix_q
from anju.core.terms import TermForm as BaseTermForm
from anju.divisions.codes import prefix_of
from anju.divisions.models import Division, Level
from anju.projects.models import Plan, Program, Stage, Term
from anju.projects.money import UNIT_LABELS, WAN, YUAN, yuan_text
from anju.projects.selectors import terms

DIGITS = r"^\d{1,12}$"
LOCATION = r"^\d{6}(\d{3}(\d{3})?)?$"
FIRST_YEAR = 2011


def _years(empty: bool) -> list:
    years = [(y, str(y)) for y in range(dt.date.today().year + 2, FIRST_YEAR - 1, -1)]
    return [("", _("全部") if empty else "—")] + years


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


class ProjectFilterForm(forms.Form):
    q = forms.CharField(label=_("编码或名称"), required=False, max_length=64)
    county = forms.ChoiceField(label=_("县（市、区）"), required=False, choices=())
    division = forms.RegexField(label=_("乡镇或村（区划代码前缀）"), required=False, regex=DIGITS, max_length=12,
                                error_messages={"invalid": _("区划代码只能是数字")})
    year = forms.TypedChoiceField(label=_("计划年度"), required=False, coerce=int, empty_value=None, choices=())
    stage = forms.ChoiceField(label=_("阶段"), required=False, choices=[("", _("全部"))] + list(Stage.choices))
    program = forms.ChoiceField(label=_("项目类型"), required=False, choices=[("", _("全部"))] + list(Program.choices))
    category = forms.ChoiceField(label=pgettext_lazy("project", "项目类别"), required=False, choices=())

    def __init__(self, *args, actor=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = _years(empty=True)
        self.fields["category"].choices = [("", _("全部"))] + terms(Term.Kind.CATEGORY, active_only=False)
        counties = (Division.objects.filter(code_prefix_q("code", actor.view_prefix), level=Level.COUNTY).order_by("code")
                    if actor is not None else [])
        self.fields["county"].choices = [("", _("全部"))] + [(d.prefix, d.name) for d in counties]

    def filters(self) -> dict:
        """The valid filters as selector arguments (an invalid form filters nothing)."""
        if not self.is_valid():
            return {}
        d = self.cleaned_data
        return {"q": d.get("q") or "", "county": d.get("county") or "", "division": d.get("division") or "", "year": d.get("year"),
                "stage": d.get("stage") or "", "program": d.get("program") or "", "category": d.get("category") or ""}


def plan_choices(actor) -> list:
    """Plans that cover the actor's entry scope (a city plan for a county clerk) or lie within it."""
    prefix = actor.entry_prefix
    plans = [p for p in Plan.objects.order_by("-start_year", "division_code")
             if prefix.startswith(prefix_of(p.division_code)) or p.division_code.startswith(prefix)]
    return [("", "—")] + [(p.pk, f"{p.name}（{p.start_year}—{p.end_year}）") for p in plans]


def site_choices(actor, project=None) -> list:
    """Relocation sites the actor may see (a project may be built for one), plus the project's current site."""
    from anju.relocation.selectors import site_list

    sites = list(site_list(actor=actor).only("pk", "code", "name")) if actor is not None and actor.can(Perm.RELOCATION_VIEW) else []
    choices = [("", "—")] + [(s.pk, f"{s.name}（{s.code}）") for s in sites]
    if project is not None and project.site_id and project.site_id not in dict(choices):
        choices.append((project.site_id, project.site.name))
    return choices


class ProjectForm(forms.Form):
    code = forms.CharField(label=_("项目编码"), max_length=40)
    name = forms.CharField(label=_("项目名称"), max_length=200)
    division_code = forms.RegexField(label=_("项目地点"), regex=LOCATION, max_length=12,
                                     help_text=_("县（6 位）、乡镇（9 位）或村（12 位）的区划代码"),
                                     error_messages={"invalid": _("请填写 6、9 或 12 位区划代码")})
    program = forms.ChoiceField(label=_("项目类型"), choices=Program.choices)
    category = forms.ChoiceField(label=pgettext_lazy("project", "项目类别"), choices=())
    year = forms.TypedChoiceField(label=_("计划年度"), required=False, coerce=int, empty_value=None, choices=())
    plan = forms.TypedChoiceField(label=_("所属规划"), required=False, coerce=int, empty_value=None, choices=())
    planned_investment = forms.CharField(label=_("计划投资"), max_length=30, help_text=_("按所选单位填写；万元最多 6 位小数，元最多 2 位小数"))
    investment_unit = forms.ChoiceField(label=_("金额单位"), choices=[(WAN, UNIT_LABELS[WAN]), (YUAN, UNIT_LABELS[YUAN])], initial=WAN)
    content = forms.CharField(label=_("建设内容"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 3}))
    beneficiaries = forms.IntegerField(label=_("受益移民人数"), required=False, min_value=0, max_value=2**31 - 1)
    responsible_unit = forms.CharField(label=_("责任单位"), required=False, max_length=100)
    responsible_person = forms.CharField(label=_("责任人"), required=False, max_length=50)
    responsible_phone = forms.CharField(label=_("联系电话"), required=False, max_length=30)
    owner = forms.ChoiceField(label=_("责任人账号"), required=False, choices=(), help_text=_("项目预警发送到该账号的消息中心"))
    design_institute = forms.CharField(label=_("设计单位"), required=False, max_length=100)
    design_qualified = forms.BooleanField(label=_("设计单位具备相应资质"), required=False,
                                          help_text=_("总投资 100 万元及以上的项目须由具备相应资质的设计单位设计，方可申报"))
    planned_start = forms.DateField(label=_("计划开工日期"), required=False, widget=DateInput())
    planned_completion = forms.DateField(label=_("计划完工日期"), required=False, widget=DateInput())
    note = forms.CharField(label=_("备注"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
    site = forms.TypedChoiceField(label=_("安置点"), required=False, coerce=int, empty_value=None, choices=(),
                                  help_text=_("为易地搬迁安置点建设的项目，选择其安置点"))

    def __init__(self, *args, actor=None, project=None, owners=(), lock_core: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = _years(empty=False)
        categories = terms(Term.Kind.CATEGORY)
        if project is not None and project.category not in dict(categories):
            categories += [(project.category, dict(terms(Term.Kind.CATEGORY, active_only=False)).get(project.category, project.category))]
        self.fields["category"].choices = categories
        plans = plan_choices(actor) if actor is not None else [("", "—")]
        if project is not None and project.plan_id and project.plan_id not in dict(plans):
            plans.append((project.plan_id, project.plan.name))
        self.fields["plan"].choices = plans
        owners = list(owners)
        if project is not None and project.owner_id and project.owner not in owners:
            owners.append(project.owner)
        self.fields["owner"].choices = [("", "—")] + [(u.username, f"{u.full_name or u.username}（{u.username}）") for u in owners]
        self.fields["site"].choices = site_choices(actor, project)
        if lock_core:  # after 立项/下达 the approved figures are the city's to change: shown, not editable
            for name in ("name", "division_code", "program", "planned_investment", "investment_unit"):
                self.fields[name].disabled = True
                self.fields[name].help_text = _("已立项/下达，只有市级项目管理人员可以修改")

    @staticmethod
    def initial_from(project) -> dict:
        return {"code": project.code, "name": project.name, "division_code": project.division_code, "program": project.program,
                "category": project.category, "year": project.year, "plan": project.plan_id,
                "planned_investment": yuan_text(project.planned_investment), "investment_unit": YUAN, "content": project.content,
                "beneficiaries": project.beneficiaries, "responsible_unit": project.responsible_unit,
                "responsible_person": project.responsible_person, "responsible_phone": project.responsible_phone,
                "owner": project.owner.username if project.owner_id else "", "design_institute": project.design_institute,
                "design_qualified": project.design_qualified, "planned_start": project.planned_start,
                "planned_completion": project.planned_completion, "note": project.note, "site": project.site_id}

    def service_kwargs(self) -> dict:
        d = dict(self.cleaned_data)
        d["beneficiaries"] = d.get("beneficiaries") or 0
        d["owner"] = d.get("owner") or None
        return d


class ProjectDatesForm(forms.Form):
    actual_start = forms.DateField(label=_("实际开工日期"), required=False, widget=DateInput(),
                                   help_text=_("已立项/下达的项目填写后转入“实施”阶段"))
    actual_completion = forms.DateField(label=_("实际完工日期"), required=False, widget=DateInput(),
                                        help_text=_("实施中的项目填写后转入“完工”阶段"))


class ProjectStageForm(forms.Form):
    to_stage = forms.ChoiceField(label=_("转入阶段"), choices=())
    on = forms.DateField(label=_("日期"), widget=DateInput())
    note = forms.CharField(label=_("说明"), required=False, max_length=300)

    def __init__(self, *args, targets=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_stage"].choices = [(s, Stage(s).label) for s in targets]
        self.fields["on"].initial = dt.date.today()


class TermForm(BaseTermForm):
    kind_choices = Term.Kind.choices

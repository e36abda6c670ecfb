"""Planning forms: plan (filter, fields, the target grid), guideline (filter, fields), application (filter, requested
amounts by fund source, justification), a reviewer's score, a reason. Amounts are typed in 元 or 万元 (a unit field)
and converted exactly by `money.to_fen`; the services check the rest."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from anju.projects.models import Application, DocumentType, Guideline, Plan, Program, Term
from anju.projects.money import UNIT_LABELS, WAN, YUAN, AmountError, to_fen, wan_text
from anju.projects.selectors import terms

UNIT_CHOICES = [(WAN, UNIT_LABELS[WAN]), (YUAN, UNIT_LABELS[YUAN])]
YEAR_BOUNDS = {"min_value": 2000, "max_value": 2100}


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


def amount_initial(fen: int | None, unit: str = WAN) -> str:
    """Fen as the text a form shows in `unit` (no grouping, no trailing zeros)."""
    if fen is None:
        return ""
    if unit == WAN:
        return wan_text(fen, 6).replace(",", "").rstrip("0").rstrip(".")
    return f"{fen // 100}.{fen % 100:02d}".removesuffix(".00")


def _to_fen(form: forms.Form, field: str, unit: str) -> int | None:
    value = form.cleaned_data.get(field)
    if value in (None, ""):
        return None
    try:
        return to_fen(value, unit)
    except AmountError as exc:
        form.add_error(field, exc.message)
        return None


# --- plans ----------------------------------------------------------------------------------------------------

class PlanFilterForm(forms.Form):
    state = forms.ChoiceField(label=_("状态"), required=False, choices=[("", _("全部"))] + list(Plan.State.choices))
    q = forms.CharField(label=_("名称"), required=False, max_length=64)


class PlanForm(forms.Form):
    name = forms.CharField(label=_("规划名称"), max_length=100, help_text=_("如 “十五五”移民后期扶持规划"))
    start_year = forms.IntegerField(label=_("起始年度"), **YEAR_BOUNDS)
    end_year = forms.IntegerField(label=_("终止年度"), **YEAR_BOUNDS)
    division_code = forms.ChoiceField(label=_("编制区划"), choices=())
    note = forms.CharField(label=_("说明"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, divisions=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["division_code"].choices = list(divisions)

    @classmethod
    def initial_from(cls, plan: Plan) -> dict:
        return {"name": plan.name, "start_year": plan.start_year, "end_year": plan.end_year,
                "division_code": _prefix(plan.division_code),
                "note": plan.note}


def _prefix(code: str) -> str:
    from anju.divisions.codes import prefix_of

    return prefix_of(code)


class PlanTargetsForm(forms.Form):
    """The target grid: for each county × category a number of projects (p__county__category) and an investment
    (i__county__category) in the chosen unit."""

    unit = forms.ChoiceField(label=_("投资单位"), choices=UNIT_CHOICES, initial=WAN)

    def __init__(self, *args, grid: dict, **kwargs):
        super().__init__(*args, **kwargs)
        self.grid = grid
        unit = (self.data.get("unit") if self.is_bound else None) or WAN
        for row in grid["rows"]:
            for cell in row["cells"]:
                key = f"{row['prefix']}__{cell['category']}"
                self.fields[f"p__{key}"] = forms.IntegerField(required=False, min_value=0, max_value=100_000,
                                                              widget=forms.NumberInput(attrs={"class": "num", "min": 0, "style": "width:5em"}))
                self.fields[f"i__{key}"] = forms.CharField(required=False, max_length=24,
                                                           widget=forms.TextInput(attrs={"class": "num", "inputmode": "decimal",
                                                                                         "style": "width:8em"}))
                self.initial.setdefault(f"p__{key}", cell["projects"] or "")
                self.initial.setdefault(f"i__{key}", amount_initial(cell["investment"], unit) if cell["investment"] else "")

    def clean(self):
        data = super().clean()
        unit = data.get("unit") or WAN
        rows = []
        for row in self.grid["rows"]:
            for cell in row["cells"]:
                key = f"{row['prefix']}__{cell['category']}"
                investment = _to_fen(self, f"i__{key}", unit) if f"i__{key}" in data else None
                rows.append({"county": row["county"], "category": cell["category"], "projects": data.get(f"p__{key}") or 0,
                             "investment": investment or 0})
        data["rows"] = rows
        return data

    def table(self) -> list[dict]:
        """Rows of bound fields for the template: [{"name", "cells": [(projects field, investment field)]}]."""
        out = []
        for row in self.grid["rows"]:
            cells = []
            for cell in row["cells"]:
                key = f"{row['prefix']}__{cell['category']}"
                cells.append((self[f"p__{key}"], self[f"i__{key}"]))
            out.append({"name": row["name"], "prefix": row["prefix"], "cells": cells})
        return out


# --- guidelines -----------------------------------------------------------------------------------------------

class GuidelineFilterForm(forms.Form):
    year = forms.IntegerField(label=_("年度"), required=False, **YEAR_BOUNDS)
    state = forms.ChoiceField(label=_("状态"), required=False, choices=[("", _("全部"))] + list(Guideline.State.choices))
    q = forms.CharField(label=_("名称或文号"), required=False, max_length=64)


class GuidelineForm(forms.Form):
    year = forms.IntegerField(label=_("年度"), **YEAR_BOUNDS)
    title = forms.CharField(label=_("指南名称"), max_length=200)
    doc_number = forms.CharField(label=_("文号"), required=False, max_length=100)
    division_code = forms.ChoiceField(label=_("发布区划"), choices=())
    categories = forms.MultipleChoiceField(label=_("支持的项目类别"), required=False, widget=forms.CheckboxSelectMultiple,
                                           help_text=_("都不选表示不限"))
    programs = forms.MultipleChoiceField(label=_("支持的项目类型"), required=False, widget=forms.CheckboxSelectMultiple,
                                         choices=Program.choices, help_text=_("都不选表示不限"))
    unit = forms.ChoiceField(label=_("投资单位"), choices=UNIT_CHOICES, initial=WAN)
    min_investment = forms.CharField(label=_("投资下限"), required=False, max_length=24, help_text=_("留空表示不限"))
    max_investment = forms.CharField(label=_("投资上限"), required=False, max_length=24, help_text=_("留空表示不限"))
    required_documents = forms.MultipleChoiceField(label=_("必备材料"), required=False, widget=forms.CheckboxSelectMultiple,
                                                   help_text=_("申报时项目档案中须已有这些材料"))
    min_beneficiaries = forms.IntegerField(label=_("受益移民人数下限"), required=False, min_value=0, max_value=10_000_000)
    conditions = forms.CharField(label=_("其他条件"), required=False, widget=forms.Textarea(attrs={"rows": 4}))
    deadline = forms.DateField(label=_("申报截止日期"), required=False, widget=DateInput())

    def __init__(self, *args, divisions=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["division_code"].choices = list(divisions)
        self.fields["categories"].choices = terms(Term.Kind.CATEGORY)
        self.fields["required_documents"].choices = list(DocumentType.objects.filter(active=True).order_by("sort", "code")
                                                         .values_list("code", "name"))

    def clean(self):
        data = super().clean()
        unit = data.get("unit") or WAN
        data["min_investment"] = _to_fen(self, "min_investment", unit)
        data["max_investment"] = _to_fen(self, "max_investment", unit)
        return data

    def service_data(self) -> dict:
        d = dict(self.cleaned_data)
        d.pop("unit", None)
        return d

    @classmethod
    def initial_from(cls, g: Guideline) -> dict:
        return {"year": g.year, "title": g.title, "doc_number": g.doc_number, "division_code": _prefix(g.division_code),
                "categories": g.categories, "programs": g.programs, "unit": WAN, "min_investment": amount_initial(g.min_investment),
                "max_investment": amount_initial(g.max_investment), "required_documents": g.required_documents,
                "min_beneficiaries": g.min_beneficiaries, "conditions": g.conditions, "deadline": g.deadline}


# --- applications ---------------------------------------------------------------------------------------------

class ApplicationFilterForm(forms.Form):
    year = forms.IntegerField(label=_("年度"), required=False, **YEAR_BOUNDS)
    state = forms.ChoiceField(label=_("状态"), required=False, choices=[("", _("全部"))] + list(Application.State.choices))
    division = forms.RegexField(label=_("区划代码"), required=False, regex=r"^\d{1,12}$", max_length=12,
                                error_messages={"invalid": _("区划代码只能是数字")})
    q = forms.CharField(label=_("项目编码或名称"), required=False, max_length=64)


class ApplicationForm(forms.Form):
    """Requested amounts by fund source (source__<code>) in the chosen unit, and the justification. A new application
    also names its project (`projects` gives the choices)."""

    project = forms.TypedChoiceField(label=_("项目（储备库）"), coerce=int, choices=())
    unit = forms.ChoiceField(label=_("金额单位"), choices=UNIT_CHOICES, initial=WAN)
    justification = forms.CharField(label=_("申报理由"), required=False, widget=forms.Textarea(attrs={"rows": 5}), max_length=5000)

    def __init__(self, *args, projects=None, **kwargs):
        super().__init__(*args, **kwargs)
        if projects is None:
            del self.fields["project"]
        else:
            self.fields["project"].choices = [(p.pk, f"{p.code} {p.name}（{p.year}）") for p in projects]
        self.sources = terms(Term.Kind.FUND_SOURCE)
        for code, name in self.sources:
            self.fields[f"source__{code}"] = forms.CharField(label=_("申请资金：%(source)s") % {"source": name}, required=False, max_length=24,
                                                              widget=forms.TextInput(attrs={"class": "num", "inputmode": "decimal"}))
        order = [f for f in ("project", "unit") if f in self.fields] + [f"source__{c}" for c, _n in self.sources] + ["justification"]
        self.order_fields(order)

    def clean(self):
        data = super().clean()
        unit = data.get("unit") or WAN
        sources = {}
        for code, _name in self.sources:
            fen = _to_fen(self, f"source__{code}", unit)
            if fen:
                sources[code] = fen
        data["requested_by_source"] = sources
        return data

    @classmethod
    def initial_from(cls, a: Application) -> dict:
        return {"unit": WAN, "justification": a.justification,
                **{f"source__{code}": amount_initial(fen) for code, fen in (a.requested_by_source or {}).items()}}


class ScoreForm(forms.Form):
    score = forms.DecimalField(label=_("评分（0–100）"), min_value=0, max_value=100, max_digits=5, decimal_places=2)
    comment = forms.CharField(label=_("评审意见"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("理由"), max_length=300, widget=forms.Textarea(attrs={"rows": 2}))

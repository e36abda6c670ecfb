"""Forms of the rates area: the rate table's filters, the dashboard's and the bulletin's."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from anju.core.access import code_prefix_q
from anju.divisions.models import Division, Level
from anju.projects.selectors_rates import FIRST_YEAR, GROUPING_LABELS, GROUPINGS, LAST_YEAR


def scope_choices(actor) -> list[tuple[str, str]]:
    """The actor's view scope and, under a city or county, its counties or townships."""
    view = actor.view_scope if actor is not None and getattr(actor, "view_scope_id", None) else None
    if view is None:
        return []
    choices = [(view.prefix, f"{view.name}（{view.prefix}）")]
    if view.level in (Level.PROVINCE, Level.CITY, Level.COUNTY):
        below = Level.COUNTY if view.level in (Level.PROVINCE, Level.CITY) else Level.TOWNSHIP
        children = Division.objects.filter(code_prefix_q("code", view.prefix), level=below).order_by("code")
        choices += [(d.prefix, f"{d.name}（{d.prefix}）") for d in children]
    return choices


def default_as_of(year: int | None = None) -> dt.date:
    today = timezone.localdate()
    if year is None or year == today.year:
        return today
    return dt.date(year, 12, 31) if year < today.year else dt.date(year, 1, 1)


class _Period(forms.Form):
    year = forms.IntegerField(label=_("年度"), min_value=FIRST_YEAR, max_value=LAST_YEAR)
    as_of = forms.DateField(label=_("统计截止日期"), widget=forms.DateInput(attrs={"type": "date"}))
    # Free text shown as a list: a scope outside the actor's view is not a form error but a 404 from the selector.
    scope = forms.RegexField(label=_("范围"), regex=r"^\d{0,12}$", required=False, max_length=12, widget=forms.Select(),
                             error_messages={"invalid": _("范围应为区划代码")})

    def __init__(self, data=None, *args, actor=None, **kwargs):
        if data is not None and not data:
            data = None
        super().__init__(data, *args, **kwargs)
        today = timezone.localdate()
        self.fields["year"].initial = today.year
        self.fields["as_of"].initial = today
        self.fields["scope"].widget.choices = scope_choices(actor)

    def values(self) -> dict:
        """The cleaned filters, or the defaults (this year as of today) when the form is unbound or invalid."""
        today = timezone.localdate()
        d = {}
        if self.is_bound:
            self.is_valid()  # the fields that validate are used; the others fall back to the defaults
            d = self.cleaned_data
        year = d.get("year") or today.year
        return {"year": year, "as_of": d.get("as_of") or default_as_of(year), "scope": d.get("scope") or ""}


class RatesFilterForm(_Period):
    by = forms.ChoiceField(label=_("分组"), choices=[(g, GROUPING_LABELS[g]) for g in GROUPINGS], required=False, initial="county")
    carried_over = forms.BooleanField(label=_("结转项目"), required=False)

    def values(self) -> dict:
        out = super().values()
        d = self.cleaned_data if self.is_bound else {}  # validated by super().values()
        out["by"] = d.get("by") or "county"
        out["carried_over"] = bool(d.get("carried_over"))
        return out


class DashboardForm(_Period):
    pass


class BulletinForm(_Period):
    format = forms.ChoiceField(label=_("格式"), choices=[("docx", _("Word（docx）")), ("xlsx", _("Excel（xlsx）")), ("pdf", _("PDF"))],
                               initial="docx")
    doc_number = forms.CharField(label=_("文号"), required=False, max_length=60, help_text=_("如 清移办〔2026〕12号，可不填"))

    def clean_doc_number(self):
        value = (self.cleaned_data.get("doc_number") or "").strip()
        if any(ord(ch) < 32 for ch in value):
            raise forms.ValidationError(_("文号不能包含控制字符"))
        return value

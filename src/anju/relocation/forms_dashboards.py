"""Forms of the relocation dashboards: the as-of date and scope of the dashboard, a ledger request and a report request."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from anju.core.access import code_prefix_q
from anju.divisions.models import Division, Level
from anju.relocation.reports_ledgers import KIND_TITLES, KINDS


def scope_choices(actor) -> list[tuple[str, str]]:
    """The actor's view scope and the divisions one level below it (counties of a city, townships of a county)."""
    view = actor.view_scope if actor is not None and getattr(actor, "view_scope_id", None) else None
    if view is None:
        return []
    choices = [(view.prefix, f"{view.name}（{view.prefix}）")]
    if view.level in (Level.PROVINCE, Level.CITY, Level.COUNTY):
        below = Level.COUNTY if view.level in (Level.PROVINCE, Level.CITY) else Level.TOWNSHIP
        children = Division.objects.filter(code_prefix_q("code", view.prefix), level=below).order_by("code")
        choices += [(d.prefix, f"{d.name}（{d.prefix}）") for d in children]
    return choices


class _Scoped(forms.Form):
    as_of = forms.DateField(label=_("统计日期"), widget=forms.DateInput(attrs={"type": "date"}))
    # shown as a list, checked by the selector: a code outside the view scope answers 404 like an unknown object
    scope = forms.RegexField(label=_("范围"), regex=r"^\d{0,12}$", required=False, max_length=12, widget=forms.Select(),
                             error_messages={"invalid": _("范围应为区划代码")})

    def __init__(self, data=None, *args, actor=None, scope: str = "", **kwargs):
        if data is not None and not data:
            data = None
        if data is not None and not data.get("as_of"):  # a drill-down link names only the scope: the date defaults to today
            data = data.copy()
            data["as_of"] = timezone.localdate().isoformat()
        super().__init__(data, *args, **kwargs)
        self.fields["as_of"].initial = timezone.localdate()
        choices = scope_choices(actor)
        if scope and scope not in dict(choices):  # a drilled-down township stays selectable
            choices.append((scope, scope))
        self.fields["scope"].widget.choices = choices

    def values(self) -> dict:
        """The valid filters, or the defaults (today, the view scope)."""
        d = {}
        if self.is_bound:
            self.is_valid()
            d = self.cleaned_data
        return {"as_of": d.get("as_of") or timezone.localdate(), "scope": d.get("scope") or ""}


class DashboardForm(_Scoped):
    pass


class LedgerForm(_Scoped):
    kind = forms.ChoiceField(label=_("台账"), choices=[(k, KIND_TITLES[k]) for k in KINDS])
    unmasked = forms.BooleanField(label=_("导出完整身份证号（留痕）"), required=False)


class ReportForm(_Scoped):
    doc_number = forms.CharField(label=_("文号"), required=False, max_length=60, help_text=_("如 清搬办〔2026〕12号，可不填"))

    def clean_doc_number(self):
        value = (self.cleaned_data.get("doc_number") or "").strip()
        if any(ord(ch) < 32 for ch in value):
            raise forms.ValidationError(_("文号不能包含控制字符"))
        return value

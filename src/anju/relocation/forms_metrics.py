"""Form of the metrics area: the as-of day, scope and grouping of the metrics table."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from anju.relocation.selectors_metrics import BY_COUNTY, GROUPING_LABELS, GROUPINGS


class MetricsFilterForm(forms.Form):
    as_of = forms.DateField(label=_("统计日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    scope = forms.RegexField(label=_("范围"), regex=r"^\d{0,12}$", required=False, max_length=12,
                             widget=forms.TextInput(attrs={"placeholder": _("区划代码，如 429921"), "inputmode": "numeric", "size": 14}),
                             error_messages={"invalid": _("范围应为区划代码")})
    by = forms.ChoiceField(label=_("分组"), choices=[(g, GROUPING_LABELS[g]) for g in GROUPINGS], required=False, initial=BY_COUNTY)
    income_year = forms.IntegerField(label=_("收入年度"), required=False, min_value=1900, max_value=2200,
                                     help_text=_("默认为统计日期的上一年"))

    def __init__(self, data=None, *args, **kwargs):
        if data is not None and not data:
            data = None
        super().__init__(data, *args, **kwargs)
        self.fields["as_of"].initial = timezone.localdate()

    def values(self) -> dict:
        """The cleaned filters, or the defaults (today, the actor's view scope, by county) for fields that do not validate."""
        d = {}
        if self.is_bound:
            self.is_valid()
            d = self.cleaned_data
        return {"as_of": d.get("as_of") or timezone.localdate(), "scope": d.get("scope") or "", "by": d.get("by") or BY_COUNTY,
                "income_year": d.get("income_year")}

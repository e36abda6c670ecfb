"""Resettlement-site forms."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from anju.relocation.models import Site


class SiteForm(forms.Form):
    code = forms.CharField(label=_("安置点编码"), max_length=32)
    name = forms.CharField(label=_("安置点名称"), max_length=100)
    division = forms.CharField(label=_("所在区划"), max_length=12, help_text=_("县、乡镇或村的区划代码，如 429921101"))
    placement = forms.ChoiceField(label=_("安置方式"), choices=list(Site.Placement.choices))
    area_type = forms.ChoiceField(label=_("城镇/农村"), choices=list(Site.AreaType.choices))
    capacity = forms.IntegerField(label=_("设计安置人数"), min_value=0, max_value=1_000_000, initial=0)


class SiteFilterForm(forms.Form):
    q = forms.CharField(label=_("名称或编码"), required=False, max_length=64)

    def clean_q(self):
        return self.cleaned_data["q"].replace("\x00", "")

"""Resettlement-site forms: a site, the list filters, a facility, a community organisation."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from anju.core.access import code_prefix_q
from anju.divisions.models import Division, Level
from anju.relocation.models import Facility, Site, Term
from anju.relocation.selectors_common import term_choices


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


class SiteForm(forms.Form):
    """Text and numbers are passed on as typed: the service checks them and names the field in its Chinese message."""

    code = forms.CharField(label=_("安置点编码"), max_length=32)
    name = forms.CharField(label=_("安置点名称"), max_length=100)
    division = forms.CharField(label=_("所在区划"), max_length=12, help_text=_("县、乡镇或村的区划代码，如 429921101"))
    placement = forms.ChoiceField(label=_("安置方式"), choices=list(Site.Placement.choices))
    area_type = forms.ChoiceField(label=_("城镇/农村"), choices=list(Site.AreaType.choices))
    capacity = forms.IntegerField(label=_("设计安置人数"), min_value=0, max_value=1_000_000, initial=0)
    address = forms.CharField(label=_("地址"), required=False, max_length=200)
    longitude = forms.CharField(label=_("经度"), required=False, max_length=20, help_text=_("东经，度，如 111.286500"))
    latitude = forms.CharField(label=_("纬度"), required=False, max_length=20, help_text=_("北纬，度，如 30.701200"))
    planned_units = forms.IntegerField(label=_("规划安置住房（套）"), required=False, min_value=0, max_value=1_000_000)
    built_units = forms.IntegerField(label=_("建成安置住房（套）"), required=False, min_value=0, max_value=1_000_000,
                                     help_text=_("不能多于规划套数（规划套数为 0 时不作比较）"))
    completed_on = forms.DateField(label=_("建成日期"), required=False, widget=DateInput())
    manager = forms.CharField(label=_("管理单位"), required=False, max_length=100)
    note = forms.CharField(label=_("备注"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))

    @staticmethod
    def initial_from(site: Site) -> dict:
        from anju.divisions.codes import prefix_of

        return {"code": site.code, "name": site.name, "division": prefix_of(site.division_code), "placement": site.placement,
                "area_type": site.area_type, "capacity": site.capacity, "address": site.address,
                "longitude": "" if site.longitude is None else str(site.longitude),
                "latitude": "" if site.latitude is None else str(site.latitude), "planned_units": site.planned_units,
                "built_units": site.built_units, "completed_on": site.completed_on, "manager": site.manager, "note": site.note}

    def service_kwargs(self) -> dict:
        d = dict(self.cleaned_data)
        d["planned_units"] = d.get("planned_units") or 0
        d["built_units"] = d.get("built_units") or 0
        d["longitude"] = d.get("longitude") or None
        d["latitude"] = d.get("latitude") or None
        return d


class SiteFilterForm(forms.Form):
    q = forms.CharField(label=_("名称或编码"), required=False, max_length=64)
    county = forms.ChoiceField(label=_("县（市、区）"), required=False, choices=())
    placement = forms.ChoiceField(label=_("安置方式"), required=False, choices=[("", _("全部"))] + list(Site.Placement.choices))
    area_type = forms.ChoiceField(label=_("城镇/农村"), required=False, choices=[("", _("全部"))] + list(Site.AreaType.choices))

    def __init__(self, *args, actor=None, **kwargs):
        super().__init__(*args, **kwargs)
        counties = (Division.objects.filter(code_prefix_q("code", actor.view_prefix[:6]), level=Level.COUNTY).order_by("code")
                    if actor is not None else [])
        self.fields["county"].choices = [("", _("全部"))] + [(d.code[:6], d.name) for d in counties]

    def clean_q(self):
        return self.cleaned_data["q"].replace("\x00", "")

    def filters(self) -> dict:
        if not self.is_valid():
            return {}
        d = self.cleaned_data
        return {"q": d.get("q") or "", "county": d.get("county") or "", "placement": d.get("placement") or "",
                "area_type": d.get("area_type") or ""}


class FacilityForm(forms.Form):
    kind = forms.ChoiceField(label=_("设施类型"), choices=())
    name = forms.CharField(label=_("设施名称"), max_length=100)
    status = forms.ChoiceField(label=_("状态"), choices=list(Facility.Status.choices))
    capacity = forms.IntegerField(label=_("规模（学位、床位、岗位等）"), required=False, min_value=0, max_value=1_000_000)
    jobs = forms.IntegerField(label=_("吸纳就业人数"), required=False, min_value=0, max_value=1_000_000)
    opened_on = forms.DateField(label=_("投用日期"), required=False, widget=DateInput())
    project = forms.TypedChoiceField(label=_("建设项目"), required=False, coerce=int, empty_value=None, choices=())
    note = forms.CharField(label=_("备注"), required=False, max_length=300)

    def __init__(self, *args, projects=(), current=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = term_choices(Term.Kind.FACILITY, include=current.kind if current else "")
        projects = list(projects)
        if current is not None and current.project_id and current.project_id not in dict(projects):
            projects.append((current.project_id, f"{current.project.code} {current.project.name}"))
        self.fields["project"].choices = [("", "—")] + projects

    @staticmethod
    def initial_from(f: Facility) -> dict:
        return {"kind": f.kind, "name": f.name, "status": f.status, "capacity": f.capacity, "jobs": f.jobs, "opened_on": f.opened_on,
                "project": f.project_id, "note": f.note}

    def service_kwargs(self) -> dict:
        d = dict(self.cleaned_data)
        d["capacity"], d["jobs"] = d.get("capacity") or 0, d.get("jobs") or 0
        return d


class OrganisationForm(forms.Form):
    kind = forms.ChoiceField(label=_("组织类型"), choices=())
    name = forms.CharField(label=_("组织名称"), max_length=100)
    established_on = forms.DateField(label=_("成立日期"), required=False, widget=DateInput())
    leader = forms.CharField(label=_("负责人"), required=False, max_length=50)
    phone = forms.CharField(label=_("联系电话"), required=False, max_length=30)
    members = forms.IntegerField(label=_("成员人数"), required=False, min_value=0, max_value=1_000_000)

    def __init__(self, *args, current=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = term_choices(Term.Kind.ORGANISATION, include=current.kind if current else "")

    @staticmethod
    def initial_from(o) -> dict:
        return {"kind": o.kind, "name": o.name, "established_on": o.established_on, "leader": o.leader, "phone": o.phone,
                "members": o.members}

    def service_kwargs(self) -> dict:
        d = dict(self.cleaned_data)
        d["members"] = d.get("members") or 0
        return d

"""Resettlement-site pages: the list with occupancy and its Excel ledger, create and edit, one site (facts, location,
occupancy, facilities, organisations, projects, households and their steps, housing-area exceptions, follow-up), and the
site's facilities and community organisations."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from anju.accounts.roles import Perm
from anju.core.access import require_perm
from anju.core.exceptions import ApplicationError
from anju.core.pagination import paginate
from anju.divisions.codes import prefix_of
from anju.divisions.selectors import division_names
from anju.projects.money import percent_text, wan_text
from anju.relocation import selectors
from anju.relocation.forms import FacilityForm, OrganisationForm, SiteFilterForm, SiteForm
from anju.relocation.models import Facility, Term
from anju.relocation.reports_sites import XLSX, site_ledger_export
from anju.relocation.selectors_common import term_names
from anju.relocation.services import sites_facilities as items
from anju.relocation.services.sites import site_create, site_update
from anju.web.forms import form_error


def _rate(value) -> str:
    return percent_text(None if value is None else Decimal(str(value)))


@login_required
def site_list_view(request):
    form = SiteFilterForm(request.GET or None, actor=request.user)
    page = paginate(request, selectors.site_list(actor=request.user, **form.filters()))
    selectors.decorate_sites(page.object_list, actor=request.user)
    for s in page.object_list:
        s.rate_text = _rate(s.occupancy.rate)
    export_query = request.GET.copy()
    export_query.pop("page", None)
    return render(request, "relocation/sites/list.html", {"form": form, "page": page, "export_query": export_query.urlencode(),
                                                           "can_manage": request.user.can(Perm.REFERENCE_MANAGE)})


@login_required
def sites_export(request):
    """The 安置点台账 of every filtered site (not only the page shown) as Excel; audited."""
    require_perm(request.user, Perm.RELOCATION_VIEW)
    form = SiteFilterForm(request.GET or None, actor=request.user)
    content, filename = site_ledger_export(actor=request.user, **form.filters())
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=filename)
    return response


def follow_up(actor, site, as_of: dt.date) -> dict | None:
    """The site's row of relocation_metrics (by site, scoped to the site's county or the actor's narrower scope); None
    while that module is missing or the site has no row."""
    try:
        from anju.relocation.selectors_metrics import relocation_metrics
    except ImportError:
        return None
    county = prefix_of(site.division_code)[:6]
    scope = county if county.startswith(actor.view_prefix) else actor.view_prefix
    try:
        rows = relocation_metrics(actor=actor, as_of=as_of, scope=scope, by="site")
    except ApplicationError:
        return None
    row = next((r for r in rows if r.get("code") == site.code), None)
    if row is None:
        return None
    income = row.get("per_capita_income_fen")
    return {**row, "employment_rate_text": _rate(row.get("employment_rate")), "welfare_coverage_text": _rate(row.get("welfare_coverage")),
            "income_yuan": "—" if income is None else f"{Decimal(income) / 100:,.0f}"}


@login_required
def site_detail(request, site_id: int):
    actor, today = request.user, dt.date.today()
    site = selectors.access_site(actor, site_id)
    page = paginate(request, selectors.site_households(actor=actor, site=site, as_of=today))
    selectors.decorate_households(page.object_list)
    occupancy = selectors.site_occupancy(actor=actor, sites=[site], as_of=today)[site.pk]
    facilities = list(site.facilities.select_related("project").order_by("kind", "name"))
    organisations = list(site.organisations.order_by("kind", "name"))
    facility_kinds, organisation_kinds = term_names(Term.Kind.FACILITY), term_names(Term.Kind.ORGANISATION)
    for f in facilities:
        f.kind_name = facility_kinds.get(f.kind, f.kind)
    for o in organisations:
        o.kind_name = organisation_kinds.get(o.kind, o.kind)
    projects = list(selectors.site_projects(actor=actor, site=site))
    for p in projects:
        p.investment_wan = wan_text(p.planned_investment)
    exceptions = selectors.housing_area_check(actor=actor, as_of=today, sites=[site])
    return render(request, "relocation/sites/detail.html", {
        "site": site, "page": page, "division_name": division_names([site.division_code]).get(site.division_code, ""),
        "occupancy": occupancy, "rate_text": _rate(occupancy.rate), "facilities": facilities, "organisations": organisations,
        "projects": projects, "exceptions": exceptions, "follow_up": follow_up(actor, site, today), "today": today,
        "can_manage": selectors.may_manage_site(actor, site), "can_confirm": selectors.may_confirm_site(actor, site),
    })


@login_required
@require_http_methods(["GET", "POST"])
def site_new(request):
    require_perm(request.user, Perm.REFERENCE_MANAGE)
    form = SiteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            site = site_create(actor=request.user, **form.service_kwargs())
        except ApplicationError as exc:
            form_error(form, exc)
        else:
            messages.success(request, _("已添加安置点 %(name)s") % {"name": site.name})
            return redirect("relocation:site", site_id=site.pk)
    return render(request, "relocation/sites/form.html", {"form": form, "creating": True})


@login_required
@require_http_methods(["GET", "POST"])
def site_edit(request, site_id: int):
    site = selectors.access_site(request.user, site_id)
    require_perm(request.user, Perm.REFERENCE_MANAGE)
    form = SiteForm(request.POST or None, initial=SiteForm.initial_from(site))
    if request.method == "POST" and form.is_valid():
        try:
            site_update(actor=request.user, site=site, **form.service_kwargs())
        except ApplicationError as exc:
            site.refresh_from_db()
            form_error(form, exc)
        else:
            messages.success(request, _("已保存"))
            return redirect("relocation:site", site_id=site.pk)
    return render(request, "relocation/sites/form.html", {"form": form, "site": site})


# ------------------------------------------------------------------------------------- facilities and organisations
def _item_page(request, site, form, *, title: str):
    return render(request, "relocation/sites/item_form.html", {"form": form, "site": site, "title": title})


def _item_form(request, site, form, save, success, anchor: str, title):
    """The form of a facility or organisation of `site`. A valid POST runs `save(**form.service_kwargs())`; done, the
    message `success(item)` and back to the site page at `#anchor`; a refusal is shown on the form, titled `title()`."""
    if request.method == "POST" and form.is_valid():
        try:
            item = save(**form.service_kwargs())
        except ApplicationError as exc:
            form_error(form, exc)
        else:
            messages.success(request, success(item))
            return redirect(f"{site_url(site)}#{anchor}")
    return _item_page(request, site, form, title=title())


def _item_delete(request, site, item, delete, success: str, anchor: str):
    """Delete a facility or organisation of `site` (`delete()`); back to the site page at `#anchor` with `success`."""
    delete()
    messages.success(request, success % {"name": item.name})
    return redirect(f"{site_url(site)}#{anchor}")


@login_required
@require_http_methods(["GET", "POST"])
def facility_new(request, site_id: int):
    site = selectors.access_site(request.user, site_id)
    items.check_site_entry(request.user, site)
    form = FacilityForm(request.POST or None, projects=selectors.project_choices(actor=request.user, site=site),
                        initial={"status": Facility.Status.IN_USE})
    return _item_form(request, site, form, lambda **kw: items.facility_create(actor=request.user, site=site, **kw),
                      lambda f: _("已添加设施 %(name)s") % {"name": f.name}, "facilities", lambda: _("添加配套设施"))


@login_required
@require_http_methods(["GET", "POST"])
def facility_edit(request, site_id: int, facility_id: int):
    site = selectors.access_site(request.user, site_id)
    facility = selectors.access_facility(site, facility_id)
    items.check_site_entry(request.user, site)
    form = FacilityForm(request.POST or None, projects=selectors.project_choices(actor=request.user, site=site), current=facility,
                        initial=FacilityForm.initial_from(facility))
    return _item_form(request, site, form, lambda **kw: items.facility_update(actor=request.user, facility=facility, **kw),
                      lambda f: _("已保存"), "facilities", lambda: _("修改配套设施 %(name)s") % {"name": facility.name})


@login_required
@require_POST
def facility_delete(request, site_id: int, facility_id: int):
    site = selectors.access_site(request.user, site_id)
    facility = selectors.access_facility(site, facility_id)
    return _item_delete(request, site, facility, lambda: items.facility_delete(actor=request.user, facility=facility),
                        _("已删除设施 %(name)s"), "facilities")


@login_required
@require_http_methods(["GET", "POST"])
def organisation_new(request, site_id: int):
    site = selectors.access_site(request.user, site_id)
    items.check_site_entry(request.user, site)
    form = OrganisationForm(request.POST or None)
    return _item_form(request, site, form, lambda **kw: items.organisation_create(actor=request.user, site=site, **kw),
                      lambda o: _("已添加社区组织 %(name)s") % {"name": o.name}, "organisations", lambda: _("添加社区组织"))


@login_required
@require_http_methods(["GET", "POST"])
def organisation_edit(request, site_id: int, organisation_id: int):
    site = selectors.access_site(request.user, site_id)
    organisation = selectors.access_organisation(site, organisation_id)
    items.check_site_entry(request.user, site)
    form = OrganisationForm(request.POST or None, current=organisation, initial=OrganisationForm.initial_from(organisation))
    return _item_form(request, site, form, lambda **kw: items.organisation_update(actor=request.user, organisation=organisation, **kw),
                      lambda o: _("已保存"), "organisations", lambda: _("修改社区组织 %(name)s") % {"name": organisation.name})


@login_required
@require_POST
def organisation_delete(request, site_id: int, organisation_id: int):
    site = selectors.access_site(request.user, site_id)
    organisation = selectors.access_organisation(site, organisation_id)
    return _item_delete(request, site, organisation, lambda: items.organisation_delete(actor=request.user, organisation=organisation),
                        _("已删除社区组织 %(name)s"), "organisations")


def site_url(site) -> str:
    from django.urls import reverse

    return reverse("relocation:site", kwargs={"site_id": site.pk})

"""Resettlement-site pages: list, create, edit, one site with its relocated households."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from anju.accounts.roles import Perm
from anju.core.access import require_perm
from anju.core.exceptions import ApplicationError
from anju.core.pagination import paginate
from anju.divisions.codes import prefix_of
from anju.divisions.selectors import division_names
from anju.relocation import selectors
from anju.relocation.forms import SiteFilterForm, SiteForm
from anju.relocation.services.sites import site_create, site_update
from anju.web.forms import form_error


@login_required
def site_list_view(request):
    form = SiteFilterForm(request.GET or None)
    q = form.cleaned_data.get("q", "") if form.is_valid() else ""
    page = paginate(request, selectors.site_list(actor=request.user, q=q))
    names = division_names({s.division_code for s in page.object_list})
    for s in page.object_list:
        s.division_name = names.get(s.division_code, s.division_code)
    return render(request, "relocation/sites.html", {"form": form, "page": page, "can_manage": request.user.can(Perm.REFERENCE_MANAGE)})


@login_required
def site_detail(request, site_id: int):
    site = selectors.access_site(request.user, site_id)
    page = paginate(request, selectors.site_households(actor=request.user, site=site))
    selectors.decorate_households(page.object_list)
    return render(request, "relocation/site.html", {
        "site": site, "page": page, "division_name": division_names([site.division_code]).get(site.division_code, ""),
        "can_manage": request.user.can(Perm.REFERENCE_MANAGE),
    })


@login_required
@require_http_methods(["GET", "POST"])
def site_new(request):
    require_perm(request.user, Perm.REFERENCE_MANAGE)
    form = SiteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            site = site_create(actor=request.user, **form.cleaned_data)
        except ApplicationError as exc:
            form_error(form, exc)
        else:
            messages.success(request, _("已添加安置点 %(name)s") % {"name": site.name})
            return redirect("relocation:site", site_id=site.pk)
    return render(request, "relocation/site_form.html", {"form": form, "creating": True})


@login_required
@require_http_methods(["GET", "POST"])
def site_edit(request, site_id: int):
    site = selectors.access_site(request.user, site_id)
    require_perm(request.user, Perm.REFERENCE_MANAGE)
    initial = {"code": site.code, "name": site.name, "division": prefix_of(site.division_code), "placement": site.placement,
               "area_type": site.area_type, "capacity": site.capacity}
    form = SiteForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            site_update(actor=request.user, site=site, **form.cleaned_data)
        except ApplicationError as exc:
            form_error(form, exc)
        else:
            messages.success(request, _("已保存"))
            return redirect("relocation:site", site_id=site.pk)
    return render(request, "relocation/site_form.html", {"form": form, "site": site})

"""Registry pages: search first, one household, one person (with the audited reveal), the roster as of a date,
reservoirs."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from anju.accounts.roles import Perm
from anju.core.access import require_perm
from anju.core.exceptions import ApplicationError, ValidationFailed
from anju.core.pagination import paginate
from anju.divisions.selectors import division_names
from anju.registry import selectors
from anju.registry.forms import AsOfForm, ReferenceFilterForm, ReservoirForm, RevealForm, RosterForm, SearchForm
from anju.registry.models import Status
from anju.registry.services.reference import reservoir_create, reservoir_update
from anju.web.forms import form_error


def _as_of(request):
    form = AsOfForm(request.GET or None)
    return form, (form.cleaned_data.get("as_of") if form.is_valid() else None)


@login_required
def search(request):
    """The registry's front page: a search box first, results masked."""
    require_perm(request.user, Perm.REGISTRY_VIEW)
    form = SearchForm(request.GET or None)
    page, results = None, None
    if form.is_bound and form.is_valid() and any(form.cleaned_data.values()):
        d = form.cleaned_data
        try:
            results = selectors.person_search(actor=request.user, q=d["q"], program=d["program"] or None, division=d["division"] or None,
                                              status=d["status"] or None, as_of=d["as_of"])
        except ValidationFailed as exc:
            form_error(form, exc)
        else:
            page = paginate(request, results)
    return render(request, "registry/search.html", {"form": form, "page": page, "results": results})


@login_required
def household_detail(request, household_id: int):
    household = selectors.access_household(request.user, household_id)
    form, as_of = _as_of(request)
    return render(request, "registry/household.html", {
        "household": household, "form": form, "as_of": as_of or selectors.today(),
        "village": division_names([household.division_code]).get(household.division_code, ""),
        "members": selectors.household_members(household, as_of),
        "enrolments": selectors.household_enrolments(household, as_of),
        "timeline": selectors.household_timeline(household),
        "can_request": request.user.can(Perm.REQUEST_SUBMIT),
    })


def _person_context(request, person, as_of, form):
    membership = selectors.person_membership(person, as_of)
    return {
        "person": person, "form": form, "as_of": as_of or selectors.today(), "membership": membership,
        "village": division_names([person.division_code]).get(person.division_code, ""),
        "memberships": selectors.person_memberships(person),
        "enrolments": selectors.person_enrolments(person, as_of),
        "timeline": selectors.person_timeline(person),
        "can_reveal": request.user.can(Perm.REGISTRY_VIEW_PII),
        "can_request": request.user.can(Perm.REQUEST_SUBMIT),
    }


@login_required
def person_detail(request, person_id: int):
    person = selectors.access_person(request.user, person_id)
    form, as_of = _as_of(request)
    return render(request, "registry/person.html", _person_context(request, person, as_of, form))


@login_required
@require_POST
def person_reveal(request, person_id: int):
    """Show the full ID or bank account once (this response only), leaving an audit event."""
    person = selectors.access_person(request.user, person_id)
    require_perm(request.user, Perm.REGISTRY_VIEW_PII)
    reveal = RevealForm(request.POST)
    context = _person_context(request, person, None, AsOfForm())
    if not reveal.is_valid():
        messages.error(request, _("只能查看完整的身份证号或银行账号"))
        return render(request, "registry/person.html", context, status=422)
    field = reveal.cleaned_data["field"]
    try:
        value = selectors.person_reveal(actor=request.user, person=person, field=field)
    except ValidationFailed as exc:
        messages.error(request, exc.message)
        return render(request, "registry/person.html", context, status=422)
    context["revealed"] = {field: value}
    response = render(request, "registry/person.html", context)
    response["Cache-Control"] = "no-store"
    return response


@login_required
def roster_view(request):
    require_perm(request.user, Perm.REGISTRY_VIEW)
    form = RosterForm(request.GET or None)
    params = {"program": "reservoir", "as_of": None, "division": None, "status": Status.ACTIVE}
    if form.is_bound:
        if form.is_valid():
            d = form.cleaned_data
            params = {"program": d["program"], "as_of": d["as_of"], "division": d["division"] or None, "status": d["status"] or None}
        else:
            params = None
    page = None
    if params is not None:
        try:
            rows = selectors.roster(actor=request.user, **params)
        except ValidationFailed as exc:
            form_error(form, exc)
        else:
            page = paginate(request, rows)
    as_of = (params or {}).get("as_of") or selectors.today()
    return render(request, "registry/roster.html", {"form": form, "page": page, "as_of": as_of})


# --- reservoirs --------------------------------------------------------------------------------------

@login_required
def reservoir_list(request):
    form = ReferenceFilterForm(request.GET or None)
    q = form.cleaned_data.get("q", "") if form.is_valid() else ""
    qs = selectors.reservoir_list(actor=request.user, q=q)
    page = paginate(request, qs)
    names = division_names({r.division_code for r in page.object_list})
    for r in page.object_list:
        r.county_name = names.get(r.division_code, r.division_code)
    return render(request, "registry/reservoirs.html", {"form": form, "page": page, "can_manage": request.user.can(Perm.REFERENCE_MANAGE)})


@login_required
@require_http_methods(["GET", "POST"])
def reservoir_new(request):
    require_perm(request.user, Perm.REFERENCE_MANAGE)
    form = ReservoirForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            reservoir = reservoir_create(actor=request.user, **form.cleaned_data)
        except ApplicationError as exc:
            form_error(form, exc)
        else:
            messages.success(request, _("已添加水库 %(name)s") % {"name": reservoir.name})
            return redirect("registry:reservoirs")
    return render(request, "registry/reservoir_form.html", {"form": form, "creating": True})


@login_required
@require_http_methods(["GET", "POST"])
def reservoir_edit(request, reservoir_id: int):
    reservoir = selectors.access_reservoir(request.user, reservoir_id)
    require_perm(request.user, Perm.REFERENCE_MANAGE)
    initial = {"code": reservoir.code, "name": reservoir.name, "scale": reservoir.scale, "county": reservoir.division_code[:6]}
    form = ReservoirForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            reservoir_update(actor=request.user, reservoir=reservoir, **form.cleaned_data)
        except ApplicationError as exc:
            form_error(form, exc)
        else:
            messages.success(request, _("已保存"))
            return redirect("registry:reservoirs")
    return render(request, "registry/reservoir_form.html", {"form": form, "reservoir": reservoir})

"""Follow-up support pages: the household work list (with the "至少1人就业" gap filters), one household's follow-up page,
the add/edit/end/delete forms of every record kind, and the employment list with its Excel export."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from anju.accounts.roles import Perm
from anju.core.access import code_prefix_q, in_scope, require_perm
from anju.core.audit import audit_record
from anju.core.exceptions import ApplicationError
from anju.core.pagination import paginate
from anju.divisions.models import Division, Level
from anju.projects.money import fen_text
from anju.registry.models import Household
from anju.registry.selectors import person_reveal, scope_or_ancestors_q
from anju.relocation import forms_support as forms
from anju.relocation import selectors_support as sel
from anju.relocation.models import Employment, Site
from anju.relocation.reports_support import employment_xlsx
from anju.relocation.selectors_common import access_relocated_household
from anju.relocation.services import support as engine
from anju.relocation.services.support_households import welfare_end
from anju.relocation.services.support_persons import employment_end
from anju.web.forms import form_error

MONEY = {"employment": ("monthly_income",), "medical": ("total", "out_of_pocket"), "welfare": ("monthly",),
         "income": ("wage", "business", "property", "transfer", "costs", "net", "per_capita"), "industry": ("benefit",)}


def _url(name: str, *args) -> str:
    """A link to a page another area owns; empty while that page does not exist."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


def _counties(actor) -> list[tuple[str, str]]:
    prefix = actor.view_prefix
    if len(prefix) >= 6:
        return []
    return [(d.code[:6], d.name) for d in Division.objects.filter(code_prefix_q("code", prefix), level=Level.COUNTY).order_by("code")]


def _sites(actor) -> list[tuple[int, str]]:
    return [(s.pk, s.name) for s in Site.objects.filter(scope_or_ancestors_q(actor)).order_by("division_code", "code")]


def _money_texts(entity: str, rows) -> None:
    for r in rows:
        for name in MONEY.get(entity, ()):
            value = getattr(r, name, None) if name in ("net", "per_capita") else getattr(r, f"{name}_fen")
            setattr(r, f"{name}_text", fen_text(value) if value is not None else "—")


def _can_edit(user, household) -> bool:
    return user.can(Perm.RELOCATION_EDIT) and in_scope(user, household.division_code, "entry")


# --- the work list --------------------------------------------------------------------------------------------------

@login_required
def household_list(request):
    require_perm(request.user, Perm.RELOCATION_VIEW)
    form = forms.HouseholdFilterForm(request.GET or None, counties=_counties(request.user), sites=_sites(request.user))
    f = form.cleaned_data if form.is_bound and form.is_valid() else {}
    as_of = f.get("as_of") or sel.today()
    try:
        qs = sel.household_list(actor=request.user, as_of=as_of, division=form.division() if f else "", site=f.get("site"),
                                gap=bool(f.get("gap")), no_income=bool(f.get("no_income")), q=f.get("q") or "")
        page = paginate(request, qs)
        sel.decorate_households(page.object_list, as_of)
    except ApplicationError as exc:  # e.g. no labour-age policy in force on the day asked for
        form_error(form, exc)
        page = paginate(request, Household.objects.none())
    return render(request, "relocation/support/households.html", {"form": form, "page": page, "as_of": as_of,
                                                                   "income_year": as_of.year - 1})


# --- one household --------------------------------------------------------------------------------------------------

def _household_page(request, household_id: int, *, revealed=None):
    household = access_relocated_household(request.user, household_id)
    fu = sel.household_follow_up(actor=request.user, household=household)
    for entity, rows in fu.records.items():
        _money_texts(entity, rows)
    for m in fu.members:
        _money_texts("employment", m.employments)
        m.id_shown = (revealed or {}).get(m.person.pk) or m.person.id_masked
    cases = [(c, _url("relocation_monitoring:case", c.pk)) for c in fu.cases]
    context = {
        "fu": fu, "household": household, "can_edit": _can_edit(request.user, household),
        "can_reveal": request.user.can(Perm.REGISTRY_VIEW_PII) and revealed is None, "revealed": revealed is not None,
        "steps_url": _url("relocation_steps:household", household.pk), "site_url": _url("relocation:site", fu.site.pk) if fu.site else "",
        "cases": cases, "labels": sel.ENTITY_LABELS, "person_entities": sel.PERSON_ENTITIES, "household_entities": sel.HOUSEHOLD_ENTITIES,
        "income_rows": fu.records["income"],
    }
    response = render(request, "relocation/support/household.html", context)
    if revealed is not None:
        response["Cache-Control"] = "no-store"
    return response


@login_required
def household_detail(request, household_id: int):
    return _household_page(request, household_id)


@login_required
@require_POST
def household_reveal(request, household_id: int):
    """The page once with the members' full resident IDs; each one read is audited as the registry's reveal."""
    household = access_relocated_household(request.user, household_id)
    require_perm(request.user, Perm.REGISTRY_VIEW_PII)
    fu = sel.household_follow_up(actor=request.user, household=household)
    with transaction.atomic():
        revealed = {m.person.pk: person_reveal(actor=request.user, person=m.person, field="id_number") for m in fu.members}
    return _household_page(request, household_id, revealed=revealed)


# --- record forms ---------------------------------------------------------------------------------------------------

def _form_class(entity: str):
    cls = forms.FORMS.get(entity)
    if cls is None:
        raise Http404()
    return cls


def _form_kwargs(entity: str, current: str = "") -> dict:
    return {"current": current} if entity in ("industry", "service") else {}


def _back(household_id: int, entity: str) -> str:
    return reverse("relocation_support:household", args=[household_id]) + f"#{entity}"


@login_required
@require_http_methods(["GET", "POST"])
def record_new(request, household_id: int, entity: str):
    cls = _form_class(entity)
    require_perm(request.user, Perm.RELOCATION_EDIT)
    household = access_relocated_household(request.user, household_id, kind="entry")
    members = None
    initial = {}
    if entity in sel.PERSON_ENTITIES:
        fu = sel.household_follow_up(actor=request.user, household=household)
        members = [(m.person.pk, f"{m.person.name}（{m.relation}）") for m in fu.members]
        initial["person"] = request.GET.get("person") or ""
    if entity == "income":
        initial.update(year=sel.today().year - 1, persons=len(sel.household_members(household)))
    form = cls(request.POST or None, members=members, initial=initial, **_form_kwargs(entity))
    if request.method == "POST" and form.is_valid():
        try:
            engine.record_create(actor=request.user, entity=entity, household=household, person=form.cleaned_data.get("person"),
                                 data=form.service_data())
        except ApplicationError as exc:
            form_error(form, exc)
        else:
            messages.success(request, _("已添加%(what)s") % {"what": sel.ENTITY_LABELS[entity]})
            return redirect(_back(household.pk, entity))
    return render(request, "relocation/support/record_form.html", {"form": form, "household": household, "entity": entity,
                                                                    "label": sel.ENTITY_LABELS[entity], "creating": True})


@login_required
@require_http_methods(["GET", "POST"])
def record_edit(request, entity: str, record_id: int):
    cls = _form_class(entity)
    require_perm(request.user, Perm.RELOCATION_EDIT)
    record = sel.access_record(request.user, entity, record_id, kind="entry")
    household = record.household
    form = cls(request.POST or None, initial=cls.initial_from(record), **_form_kwargs(entity, getattr(record, "kind", "")))
    if request.method == "POST" and form.is_valid():
        try:
            engine.record_update(actor=request.user, record=record, data=form.service_data())
        except ApplicationError as exc:
            form_error(form, exc)
        else:
            messages.success(request, _("已保存"))
            return redirect(_back(household.pk, entity))
    return render(request, "relocation/support/record_form.html", {"form": form, "household": household, "entity": entity,
                                                                    "label": sel.ENTITY_LABELS[entity], "record": record})


@login_required
@require_http_methods(["GET", "POST"])
def record_end(request, entity: str, record_id: int):
    if entity not in sel.ENDABLE:
        raise Http404()
    require_perm(request.user, Perm.RELOCATION_EDIT)
    record = sel.access_record(request.user, entity, record_id, kind="entry")
    form = forms.EndForm(request.POST or None, initial={"ended_on": sel.today()})
    if request.method == "POST" and form.is_valid():
        try:
            if entity == "employment":
                employment_end(actor=request.user, employment=record, ended_on=form.cleaned_data["ended_on"])
            else:
                welfare_end(actor=request.user, welfare=record, ended_on=form.cleaned_data["ended_on"])
        except ApplicationError as exc:
            form_error(form, exc)
        else:
            messages.success(request, _("已登记结束日期"))
            return redirect(_back(record.household_id, entity))
    return render(request, "relocation/support/end_form.html", {"form": form, "household": record.household, "record": record,
                                                                 "entity": entity, "label": sel.ENTITY_LABELS[entity]})


@login_required
@require_POST
def record_delete(request, entity: str, record_id: int):
    _form_class(entity)
    require_perm(request.user, Perm.RELOCATION_EDIT)
    record = sel.access_record(request.user, entity, record_id, kind="entry")
    try:
        engine.record_delete(actor=request.user, record=record)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已删除%(what)s") % {"what": sel.ENTITY_LABELS[entity]})
    return redirect(_back(record.household_id, entity))


# --- employment -----------------------------------------------------------------------------------------------------

def _employment_rows(request):
    form = forms.EmploymentFilterForm(request.GET or None, counties=_counties(request.user))
    f = form.cleaned_data if form.is_bound and form.is_valid() else {}
    on = f.get("on") or sel.today()
    qs = sel.employment_list(actor=request.user, on=on, kind=f.get("kind") or "", division=f.get("county") or "", q=f.get("q") or "")
    return form, on, qs


@login_required
def employment_index(request):
    require_perm(request.user, Perm.RELOCATION_VIEW)
    form, on, qs = _employment_rows(request)
    page = paginate(request, qs)
    _money_texts("employment", page.object_list)
    return render(request, "relocation/support/employment.html", {"form": form, "page": page, "on": on,
                                                                   "kinds": Employment.Kind.choices})


@login_required
def employment_export(request):
    require_perm(request.user, Perm.RELOCATION_VIEW)
    form, on, qs = _employment_rows(request)
    kind = form.cleaned_data.get("kind") or "" if form.is_bound and form.is_valid() else ""  # what filtered, never the raw query
    rows = list(qs)
    data = employment_xlsx(rows, on=on)
    with transaction.atomic():
        audit_record(actor=request.user, action="relocation.employment.exported", object_type="employment", object_id="",
                     division_code=request.user.view_prefix.ljust(12, "0")[:12], after={"on": on.isoformat(), "rows": len(rows),
                                                                                         "kind": kind})
    response = HttpResponse(data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''employment-{on.isoformat()}.xlsx"
    return response

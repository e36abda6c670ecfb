"""Pages of identification: vocabularies, eligibility rules, designated areas, surveys with their confirmation, the
candidate list and the coverage check (with Excel exports)."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from anju.accounts.roles import Perm
from anju.core.access import in_scope, require_perm
from anju.core.exceptions import ApplicationError
from anju.core.pagination import paginate
from anju.relocation import forms_identification as forms
from anju.relocation import reports_identification as reports
from anju.relocation import selectors_identification as sel
from anju.relocation.models import Survey, Term
from anju.relocation.selectors_common import term_names
from anju.relocation.services import identification as svc
from anju.relocation.services import identification_rules as rules_svc
from anju.web.forms import form_error

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _xlsx(data: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type=XLSX)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{filename}"
    response["Cache-Control"] = "no-store"
    return response


# --- vocabularies ---------------------------------------------------------------------------------------------------

def _terms_url(kind: str) -> str:
    return f"{reverse('relocation_identification:terms')}?kind={kind}"


@login_required
def term_index(request):
    require_perm(request.user, Perm.RELOCATION_VIEW)
    kind = request.GET.get("kind") if request.GET.get("kind") in Term.Kind.values else Term.Kind.LIVING_CONDITION
    return render(request, "relocation/identification/terms.html", {
        "kind": kind, "kind_label": Term.Kind(kind).label, "kinds": Term.Kind.choices, "terms": sel.term_list(actor=request.user, kind=kind),
        "can_manage": request.user.can(Perm.RELOCATION_MANAGE)})


@login_required
@require_http_methods(["GET", "POST"])
def term_create(request):
    require_perm(request.user, Perm.RELOCATION_MANAGE)
    kind = request.GET.get("kind") if request.GET.get("kind") in Term.Kind.values else Term.Kind.LIVING_CONDITION
    form = forms.TermForm(request.POST or None, initial={"kind": kind, "active": True})
    if request.method == "POST" and form.is_valid():
        try:
            term = rules_svc.term_create(actor=request.user, **form.cleaned_data)
        except ApplicationError as exc:
            form_error(form, exc)
        else:
            messages.success(request, _("已添加 %(name)s") % {"name": term.name})
            return redirect(_terms_url(term.kind))
    return render(request, "relocation/identification/form.html", {"form": form, "title": _("添加字典条目"), "back": _terms_url(kind)})


@login_required
@require_http_methods(["GET", "POST"])
def term_edit(request, term_id: int):
    require_perm(request.user, Perm.RELOCATION_MANAGE)
    term = sel.access_term(request.user, term_id)
    form = forms.TermForm(request.POST or None, editing=True, initial={"kind": term.kind, "code": term.code, "name": term.name,
                                                                        "sort": term.sort, "active": term.active})
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            rules_svc.term_update(actor=request.user, term=term, name=d["name"], sort=d.get("sort"), active=d.get("active"))
        except ApplicationError as exc:
            form_error(form, exc)
        else:
            messages.success(request, _("已保存"))
            return redirect(_terms_url(term.kind))
    return render(request, "relocation/identification/form.html", {"form": form, "title": _("修改 %(name)s") % {"name": term.name},
                                                                   "back": _terms_url(term.kind)})


@login_required
@require_POST
def term_move(request, term_id: int):
    require_perm(request.user, Perm.RELOCATION_MANAGE)
    term = sel.access_term(request.user, term_id)
    try:
        rules_svc.term_move(actor=request.user, term=term, direction=request.POST.get("direction", ""))
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return redirect(_terms_url(term.kind))


@login_required
@require_POST
def term_active(request, term_id: int):
    require_perm(request.user, Perm.RELOCATION_MANAGE)
    term = sel.access_term(request.user, term_id)
    try:
        rules_svc.term_update(actor=request.user, term=term, active=request.POST.get("active") == "1")
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return redirect(_terms_url(term.kind))


# --- rules ----------------------------------------------------------------------------------------------------------

def _rule_rows(rules) -> list:
    names = term_names(Term.Kind.LIVING_CONDITION)
    rows = list(rules)
    for r in rows:
        r.field_label = rules_svc.field_label(r.field)
        r.operator_label = rules_svc.operator_label(r.operator)
        if isinstance(r.value, list):
            r.value_text = "、".join(names.get(c, c) for c in r.value)
        elif r.field == "per_capita_income_fen" and isinstance(r.value, int):
            from anju.projects.money import yuan_text

            r.value_text = _("%(v)s 元") % {"v": yuan_text(r.value)}
        else:
            r.value_text = "" if r.value is None else str(r.value)
    return rows


@login_required
def rule_index(request):
    require_perm(request.user, Perm.RELOCATION_VIEW)
    return render(request, "relocation/identification/rules.html", {"rules": _rule_rows(sel.rule_list(actor=request.user)),
                                                                    "can_manage": request.user.can(Perm.RELOCATION_MANAGE)})


def _rule_kwargs(form) -> dict:
    d = dict(form.cleaned_data)
    d.pop("code", None)
    return d


@login_required
@require_http_methods(["GET", "POST"])
def rule_create(request):
    require_perm(request.user, Perm.RELOCATION_MANAGE)
    form = forms.RuleForm(request.POST or None, initial={"active": True})
    if request.method == "POST" and form.is_valid():
        try:
            rule = rules_svc.rule_create(actor=request.user, code=form.cleaned_data["code"], **_rule_kwargs(form))
        except ApplicationError as exc:
            form_error(form, exc)
        else:
            messages.success(request, _("已添加规则 %(name)s，在办调查已重新判定") % {"name": rule.name})
            return redirect("relocation_identification:rules")
    return render(request, "relocation/identification/form.html", {"form": form, "title": _("添加识别规则"),
                                                                   "back": reverse("relocation_identification:rules")})


@login_required
@require_http_methods(["GET", "POST"])
def rule_edit(request, rule_id: int):
    require_perm(request.user, Perm.RELOCATION_MANAGE)
    rule = sel.access_rule(request.user, rule_id)
    form = forms.RuleForm(request.POST or None, editing=True, initial=forms.RuleForm.initial_from(rule))
    if request.method == "POST" and form.is_valid():
        try:
            rules_svc.rule_update(actor=request.user, rule=rule, **_rule_kwargs(form))
        except ApplicationError as exc:
            form_error(form, exc)
        else:
            messages.success(request, _("已保存，在办调查已重新判定"))
            return redirect("relocation_identification:rules")
    return render(request, "relocation/identification/form.html", {"form": form, "title": _("修改规则 %(name)s") % {"name": rule.name},
                                                                   "back": reverse("relocation_identification:rules")})


# --- designated areas -----------------------------------------------------------------------------------------------

@login_required
def area_index(request):
    require_perm(request.user, Perm.RELOCATION_VIEW)
    areas = sel.with_places(sel.area_list(actor=request.user))
    names = term_names(Term.Kind.LIVING_CONDITION)
    for a in areas:
        a.condition_names = "、".join(names.get(c, c) for c in a.conditions)
        a.is_township = a.division_code[9:] == "000"
    return render(request, "relocation/identification/areas.html", {"areas": areas, "can_manage": request.user.can(Perm.RELOCATION_MANAGE)})


@login_required
@require_http_methods(["GET", "POST"])
def area_create(request):
    require_perm(request.user, Perm.RELOCATION_MANAGE)
    form = forms.AreaForm(request.POST or None, initial={"designated_on": dt.date.today()})
    if request.method == "POST" and form.is_valid():
        try:
            svc.area_create(actor=request.user, **form.cleaned_data)
        except ApplicationError as exc:
            form_error(form, exc)
        else:
            messages.success(request, _("已划定迁出区，区内在办调查已标记并重新判定"))
            return redirect("relocation_identification:areas")
    return render(request, "relocation/identification/form.html", {"form": form, "title": _("划定迁出区"),
                                                                   "back": reverse("relocation_identification:areas")})


@login_required
@require_http_methods(["GET", "POST"])
def area_edit(request, area_id: int):
    require_perm(request.user, Perm.RELOCATION_MANAGE)
    area = sel.access_area(request.user, area_id, kind="entry")
    form = forms.AreaForm(request.POST or None, editing=area, initial={
        "division": area.division_code, "conditions": area.conditions, "designated_on": area.designated_on, "document": area.document,
        "note": area.note})
    if request.method == "POST" and form.is_valid():
        d = dict(form.cleaned_data)
        d.pop("division", None)
        try:
            svc.area_update(actor=request.user, area=area, **d)
        except ApplicationError as exc:
            form_error(form, exc)
        else:
            messages.success(request, _("已保存"))
            return redirect("relocation_identification:areas")
    return render(request, "relocation/identification/form.html", {"form": form, "title": _("修改迁出区"),
                                                                   "back": reverse("relocation_identification:areas")})


@login_required
@require_POST
def area_delete(request, area_id: int):
    require_perm(request.user, Perm.RELOCATION_MANAGE)
    area = sel.access_area(request.user, area_id, kind="entry")
    n = svc.area_delete(actor=request.user, area=area)
    messages.success(request, _("已撤销迁出区，%(n)s 份在办调查已取消标记并重新判定") % {"n": n})
    return redirect("relocation_identification:areas")


# --- surveys --------------------------------------------------------------------------------------------------------

def _filters(form) -> dict:
    return form.cleaned_data if form.is_valid() else {}


@login_required
def survey_index(request):
    require_perm(request.user, Perm.RELOCATION_VIEW)
    form = forms.SurveyFilterForm(request.GET or None)
    f = _filters(form)
    try:
        qs = sel.survey_list(actor=request.user, division=f.get("division"), state=f.get("state") or "", q=f.get("q") or "")
    except ApplicationError as exc:
        form_error(form, exc)
        qs = Survey.objects.none()
    page = paginate(request, qs)
    page.object_list = sel.with_places(page.object_list)
    return render(request, "relocation/identification/surveys.html", {"form": form, "page": page,
                                                                      "can_edit": request.user.can(Perm.RELOCATION_EDIT)})


@login_required
@require_http_methods(["GET", "POST"])
def survey_create(request):
    require_perm(request.user, Perm.RELOCATION_EDIT)
    form = forms.SurveyForm(request.POST or None, initial={"surveyed_on": dt.date.today(), "members": 1})
    if request.method == "POST" and form.is_valid():
        try:
            survey = svc.survey_create(actor=request.user, **form.service_kwargs())
        except ApplicationError as exc:
            form_error(form, exc)
        else:
            messages.success(request, _("已登记调查；符合条件：%(e)s") % {"e": _("是") if survey.eligible else _("否")})
            return redirect("relocation_identification:survey", survey_id=survey.pk)
    return render(request, "relocation/identification/form.html", {"form": form, "title": _("登记识别调查"),
                                                                   "back": reverse("relocation_identification:surveys")})


@login_required
@require_http_methods(["GET", "POST"])
def survey_edit(request, survey_id: int):
    require_perm(request.user, Perm.RELOCATION_EDIT)
    survey = sel.access_survey(request.user, survey_id, kind="entry")
    form = forms.SurveyForm(request.POST or None, survey=survey, initial=forms.SurveyForm.initial_from(survey))
    if request.method == "POST" and form.is_valid():
        try:
            svc.survey_update(actor=request.user, survey=survey, **form.service_kwargs(editing=True))
        except ApplicationError as exc:
            form_error(form, exc)
        else:
            messages.success(request, _("已保存"))
            return redirect("relocation_identification:survey", survey_id=survey.pk)
    return render(request, "relocation/identification/form.html", {
        "form": form, "title": _("修改识别调查 %(name)s") % {"name": survey.head_name},
        "back": reverse("relocation_identification:survey", args=[survey.pk])})


def _survey_context(request, survey: Survey) -> dict:
    user = request.user
    survey = sel.with_places([survey])[0]
    names = term_names(Term.Kind.LIVING_CONDITION)
    entry = in_scope(user, survey.division_code, "entry")
    state = survey.state
    return {
        "s": survey, "conditions": [names.get(c, c) for c in survey.conditions],
        "income_yuan": None if survey.per_capita_income_fen is None else survey.per_capita_income_fen / 100,
        "can_edit": entry and user.can(Perm.RELOCATION_EDIT) and state == Survey.State.DRAFT,
        "can_submit": entry and user.can(Perm.RELOCATION_EDIT) and state == Survey.State.DRAFT and survey.created_by_id == user.pk,
        "can_township": entry and user.can(Perm.RELOCATION_EDIT) and state == Survey.State.SUBMITTED and len(user.entry_prefix) <= 9,
        "can_county": entry and user.can(Perm.RELOCATION_CONFIRM) and state == Survey.State.TOWNSHIP_CONFIRMED and len(user.entry_prefix) <= 6,
        "can_reveal": user.can(Perm.REGISTRY_VIEW_PII),
        "can_request": (entry and user.can(Perm.RELOCATION_EDIT) and user.can(Perm.REQUEST_SUBMIT) and state == Survey.State.CONFIRMED
                        and not survey.household_id),
        "requests": svc.survey_requests(survey) if state == Survey.State.CONFIRMED and not survey.household_id else [],
        "decision": forms.DecisionForm(initial={"on": dt.date.today()}), "reject": forms.RejectForm(),
        "request_form": forms.RequestForm(),
        "relocation": getattr(survey.household, "relocation", None) if survey.household_id else None,
    }


@login_required
def survey_detail(request, survey_id: int):
    survey = sel.access_survey(request.user, survey_id)
    return render(request, "relocation/identification/survey.html", _survey_context(request, survey))


@login_required
@require_POST
def survey_reveal(request, survey_id: int):
    survey = sel.access_survey(request.user, survey_id)
    require_perm(request.user, Perm.REGISTRY_VIEW_PII)
    context = _survey_context(request, survey)
    context["revealed"] = sel.survey_reveal(actor=request.user, survey=survey)
    response = render(request, "relocation/identification/survey.html", context)
    response["Cache-Control"] = "no-store"
    return response


def _act(request, survey_id: int, perm: str, action, done: str, *, form_class=None):
    if isinstance(perm, tuple):
        if not any(request.user.can(p) for p in perm):
            require_perm(request.user, perm[0])
    else:
        require_perm(request.user, perm)
    survey = sel.access_survey(request.user, survey_id, kind="entry")
    data = {}
    if form_class is not None:
        form = form_class(request.POST)
        if not form.is_valid():
            for errors in form.errors.values():
                for e in errors:
                    messages.error(request, e)
            return redirect("relocation_identification:survey", survey_id=survey.pk)
        data = form.cleaned_data
    try:
        action(survey, data)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done)
    return redirect("relocation_identification:survey", survey_id=survey.pk)


@login_required
@require_POST
def survey_submit(request, survey_id: int):
    return _act(request, survey_id, Perm.RELOCATION_EDIT, lambda s, d: svc.survey_submit(actor=request.user, survey=s), _("已提交乡镇确认"))


@login_required
@require_POST
def survey_township(request, survey_id: int):
    return _act(request, survey_id, Perm.RELOCATION_EDIT,
                lambda s, d: svc.survey_township_confirm(actor=request.user, survey=s, on=d.get("on"), note=d.get("note") or ""),
                _("乡镇已确认，待县级确认"), form_class=forms.DecisionForm)


@login_required
@require_POST
def survey_confirm(request, survey_id: int):
    return _act(request, survey_id, Perm.RELOCATION_CONFIRM,
                lambda s, d: svc.survey_confirm(actor=request.user, survey=s, on=d.get("on"), note=d.get("note") or ""),
                _("县级已确认为搬迁对象"), form_class=forms.DecisionForm)


@login_required
@require_POST
def survey_reject(request, survey_id: int):
    return _act(request, survey_id, (Perm.RELOCATION_EDIT, Perm.RELOCATION_CONFIRM),
                lambda s, d: svc.survey_reject(actor=request.user, survey=s, reason=d["reason"]), _("已不予认定"), form_class=forms.RejectForm)


@login_required
@require_POST
def survey_request(request, survey_id: int):
    require_perm(request.user, Perm.REQUEST_SUBMIT)
    return _act(request, survey_id, Perm.RELOCATION_EDIT,
                lambda s, d: svc.survey_request_household(actor=request.user, survey=s, number=d["number"], reason=d.get("reason") or ""),
                _("已提出新增户申请，请跟进审批与公示"), form_class=forms.RequestForm)


@login_required
@require_POST
def survey_link(request, survey_id: int):
    return _act(request, survey_id, Perm.RELOCATION_EDIT, lambda s, d: svc.survey_link_household(actor=request.user, survey=s),
                _("已关联名册户并建立搬迁记录"))


# --- candidates and coverage ----------------------------------------------------------------------------------------

def _candidates(request):
    require_perm(request.user, Perm.RELOCATION_VIEW)
    form = forms.CandidateFilterForm(request.GET or None)
    f = _filters(form)
    try:
        qs = sel.candidate_list(actor=request.user, division=f.get("division"), state=f.get("state") or "")
    except ApplicationError as exc:
        form_error(form, exc)
        qs = Survey.objects.none()
    return form, f, qs


@login_required
def candidate_index(request):
    form, f, qs = _candidates(request)
    page = paginate(request, qs)
    page.object_list = sel.with_places(page.object_list)
    return render(request, "relocation/identification/candidates.html", {"form": form, "page": page, "total": qs.count()})


@login_required
def candidate_export(request):
    form, f, qs = _candidates(request)
    data = reports.candidates_xlsx(actor=request.user, surveys=qs, prefix=sel.narrow(request.user, f.get("division")) or "")
    return _xlsx(data, "%E6%90%AC%E8%BF%81%E5%AF%B9%E8%B1%A1%E5%80%99%E9%80%89%E5%90%8D%E5%8D%95.xlsx")  # 搬迁对象候选名单.xlsx


def _coverage(request):
    require_perm(request.user, Perm.RELOCATION_VIEW)
    form = forms.CoverageFilterForm(request.GET or None)
    f = _filters(form)
    try:
        return form, sel.coverage_check(actor=request.user, division=f.get("division"), days=f.get("days") or sel.OVERDUE_DAYS)
    except ApplicationError as exc:
        form_error(form, exc)
        return form, sel.Coverage(as_of=dt.date.today(), prefix="")


@login_required
def coverage_index(request):
    form, coverage = _coverage(request)
    return render(request, "relocation/identification/coverage.html", {"form": form, "c": coverage})


@login_required
def coverage_export(request):
    form, coverage = _coverage(request)
    return _xlsx(reports.coverage_xlsx(actor=request.user, coverage=coverage), "%E5%BA%94%E6%90%AC%E5%B0%BD%E6%90%AC%E6%A0%B8%E6%9F%A5.xlsx")

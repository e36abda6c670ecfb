"""防返贫 monitoring pages: the case list, one case (risks, measures, signals, elimination, timeline, actions),
identification, measures, risk elimination, and the warning list with its scan button."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from anju.accounts.roles import Perm
from anju.core.access import require_perm
from anju.core.exceptions import ApplicationError
from anju.core.pagination import paginate
from anju.projects.money import fen_text, yuan_text
from anju.projects.selectors_warnings import counties_in_view
from anju.relocation import forms_monitoring as forms
from anju.relocation import selectors_monitoring as sel
from anju.relocation.models import MonitoringCase, RiskSignal
from anju.relocation.selectors_common import access_relocated_household
from anju.relocation.services import monitoring as svc
from anju.relocation.services import signals as signal_svc
from anju.web.forms import form_error


def _sites(user):
    from anju.relocation.selectors import site_list

    try:
        return list(site_list(actor=user)[:500])
    except Exception:  # the site list is another area's; a filter without sites is still a filter
        return []


# --- lists --------------------------------------------------------------------------------------------------------

@login_required
def case_index(request):
    require_perm(request.user, Perm.RELOCATION_VIEW)
    form = forms.CaseFilterForm(request.GET or None, counties=counties_in_view(request.user), sites=_sites(request.user))
    f = form.filters()
    qs = sel.case_list(actor=request.user, **f)
    counts = sel.case_counts(sel.case_list(actor=request.user, **{**f, "category": "", "colour": ""}))
    page = paginate(request, qs)
    sel.decorate_cases(page.object_list)
    return render(request, "relocation/monitoring/cases.html", {
        "form": form, "page": page, "counts": counts, "categories": MonitoringCase.Category.choices,
        "colours": MonitoringCase.Colour.choices, "rule_text": svc.COLOUR_RULE_TEXT,
        "can_propose": request.user.can(Perm.RELOCATION_EDIT), "can_scan": request.user.can(Perm.RELOCATION_MONITOR),
        "scan_form": forms.ScanForm(initial={"as_of": dt.date.today()})})


@login_required
def signal_index(request):
    require_perm(request.user, Perm.RELOCATION_VIEW)
    form = forms.SignalFilterForm(request.GET or None, counties=counties_in_view(request.user))
    f = form.filters()
    page = paginate(request, sel.signal_list(actor=request.user, **f))
    sel.decorate_signals(page.object_list)
    open_count = sel.signal_list(actor=request.user).count()
    return render(request, "relocation/monitoring/signals.html", {
        "form": form, "page": page, "open_count": open_count, "can_handle": request.user.can(Perm.RELOCATION_EDIT),
        "can_scan": request.user.can(Perm.RELOCATION_MONITOR), "scan_form": forms.ScanForm(initial={"as_of": dt.date.today()})})


@login_required
@require_POST
def scan(request):
    require_perm(request.user, Perm.RELOCATION_MONITOR)
    form = forms.ScanForm(request.POST)
    as_of = form.cleaned_data.get("as_of") if form.is_valid() else None
    try:
        result = signal_svc.signals_scan(actor=request.user, as_of=as_of or dt.date.today())
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("排查完成：新增风险预警 %(raised)s 条（收入低于监测线 %(income)s 条，新增残疾 %(disability)s 条），"
                                    "重新评定风险等级 %(recoloured)s 户") % result)
    return redirect("relocation_monitoring:signals")


# --- one case -----------------------------------------------------------------------------------------------------

@login_required
def case_detail(request, case_id: int):
    case = sel.access_case(request.user, case_id)
    sel.decorate_cases([case])
    measures = sel.case_measures(case)
    for m in measures:
        m.amount_yuan = fen_text(m.amount_fen)
    signals = sel.case_signals(case)
    sel.decorate_signals(signals)
    actions = sel.case_actions(request.user, case)
    today = dt.date.today()
    criteria = sel.case_criteria(case, today)
    confirmed = None
    if case.elimination_criteria:
        confirmed = [{"name": str(svc.CRITERIA.get(code, code)), **v} for code, v in case.elimination_criteria.items()]
    line = svc.income_line_fen(case.division_code, today)
    income = svc.latest_income(case.household_id)
    return render(request, "relocation/monitoring/case.html", {
        "case": case, "measures": measures, "signals": signals, "actions": actions, "criteria": criteria, "confirmed": confirmed,
        "timeline": sel.case_timeline(case), "household_url": sel.household_link(case.household_id),
        "income_yuan": fen_text(case.per_capita_income_fen) if case.per_capita_income_fen is not None else "",
        "line_yuan": fen_text(line), "latest_income": income,
        "latest_income_yuan": fen_text(svc.per_capita_fen(income)) if income else "",
        "rule_text": svc.COLOUR_RULE_TEXT, "today": today,
        "approve_form": forms.ApproveForm(initial={"included_on": today}), "reason_form": forms.ReasonForm(),
        "elimination_approve_form": forms.EliminationApproveForm(initial={"eliminated_on": today})})


def _back(case_id: int):
    return redirect("relocation_monitoring:case", case_id=case_id)


def _decide(request, case_id: int, form_class, service, done: str):
    """An approver's decision on a case (RELOCATION_MONITOR): the POSTed `form_class` is passed whole to
    `service(actor=, case=, **cleaned_data)`; the outcome is a message on the case page."""
    require_perm(request.user, Perm.RELOCATION_MONITOR)
    case = sel.access_case(request.user, case_id)
    form = form_class(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for e in errors:
                messages.error(request, e)
        return _back(case.pk)
    try:
        service(actor=request.user, case=case, **form.cleaned_data)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done)
    return _back(case.pk)


@login_required
@require_POST
def case_approve(request, case_id: int):
    return _decide(request, case_id, forms.ApproveForm, svc.case_approve, _("已认定纳入监测"))


@login_required
@require_POST
def case_reject(request, case_id: int):
    return _decide(request, case_id, forms.ReasonForm, svc.case_reject, _("已决定不予纳入"))


@login_required
@require_POST
def elimination_approve(request, case_id: int):
    return _decide(request, case_id, forms.EliminationApproveForm, svc.elimination_approve, _("已审批风险消除"))


@login_required
@require_POST
def elimination_send_back(request, case_id: int):
    return _decide(request, case_id, forms.ReasonForm, svc.elimination_send_back, _("已退回风险消除申请"))


# --- identification -----------------------------------------------------------------------------------------------

def _case_form_page(request, *, household=None, signal=None):
    initial = {"identified_on": dt.date.today(), "channel": MonitoringCase.Channel.VISIT}
    if signal is not None:
        initial.update(channel=MonitoringCase.Channel.DEPARTMENT, identified_on=signal.found_on, risks=_risks_for(signal))
        if signal.kind == RiskSignal.Kind.INCOME and isinstance(signal.detail, dict) and "per_capita_income_fen" in signal.detail:
            initial["per_capita_income"] = yuan_text(signal.detail["per_capita_income_fen"]).replace(",", "")
    form = forms.CaseForm(request.POST or None, household=household, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            target = household or sel.household_by_number(request.user, form.cleaned_data["household_number"])
            case = svc.case_propose(actor=request.user, household=target, signal=signal, **form.service_kwargs())
        except ApplicationError as exc:
            form_error(form, exc)
        else:
            messages.success(request, _("已提出纳入监测，待审批"))
            return redirect("relocation_monitoring:case", case_id=case.pk)
    return render(request, "relocation/monitoring/case_form.html", {"form": form, "household": household, "signal": signal,
                                                                    "signal_text": sel.signal_detail_text(signal) if signal else ""})


SIGNAL_RISKS = {RiskSignal.Kind.MEDICAL: "illness", RiskSignal.Kind.DISABILITY: "disability", RiskSignal.Kind.DISASTER: "disaster",
                RiskSignal.Kind.EMPLOYMENT: "unstable_job"}


def _risks_for(signal: RiskSignal) -> list[str]:
    code = SIGNAL_RISKS.get(signal.kind)
    return [code] if code else []


@login_required
@require_http_methods(["GET", "POST"])
def case_new(request):
    require_perm(request.user, Perm.RELOCATION_EDIT)
    household = None
    raw = request.GET.get("household") or ""
    if raw.isdigit() and len(raw) < 12:
        household = access_relocated_household(request.user, int(raw), kind="entry")
    return _case_form_page(request, household=household)


@login_required
@require_http_methods(["GET", "POST"])
def signal_case(request, signal_id: int):
    require_perm(request.user, Perm.RELOCATION_EDIT)
    signal = sel.access_signal(request.user, signal_id)
    household = access_relocated_household(request.user, signal.household_id, kind="entry")
    if signal.state != RiskSignal.State.OPEN:
        messages.error(request, signal_svc.MSG_SIGNAL_HANDLED % {"state": signal.get_state_display()})
        return redirect("relocation_monitoring:signals")
    return _case_form_page(request, household=household, signal=signal)


@login_required
@require_POST
def signal_attach(request, signal_id: int):
    require_perm(request.user, Perm.RELOCATION_EDIT)
    signal = sel.access_signal(request.user, signal_id)
    try:
        s = signal_svc.signal_attach(actor=request.user, signal=signal, note=request.POST.get("note", "")[:300])
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("relocation_monitoring:signals")
    messages.success(request, _("已并入在监测记录"))
    return redirect("relocation_monitoring:case", case_id=s.case_id)


@login_required
@require_POST
def signal_dismiss(request, signal_id: int):
    require_perm(request.user, Perm.RELOCATION_EDIT)
    signal = sel.access_signal(request.user, signal_id)
    form = forms.NoteForm(request.POST)
    try:
        if not form.is_valid():
            raise svc.ValidationFailed(signal_svc.MSG_NOTE_REQUIRED, code="note_required")
        signal_svc.signal_dismiss(actor=request.user, signal=signal, note=form.cleaned_data["note"])
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已核实为无风险"))
    return redirect("relocation_monitoring:signals")


# --- measures -----------------------------------------------------------------------------------------------------

@login_required
@require_http_methods(["GET", "POST"])
def measure_new(request, case_id: int):
    require_perm(request.user, Perm.RELOCATION_EDIT)
    case = sel.access_case(request.user, case_id, kind="entry")
    form = forms.MeasureForm(request.POST or None, initial={"started_on": dt.date.today(), "effect": "pending"})
    if request.method == "POST" and form.is_valid():
        try:
            svc.measure_add(actor=request.user, case=case, **form.service_kwargs())
        except ApplicationError as exc:
            form_error(form, exc)
        else:
            messages.success(request, _("已登记帮扶措施"))
            return _back(case.pk)
    return render(request, "relocation/monitoring/measure_form.html", {"form": form, "case": case, "creating": True})


@login_required
@require_http_methods(["GET", "POST"])
def measure_edit(request, measure_id: int):
    require_perm(request.user, Perm.RELOCATION_EDIT)
    measure = sel.access_measure(request.user, measure_id)
    case = sel.access_case(request.user, measure.case_id, kind="entry")
    initial = {f: getattr(measure, f) for f in ("kind", "content", "responsible", "started_on", "ended_on", "effect", "effect_note")}
    initial["amount"] = yuan_text(measure.amount_fen).replace(",", "")
    form = forms.MeasureForm(request.POST or None, initial=initial, current_kind=measure.kind)
    if request.method == "POST" and form.is_valid():
        try:
            svc.measure_update(actor=request.user, measure=measure, **form.service_kwargs())
        except ApplicationError as exc:
            form_error(form, exc)
        else:
            messages.success(request, _("已保存帮扶措施"))
            return _back(case.pk)
    return render(request, "relocation/monitoring/measure_form.html", {"form": form, "case": case, "measure": measure, "creating": False})


# --- risk elimination ---------------------------------------------------------------------------------------------

@login_required
@require_http_methods(["GET", "POST"])
def elimination_propose(request, case_id: int):
    require_perm(request.user, Perm.RELOCATION_EDIT)
    case = sel.access_case(request.user, case_id, kind="entry")
    today = dt.date.today()
    form = forms.EliminationForm(request.POST or None, initial={"proposed_on": today})
    if request.method == "POST" and form.is_valid():
        try:
            svc.elimination_propose(actor=request.user, case=case, **form.service_kwargs())
        except ApplicationError as exc:
            form_error(form, exc)
        else:
            messages.success(request, _("已申请风险消除，待审批"))
            return _back(case.pk)
    criteria = svc.elimination_criteria(case, today) if case.state == MonitoringCase.State.MONITORING else []
    rows = [{"criterion": c, "confirm": form[f"confirm_{c.code}"] if not c.auto else None,
             "note": form[f"note_{c.code}"] if not c.auto else None} for c in criteria]
    return render(request, "relocation/monitoring/elimination_form.html", {"form": form, "case": case, "rows": rows})

"""Pages of project money and progress: a project's funds (allocations, payments, totals by source, 资金支付率) and its
monthly progress, the monthly reporting status of a scope, the city's unlocks, and the allocation and payment lists with
their Excel exports."""

from __future__ import annotations

import datetime as dt
import logging

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from anju.accounts.roles import Perm
from anju.core.access import in_scope, require_perm
from anju.core.exceptions import Conflict, NotFound, ValidationFailed
from anju.core.pagination import paginate
from anju.divisions.selectors import division_names
from anju.projects import reports_funds
from anju.projects.forms_funds import (
    AllocationForm,
    DeleteForm,
    FundFilterForm,
    MonthlyFilterForm,
    PaymentForm,
    ProgressForm,
    UnlockForm,
)
from anju.projects.models import STAGE_ORDER, Stage, Term
from anju.projects.money import fen_text, wan_text
from anju.projects.selectors import access_project, term_names
from anju.projects.selectors_funds import (
    access_allocation,
    access_payment,
    allocation_list,
    counties,
    list_total,
    monthly_status,
    payment_list,
    payment_shares,
    progress_reports,
    project_funds,
    project_sources,
    status_counts,
    unlock_list,
)
from anju.projects.services import funds as services
from anju.projects.services import progress as progress_services
from anju.projects.services.progress import add_months, month_label, month_lock, month_parse, month_text, percent_text
from anju.web.forms import form_error

ERRORS = (ValidationFailed, Conflict)
logger = logging.getLogger(__name__)


def _download(data: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type=reports_funds.XLSX)
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=filename)
    return response


def project_url(project) -> str | None:
    """The project's own page (the projects area), when it exists."""
    try:
        return reverse("projects_projects:detail", args=[project.pk])
    except NoReverseMatch:
        return None


def _place(project) -> str:
    names = division_names([project.division_code])
    parts = [names.get(project.division_code[:6].ljust(12, "0")), names.get(project.division_code[:9].ljust(12, "0")),
             names.get(project.division_code)]
    out = []
    for p in parts:
        if p and p not in out:
            out.append(p)
    return "".join(out) or project.division_code


# --- a project's funds -----------------------------------------------------------------------------------------

def _funds_page(request, project, *, allocation_form=None, payment_form=None, status=200):
    user = request.user
    can_edit = user.can(Perm.PROJECT_FUNDS) and in_scope(user, project.division_code, "entry")
    names = term_names(Term.Kind.FUND_SOURCE)
    allocations = list(allocation_list(actor=user, project=project).order_by("doc_date", "id"))
    payments = list(payment_list(actor=user, project=project).order_by("paid_on", "id"))
    for row in (*allocations, *payments):
        row.source_name = names.get(row.fund_source, row.fund_source)
        row.amount_text = fen_text(row.amount)
    sources = project_sources(project)
    can_allocate = can_edit and STAGE_ORDER[project.stage] >= STAGE_ORDER[Stage.REVIEWING] and project.stage != Stage.ARCHIVED
    return render(request, "projects/funds/project.html", {
        "project": project, "place": _place(project), "project_url": project_url(project), "summary": project_funds(project),
        "allocations": allocations, "payments": payments, "can_edit": can_edit, "can_allocate": can_allocate,
        "allocation_form": allocation_form or (AllocationForm() if can_allocate else None),
        "payment_form": payment_form or (PaymentForm(sources=sources) if can_edit and sources else None),
        "delete_form": DeleteForm(), "planned_text": fen_text(project.planned_investment)}, status=status)


@login_required
def project_funds_view(request, project_id: int):
    return _funds_page(request, access_project(request.user, project_id))


@login_required
@require_http_methods(["GET", "POST"])
def allocation_create(request, project_id: int):
    """POST records; GET (a link from the project page) shows the form on the project's funds page."""
    require_perm(request.user, Perm.PROJECT_FUNDS)
    project = access_project(request.user, project_id, kind="entry", perm=Perm.PROJECT_FUNDS)
    if request.method == "GET":
        return redirect(reverse("projects_funds:project", args=[project.pk]) + "#allocation-form")
    form = AllocationForm(request.POST)
    if form.is_valid():
        try:
            allocation = services.allocation_record(actor=request.user, project=project, **form.service_args())
        except ERRORS as exc:
            form_error(form, exc)
        else:
            messages.success(request, _("已登记资金下达 %(doc)s：%(amount)s 元") % {"doc": allocation.doc_number, "amount": fen_text(allocation.amount)})
            return redirect("projects_funds:project", project_id=project.pk)
    return _funds_page(request, project, allocation_form=form)


@login_required
@require_http_methods(["GET", "POST"])
def payment_create(request, project_id: int):
    """POST records; GET (a link from the project page) shows the form on the project's funds page."""
    require_perm(request.user, Perm.PROJECT_FUNDS)
    project = access_project(request.user, project_id, kind="entry", perm=Perm.PROJECT_FUNDS)
    if request.method == "GET":
        return redirect(reverse("projects_funds:project", args=[project.pk]) + "#payment-form")
    form = PaymentForm(request.POST, sources=project_sources(project))
    if form.is_valid():
        try:
            payment = services.payment_record(actor=request.user, project=project, **form.service_args())
        except ERRORS as exc:
            form_error(form, exc)
        else:
            messages.success(request, _("已登记支付 %(voucher)s：%(amount)s 元") % {"voucher": payment.voucher, "amount": fen_text(payment.amount)})
            return redirect("projects_funds:project", project_id=project.pk)
    return _funds_page(request, project, payment_form=form)


def _delete(request, obj, call, done: str):
    form = DeleteForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请填写删除原因"))
    else:
        try:
            call(actor=request.user, reason=form.cleaned_data["reason"])
        except ERRORS as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, done)
    return redirect("projects_funds:project", project_id=obj.project_id)


@login_required
@require_POST
def allocation_delete(request, allocation_id: int):
    require_perm(request.user, Perm.PROJECT_FUNDS)
    allocation = access_allocation(request.user, allocation_id, kind="entry", perm=Perm.PROJECT_FUNDS)
    return _delete(request, allocation, lambda **kw: services.allocation_delete(allocation=allocation, **kw),
                   _("已删除资金下达 %(doc)s") % {"doc": allocation.doc_number})


@login_required
@require_POST
def payment_delete(request, payment_id: int):
    require_perm(request.user, Perm.PROJECT_FUNDS)
    payment = access_payment(request.user, payment_id, kind="entry", perm=Perm.PROJECT_FUNDS)
    return _delete(request, payment, lambda **kw: services.payment_delete(payment=payment, **kw),
                   _("已删除支付 %(voucher)s") % {"voucher": payment.voucher})


# --- a project's progress --------------------------------------------------------------------------------------

def _default_month(project, today: dt.date) -> dt.date:
    """The month a clerk most likely reports now: last month while it is open, else this month."""
    last = add_months(today.replace(day=1), -1)
    return last if month_lock(project.division_code, last, today=today).open else today.replace(day=1)


def _progress_page(request, project, *, form=None, status=200):
    user = request.user
    today = dt.date.today()
    reports = progress_reports(project)
    locks: dict = {}
    for r in reports:
        locks.setdefault(r.month, month_lock(project.division_code, r.month, today=today))
        r.lock = locks[r.month]
        r.investment_text = fen_text(r.investment_completed)
        r.investment_wan = wan_text(r.investment_completed)
        r.month_text = month_text(r.month)
        r.bar = int(r.physical_percent)
    reporting = STAGE_ORDER[Stage.APPROVED] <= STAGE_ORDER[project.stage] < STAGE_ORDER[Stage.ARCHIVED]
    can_report = user.can(Perm.PROJECT_EDIT) and in_scope(user, project.division_code, "entry") and reporting
    if form is None and can_report:
        try:
            month = month_parse(request.GET.get("month")) if request.GET.get("month") else _default_month(project, today)
        except ValidationFailed:
            month = _default_month(project, today)
        existing = next((r for r in reports if r.month == month), None)
        initial = {"month": month_text(month), "unit": "wan", "actual_start": project.actual_start, "actual_completion": project.actual_completion}
        if existing:
            initial.update(physical_percent=existing.physical_percent, investment_completed=wan_text(existing.investment_completed, 6).replace(",", ""),
                           problems=existing.problems)
        form = ProgressForm(initial=initial)
    selected = None
    if form is not None:
        try:
            m = month_parse(form.data.get("month") if form.is_bound else form.initial.get("month"))
            selected = month_lock(project.division_code, m, today=today)
            selected.label = month_label(m)
        except ValidationFailed:
            selected = None
    chart_svg = _progress_chart(project, reports) if reports else ""
    return render(request, "projects/funds/progress.html", {
        "project": project, "place": _place(project), "project_url": project_url(project), "reports": reports, "form": form if can_report else None,
        "reporting": reporting, "selected": selected, "chart_svg": chart_svg, "funds": project_funds(project)}, status=status)


def _progress_chart(project, reports) -> str:
    """The physical progress by month with the cumulative payment share (paid ÷ allocated at each month's end); no chart
    rather than a failed page when matplotlib cannot draw."""
    months = [r.month for r in reversed(reports)]
    shares = payment_shares(project, months)
    try:
        from anju.projects.charts import progress_chart_svg

        return progress_chart_svg(months, [r.physical_percent for r in reversed(reports)], shares)
    except Exception:  # noqa: BLE001  (a chart is decoration: the table below carries the figures)
        logger.exception("progress chart")
        return ""


@login_required
def project_progress_view(request, project_id: int):
    return _progress_page(request, access_project(request.user, project_id))


@login_required
@require_POST
def progress_report_view(request, project_id: int):
    require_perm(request.user, Perm.PROJECT_EDIT)
    project = access_project(request.user, project_id, kind="entry", perm=Perm.PROJECT_EDIT)
    form = ProgressForm(request.POST)
    if form.is_valid():
        try:
            report = progress_services.progress_report(actor=request.user, project=project, **form.service_args())
        except ERRORS as exc:
            form_error(form, exc)
        else:
            messages.success(request, _("已保存 %(month)s 的进度：%(percent)s%%") % {"month": month_label(report.month),
                                                                              "percent": percent_text(report.physical_percent)})
            return redirect("projects_funds:progress", project_id=project.pk)
    return _progress_page(request, project, form=form)


# --- the monthly reporting status ------------------------------------------------------------------------------

@login_required
def monthly_view(request):
    require_perm(request.user, Perm.PROJECT_VIEW)
    today = dt.date.today()
    scope_counties = counties(request.user)
    form = MonthlyFilterForm(request.GET or None, counties=scope_counties)
    data = form.cleaned_data if form.is_valid() else {}
    month = add_months(today.replace(day=1), -1)  # by default the month being reported now
    if data.get("month"):
        try:
            month = month_parse(data["month"])
        except ValidationFailed as exc:
            form_error(form, exc)
    rows = monthly_status(actor=request.user, month=month, county=data.get("county") or "", today=today)
    counts = status_counts(rows)
    state = data.get("state") or ""
    shown = [r for r in rows if r.state == state] if state else rows
    page = paginate(request, shown)
    can_report = request.user.can(Perm.PROJECT_EDIT)
    for r in page:
        r.can_report = can_report and in_scope(request.user, r.project.division_code, "entry") and r.lock != "locked"
    locks = {}
    for r in rows:
        locks.setdefault(r.county_code, r)
    return render(request, "projects/funds/monthly.html", {
        "form": form, "page": page, "month": month, "month_label": month_label(month), "month_text": month_text(month), "counts": counts,
        "county_locks": sorted(locks.values(), key=lambda r: r.county_code),
        "can_unlock": request.user.can(Perm.PROJECT_REVIEW) and len(request.user.entry_prefix) <= 4})


# --- unlocks ---------------------------------------------------------------------------------------------------

def _unlocks_page(request, form=None, status=200):
    user = request.user
    can_unlock = user.can(Perm.PROJECT_REVIEW) and len(user.entry_prefix) <= 4
    page = paginate(request, unlock_list(actor=user))
    names = division_names({u.division_code for u in page})
    today = dt.date.today()
    for u in page:
        u.county_name = names.get(u.division_code, u.division_code[:6])
        u.month_label = month_label(u.month)
        u.active = u.until >= today
    if form is None and can_unlock:
        initial = {"month": month_text(add_months(today.replace(day=1), -1))}
        if request.GET.get("county"):
            initial["county"] = request.GET["county"]
        if request.GET.get("month"):
            initial["month"] = request.GET["month"]
        form = UnlockForm(initial=initial, counties=counties(user, kind="entry"))
    return render(request, "projects/funds/unlocks.html", {"page": page, "form": form if can_unlock else None}, status=status)


@login_required
def unlocks_view(request):
    require_perm(request.user, Perm.PROJECT_VIEW)
    return _unlocks_page(request)


@login_required
@require_POST
def unlock_create(request):
    require_perm(request.user, Perm.PROJECT_REVIEW)
    form = UnlockForm(request.POST, counties=counties(request.user, kind="entry"))
    if form.is_valid():
        d = form.cleaned_data
        try:
            unlock = progress_services.progress_unlock(actor=request.user, county_code=d["county"], month=d["month"], until=d["until"],
                                                       reason=d["reason"])
        except (*ERRORS, NotFound) as exc:
            form_error(form, exc)
        else:
            messages.success(request, _("已解锁 %(county)s %(month)s 的进度填报，开放至 %(until)s") % {
                "county": d["county"], "month": month_label(unlock.month), "until": unlock.until.isoformat()})
            return redirect("projects_funds:unlocks")
    return _unlocks_page(request, form)


# --- allocation and payment lists ------------------------------------------------------------------------------

def _list_page(request, kind: str):
    require_perm(request.user, Perm.PROJECT_VIEW)
    form = FundFilterForm(request.GET or None, counties=counties(request.user))
    filters = form.filters()
    qs = (allocation_list if kind == "allocations" else payment_list)(actor=request.user, **filters)
    page = paginate(request, qs)
    names = term_names(Term.Kind.FUND_SOURCE)
    places = division_names({row.division_code for row in page})
    for row in page:
        row.source_name = names.get(row.fund_source, row.fund_source)
        row.amount_text = fen_text(row.amount)
        row.county_name = places.get(row.division_code[:6].ljust(12, "0"), row.division_code[:6])
    return render(request, f"projects/funds/{kind}.html", {"form": form, "page": page, "total": list_total(qs),
                                                           "query": request.GET.urlencode()})


@login_required
def allocations_view(request):
    return _list_page(request, "allocations")


@login_required
def payments_view(request):
    return _list_page(request, "payments")


@login_required
def allocations_export_view(request):
    require_perm(request.user, Perm.PROJECT_VIEW)
    form = FundFilterForm(request.GET or None, counties=counties(request.user))
    return _download(*reports_funds.allocations_export(actor=request.user, **form.filters()))


@login_required
def payments_export_view(request):
    require_perm(request.user, Perm.PROJECT_VIEW)
    form = FundFilterForm(request.GET or None, counties=counties(request.user))
    return _download(*reports_funds.payments_export(actor=request.user, **form.filters()))

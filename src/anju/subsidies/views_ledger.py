"""Ledger pages: recoveries (list, detection as a job, detail with repayments and write-off), a batch's reconciliation,
the per-person ledger, the fund summary, the annual report and the printed lists of a batch."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ObjectDoesNotExist
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from anju.accounts.roles import Perm
from anju.core.access import require_perm
from anju.core.exceptions import Conflict, ValidationFailed
from anju.core.jobs import job_submit
from anju.core.pagination import paginate
from anju.divisions.selectors import division_names
from anju.registry.selectors import access_person, person_search
from anju.subsidies import (
    jobs_ledger,  # noqa: F401  (registers the job kinds the pages submit)
    reports,
    reports_funds,
)
from anju.subsidies.forms_ledger import (
    AnnualReportForm,
    DetectForm,
    FundFilterForm,
    LedgerSearchForm,
    PostingForm,
    RecoveryFilterForm,
    RepaymentForm,
    WaiveForm,
)
from anju.subsidies.months import fen_text
from anju.subsidies.selectors import access_batch
from anju.subsidies.selectors_ledger import (
    access_recovery,
    batch_ledger_actions,
    batch_part,
    fund_summary,
    person_ledger,
    recovery_actions,
    recovery_list,
    recovery_repayments,
    recovery_totals,
)
from anju.subsidies.services import reconcile, recoveries
from anju.web.forms import form_error


def _download(data: bytes, filename: str, content_type: str) -> HttpResponse:
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=filename)
    return response


def _yuan(totals: dict) -> dict:
    return {k: fen_text(v) if isinstance(v, int) and k != "count" else v for k, v in totals.items()}


# --- recoveries ----------------------------------------------------------------------------------------------------

@login_required
def recovery_index(request):
    form = RecoveryFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    qs = recovery_list(actor=request.user, state=filters.get("state") or "", county=filters.get("county") or "", year=filters.get("year"),
                       q=filters.get("q") or "")
    page = paginate(request, qs)
    names = division_names({r.division_code for r in page})
    for r in page:
        r.village_name = names.get(r.division_code, r.division_code)
        _decorate_recovery(r)
    return render(request, "subsidies/ledger/recoveries.html", {
        "form": form, "page": page, "totals": _yuan(recovery_totals(qs)),
        "detect_form": DetectForm(actor=request.user) if request.user.can(Perm.RECOVERY_MANAGE) else None})


@login_required
@require_POST
def recovery_detect_view(request):
    require_perm(request.user, Perm.RECOVERY_MANAGE)
    form = DetectForm(request.POST, actor=request.user)
    if not form.is_valid():
        messages.error(request, _("请选择查找范围"))
        return redirect("subsidies_ledger:recoveries")
    scope = recoveries.recoveries_detect_check(actor=request.user, scope_prefix=form.cleaned_data["scope"])
    job = job_submit(actor=request.user, kind="subsidies.recoveries.detect", division_code=scope.ljust(12, "0"), params={"scope": scope})
    return redirect("jobs:detail", job_id=job.pk)


def _decorate_recovery(r) -> None:
    r.outstanding = r.amount - r.recovered if r.state in recoveries.OPEN_STATES else 0
    r.amount_yuan, r.recovered_yuan, r.outstanding_yuan = fen_text(r.amount), fen_text(r.recovered), fen_text(r.outstanding)


def _recovery_page(request, recovery, repay_form=None, waive_form=None):
    _decorate_recovery(recovery)
    names = division_names([recovery.division_code])
    repayments = recovery_repayments(recovery)
    for p in repayments:
        p.amount_yuan = fen_text(p.amount)
    return render(request, "subsidies/ledger/recovery.html", {
        "r": recovery, "village": names.get(recovery.division_code, recovery.division_code), "repayments": repayments,
        "item_yuan": fen_text(recovery.item.amount),
        "actions": recovery_actions(request.user, recovery), "repay_form": repay_form or RepaymentForm(),
        "waive_form": waive_form or WaiveForm()})


@login_required
def recovery_detail(request, recovery_id: int):
    return _recovery_page(request, access_recovery(request.user, recovery_id))


@login_required
@require_POST
def recovery_repay_view(request, recovery_id: int):
    require_perm(request.user, Perm.RECOVERY_MANAGE)
    recovery = access_recovery(request.user, recovery_id)
    form = RepaymentForm(request.POST)
    if form.is_valid():
        d = form.cleaned_data
        try:
            recoveries.repayment_record(actor=request.user, recovery=recovery, amount=d["amount"], paid_on=d["paid_on"], method=d["method"],
                                        receipt=d["receipt"], note=d["note"])
        except Conflict as exc:  # no longer open: the form is gone from the page, say it above
            messages.error(request, exc.message)
            return redirect("subsidies_ledger:recovery", recovery_id=recovery.pk)
        except ValidationFailed as exc:
            form_error(form, exc)
        else:
            messages.success(request, _("已登记还款 %(yuan)s 元") % {"yuan": fen_text(d["amount"])})
            return redirect("subsidies_ledger:recovery", recovery_id=recovery.pk)
    return _recovery_page(request, recovery, repay_form=form)


@login_required
@require_POST
def recovery_waive_view(request, recovery_id: int):
    require_perm(request.user, Perm.SUBSIDY_REVIEW)
    recovery = access_recovery(request.user, recovery_id)
    form = WaiveForm(request.POST)
    if form.is_valid():
        try:
            recoveries.recovery_waive(actor=request.user, recovery=recovery, reason=form.cleaned_data["reason"])
        except Conflict as exc:
            messages.error(request, exc.message)
            return redirect("subsidies_ledger:recovery", recovery_id=recovery.pk)
        except ValidationFailed as exc:
            form_error(form, exc)
        else:
            messages.success(request, _("已核销"))
            return redirect("subsidies_ledger:recovery", recovery_id=recovery.pk)
    return _recovery_page(request, recovery, waive_form=form)


# --- batch reconciliation and printed lists ---------------------------------------------------------------------------

@login_required
def reconciliation_view(request, batch_id: int):
    batch = access_batch(request.user, batch_id)
    rec = reconcile.batch_reconciliation(batch, part=batch_part(request.user, batch))
    names = division_names([batch.division_code])
    return render(request, "subsidies/ledger/reconciliation.html", {
        "batch": batch, "rec": rec, "county_name": names.get(batch.division_code, batch.division_code),
        "actions": batch_ledger_actions(request.user, batch), "part": batch_part(request.user, batch),
        "bank": {k: fen_text(v) for k, v in rec.bank.items()}})


@login_required
@require_POST
def reconcile_view(request, batch_id: int):
    require_perm(request.user, Perm.SUBSIDY_RUN)
    batch = access_batch(request.user, batch_id)
    try:
        reconcile.batch_reconcile(actor=request.user, batch=batch)
    except Conflict as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已对账确认"))
    return redirect("subsidies_ledger:reconciliation", batch_id=batch.pk)


def _posting(request, batch_id: int, fmt: str) -> HttpResponse:
    batch = access_batch(request.user, batch_id)
    form = PostingForm(request.GET or None)
    division = form.cleaned_data["division"] if form.is_valid() else ""
    return _download(*reports.batch_posting_export(actor=request.user, batch=batch, fmt=fmt, division=division))


@login_required
def posting_xlsx_view(request, batch_id: int):
    return _posting(request, batch_id, "xlsx")


@login_required
def posting_pdf_view(request, batch_id: int):
    return _posting(request, batch_id, "pdf")


@login_required
def batch_summary_view(request, batch_id: int):
    batch = access_batch(request.user, batch_id)
    data, name = reports.batch_summary_export(actor=request.user, batch=batch)
    return _download(data, name, reports.XLSX)


def _has_recovery(item) -> bool:
    try:
        item.recovery  # noqa: B018  (select_related: no query)
    except ObjectDoesNotExist:
        return False
    return True


# --- the per-person ledger -------------------------------------------------------------------------------------------

@login_required
def ledger_index(request):
    require_perm(request.user, Perm.SUBSIDY_VIEW)
    form = LedgerSearchForm(request.GET or None)
    page = None
    if form.is_bound and form.is_valid() and form.cleaned_data["q"]:
        try:
            results = person_search(actor=request.user, q=form.cleaned_data["q"], program="reservoir")
        except ValidationFailed as exc:
            form_error(form, exc)
        else:
            page = paginate(request, results)
    return render(request, "subsidies/ledger/ledger_search.html", {"form": form, "page": page})


@login_required
def ledger_person(request, person_id: int):
    require_perm(request.user, Perm.SUBSIDY_VIEW)
    person = access_person(request.user, person_id)
    ledger = person_ledger(actor=request.user, person=person)
    names = division_names({person.division_code, *(i.division_code for i in ledger.items)})
    for i in ledger.items:
        i.village_name = names.get(i.division_code, i.division_code)
        i.amount_yuan = fen_text(i.amount)
        i.recovery_ref = i.recovery if _has_recovery(i) else None
        if i.recovery_ref is not None:
            i.recovery_ref.amount_yuan = fen_text(i.recovery_ref.amount)
    return render(request, "subsidies/ledger/person.html", {
        "person": person, "ledger": ledger, "village": names.get(person.division_code, person.division_code)})


# --- funds and reports ------------------------------------------------------------------------------------------------

@login_required
def funds_view(request):
    form = FundFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    summary = fund_summary(actor=request.user, year=filters.get("year"), county=filters.get("county") or "",
                           fund_source=filters.get("fund_source") or "")
    return render(request, "subsidies/ledger/funds.html", {"form": form, "summary": summary, "query": request.GET.urlencode()})


@login_required
def funds_export_view(request):
    form = FundFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    data, name = reports_funds.fund_summary_export(actor=request.user, year=filters.get("year"), county=filters.get("county") or "",
                                                   fund_source=filters.get("fund_source") or "")
    return _download(data, name, reports_funds.XLSX)


@login_required
def reports_view(request):
    require_perm(request.user, Perm.SUBSIDY_VIEW)
    form = AnnualReportForm(request.GET or None, actor=request.user)
    if form.is_bound and form.is_valid():
        d = form.cleaned_data
        try:
            return _download(*reports_funds.annual_report_export(actor=request.user, year=d["year"], scope=d["scope"], fmt=d["format"]))
        except ValidationFailed as exc:
            form_error(form, exc)
    return render(request, "subsidies/ledger/reports.html", {"form": form})

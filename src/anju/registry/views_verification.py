"""Verification pages: the list in scope, the run form, one verification with its counts and changes, sign-off, exports."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from anju.accounts.roles import Perm
from anju.core.access import require_perm
from anju.core.exceptions import Conflict, ValidationFailed
from anju.core.jobs import job_submit
from anju.core.pagination import paginate
from anju.divisions.selectors import division_names
from anju.registry import jobs_verification  # noqa: F401  (registers the job kinds the pages submit)
from anju.registry.forms_verification import ChangeFilterForm, ReopenForm, RosterExportForm, VerificationFilterForm, VerificationRunForm
from anju.registry.models import Enrolment
from anju.registry.reports_verification import document_title
from anju.registry.selectors_verification import (
    access_verification,
    verification_actions,
    verification_changes,
    verification_entries,
    verification_list,
    verification_summary,
)
from anju.registry.services import verification as services
from anju.web.forms import form_error

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@login_required
def verification_index(request):
    form = VerificationFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    qs = verification_list(actor=request.user, year=filters.get("year"), program=filters.get("program") or "",
                           state=filters.get("state") or "")
    page = paginate(request, qs)
    names = division_names({v.division_code for v in page})
    for v in page:
        v.county_name = names.get(v.division_code, v.division_code)
    return render(request, "registry/verification/list.html", {
        "form": form, "page": page, "can_run": request.user.can(Perm.VERIFICATION_RUN)})


@login_required
@require_http_methods(["GET", "POST"])
def verification_run_view(request):
    require_perm(request.user, Perm.VERIFICATION_RUN)
    form = VerificationRunForm(request.POST or None, actor=request.user)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            county = services.verification_run_check(actor=request.user, year=d["year"], program=d["program"], county_code=d["county"])
        except (ValidationFailed, Conflict) as exc:
            form_error(form, exc)
        else:
            job = job_submit(actor=request.user, kind="registry.verification.run", division_code=county.code,
                             params={"year": d["year"], "program": d["program"], "county": county.prefix})
            return redirect("jobs:detail", job_id=job.pk)
    return render(request, "registry/verification/run.html", {"form": form})


def _change_rows(changes, names: dict) -> list[dict]:
    """Changes with their detail in words: field labels, old → new, village names and choice labels."""
    choices = {"category": dict(Enrolment.Category.choices), "support_mode": dict(Enrolment.SupportMode.choices)}
    rows = []
    for c in changes:
        fields = []
        for f in (c.detail or {}).get("fields", []):
            old, new = f.get("old", ""), f.get("new", "")
            if f["field"] == "village":
                old, new = names.get(old, old), names.get(new, new)
            elif f["field"] in choices:
                old, new = choices[f["field"]].get(old, old), choices[f["field"]].get(new, new)
            fields.append({"label": services.COMPARED.get(f["field"], f["field"]), "old": old, "new": new,
                           "values": "old" in f or "new" in f})
        rows.append({"change": c, "fields": fields, "village": names.get(c.division_code, c.division_code)})
    return rows


@login_required
def verification_detail(request, verification_id: int):
    v = access_verification(request.user, verification_id)
    summary = verification_summary(actor=request.user, verification=v)
    form = ChangeFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    changes = verification_changes(actor=request.user, verification=v, kind=filters.get("kind") or "",
                                   division=filters.get("division") or "", q=filters.get("q") or "")
    page = paginate(request, changes)
    names = division_names({c.division_code for c in page} | {f.get(k, "") for c in page for f in (c.detail or {}).get("fields", [])
                                                              if f["field"] == "village" for k in ("old", "new")})
    counts = v.counts or {}
    reasons = {kind: [(services.reason_label(code), n) for code, n in (counts.get("reasons") or {}).get(kind, {}).items()]
               for kind in ("added", "removed")}
    fields = [(services.COMPARED.get(f, f), n) for f, n in (counts.get("fields") or {}).items()]
    return render(request, "registry/verification/detail.html", {
        "v": v, "summary": summary, "form": form, "page": page, "rows": _change_rows(page, names), "reasons": reasons,
        "fields": fields, "actions": verification_actions(request.user, v), "reopen_form": ReopenForm(),
        "export_form": RosterExportForm(), "reopened": counts.get("reopened"),
    })


@login_required
def verification_entries_view(request, verification_id: int):
    v = access_verification(request.user, verification_id)
    form = ChangeFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    page = paginate(request, verification_entries(actor=request.user, verification=v, division=filters.get("division") or "",
                                                  q=filters.get("q") or ""))
    names = division_names({e.division_code for e in page})
    for e in page:
        e.village_name = names.get(e.division_code, e.division_code)
    return render(request, "registry/verification/entries.html", {"v": v, "form": form, "page": page})


def _transition(request, verification_id: int, action) -> HttpResponse:
    """Run a sign-off service; a state conflict or missing reason is a message on the detail page, a 403/404 stays one."""
    v = access_verification(request.user, verification_id)
    try:
        action(v)
    except (Conflict, ValidationFailed) as exc:
        messages.error(request, exc.message)
    return redirect("registry_verification:detail", verification_id=v.pk)


@login_required
@require_POST
def verification_sign_county_view(request, verification_id: int):
    def sign(v):
        services.verification_sign_county(actor=request.user, verification=v)
        messages.success(request, _("已县级确认，等待市级确认"))

    return _transition(request, verification_id, sign)


@login_required
@require_POST
def verification_sign_city_view(request, verification_id: int):
    def sign(v):
        services.verification_sign_city(actor=request.user, verification=v)
        messages.success(request, _("已市级确认，核定名单已锁定"))

    return _transition(request, verification_id, sign)


@login_required
@require_POST
def verification_reopen_view(request, verification_id: int):
    form = ReopenForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""

    def reopen(v):
        services.verification_reopen(actor=request.user, verification=v, reason=reason)
        messages.success(request, _("已退回县级重新核定"))

    return _transition(request, verification_id, reopen)


@login_required
@require_POST
def verification_roster_view(request, verification_id: int):
    v = access_verification(request.user, verification_id)
    form = RosterExportForm(request.POST)
    unmasked = bool(form.is_valid() and form.cleaned_data["unmasked"])
    services.verification_roster_check(actor=request.user, verification=v, unmasked=unmasked)
    job = job_submit(actor=request.user, kind="registry.verification.roster", division_code=v.division_code,
                     params={"verification": v.pk, "unmasked": unmasked})
    return redirect("jobs:detail", job_id=job.pk)


def _download(data: bytes, filename: str, content_type: str) -> HttpResponse:
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=filename)
    return response


def _title(v, kind: str) -> str:
    return document_title(v, division_names([v.division_code]).get(v.division_code, v.division_code), kind)


@login_required
def verification_summary_view(request, verification_id: int):
    v = access_verification(request.user, verification_id)
    data = services.verification_export_summary(actor=request.user, verification=v)
    return _download(data, _title(v, _("核定汇总表")) + ".xlsx", XLSX)


@login_required
def verification_report_view(request, verification_id: int):
    v = access_verification(request.user, verification_id)
    data = services.verification_export_report(actor=request.user, verification=v)
    return _download(data, _title(v, _("核定报告")) + ".docx", DOCX)


"""Pages of the relocation steps: per-site progress (with its Excel), the household list, a household's timeline, the
form to record its next step, undoing the last step, and audited evidence downloads."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import FileResponse, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from anju.accounts.roles import Perm
from anju.core.access import in_scope, require_perm
from anju.core.audit import audit_record
from anju.core.exceptions import ApplicationError
from anju.core.pagination import paginate
from anju.core.uploads import read_upload
from anju.divisions.selectors import division_names
from anju.relocation import forms_steps as forms
from anju.relocation import selectors_steps as sel
from anju.relocation.reports_steps import progress_xlsx
from anju.relocation.selectors_common import access_relocated_household
from anju.relocation.services import steps as svc
from anju.web.forms import form_error

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _progress_filters(request):
    form = forms.ProgressFilterForm(request.GET or None, actor=request.user)
    f = form.cleaned_data if form.is_valid() else {}
    return form, {"scope": f.get("scope") or None, "site": f.get("site"), "year": f.get("year")}


@login_required
def progress(request):
    require_perm(request.user, Perm.RELOCATION_VIEW)
    form, filters = _progress_filters(request)
    try:
        result = sel.step_progress(actor=request.user, **filters)
    except ApplicationError as exc:
        form_error(form, exc)
        result = sel.step_progress(actor=request.user)
    return render(request, "relocation/steps/progress.html", {"form": form, "progress": result, "query": request.GET.urlencode(),
                                                              "steps": [(s.value, s.label) for s in sel.Step]})


@login_required
def progress_export(request):
    require_perm(request.user, Perm.RELOCATION_VIEW)
    _form, filters = _progress_filters(request)
    result = sel.step_progress(actor=request.user, **filters)
    prefix = sel.check_view_scope(request.user, filters["scope"])
    title = _("搬迁进度统计（%(date)s）") % {"date": dt.date.today().isoformat()}
    data = progress_xlsx(result, title=title)
    with transaction.atomic():
        audit_record(actor=request.user, action="relocation.step.progress_exported", object_type="relocation_progress",
                     division_code=prefix.ljust(12, "0"), after={**filters, "rows": len(result.rows)})
    response = HttpResponse(data, content_type=XLSX)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{_quote(_('搬迁进度') + dt.date.today().strftime('%Y%m%d'))}.xlsx"
    return response


def _quote(text: str) -> str:
    from urllib.parse import quote

    return quote(text)


@login_required
def household_index(request):
    require_perm(request.user, Perm.RELOCATION_VIEW)
    form = forms.HouseholdFilterForm(request.GET or None, actor=request.user)
    f = form.cleaned_data if form.is_valid() else {}
    try:
        qs = sel.household_list(actor=request.user, scope=f.get("scope") or None, step=f.get("step") or "", site=f.get("site"),
                                q=f.get("q") or "")
    except ApplicationError as exc:
        form_error(form, exc)
        qs = sel.household_list(actor=request.user)
    page = paginate(request, qs)
    names = division_names({h.division_code for h in page.object_list})
    for h in page.object_list:
        h.village = names.get(h.division_code, h.division_code)
        h.reloc = getattr(h, "relocation", None)  # None when not started (the reverse one-to-one raises AttributeError)
    return render(request, "relocation/steps/households.html", {"form": form, "page": page})


def _household_page(request, household, *, form=None, undo_form=None, status=200):
    data = sel.household_steps(actor=request.user, household=household)
    can_edit = request.user.can(Perm.RELOCATION_EDIT) and in_scope(request.user, household.division_code, "entry")
    names = division_names([household.division_code])
    return render(request, "relocation/steps/household.html", {
        "h": household, "data": data, "can_edit": can_edit, "village": names.get(household.division_code, household.division_code),
        "undo_form": undo_form or forms.UndoForm(), "next_label": sel.Step(data.next_step).label if data.next_step else ""},
        status=status)


@login_required
def household(request, household_id: int):
    return _household_page(request, access_relocated_household(request.user, household_id))


@login_required
@require_http_methods(["GET", "POST"])
def record(request, household_id: int):
    require_perm(request.user, Perm.RELOCATION_EDIT)
    h = access_relocated_household(request.user, household_id, kind="entry")
    data = sel.household_steps(actor=request.user, household=h)
    if data.next_step is None:
        messages.info(request, _("该户搬迁环节已全部完成"))
        return redirect("relocation_steps:household", household_id=h.pk)
    form = forms.StepForm(request.POST or None, request.FILES or None, actor=request.user, next_step=data.next_step,
                          initial={"on": dt.date.today(), "step": data.next_step})
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data.get("file")
        evidence = {"evidence_name": upload.name, "evidence_data": read_upload(upload, svc.MAX_EVIDENCE_BYTES)} if upload else {}
        try:
            row = svc.step_record(actor=request.user, household=h, **form.service_kwargs(), **evidence)
        except ApplicationError as exc:
            field = exc.detail.get("field") if isinstance(exc.detail, dict) else None
            form.add_error(field if field in form.fields else None, exc.message)
        else:
            messages.success(request, _("已登记“%(step)s”") % {"step": row.get_step_display()})
            return redirect("relocation_steps:household", household_id=h.pk)
    return render(request, "relocation/steps/record_form.html", {"h": h, "data": data, "form": form,
                                                                 "next_label": sel.Step(data.next_step).label})


@login_required
@require_POST
def undo(request, household_id: int):
    require_perm(request.user, Perm.RELOCATION_EDIT)
    h = access_relocated_household(request.user, household_id, kind="entry")
    form = forms.UndoForm(request.POST)
    if not form.is_valid():
        messages.error(request, svc.MSG_REASON_REQUIRED)
    else:
        try:
            svc.step_undo(actor=request.user, household=h, reason=form.cleaned_data["reason"])
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("已撤销最后一个环节"))
    return redirect("relocation_steps:household", household_id=h.pk)


@login_required
def evidence(request, step_id: int):
    step = sel.access_step(request.user, step_id)
    path = svc.evidence_open(actor=request.user, step=step)
    return FileResponse(open(path, "rb"), as_attachment=True, filename=step.evidence_name,  # noqa: SIM115 (FileResponse closes it)
                        content_type=svc.evidence_content_type(step))

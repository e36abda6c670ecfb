"""Cross-check pages: batches, upload a department's list, a batch's matches (confirm / dismiss) and unmatched rows,
and the duplicate report with its Excel export."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from anju.accounts.roles import Perm
from anju.core.access import in_scope, require_perm
from anju.core.exceptions import ApplicationError
from anju.core.pagination import paginate
from anju.registry.forms_crosschecks import (
    SOURCE_SUGGESTIONS,
    CrossCheckFilterForm,
    CrossCheckUploadForm,
    DismissForm,
    DuplicatesFilterForm,
    MatchFilterForm,
)
from anju.registry.jobs_crosschecks import crosscheck_submit
from anju.registry.models import CrossCheckMatch
from anju.registry.selectors_crosschecks import (
    access_crosscheck_batch,
    access_crosscheck_match,
    batch_problem_rows,
    batch_unmatched_rows,
    covers_batch,
    crosscheck_batch_list,
    crosscheck_match_list,
    match_note,
)
from anju.registry.services.crosschecks import (
    DUPLICATE_KINDS,
    crosscheck_match_confirm,
    crosscheck_match_dismiss,
    crosscheck_run,
    duplicates_export,
    duplicates_report,
    summary,
)
from anju.web.forms import form_error

INLINE_BYTES = 2 * 1024 * 1024  # lists up to this size are matched while the page waits; larger ones run as a job



@login_required
def crosscheck_index(request):
    form = CrossCheckFilterForm(request.GET or None)
    kind = form.cleaned_data.get("kind", "") if form.is_valid() else ""
    page = paginate(request, crosscheck_batch_list(actor=request.user, kind=kind))
    return render(request, "registry/crosschecks/list.html", {
        "form": form, "page": page, "can_run": request.user.can(Perm.CROSSCHECK_RUN)})


@login_required
@require_http_methods(["GET", "POST"])
def crosscheck_new(request):
    require_perm(request.user, Perm.CROSSCHECK_RUN)
    form = CrossCheckUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        upload = d["file"]
        try:
            if upload.size > INLINE_BYTES:
                job = crosscheck_submit(actor=request.user, kind=d["kind"], source=d["source"], as_of=d["as_of"], uploaded=upload)
                return redirect("jobs:detail", job_id=job.pk)
            batch = crosscheck_run(actor=request.user, kind=d["kind"], source=d["source"], as_of=d["as_of"],
                                   path_or_file=upload, filename=upload.name)
        except ApplicationError as exc:
            form_error(form, exc)
        else:
            c = batch.counts
            messages.success(request, _("比对完成：%(rows)s 行，匹配 %(matched_rows)s 行（%(persons)s 人），未匹配 %(unmatched)s 行；"
                                        "新建变更申请 %(requests_created)s 件，关联已有申请 %(requests_linked)s 件") % c)
            return redirect("registry_crosschecks:detail", batch_id=batch.pk)
    return render(request, "registry/crosschecks/new.html", {"form": form, "sources": SOURCE_SUGGESTIONS})


@login_required
def crosscheck_detail(request, batch_id: int):
    batch = access_crosscheck_batch(request.user, batch_id)
    form = MatchFilterForm(request.GET or None)
    state = form.cleaned_data.get("state", "") if form.is_valid() else ""
    page = paginate(request, crosscheck_match_list(actor=request.user, batch=batch, state=state))
    can_submit = request.user.can(Perm.REQUEST_SUBMIT)
    for m in page:
        m.note = match_note(batch, m)
        m.can_decide = can_submit and m.state == CrossCheckMatch.State.SUGGESTED and in_scope(request.user, m.division_code, kind="entry")
    return render(request, "registry/crosschecks/detail.html", {
        "batch": batch, "counts": summary(batch.counts), "page": page, "form": form, "dismiss_form": DismissForm(),
        "covers": covers_batch(request.user, batch), "unmatched": batch_unmatched_rows(request.user, batch),
        "problems": batch_problem_rows(request.user, batch),
    })


def _back_to_batch(match: CrossCheckMatch):
    return redirect("registry_crosschecks:detail", batch_id=match.batch_id)


@login_required
@require_POST
def match_confirm(request, match_id: int):
    match = access_crosscheck_match(request.user, match_id)
    try:
        crosscheck_match_confirm(actor=request.user, match=match)
    except ApplicationError as exc:
        if exc.status in (401, 403, 404):
            raise
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已确认 %(name)s（第 %(row)s 行）") % {"name": match.name, "row": match.row})
    return _back_to_batch(match)


@login_required
@require_POST
def match_dismiss(request, match_id: int):
    match = access_crosscheck_match(request.user, match_id)
    form = DismissForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请填写排除理由"))
        return _back_to_batch(match)
    try:
        crosscheck_match_dismiss(actor=request.user, match=match, reason=form.cleaned_data["reason"])
    except ApplicationError as exc:
        if exc.status in (401, 403, 404):
            raise
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已排除 %(name)s（第 %(row)s 行）") % {"name": match.name, "row": match.row})
    return _back_to_batch(match)


@login_required
def duplicates(request):
    form = DuplicatesFilterForm(request.GET or None)
    program = form.cleaned_data.get("program", "") if form.is_valid() else ""
    report = duplicates_report(actor=request.user, program=program or None)
    sections = [{"kind": k, "label": label, "groups": report["groups"][k], "count": report["counts"][k],
                 "truncated": report["truncated"][k]} for k, label in DUPLICATE_KINDS.items()]
    return render(request, "registry/crosschecks/duplicates.html", {
        "form": form, "sections": sections, "program": program, "can_export": request.user.can(Perm.REGISTRY_EXPORT)})


@login_required
@require_POST
def duplicates_download(request):
    form = DuplicatesFilterForm(request.POST)
    program = form.cleaned_data.get("program", "") if form.is_valid() else ""
    data, _counts = duplicates_export(actor=request.user, program=program or None)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    response = HttpResponse(data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="duplicates-{stamp}.xlsx"'
    return response

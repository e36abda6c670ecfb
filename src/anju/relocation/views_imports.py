"""Relocation import pages: upload (a job with live progress on the core job page), past imports with their row errors,
error workbooks and the templates of each kind."""

from __future__ import annotations

import tempfile
from pathlib import Path

from django.contrib.auth.decorators import login_required
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from anju.core.exceptions import ApplicationError
from anju.core.pagination import paginate
from anju.relocation.forms_imports import RelocationImportForm
from anju.relocation.imports import KIND_LABELS, KINDS, SPECS
from anju.relocation.jobs_imports import relocation_import_submit
from anju.relocation.selectors_imports import (
    access_relocation_import_batch,
    batch_kind_label,
    importable_kinds,
    relocation_import_batch_list,
    relocation_import_errors_file,
    relocation_import_template,
    require_importer,
)
from anju.web.forms import form_error

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@login_required
@require_http_methods(["GET", "POST"])
def import_index(request):
    user = request.user
    require_importer(user)
    kinds = importable_kinds(user)
    initial = request.GET.get("kind") if request.GET.get("kind") in kinds else kinds[0]
    form = RelocationImportForm(request.POST or None, request.FILES or None, kinds=kinds, initial={"kind": initial})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            job = relocation_import_submit(actor=user, kind=data["kind"], mode=data["mode"], uploaded=data["file"])
        except ApplicationError as exc:
            form_error(form, exc)
        else:
            return redirect("jobs:detail", job_id=job.pk)
    page = paginate(request, relocation_import_batch_list(actor=user))
    for batch in page:
        batch.kind_label = batch_kind_label(batch)
    templates = [(k, KIND_LABELS[k], SPECS[k]) for k in KINDS]
    return render(request, "relocation/imports/index.html", {"form": form, "page": page, "templates": templates},
                  status=422 if request.method == "POST" else 200)


@login_required
def import_template(request, kind: str):
    path, name = relocation_import_template(actor=request.user, kind=kind, folder=Path(tempfile.mkdtemp(prefix="anju-template-")))
    return FileResponse(open(path, "rb"), as_attachment=True, filename=name, content_type=XLSX)  # noqa: SIM115 (FileResponse closes it)


@login_required
def import_batch(request, batch_id: int):
    batch = access_relocation_import_batch(request.user, batch_id)
    batch.kind_label = batch_kind_label(batch)
    result = batch.job.result if batch.job is not None and isinstance(batch.job.result, dict) else {}
    return render(request, "relocation/imports/batch.html", {
        "batch": batch, "errors": result.get("errors") or [], "error_count": result.get("error_count", 0),
        "warnings": result.get("warnings") or [], "signals": result.get("signals", 0)})


@login_required
def import_errors(request, batch_id: int):
    path = relocation_import_errors_file(request.user, batch_id)
    batch = access_relocation_import_batch(request.user, batch_id)
    name = f"{Path(batch.file_name).stem}-错误报告.xlsx"
    return FileResponse(open(path, "rb"), as_attachment=True, filename=name, content_type=XLSX)  # noqa: SIM115

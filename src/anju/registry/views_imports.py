"""Roster import and export pages: template download, upload (a job with live progress), recent imports, export."""

from __future__ import annotations

import tempfile
import uuid
from pathlib import Path

from django.contrib.auth.decorators import login_required
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from anju.accounts.roles import Perm
from anju.core.access import require_perm
from anju.core.exceptions import NotFound
from anju.core.jobs import job_submit
from anju.core.pagination import paginate
from anju.registry.forms_imports import ExportForm, ImportForm
from anju.registry.jobs import upload_dir
from anju.registry.models import Program
from anju.registry.selectors_imports import import_batch_list, roster_template


@login_required
@require_http_methods(["GET", "POST"])
def import_index(request):
    user = request.user
    if request.method == "POST" or not user.can(Perm.REGISTRY_EXPORT):
        require_perm(user, Perm.REGISTRY_IMPORT)
    can_import = user.can(Perm.REGISTRY_IMPORT)
    form = ImportForm(request.POST or None, request.FILES or None) if can_import else None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        folder = upload_dir(uuid.uuid4())
        path = folder / Path(upload.name).name
        with open(path, "wb") as out:
            for chunk in upload.chunks():
                out.write(chunk)
        params = {"program": form.cleaned_data["program"], "path": str(path), "filename": upload.name, "mode": form.cleaned_data["mode"],
                  "scope": form.cleaned_data["scope"].strip(), "cleanup": True, "source": "web"}
        job = job_submit(actor=request.user, kind="registry.import", params=params)
        return redirect("jobs:detail", job_id=job.pk)
    page = paginate(request, import_batch_list(actor=user)) if can_import else None
    return render(request, "registry/imports/index.html", {"form": form, "page": page, "programs": Program.choices,
                                                           "export_form": ExportForm() if user.can(Perm.REGISTRY_EXPORT) else None})


@login_required
def import_template(request, program: str):
    if program not in Program.values:
        raise NotFound()
    folder = Path(tempfile.mkdtemp(prefix="anju-template-"))
    path, name = roster_template(actor=request.user, program=program, folder=folder)
    return FileResponse(open(path, "rb"), as_attachment=True, filename=name)  # noqa: SIM115 (FileResponse closes it)


@login_required
@require_POST
def export_start(request):
    require_perm(request.user, Perm.REGISTRY_EXPORT)
    form = ExportForm(request.POST)
    if not form.is_valid():
        page = paginate(request, import_batch_list(actor=request.user)) if request.user.can(Perm.REGISTRY_IMPORT) else None
        return render(request, "registry/imports/index.html", {"form": ImportForm() if page is not None else None, "page": page,
                                                               "programs": Program.choices, "export_form": form}, status=422)
    data = form.cleaned_data
    params = {"program": data["program"], "as_of": data["as_of"].isoformat() if data["as_of"] else "", "format": data["format"],
              "scope": data["scope"].strip()}
    job = job_submit(actor=request.user, kind="registry.export", params=params)
    return redirect("jobs:detail", job_id=job.pk)

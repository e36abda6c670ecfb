"""Relocation job kinds of the imports area: `relocation.import` (an employment, 低保/特困, medical, training, insurance or
income file). Every upload runs as a job, so a large department list never holds a web request."""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from anju.accounts.roles import Perm
from anju.core.jobs import job_create_inline, job_kind, job_submit, result_path
from anju.relocation.imports import KIND_LABELS
from anju.relocation.services.imports import check_import_kind, relocation_import

JOB_ERRORS_SHOWN = 200  # the job page lists this many errors; the error workbook and the CLI have them all
ERRORS_NAME = "导入错误报告.xlsx"
JOB_KIND = "relocation.import"


def upload_dir(key) -> Path:
    path = Path(settings.MEDIA_ROOT) / "relocation" / "imports" / str(key)
    path.mkdir(parents=True, exist_ok=True)
    return path


def _title(kind: str) -> str:
    return _("导入%(kind)s") % {"kind": KIND_LABELS[kind]}


def relocation_import_submit(*, actor, kind: str, mode: str, uploaded, source: str = "web"):
    """Save an uploaded file and queue its import (the permission, kind and mode are checked first)."""
    check_import_kind(actor, kind, mode)
    name = Path(uploaded.name or "upload").name
    path = upload_dir(uuid.uuid4()) / name
    with open(path, "wb") as out:
        for chunk in uploaded.chunks():
            out.write(chunk)
    params = {"kind": kind, "path": str(path), "filename": name, "mode": mode, "cleanup": True, "source": source}
    return job_submit(actor=actor, kind=JOB_KIND, params=params, title=_title(kind))


def relocation_import_inline(*, actor, kind: str, mode: str, path: str, filename: str, errors: str = ""):
    """A job row for an import the CLI runs in its own process."""
    check_import_kind(actor, kind, mode)
    params = {"kind": kind, "path": path, "filename": filename, "mode": mode, "errors": errors, "source": "cli"}
    return job_create_inline(actor=actor, kind=JOB_KIND, params=params, title=_title(kind))


@job_kind(JOB_KIND, title=gettext_lazy("导入搬迁后续扶持数据"), permission=Perm.RELOCATION_EDIT)
def relocation_import_job(job, progress):
    params = job.params
    source = Path(params["path"])
    errors_path = Path(params["errors"]) if params.get("errors") else result_path(job, ERRORS_NAME)
    try:
        report = relocation_import(actor=job.created_by, kind=params["kind"], source=source, filename=params.get("filename") or source.name,
                                   mode=params.get("mode") or "all-or-nothing", errors_path=errors_path, progress=progress, job=job)
    finally:
        if params.get("cleanup"):
            shutil.rmtree(source.parent, ignore_errors=True)
    if not report.errors_file or params.get("errors"):
        job.result_file = ""
    job.full_report = report  # the CLI, running the job in-process, prints every error; the stored result keeps the first ones
    result = report.as_dict()
    result["error_count"] = len(result["errors"])
    result["errors"] = result["errors"][:JOB_ERRORS_SHOWN]
    result["detail"] = result["errors"]
    return result

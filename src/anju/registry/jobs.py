"""Registry job kinds: roster import and export (and, imported below, the other registry areas' kinds)."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext_lazy

from anju.accounts.roles import Perm
from anju.core.jobs import job_kind, result_path
from anju.registry.services.exports import registry_export
from anju.registry.services.imports import registry_import

JOB_ERRORS_SHOWN = 200  # the job page lists this many errors; the error workbook and the CLI have them all


def upload_dir(key) -> Path:
    path = Path(settings.MEDIA_ROOT) / "registry" / "imports" / str(key)
    path.mkdir(parents=True, exist_ok=True)
    return path


@job_kind("registry.import", title=gettext_lazy("导入人口名册"), permission=Perm.REGISTRY_IMPORT)
def registry_import_job(job, progress):
    params = job.params
    source = Path(params["path"])
    errors_path = Path(params["errors"]) if params.get("errors") else result_path(job, "导入错误报告.xlsx")
    try:
        report = registry_import(actor=job.created_by, program=params["program"], source=source, filename=params.get("filename") or source.name,
                                 mode=params.get("mode") or "all-or-nothing", scope=params.get("scope") or None, errors_path=errors_path,
                                 progress=progress, job=job)
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


@job_kind("registry.export", title=gettext_lazy("导出人口名册"), permission=Perm.REGISTRY_EXPORT)
def registry_export_job(job, progress):
    params = job.params
    as_of = dt.date.fromisoformat(params["as_of"]) if params.get("as_of") else None
    suffix = params.get("format") or "xlsx"
    name = f"{params['program']}-roster-{(as_of or dt.date.today()).isoformat()}.{suffix}"
    path = Path(params["out"]) if params.get("out") else result_path(job, name)
    report = registry_export(actor=job.created_by, program=params["program"], path=path, scope=params.get("scope") or None, as_of=as_of,
                             progress=progress)
    if params.get("out"):
        job.result_file = ""
    return report.as_dict()


def _register_other_areas() -> None:
    """The other registry areas keep their job kinds beside their services; a worker must know them all."""
    from anju.registry import jobs_crosschecks, jobs_requests, jobs_verification  # noqa: F401


_register_other_areas()

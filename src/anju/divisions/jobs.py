"""The divisions.load job: files uploaded through the web page, loaded by the worker."""

from __future__ import annotations

import shutil
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext_lazy

from anju.accounts.roles import Perm
from anju.core.jobs import job_kind
from anju.divisions.services import divisions_load, read_division_dir


def upload_dir(key) -> Path:
    path = Path(settings.MEDIA_ROOT) / "divisions" / str(key)
    path.mkdir(parents=True, exist_ok=True)
    return path


@job_kind("divisions.load", title=gettext_lazy("导入行政区划"), permission=Perm.DIVISIONS_LOAD)
def divisions_load_job(job, progress):
    directory = Path(job.params["dir"])
    # Without an explicit root, a user's upload is cut to their own entry scope (the CLI operator loads all).
    root = job.params.get("root") or (job.created_by.entry_prefix if job.created_by else None)
    try:
        rows = read_division_dir(directory, root=root, progress=progress)
        report = divisions_load(actor=job.created_by, rows=rows, source=str(job.params.get("source", "")), progress=progress)
    finally:
        if job.params.get("cleanup"):
            shutil.rmtree(directory, ignore_errors=True)
    return report.as_dict()

"""The registry.crosscheck job: a department's list uploaded through the web or API (or named by the CLI), matched by the worker."""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext_lazy

from anju.accounts.roles import Perm
from anju.core.jobs import job_kind, job_submit
from anju.registry.services.crosschecks import crosscheck_run, summary

KIND = "registry.crosscheck"


def upload_dir() -> Path:
    path = Path(settings.MEDIA_ROOT) / "crosschecks" / uuid.uuid4().hex
    path.mkdir(parents=True, exist_ok=True)
    return path


def save_upload(uploaded) -> Path:
    """Keep an uploaded file for the worker under a fresh folder (removed by the job)."""
    name = Path(uploaded.name or "list").name or "list"
    target = upload_dir() / name
    with open(target, "wb") as out:
        for chunk in uploaded.chunks():
            out.write(chunk)
    return target


def crosscheck_submit(*, actor, kind: str, source: str, as_of, uploaded):
    """Queue a cross-check of an uploaded list as a job (the job checks permission and scope again when it runs)."""
    path = save_upload(uploaded)
    params = {"path": str(path), "filename": path.name, "kind": kind, "source": source, "as_of": str(as_of), "cleanup": True}
    return job_submit(actor=actor, kind=KIND, params=params, division_code=actor.entry_scope_id or "")


@job_kind(KIND, title=gettext_lazy("信息比对"), permission=Perm.CROSSCHECK_RUN)
def crosscheck_job(job, progress):
    params = job.params
    path = Path(params["path"])
    try:
        batch = crosscheck_run(actor=job.created_by, kind=params["kind"], source=params["source"], as_of=params["as_of"],
                               path_or_file=path, filename=params.get("filename") or path.name, progress=progress)
    finally:
        if params.get("cleanup"):
            shutil.rmtree(path.parent, ignore_errors=True)
    return {"batch_id": batch.pk, **summary(batch.counts), "problem_rows": batch.counts.get("problem_rows", [])[:200]}

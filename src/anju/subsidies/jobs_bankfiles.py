"""Bank-file job kinds: writing a batch's bank file (a county's million rows take seconds) and reading a bank's return file
uploaded through the web or the API."""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext_lazy

from anju.accounts.roles import Perm
from anju.core.jobs import job_kind, job_submit, result_path
from anju.subsidies.models import BankReturn
from anju.subsidies.selectors import access_batch
from anju.subsidies.selectors_bankfiles import bankfile_layout
from anju.subsidies.services.bankfiles import bankfile_export, bankfile_name
from anju.subsidies.services.returns import bank_return_import

EXPORT = "subsidies.bankfile.export"
RETURN = "subsidies.bankfile.return"


def bankfile_export_submit(*, actor, batch, layout):
    """Queue the export of `batch` in `layout` (the job checks permission, scope and state again when it runs)."""
    return job_submit(actor=actor, kind=EXPORT, division_code=batch.division_code, params={"batch": batch.pk, "layout": layout.pk})


@job_kind(EXPORT, title=gettext_lazy("银行代发文件：生成"), permission=Perm.SUBSIDY_RUN)
def bankfile_export_job(job, progress):
    actor = job.created_by
    batch = access_batch(actor, job.params["batch"])
    layout = bankfile_layout(actor=actor, batch=batch, layout_id=job.params["layout"])
    path = result_path(job, bankfile_name(batch, layout))
    result = bankfile_export(actor=actor, batch=batch, layout=layout, path=path, progress=progress)
    return {"batch": batch.pk, "number": batch.number, **result}


def save_upload(uploaded) -> Path:
    """Keep an uploaded return file for the worker under a fresh folder (removed by the job)."""
    folder = Path(settings.MEDIA_ROOT) / "bankreturns" / uuid.uuid4().hex
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / (Path(uploaded.name or "return").name or "return")
    with open(target, "wb") as out:
        for chunk in uploaded.chunks():
            out.write(chunk)
    return target


def bank_return_submit(*, actor, batch, uploaded, mode: str, layout=None):
    """Queue the import of an uploaded return file as a job."""
    path = save_upload(uploaded)
    params = {"batch": batch.pk, "path": str(path), "filename": path.name, "mode": mode, "layout": layout.pk if layout else None,
              "cleanup": True}
    return job_submit(actor=actor, kind=RETURN, division_code=batch.division_code, params=params)


@job_kind(RETURN, title=gettext_lazy("银行回盘：导入"), permission=Perm.SUBSIDY_RUN)
def bank_return_job(job, progress):
    p = job.params
    actor = job.created_by
    path = Path(p["path"])
    try:
        batch = access_batch(actor, p["batch"])
        layout = bankfile_layout(actor=actor, batch=batch, layout_id=p["layout"]) if p.get("layout") else None
        bank_return = bank_return_import(actor=actor, batch=batch, source=path, filename=p.get("filename") or path.name, layout=layout,
                                         mode=p.get("mode") or BankReturn.Mode.ALL, progress=progress)
    finally:
        if p.get("cleanup"):
            shutil.rmtree(path.parent, ignore_errors=True)
    c = bank_return.counts
    return {"return": bank_return.pk, "batch": batch.pk, "number": batch.number, "state": bank_return.state,
            **{k: c.get(k) for k in ("rows", "applied", "paid", "failed", "flagged", "paid_amount", "failed_amount")}}

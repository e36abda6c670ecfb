"""Change-request job kinds: a removal list uploaded on the web, turned into requests by the worker."""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from anju.accounts.roles import Perm
from anju.core.jobs import job_kind, result_path


def upload_path(name: str) -> Path:
    """A fresh folder under MEDIA_ROOT for one uploaded removal list; the job removes it when done."""
    folder = Path(settings.MEDIA_ROOT) / "registry" / "request-imports" / uuid.uuid4().hex
    folder.mkdir(parents=True, exist_ok=True)
    return folder / (Path(name).name or "upload")


@job_kind("registry.requests_import", title=gettext_lazy("导入核减名单"), permission=Perm.REQUEST_SUBMIT)
def requests_import_job(job, progress):
    from anju.registry.services.requests_import import change_requests_import, write_errors

    path = Path(job.params["path"])
    try:
        result = change_requests_import(actor=job.created_by, data=path.read_bytes(), name=job.params["name"], program=job.params["program"],
                                        submit=bool(job.params.get("submit", True)), progress=progress)
    finally:
        if job.params.get("cleanup", True):
            shutil.rmtree(path.parent, ignore_errors=True)
    if result.errors:
        write_errors(result_path(job, "removal-list-errors.xlsx"), result)
        progress(100, _("%(n)s 行有错误，未创建任何申请；请下载错误清单修改后重新导入") % {"n": result.rejected_rows})
    else:
        progress(100, _("读取 %(rows)s 行，已创建 %(n)s 条核减申请") % {"rows": result.rows, "n": len(result.created)})
    return result.as_dict()

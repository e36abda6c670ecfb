"""Project job kinds of the bulletin area: `projects.bulletin` renders the 项目建设进度和资金支付情况通报 into a downloadable file."""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext_lazy

from anju.accounts.roles import Perm
from anju.core.jobs import job_kind, result_path

KIND = "projects.bulletin"


@job_kind(KIND, title=gettext_lazy("项目进度与资金支付通报"), permission=Perm.PROJECT_VIEW)
def bulletin_job(job, progress):
    """params: year, as_of (ISO date), scope (a prefix already checked against the actor), format, doc_number."""
    from anju.projects.reports_bulletin import bulletin_filename, bulletin_render

    p = job.params
    as_of = dt.date.fromisoformat(p["as_of"])
    data = bulletin_render(actor=job.created_by, year=int(p["year"]), as_of=as_of, scope=p.get("scope", ""), fmt=p["format"],
                           doc_number=p.get("doc_number", ""), progress=progress)
    name = bulletin_filename(actor=job.created_by, year=int(p["year"]), as_of=as_of, scope=p.get("scope", ""), fmt=p["format"])
    result_path(job, name).write_bytes(data)
    progress(100, "")
    return {"file": name, "format": p["format"], "bytes": len(data), "year": int(p["year"]), "as_of": p["as_of"], "scope": p.get("scope", "")}

"""Relocation job kinds of the dashboards area: `relocation.ledger` writes a 台账 (xlsx) and `relocation.report` the 情况报告
(docx) into a downloadable file."""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext_lazy

from anju.accounts.roles import Perm
from anju.core.jobs import job_kind, result_path

LEDGER = "relocation.ledger"
REPORT = "relocation.report"


@job_kind(LEDGER, title=gettext_lazy("易地扶贫搬迁台账"), permission=Perm.RELOCATION_VIEW)
def ledger_job(job, progress):
    """params: kind, as_of (ISO date), scope (a prefix already checked against the actor), unmasked."""
    from anju.relocation.reports_ledgers import ledger_render

    p = job.params
    data, name = ledger_render(actor=job.created_by, kind=p["kind"], as_of=dt.date.fromisoformat(p["as_of"]), scope=p.get("scope", ""),
                               unmasked=bool(p.get("unmasked")), progress=progress)
    result_path(job, name).write_bytes(data)
    progress(100, "")
    return {"file": name, "kind": p["kind"], "bytes": len(data), "as_of": p["as_of"], "scope": p.get("scope", ""),
            "unmasked": bool(p.get("unmasked"))}


@job_kind(REPORT, title=gettext_lazy("易地扶贫搬迁后续扶持情况报告"), permission=Perm.RELOCATION_VIEW)
def report_job(job, progress):
    """params: as_of (ISO date), scope (a checked prefix), doc_number."""
    from anju.relocation.reports_situation import report_render

    p = job.params
    data, name = report_render(actor=job.created_by, as_of=dt.date.fromisoformat(p["as_of"]), scope=p.get("scope", ""),
                               doc_number=p.get("doc_number", ""), progress=progress)
    result_path(job, name).write_bytes(data)
    progress(100, "")
    return {"file": name, "bytes": len(data), "as_of": p["as_of"], "scope": p.get("scope", "")}

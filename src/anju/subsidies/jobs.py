"""Subsidy job kinds of the batch area: creating a payment batch (a county's roster takes seconds) and exporting the
entitlement list (测算名单) as CSV."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext_lazy

from anju.accounts.roles import Perm
from anju.core.jobs import job_kind, result_path
from anju.subsidies.services.batches import batch_create
from anju.subsidies.services.entitlements_export import entitlements_export_csv


@job_kind("subsidies.batch.create", title=gettext_lazy("直补发放：生成批次"), permission=Perm.SUBSIDY_RUN)
def batch_create_job(job, progress):
    p = job.params
    batch = batch_create(actor=job.created_by, county_code=p["county"], year=int(p["year"]), quarter=int(p.get("quarter") or 0),
                         fund_source=p.get("fund_source") or "central", note=p.get("note") or "", progress=progress)
    t = batch.totals or {}
    return {"batch": batch.pk, "number": batch.number, "county": batch.division_code, "year": batch.year, "quarter": batch.quarter,
            "persons": t.get("persons"), "amount": t.get("amount"), "held": t.get("held")}


@job_kind("subsidies.entitlements.export", title=gettext_lazy("资金测算：导出名单"), permission=Perm.SUBSIDY_VIEW)
def entitlements_export_job(job, progress):
    p = job.params
    scope, year, quarter = p["scope"], int(p["year"]), int(p.get("quarter") or 0)
    preview, unmasked = bool(p.get("preview")), bool(p.get("unmasked"))
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    name = f"entitlements-{scope}-{year}{f'-Q{quarter}' if quarter else ''}{'-preview' if preview else ''}{'-full' if unmasked else ''}-{stamp}.csv"
    n = entitlements_export_csv(actor=job.created_by, scope=scope, year=year, quarter=quarter, preview=preview,
                                path=result_path(job, name), unmasked=unmasked, progress=progress)
    return {"scope": scope, "year": year, "quarter": quarter, "preview": preview, "unmasked": unmasked, "rows": n}


def _register_other_areas() -> None:
    """The other subsidy areas keep their job kinds beside their services; a worker must know them all."""
    from anju.subsidies import jobs_bankfiles, jobs_ledger, jobs_policy  # noqa: F401


_register_other_areas()

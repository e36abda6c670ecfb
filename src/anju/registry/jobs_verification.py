"""Verification job kinds: building the snapshot of a county (large counties take seconds) and exporting its 花名册."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext_lazy

from anju.accounts.roles import Perm
from anju.core.jobs import job_kind, result_path
from anju.registry.selectors_verification import access_verification
from anju.registry.services.verification import verification_export_roster, verification_run


@job_kind("registry.verification.run", title=gettext_lazy("年度核定：生成名单"), permission=Perm.VERIFICATION_RUN)
def verification_run_job(job, progress):
    p = job.params
    v = verification_run(actor=job.created_by, year=int(p["year"]), program=p["program"], county_code=p["county"], progress=progress)
    c = v.counts
    return {"verification": v.pk, "year": v.year, "program": v.program, "county": v.division_code, "total": c["total"],
            "added": c["added"], "removed": c["removed"], "changed": c["changed"]}


@job_kind("registry.verification.roster", title=gettext_lazy("年度核定：导出花名册"), permission=Perm.REGISTRY_EXPORT)
def verification_roster_job(job, progress):
    actor = job.created_by
    v = access_verification(actor, job.params["verification"])
    unmasked = bool(job.params.get("unmasked"))
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    path = result_path(job, f"roster-{v.division_code[:6]}-{v.year}-{v.program}{'-full' if unmasked else ''}-{stamp}.xlsx")
    n = verification_export_roster(actor=actor, verification=v, path=path, unmasked=unmasked, progress=progress)
    return {"verification": v.pk, "rows": n, "unmasked": unmasked}

"""Ledger job kinds: the recovery check over a county or the city (the daily round runs it too)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy

from anju.accounts.roles import Perm
from anju.core.jobs import job_kind


@job_kind("subsidies.recoveries.detect", title=gettext_lazy("追缴：查找核减后多发"), permission=Perm.RECOVERY_MANAGE)
def recoveries_detect_job(job, progress):
    from anju.subsidies.services.recoveries import recoveries_detect

    return recoveries_detect(actor=job.created_by, scope_prefix=job.params.get("scope", ""), progress=progress)

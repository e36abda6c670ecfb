"""Relocation job kinds of the imports area: `relocation.import` (an employment, 低保/特困, medical, training, insurance or
income file). Every upload runs as a job, so a large department list never holds a web request.

Saving the upload, the job's body and its stored result are shared with projects (`anju.imports.kinds`)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy

from anju.accounts.roles import Perm
from anju.core.jobs import job_kind
from anju.imports.kinds import ERRORS_NAME, JOB_ERRORS_SHOWN  # noqa: F401  (kept importable from here)
from anju.relocation.services.imports import AREA, relocation_import

JOB_KIND = AREA.job_kind
upload_dir = AREA.upload_dir
relocation_import_submit = AREA.submit
relocation_import_inline = AREA.inline


@job_kind(JOB_KIND, title=gettext_lazy("导入搬迁后续扶持数据"), permission=Perm.RELOCATION_EDIT)
def relocation_import_job(job, progress):
    return AREA.run_job(job, progress, relocation_import)

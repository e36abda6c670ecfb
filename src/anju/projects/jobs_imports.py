"""Project job kinds of the imports area: `projects.import` (a ledger, allocation, payment or progress file).

Saving the upload, the job's body and its stored result are shared with relocation (`anju.imports.kinds`)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy

from anju.accounts.roles import Perm
from anju.core.jobs import job_kind
from anju.imports.kinds import ERRORS_NAME, JOB_ERRORS_SHOWN  # noqa: F401  (kept importable from here)
from anju.projects.services.imports import AREA, project_import

upload_dir = AREA.upload_dir
project_import_submit = AREA.submit
project_import_inline = AREA.inline


# Any project role may hold the job; the service checks the kind's own permission (PROJECT_EDIT or PROJECT_FUNDS).
@job_kind(AREA.job_kind, title=gettext_lazy("导入扶持项目数据"), permission=Perm.PROJECT_VIEW)
def project_import_job(job, progress):
    return AREA.run_job(job, progress, project_import)

"""Background jobs: a Job row per piece of long work, run by a django-tasks worker or inline by the CLI.

Handlers report progress through a callable; progress goes to the shared cache at once (a handler's own
transaction may still be open) and to the Job row when the job ends.
"""

from __future__ import annotations

import logging
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_tasks import task

from anju.core.access import require_perm, scope_filter
from anju.core.audit import audit_record
from anju.core.exceptions import ApplicationError, AuthenticationRequired, NotFound, ValidationFailed
from anju.core.models import Job

logger = logging.getLogger(__name__)

Progress = Callable[[int, str], None]
Handler = Callable[[Job, Progress], dict[str, Any] | None]
MSG_UNKNOWN_KIND = gettext_lazy("未知的任务类型：%(kind)s")
MSG_INTERNAL = gettext_lazy("任务执行出错，已记录详细信息，请联系系统管理员")


@dataclass(frozen=True)
class JobKind:
    kind: str
    title: Any
    permission: str
    handler: Handler


JOB_KINDS: dict[str, JobKind] = {}


def job_kind(kind: str, *, title, permission: str) -> Callable[[Handler], Handler]:
    """Register a handler(job, progress) -> result dict for a job kind."""

    def register(handler: Handler) -> Handler:
        JOB_KINDS[kind] = JobKind(kind, title, permission, handler)
        return handler

    return register


def _cache_key(job_id) -> str:
    return f"anju:job:{job_id}:progress"


class _Reporter:
    def __init__(self, job: Job, extra: Progress | None):
        self.job, self.forward, self.last = job, extra, 0.0

    def __call__(self, percent: int, message: str = "") -> None:
        percent = max(0, min(100, int(percent)))
        self.job.progress, self.job.message = percent, str(message)[:500]
        now = time.monotonic()
        if now - self.last > 0.3 or percent >= 100:
            cache.set(_cache_key(self.job.pk), (percent, self.job.message), 24 * 3600)
            self.last = now
        if self.forward:
            self.forward(percent, self.job.message)


def job_submit(*, actor, kind: str, params: dict[str, Any] | None = None, title: str = "", division_code: str = "") -> Job:
    """Create a job and queue it for the worker once the caller's transaction commits."""
    require_perm(actor, _kind(kind).permission)
    with transaction.atomic():
        job = _create_job(actor=actor, kind=kind, params=params, title=title, division_code=division_code, inline=False)
        transaction.on_commit(lambda: run_job_task.enqueue(str(job.pk)))
    return job


def job_create_inline(*, actor, kind: str, params: dict[str, Any] | None = None, title: str = "", division_code: str = "") -> Job:
    """A job row for work the CLI runs in its own process (actor may be None: the server operator)."""
    if actor is not None:
        require_perm(actor, _kind(kind).permission)
    with transaction.atomic():
        return _create_job(actor=actor, kind=kind, params=params, title=title, division_code=division_code, inline=True)


def _kind(kind: str) -> JobKind:
    spec = JOB_KINDS.get(kind)
    if spec is None:
        raise ValidationFailed(MSG_UNKNOWN_KIND % {"kind": kind})
    return spec


def _create_job(*, actor, kind: str, params, title: str, division_code: str, inline: bool) -> Job:
    """The Job row and its audit event; trusts the caller to have checked the permission."""
    job = Job.objects.create(
        kind=kind, title=title or str(_kind(kind).title), params=params or {}, created_by=actor,
        division_code=division_code or (actor.view_scope_id if actor else "") or "",
    )
    after = {"kind": kind, "params": job.params, **({"inline": True} if inline else {})}
    audit_record(actor=actor, action="jobs.job.submitted", object_type="job", object_id=job.pk,
                 division_code=job.division_code, after=after)
    return job


def job_execute(job_id, *, progress: Progress | None = None) -> Job:
    """Run a queued job to its end, recording success or failure. Never raises for handler errors."""
    claimed = Job.objects.filter(pk=job_id, state=Job.State.QUEUED).update(state=Job.State.RUNNING, started_at=timezone.now())
    job = Job.objects.get(pk=job_id)
    if not claimed:  # another worker (or `anju jobs run`) has it, or it has ended
        return job
    reporter = _Reporter(job, progress)
    reporter(0, _("开始"))
    try:
        result = JOB_KINDS[job.kind].handler(job, reporter) or {}
    except ApplicationError as exc:
        job.state, job.error, job.result = Job.State.FAILED, exc.message, {"code": exc.code, "detail": exc.detail}
    except Exception:
        logger.exception("job %s (%s) failed", job.pk, job.kind)
        job.state, job.error = Job.State.FAILED, str(MSG_INTERNAL)
        job.result = {"trace": traceback.format_exc(limit=5)[-2000:]}
    else:
        if job.progress < 100 or not job.message:  # don't leave a finished job saying "开始" or a mid-way step
            job.message = _("完成")
        job.state, job.result, job.progress = Job.State.SUCCEEDED, result, 100
    job.finished_at = timezone.now()
    job.save(update_fields=["state", "result", "error", "progress", "message", "result_file", "finished_at"])
    cache.set(_cache_key(job.pk), (job.progress, job.message), 24 * 3600)
    with transaction.atomic():
        audit_record(actor=job.created_by, action="jobs.job.finished", object_type="job", object_id=job.pk,
                     division_code=job.division_code, outcome="success" if job.state == Job.State.SUCCEEDED else "failure",
                     after={"kind": job.kind, "state": job.state, "error": job.error})
    return job


@task()
def run_job_task(job_id: str) -> str:
    from anju.core.context import RequestMeta, reset_meta, set_meta

    token = set_meta(RequestMeta(channel="job"))
    try:
        return job_execute(job_id).state
    finally:
        reset_meta(token)


def job_progress(job: Job) -> tuple[int, str]:
    if job.is_finished:
        return job.progress, job.message
    cached = cache.get(_cache_key(job.pk))
    return cached if cached else (job.progress, job.message)


def result_path(job: Job, filename: str) -> Path:
    """Where a job writes its result file (under the data dir's generated/ folder)."""
    folder = Path(settings.ANJU_GENERATED_DIR) / "jobs" / str(job.pk)
    folder.mkdir(parents=True, exist_ok=True)
    job.result_file = str(Path("jobs") / str(job.pk) / filename)
    return folder / filename


def job_list(*, actor, state: str = "", kind: str = "") -> QuerySet[Job]:
    """Jobs the actor started, plus all jobs in scope for roles that may see them."""
    from anju.accounts.roles import Perm

    if not getattr(actor, "is_authenticated", False):
        raise AuthenticationRequired()
    qs = Job.objects.select_related("created_by")
    if actor.can(Perm.JOBS_VIEW_ALL):
        # Others' jobs only of kinds the actor may run itself: an audit export stays with audit roles.
        kinds = [k for k, spec in JOB_KINDS.items() if actor.can(spec.permission)]
        others = scope_filter(Job.objects.filter(kind__in=kinds), actor)
        qs = qs.filter(Q(created_by=actor) | Q(pk__in=others.values("pk")))
    else:
        qs = qs.filter(created_by=actor)
    if state:
        qs = qs.filter(state=state)
    if kind:
        qs = qs.filter(kind=kind)
    return qs.order_by("-created_at")


def access_job(actor, job_id) -> Job:
    """One job the actor may see, or NotFound."""
    qs = job_list(actor=actor)
    try:
        return qs.get(pk=job_id)
    except (Job.DoesNotExist, ValueError, DjangoValidationError):
        raise NotFound() from None


def job_result_file(actor, job_id) -> Path:
    job = access_job(actor, job_id)
    if not job.result_file or job.state != Job.State.SUCCEEDED:
        raise NotFound()
    path = (Path(settings.ANJU_GENERATED_DIR) / job.result_file).resolve()
    if not path.is_file() or Path(settings.ANJU_GENERATED_DIR).resolve() not in path.parents:
        raise NotFound()
    with transaction.atomic():
        audit_record(actor=actor, action="jobs.result.downloaded", object_type="job", object_id=job.pk,
                     division_code=job.division_code, after={"file": job.result_file})
    return path


__all__ = ["job_kind", "job_submit", "job_create_inline", "job_execute", "job_progress", "job_list", "access_job", "result_path"]

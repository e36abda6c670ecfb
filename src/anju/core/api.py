"""Platform endpoints: audit events and audit jobs, background jobs."""


from datetime import date, datetime
from typing import Any
from uuid import UUID

from django.http import FileResponse
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from anju.core.api_base import ERRORS, Mapped, Pagination, Text
from anju.core.jobs import access_job, job_list, job_result_file, job_submit
from anju.core.selectors import audit_event_list
from anju.core.views_jobs import job_payload

router = Router()


class AuditEventOut(Schema):
    id: int
    seq: int | None
    occurred_at: datetime
    actor_username: str
    actor_role: str
    ip: str
    channel: str
    action: str
    object_type: str
    object_id: str
    division_code: str
    outcome: str
    message: str
    before: Any = None
    after: Any = None


class AuditFilter(Schema):
    date_from: date | None = None
    date_to: date | None = None
    username: Text | None = Field(None, max_length=150)
    action: Text | None = Field(None, max_length=100)
    division: str | None = Field(None, pattern=r"^\d{1,12}$")
    outcome: str | None = Field(None, pattern=r"^(success|failure)$")

    def as_kwargs(self) -> dict:
        return {"date_from": self.date_from, "date_to": self.date_to, "username": self.username or "",
                "action": self.action or "", "division": self.division or "", "outcome": self.outcome or ""}

    def as_params(self) -> dict:
        d = self.as_kwargs()
        d["date_from"] = d["date_from"].isoformat() if d["date_from"] else ""
        d["date_to"] = d["date_to"].isoformat() if d["date_to"] else ""
        return d


class JobOut(Schema):
    id: UUID
    kind: str
    title: str
    state: str
    state_label: str
    progress: int
    message: str
    error: str
    result: Any = None
    has_file: bool
    created_at: datetime
    finished: bool
    problems: list[str] = []


@router.get("/audit/events", response={200: list[AuditEventOut], **ERRORS}, summary="审计事件", tags=["audit"])
@paginate(Pagination)
def list_audit_events(request, filters: Query[AuditFilter]):
    return audit_event_list(actor=request.auth, **filters.as_kwargs())


@router.post("/audit/exports", response={202: JobOut, **ERRORS}, summary="导出审计日志为 Excel（后台任务）", tags=["audit"])
def export_audit(request, filters: AuditFilter):
    job = job_submit(actor=request.auth, kind="audit.export", params=filters.as_params())
    return Status(202, job_payload(job))


@router.post("/audit/verify", response={202: JobOut, **ERRORS}, summary="校验审计日志链（后台任务）", tags=["audit"])
def verify_audit(request):
    return Status(202, job_payload(job_submit(actor=request.auth, kind="audit.verify")))


@router.post("/audit/purge", response={202: JobOut, **ERRORS}, summary="按保存期清理审计日志（后台任务）", tags=["audit"])
def purge_audit(request):
    return Status(202, job_payload(job_submit(actor=request.auth, kind="audit.purge")))


@router.get("/jobs", response={200: list[JobOut], **ERRORS}, summary="后台任务", tags=["jobs"])
@paginate(Pagination)
def list_jobs(request, state: str | None = Query(None, pattern="^(queued|running|succeeded|failed)$")):
    return Mapped(job_list(actor=request.auth, state=state or ""), job_payload)


@router.get("/jobs/{job_id}", response={200: JobOut, **ERRORS}, summary="一个后台任务及其进度", tags=["jobs"])
def get_job(request, job_id: UUID):
    return job_payload(access_job(request.auth, job_id))


# The file's type depends on the job (an Excel workbook for audit exports): documented as any binary type.
_FILE_RESPONSE = {200: {"description": "任务结果文件", "content": {"*/*": {"schema": {"type": "string", "format": "binary"}}}}}


@router.get("/jobs/{job_id}/file", response=ERRORS, summary="下载任务结果文件", tags=["jobs"],
            openapi_extra={"responses": _FILE_RESPONSE})
def get_job_file(request, job_id: UUID):
    path = job_result_file(request.auth, job_id)
    return FileResponse(open(path, "rb"), as_attachment=True, filename=path.name)  # noqa: SIM115

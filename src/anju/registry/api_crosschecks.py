"""Registry crosschecks API: department lists (batches) and their matches, confirm / dismiss, the duplicate report."""


from datetime import date, datetime
from typing import Annotated, Any, Literal

from django.http import HttpResponse
from django.utils import timezone
from ninja import Field, File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate
from pydantic import StringConstraints

from anju.accounts.roles import Perm
from anju.core.api import JobOut
from anju.core.api_base import ERRORS, ErrorOut, Mapped, Pagination, auth_requiring
from anju.core.views_jobs import job_payload
from anju.registry.jobs_crosschecks import crosscheck_submit
from anju.registry.models import CrossCheckBatch, CrossCheckMatch
from anju.registry.selectors_crosschecks import (
    access_crosscheck_batch,
    access_crosscheck_match,
    batch_problem_rows,
    batch_unmatched_rows,
    crosscheck_batch_list,
    crosscheck_match_list,
    match_note,
)
from anju.registry.services.crosschecks import (
    crosscheck_check_upload,
    crosscheck_match_confirm,
    crosscheck_match_dismiss,
    duplicates_export,
    duplicates_report,
    summary,
)

router = Router(tags=["registry-crosschecks"])

Kind = Literal["death", "public_employment", "prison", "dibao"]
ProgramCode = Literal["reservoir", "relocation"]
# Free text with at least one visible character and no NUL (PostgreSQL text cannot hold it).
Filled = Annotated[str, StringConstraints(pattern=r"^[^\x00]*\S[^\x00]*$")]
WRITE_ERRORS = {**ERRORS, 409: ErrorOut}


class BatchOut(Schema):
    id: int
    kind: str
    kind_label: str
    source: str
    as_of: date
    file_name: str
    division_code: str
    counts: dict[str, Any]
    created_by: str
    created_at: datetime


class UnmatchedOut(Schema):
    row: int
    name: str
    id_masked: str
    event_date: str


class ProblemOut(Schema):
    row: int
    column: str
    value: str
    code: str
    message: str


class BatchDetailOut(BatchOut):
    unmatched_rows: list[UnmatchedOut]
    problems: list[ProblemOut]


class MatchOut(Schema):
    id: int
    batch_id: int
    row: int
    name: str
    id_masked: str
    event_date: date | None
    method: str
    state: str
    state_label: str
    person_id: int
    person_name: str
    person_id_masked: str
    enrolment_id: int
    program: str
    household_number: str
    division_code: str
    request_id: int | None
    request_state: str | None
    note: dict[str, str]


class DismissIn(Schema):
    reason: Filled = Field(..., max_length=500)


class DuplicateMemberOut(Schema):
    person_id: int
    name: str
    id_masked: str
    birth_date: date
    enrolment_id: int
    program: str
    status: str
    household_id: int
    household_number: str
    division_code: str
    bank_account_masked: str


class GroupOut(Schema):
    key: str
    members: list[DuplicateMemberOut]


class DuplicatesOut(Schema):
    counts: dict[str, int]
    truncated: dict[str, bool]
    groups: dict[str, list[GroupOut]]


def _batch(b: CrossCheckBatch) -> dict:
    return {"id": b.pk, "kind": b.kind, "kind_label": b.get_kind_display(), "source": b.source, "as_of": b.as_of, "file_name": b.file_name,
            "division_code": b.division_code, "counts": summary(b.counts), "created_at": b.created_at,
            "created_by": b.created_by.get_username() if b.created_by_id else ""}


def _match(m: CrossCheckMatch) -> dict:
    return {"id": m.pk, "batch_id": m.batch_id, "row": m.row, "name": m.name, "id_masked": m.id_masked, "event_date": m.event_date,
            "method": m.method, "state": m.state, "state_label": m.get_state_display(), "person_id": m.person_id,
            "person_name": m.person.name, "person_id_masked": m.person.id_masked, "enrolment_id": m.enrolment_id,
            "program": m.enrolment.program, "household_number": m.enrolment.household.number, "division_code": m.division_code,
            "request_id": m.request_id, "request_state": m.request.state if m.request_id else None,
            "note": {k: str(v) for k, v in match_note(m.batch, m).items()}}


@router.get("/duplicates", response={200: DuplicatesOut, **ERRORS}, summary="重复情况（同一人两户、两项目、共用银行账号、疑似同一人）")
def get_duplicates(request, program: ProgramCode | None = None):
    report = duplicates_report(actor=request.auth, program=program)
    groups = {kind: [{"key": g.key, "members": g.members} for g in items] for kind, items in report["groups"].items()}
    return {"counts": report["counts"], "truncated": report["truncated"], "groups": groups}


_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_XLSX_RESPONSE = {200: {"description": "重复情况 Excel", "content": {_XLSX: {"schema": {"type": "string", "format": "binary"}}}}}


@router.get("/duplicates/export", response=ERRORS, summary="导出重复情况为 Excel（留痕）", openapi_extra={"responses": _XLSX_RESPONSE})
def export_duplicates(request, program: ProgramCode | None = None):
    data, _counts = duplicates_export(actor=request.auth, program=program)
    response = HttpResponse(data, content_type=_XLSX)
    response["Content-Disposition"] = f'attachment; filename="duplicates-{timezone.localtime():%Y%m%d-%H%M%S}.xlsx"'
    return response


@router.get("", response={200: list[BatchOut], **ERRORS}, summary="信息比对批次")
@paginate(Pagination)
def list_batches(request, kind: Kind | None = None):
    return Mapped(crosscheck_batch_list(actor=request.auth, kind=kind or ""), _batch)


@router.post("", response={202: JobOut, **WRITE_ERRORS}, summary="导入部门名单并比对（后台任务；结果中的 batch_id 为比对批次）",
             auth=auth_requiring(Perm.CROSSCHECK_RUN))
def create_batch(request, kind: Form[Kind], source: Form[Filled], as_of: Form[date], file: File[UploadedFile]):
    source = crosscheck_check_upload(actor=request.auth, kind=kind, source=source, as_of=as_of, filename=file.name or "", size=file.size)
    job = crosscheck_submit(actor=request.auth, kind=kind, source=source, as_of=as_of, uploaded=file)
    return Status(202, job_payload(job))


@router.get("/{batch_id}", response={200: BatchDetailOut, **ERRORS}, summary="一个比对批次：计数、未匹配行、名单问题")
def get_batch(request, batch_id: int):
    batch = access_crosscheck_batch(request.auth, batch_id)
    return {**_batch(batch), "unmatched_rows": batch_unmatched_rows(request.auth, batch), "problems": batch_problem_rows(request.auth, batch)}


@router.get("/{batch_id}/matches", response={200: list[MatchOut], **ERRORS}, summary="比对批次中辖区内的匹配人员")
@paginate(Pagination)
def list_matches(request, batch_id: int, state: Literal["suggested", "confirmed", "dismissed"] | None = Query(None)):
    batch = access_crosscheck_batch(request.auth, batch_id)
    return Mapped(crosscheck_match_list(actor=request.auth, batch=batch, state=state or ""), _match)


@router.post("/matches/{match_id}/confirm", response={200: MatchOut, **WRITE_ERRORS}, summary="确认匹配（核减申请草稿留待乡镇提交；低保记入历史）")
def confirm_match(request, match_id: int):
    match = crosscheck_match_confirm(actor=request.auth, match=access_crosscheck_match(request.auth, match_id))
    return _match(access_crosscheck_match(request.auth, match.pk))


@router.post("/matches/{match_id}/dismiss", response={200: MatchOut, **WRITE_ERRORS}, summary="排除匹配（撤回比对生成的申请草稿）")
def dismiss_match(request, match_id: int, body: DismissIn):
    match = crosscheck_match_dismiss(actor=request.auth, match=access_crosscheck_match(request.auth, match_id), reason=body.reason)
    return _match(access_crosscheck_match(request.auth, match.pk))

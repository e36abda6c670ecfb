"""Registry verification API: list and read verifications in scope, run (a job), sign off, send back, changes, entries, exports."""

from datetime import date, datetime
from typing import Annotated, Any

from django.http import HttpResponse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate
from pydantic import StringConstraints

from anju.core.api import JobOut
from anju.core.api_base import ERRORS, ErrorOut, Pagination, Text
from anju.core.jobs import job_submit
from anju.core.views_jobs import job_payload
from anju.divisions.selectors import division_names
from anju.registry import jobs_verification  # noqa: F401  (registers the job kinds submitted here)
from anju.registry.models import Verification
from anju.registry.reports_verification import document_title
from anju.registry.selectors_verification import (
    access_verification,
    verification_actions,
    verification_changes,
    verification_entries,
    verification_list,
)
from anju.registry.services import verification as services

router = Router(tags=["registry-verification"])
WRITE_ERRORS = {**ERRORS, 409: ErrorOut}
DIGITS = r"^\d{1,12}$"


class VerificationOut(Schema):
    id: int
    year: int
    program: str
    program_label: str
    division_code: str
    county_name: str = ""
    state: str
    state_label: str
    as_of: date
    previous_id: int | None
    total: int | None = None
    added: int | None = None
    removed: int | None = None
    changed: int | None = None
    created_by: str | None = None
    created_at: datetime
    county_signed_by: str | None = None
    county_signed_at: datetime | None
    city_signed_by: str | None = None
    city_signed_at: datetime | None

    @staticmethod
    def resolve_program_label(obj):
        return str(obj.get_program_display())

    @staticmethod
    def resolve_state_label(obj):
        return str(obj.get_state_display())

    @staticmethod
    def resolve_county_name(obj):
        return getattr(obj, "county_name", "")

    @staticmethod
    def resolve_total(obj):
        return (obj.counts or {}).get("total")

    @staticmethod
    def resolve_added(obj):
        return (obj.counts or {}).get("added")

    @staticmethod
    def resolve_removed(obj):
        return (obj.counts or {}).get("removed")

    @staticmethod
    def resolve_changed(obj):
        return (obj.counts or {}).get("changed")

    @staticmethod
    def resolve_created_by(obj):
        return obj.created_by.username if obj.created_by_id else None

    @staticmethod
    def resolve_county_signed_by(obj):
        return obj.county_signed_by.username if obj.county_signed_by_id else None

    @staticmethod
    def resolve_city_signed_by(obj):
        return obj.city_signed_by.username if obj.city_signed_by_id else None


class VerificationDetailOut(VerificationOut):
    counts: dict[str, Any]
    actions: dict[str, bool]


class VerificationFilter(Schema):
    year: int | None = Field(None, ge=2006, le=2100)
    program: str | None = Field(None, pattern=r"^(reservoir|relocation)$")
    state: str | None = Field(None, pattern=r"^(draft|county_signed|locked)$")


class RunIn(Schema):
    year: int = Field(..., ge=2006, le=2100)
    program: str = Field(..., pattern=r"^(reservoir|relocation)$")
    county: str = Field(..., pattern=r"^\d{6}(\d{6})?$", description="县级区划代码（6 位或 12 位）")


# A reason that is not blank once stripped (the service refuses blanks; the schema says so too).
Reason = Annotated[str, StringConstraints(pattern=r"^[^\x00]*\S[^\x00]*$", max_length=300)]


class ReopenIn(Schema):
    reason: Reason = Field(..., description="退回理由")


class RosterExportIn(Schema):
    unmasked: bool = Field(False, description="导出完整身份证号（需“查看完整身份证号”权限，单独留痕）")


class ChangeOut(Schema):
    id: int
    kind: str
    kind_label: str
    enrolment_id: int
    division_code: str
    name: str
    id_masked: str
    reason: str
    request_id: int | None
    detail: dict[str, Any]

    @staticmethod
    def resolve_kind_label(obj):
        return str(obj.get_kind_display())


class ChangeFilter(Schema):
    kind: str | None = Field(None, pattern=r"^(added|removed|changed)$")
    division: str | None = Field(None, pattern=DIGITS)
    q: Text | None = Field(None, max_length=64)


class EntryOut(Schema):
    enrolment_id: int
    person_id: int
    household_id: int
    household_number: str
    division_code: str
    name: str
    id_masked: str
    gender: str
    birth_date: date
    relation: str
    category: str
    support_mode: str
    support_end: date | None


class EntryFilter(Schema):
    division: str | None = Field(None, pattern=DIGITS)
    q: Text | None = Field(None, max_length=64)


def _named(v: Verification) -> Verification:
    v.county_name = division_names([v.division_code]).get(v.division_code, "")
    return v


def _detail(request, v: Verification) -> Verification:
    _named(v)
    v.actions = verification_actions(request.auth, v)
    return v


@router.get("", response={200: list[VerificationOut], **ERRORS}, summary="年度核定列表（本辖区）")
@paginate(Pagination)
def list_verifications(request, filters: Query[VerificationFilter]):
    return verification_list(actor=request.auth, year=filters.year, program=filters.program or "", state=filters.state or "")


@router.post("", response={202: JobOut, **WRITE_ERRORS}, summary="生成（或重新生成）年度核定名单（后台任务）")
def run_verification(request, payload: RunIn):
    county = services.verification_run_check(actor=request.auth, year=payload.year, program=payload.program, county_code=payload.county)
    job = job_submit(actor=request.auth, kind="registry.verification.run", division_code=county.code,
                     params={"year": payload.year, "program": payload.program, "county": county.prefix})
    return Status(202, job_payload(job))


@router.get("/{verification_id}", response={200: VerificationDetailOut, **ERRORS}, summary="一个年度核定：统计与可执行操作")
def get_verification(request, verification_id: int):
    return _detail(request, access_verification(request.auth, verification_id))


@router.post("/{verification_id}/sign-county", response={200: VerificationDetailOut, **WRITE_ERRORS}, summary="县级确认")
def sign_county(request, verification_id: int):
    v = services.verification_sign_county(actor=request.auth, verification=access_verification(request.auth, verification_id))
    return _detail(request, v)


@router.post("/{verification_id}/sign-city", response={200: VerificationDetailOut, **WRITE_ERRORS}, summary="市级确认并锁定")
def sign_city(request, verification_id: int):
    v = services.verification_sign_city(actor=request.auth, verification=access_verification(request.auth, verification_id))
    return _detail(request, v)


@router.post("/{verification_id}/reopen", response={200: VerificationDetailOut, **WRITE_ERRORS}, summary="市级退回县级（须填理由）")
def reopen(request, verification_id: int, payload: ReopenIn):
    v = services.verification_reopen(actor=request.auth, verification=access_verification(request.auth, verification_id),
                                     reason=payload.reason)
    return _detail(request, v)


@router.get("/{verification_id}/changes", response={200: list[ChangeOut], **ERRORS}, summary="与上年比对的新增、核减、变更")
@paginate(Pagination)
def list_changes(request, verification_id: int, filters: Query[ChangeFilter]):
    v = access_verification(request.auth, verification_id)
    return verification_changes(actor=request.auth, verification=v, kind=filters.kind or "", division=filters.division or "",
                                q=filters.q or "")


@router.get("/{verification_id}/entries", response={200: list[EntryOut], **ERRORS}, summary="核定名单（身份证号脱敏）")
@paginate(Pagination)
def list_entries(request, verification_id: int, filters: Query[EntryFilter]):
    v = access_verification(request.auth, verification_id)
    return verification_entries(actor=request.auth, verification=v, division=filters.division or "", q=filters.q or "")


@router.post("/{verification_id}/roster-exports", response={202: JobOut, **ERRORS}, summary="导出花名册 Excel（后台任务）")
def export_roster(request, verification_id: int, payload: RosterExportIn):
    v = access_verification(request.auth, verification_id)
    services.verification_roster_check(actor=request.auth, verification=v, unmasked=payload.unmasked)
    job = job_submit(actor=request.auth, kind="registry.verification.roster", division_code=v.division_code,
                     params={"verification": v.pk, "unmasked": payload.unmasked})
    return Status(202, job_payload(job))


def _file(mime: str, what: str) -> dict:
    return {200: {"description": what, "content": {mime: {"schema": {"type": "string", "format": "binary"}}}}}


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _download(data: bytes, v: Verification, kind: str, suffix: str, mime: str) -> HttpResponse:
    response = HttpResponse(data, content_type=mime)
    name = document_title(v, division_names([v.division_code]).get(v.division_code, v.division_code), kind) + suffix
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=name)
    return response


@router.get("/{verification_id}/summary", response=ERRORS, summary="核定汇总表 Excel（按乡镇、村）",
            openapi_extra={"responses": _file(XLSX, "汇总表")})
def export_summary(request, verification_id: int):
    v = access_verification(request.auth, verification_id)
    return _download(services.verification_export_summary(actor=request.auth, verification=v), v, _("核定汇总表"), ".xlsx", XLSX)


@router.get("/{verification_id}/report", response=ERRORS, summary="核定报告 Word",
            openapi_extra={"responses": _file(DOCX, "核定报告")})
def export_report(request, verification_id: int):
    v = access_verification(request.auth, verification_id)
    return _download(services.verification_export_report(actor=request.auth, verification=v), v, _("核定报告"), ".docx", DOCX)

"""Registry change-request endpoints: list and detail in scope, create, submit, approve, reject, withdraw, copy,
evidence upload and download, the 公示表 (rows and Excel/PDF export), bulk removal requests from a file."""


import datetime as dt
from typing import Any, Literal

from django.http import FileResponse, HttpResponse
from django.utils.translation import gettext_lazy
from ninja import Field, File, Form, Query, Router, Schema
from ninja.files import UploadedFile
from ninja.pagination import paginate

from anju.accounts.roles import Perm
from anju.core.access import in_scope, require_perm
from anju.core.api_base import ERRORS, ErrorOut, Pagination, Text
from anju.core.exceptions import NotFound, ValidationFailed
from anju.registry import (
    jobs_requests,  # noqa: F401  (registers the import job kind)
    posting,
)
from anju.registry.models import Enrolment
from anju.registry.selectors_requests import (
    MAX_ID,
    access_change_request,
    access_evidence,
    change_request_evidence,
    change_request_list,
    change_request_steps,
    request_household,
    request_person,
    request_person_by_id_number,
)
from anju.registry.services import requests as svc

router = Router(tags=["registry-requests"])

WRITE_ERRORS = {**ERRORS, 409: ErrorOut}
MSG_FILE_REQUIRED = gettext_lazy("请上传文件")


def _clean_payload(value: Any) -> Any:
    """The stored payload without ciphertexts and blind indexes (masked values stay)."""
    if isinstance(value, dict):
        return {k: _clean_payload(v) for k, v in value.items() if not (k.endswith("_enc") or k in ("enc", "id_hash"))}
    if isinstance(value, list):
        return [_clean_payload(v) for v in value]
    return value


class StepOut(Schema):
    level: str
    action: str
    actor: str | None
    comment: str
    at: dt.datetime

    @staticmethod
    def resolve_actor(obj):
        return obj.actor.username if obj.actor_id else None


class EvidenceOut(Schema):
    id: int
    original_name: str
    content_type: str
    size: int
    sha256: str
    uploaded_by: str | None
    uploaded_at: dt.datetime

    @staticmethod
    def resolve_uploaded_by(obj):
        return obj.uploaded_by.username if obj.uploaded_by_id else None


class RequestOut(Schema):
    id: int
    kind: str
    kind_label: str
    state: str
    state_label: str
    program: str
    division_code: str
    person_id: int | None
    person_name: str | None
    person_id_masked: str | None
    household_id: int | None
    household_number: str | None
    field: str
    cause: str
    reason: str
    levels: list[str]
    awaiting_level: str
    effective_on: dt.date | None
    posting_from: dt.date | None
    posting_until: dt.date | None
    source: str
    created_by: str | None
    created_at: dt.datetime
    payload: dict

    @staticmethod
    def resolve_kind_label(obj):
        return str(obj.get_kind_display())

    @staticmethod
    def resolve_state_label(obj):
        return str(obj.get_state_display())

    @staticmethod
    def resolve_person_name(obj):
        return obj.person.name if obj.person_id else None

    @staticmethod
    def resolve_person_id_masked(obj):
        return obj.person.id_masked if obj.person_id else None

    @staticmethod
    def resolve_household_number(obj):
        return obj.household.number if obj.household_id else None

    @staticmethod
    def resolve_awaiting_level(obj):
        return svc.awaited_level(obj)

    @staticmethod
    def resolve_created_by(obj):
        return obj.created_by.username if obj.created_by_id else None

    @staticmethod
    def resolve_payload(obj):
        return _clean_payload(obj.payload)


class RequestDetailOut(RequestOut):
    steps: list[StepOut]
    evidence: list[EvidenceOut]

    @staticmethod
    def resolve_steps(obj):
        return list(change_request_steps(obj))

    @staticmethod
    def resolve_evidence(obj):
        return list(change_request_evidence(obj))


KindIn = Literal["add_person", "add_household", "remove", "restore", "correct", "move", "split", "merge"]
StateIn = Literal["draft", "pending", "posting", "approved", "effective", "rejected", "withdrawn"]
ProgramIn = Literal["reservoir", "relocation"]


class RequestFilter(Schema):
    box: Literal["awaiting", "mine", "all"] = "all"
    state: StateIn | None = None
    kind: KindIn | None = None
    program: ProgramIn | None = None
    division: Text | None = Field(None, pattern=r"^\d{1,12}$")
    person_id: int | None = Field(None, ge=1, le=MAX_ID)
    household_id: int | None = Field(None, ge=1, le=MAX_ID)


class RequestIn(Schema):
    kind: KindIn
    program: ProgramIn
    person_id: int | None = Field(None, ge=1, le=MAX_ID)
    id_number: Text | None = Field(None, max_length=32, description="身份证号（与 person_id 二选一）")
    household_id: int | None = Field(None, ge=1, le=MAX_ID)
    enrolment_id: int | None = Field(None, ge=1, le=MAX_ID)
    cause: Text = Field("", max_length=20)
    reason: Text = Field("", max_length=500)
    effective_on: dt.date | None = None
    payload: dict = Field(default_factory=dict, description="按类型：remove {event_date}；correct {changes:{字段:新值}}；add_person {member:{...}}；"
                                                            "add_household {number,village,address,members:[...]}；move {to_household|new_household,relation}；"
                                                            "split {members,head,number,village}；merge {into}")
    submit: bool = False


class DecisionIn(Schema):
    comment: Text = Field("", max_length=500)


class RejectIn(Schema):
    reason: Text = Field(..., min_length=1, max_length=500, pattern=r"\S", description="退回理由（必填）")


class PostingOut(Schema):
    title: str
    scope_name: str
    program_label: str
    period: str
    count: int
    headers: list[str]
    rows: list[list[str]]


class PostingFilter(Schema):
    scope: Text | None = Field(None, pattern=r"^(\d{4}|\d{6}|\d{9})$")
    program: ProgramIn | None = None


class ExportFilter(PostingFilter):
    format: Literal["xlsx", "pdf"] = "xlsx"


class ImportErrorOut(Schema):
    sheet: str
    row: int
    column: str
    value: str
    code: str
    message: str


class ImportOut(Schema):
    rows: int
    created: int
    rejected: int
    requests: list[int]
    errors: list[ImportErrorOut]


@router.get("", response={200: list[RequestOut], **ERRORS}, summary="变更申请列表（本辖区；awaiting=待我审批，mine=我提出的）")
@paginate(Pagination)
def list_requests(request, filters: Query[RequestFilter]):
    return change_request_list(actor=request.auth, box=filters.box, state=filters.state or "", kind=filters.kind or "",
                               program=filters.program or "", division=filters.division or "", person_id=filters.person_id,
                               household_id=filters.household_id)


@router.post("", response={200: RequestDetailOut, **WRITE_ERRORS}, summary="提出变更申请（submit=true 时直接提交审批）")
def create_request(request, data: RequestIn):
    actor = request.auth
    require_perm(actor, Perm.REQUEST_SUBMIT)
    person = household = enrolment = None
    if data.person_id is not None:
        person = request_person(actor, data.person_id)
    elif data.id_number:
        person = request_person_by_id_number(actor, data.id_number)
    if data.household_id is not None:
        household = request_household(actor, data.household_id)
    if data.enrolment_id is not None:
        enrolment = Enrolment.objects.filter(pk=data.enrolment_id).select_related("person").first()
        if enrolment is None or not in_scope(actor, enrolment.division_code):
            raise NotFound()
    cr = svc.change_request_create(actor=actor, kind=data.kind, program=data.program, person=person, household=household, enrolment=enrolment,
                                   cause=data.cause, reason=data.reason, payload=data.payload, effective_on=data.effective_on, submit=data.submit)
    return access_change_request(actor, cr.pk)


@router.get("/posting", response={200: PostingOut, **ERRORS}, summary="公示表（公示中的申请，身份证号脱敏）")
def get_posting(request, filters: Query[PostingFilter]):
    table = posting.posting_table(actor=request.auth, scope=filters.scope or "", program=filters.program or "")
    return {**table.__dict__, "headers": posting._headers()}


@router.get("/posting/export", response={200: None, **ERRORS}, summary="下载公示表（xlsx 或 pdf；留痕）")
def export_posting(request, filters: Query[ExportFilter]):
    content, filename, content_type = posting.posting_export(actor=request.auth, scope=filters.scope or "", program=filters.program or "",
                                                             fmt=filters.format)
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@router.post("/import", response={200: ImportOut, **WRITE_ERRORS},
             summary="导入核减名单（每行一条核减申请；全部正确才创建，否则返回每行错误）")
def import_requests(request, program: Form[ProgramIn] = "reservoir", submit: Form[bool] = True, file: File[UploadedFile] = None):
    require_perm(request.auth, Perm.REQUEST_SUBMIT)
    from anju.registry.services.requests_import import MAX_IMPORT_BYTES, change_requests_import

    if file is None:
        raise ValidationFailed(MSG_FILE_REQUIRED, code="file_required", detail={"field": "file"})
    result = change_requests_import(actor=request.auth, data=svc.read_upload(file, limit=MAX_IMPORT_BYTES), name=file.name or "upload",
                                    program=program, submit=submit)
    return {**result.as_dict(), "errors": [e.as_dict() for e in result.errors]}


@router.get("/{request_id}", response={200: RequestDetailOut, **ERRORS}, summary="一条变更申请（含办理过程与附件）")
def get_request(request, request_id: int):
    return access_change_request(request.auth, request_id)


def _decide(request, request_id: int, perm: str, action):
    require_perm(request.auth, perm)
    cr = access_change_request(request.auth, request_id)
    action(cr)
    return access_change_request(request.auth, request_id)


@router.post("/{request_id}/submit", response={200: RequestDetailOut, **WRITE_ERRORS}, summary="提交草稿")
def submit_request(request, request_id: int):
    return _decide(request, request_id, Perm.REQUEST_SUBMIT, lambda cr: svc.change_request_submit(actor=request.auth, request=cr))


@router.post("/{request_id}/approve", response={200: RequestDetailOut, **WRITE_ERRORS}, summary="本层级审批通过")
def approve_request(request, request_id: int, data: DecisionIn):
    return _decide(request, request_id, Perm.REQUEST_DECIDE,
                   lambda cr: svc.change_request_approve(actor=request.auth, request=cr, comment=data.comment))


@router.post("/{request_id}/reject", response={200: RequestDetailOut, **WRITE_ERRORS}, summary="退回（须填写理由；退回即办结）")
def reject_request(request, request_id: int, data: RejectIn):
    return _decide(request, request_id, Perm.REQUEST_DECIDE,
                   lambda cr: svc.change_request_reject(actor=request.auth, request=cr, reason=data.reason))


@router.post("/{request_id}/withdraw", response={200: RequestDetailOut, **WRITE_ERRORS}, summary="申请人撤回（生效前）")
def withdraw_request(request, request_id: int, data: DecisionIn):
    return _decide(request, request_id, Perm.REQUEST_SUBMIT,
                   lambda cr: svc.change_request_withdraw(actor=request.auth, request=cr, comment=data.comment))


@router.post("/{request_id}/copy", response={200: RequestDetailOut, **WRITE_ERRORS}, summary="把已退回或已撤回的申请复制为新草稿")
def copy_request(request, request_id: int):
    require_perm(request.auth, Perm.REQUEST_SUBMIT)
    cr = access_change_request(request.auth, request_id)
    new = svc.change_request_copy(actor=request.auth, request=cr)
    return access_change_request(request.auth, new.pk)


@router.post("/{request_id}/evidence", response={200: EvidenceOut, **WRITE_ERRORS},
             summary="上传证明材料（pdf/jpg/png/docx/xlsx，≤10 MB）")
def upload_evidence(request, request_id: int, file: File[UploadedFile] = None):
    actor = request.auth
    if not (actor.can(Perm.REQUEST_SUBMIT) or actor.can(Perm.REQUEST_DECIDE)):
        require_perm(actor, Perm.REQUEST_SUBMIT)
    cr = access_change_request(actor, request_id)
    if file is None:
        raise ValidationFailed(MSG_FILE_REQUIRED, code="file_required", detail={"field": "file"})
    return svc.evidence_add(actor=actor, request=cr, name=file.name or "file", data=svc.read_upload(file))


@router.get("/{request_id}/evidence/{evidence_id}", response={200: None, **ERRORS}, summary="下载证明材料（留痕）")
def download_evidence(request, request_id: int, evidence_id: int):
    evidence = access_evidence(request.auth, request_id, evidence_id)
    path = svc.evidence_open(actor=request.auth, evidence=evidence)
    return FileResponse(open(path, "rb"), as_attachment=True, filename=evidence.original_name,  # noqa: SIM115
                        content_type=evidence.content_type)


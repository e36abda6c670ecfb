"""Subsidies API, bank files: generate a batch's bank file (a job), upload a return file (a job), read returns and their
rows, download a return's problem rows, list the items awaiting a result, resolve one by hand, create a supplementary
batch. Mounted at /api/v1/subsidies/batches."""

from datetime import date, datetime
from typing import Annotated, Any, Literal

from django.http import FileResponse
from django.utils.translation import gettext_lazy
from ninja import Field, File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate
from pydantic import StringConstraints

from anju.accounts.roles import Perm
from anju.core.access import require_perm
from anju.core.api import JobOut
from anju.core.api_base import ERRORS, ErrorOut, Pagination, Text, auth_requiring
from anju.core.exceptions import ValidationFailed
from anju.core.views_jobs import job_payload
from anju.subsidies import jobs_bankfiles
from anju.subsidies.selectors import access_batch
from anju.subsidies.selectors_bankfiles import (
    access_bank_return,
    access_outstanding_item,
    bank_return_list,
    bank_return_rows,
    bankfile_layout,
    outstanding_items,
)
from anju.subsidies.services import bankfiles, returns, supplements

router = Router(tags=["subsidies-bankfiles"])
MSG_LAYOUT_REQUIRED = gettext_lazy("请选择银行文件格式")
MSG_FILE_REQUIRED = gettext_lazy("请上传回盘文件")
WRITE_ERRORS = {**ERRORS, 409: ErrorOut}
DIGITS = r"^\d{1,12}$"
FLAGS = r"^(flagged|ok|unknown_account|amount_mismatch|duplicate|already_resolved|invalid)$"
# Optional free text without NUL; a reason, when given, has a visible character.
Note = Annotated[str, StringConstraints(pattern=r"^[^\x00]*$", max_length=300)]
ModeIn = Literal["all", "valid_only"]


class BankFileExportIn(Schema):
    layout: int | None = Field(None, ge=1, description="银行文件格式编号（见 /api/v1/subsidies/bank-layouts）；不填为该批次上次出盘的格式")


class ReturnOut(Schema):
    id: int
    batch_id: int
    file_name: str
    mode: str
    mode_label: str
    state: str
    state_label: str
    counts: dict[str, Any] = Field(..., description="rows 行数、applied 入账、paid/failed 成功/失败笔数、paid_amount/failed_amount（分）、"
                                                    "flagged 有问题行数、flags 按问题类型的行数")
    has_errors: bool = Field(..., description="有问题行的 Excel 清单可下载")
    uploaded_by: str | None = None
    uploaded_at: datetime

    @staticmethod
    def resolve_mode_label(obj):
        return str(obj.get_mode_display())

    @staticmethod
    def resolve_state_label(obj):
        return str(obj.get_state_display())

    @staticmethod
    def resolve_counts(obj):
        return {k: v for k, v in (obj.counts or {}).items() if k != "error_file"}

    @staticmethod
    def resolve_has_errors(obj):
        return returns.error_file(obj) is not None

    @staticmethod
    def resolve_uploaded_by(obj):
        return obj.uploaded_by.username if obj.uploaded_by_id else None


class ReturnRowOut(Schema):
    id: int
    row: int
    name: str
    account_masked: str
    amount: int | None = Field(None, description="金额（分）")
    success: bool | None
    reason: str
    bank_ref: str
    item_id: int | None
    flag: str
    flag_label: str
    message: str
    applied: bool

    @staticmethod
    def resolve_flag_label(obj):
        return str(obj.get_flag_display()) if obj.flag else ""


class RowFilter(Schema):
    flag: str | None = Field(None, pattern=FLAGS, description="flagged：有问题的行；ok：无误的行；或一种问题类型")


class OutstandingOut(Schema):
    id: int
    enrolment_id: int
    person_id: int
    household_number: str
    division_code: str
    name: str
    id_masked: str
    bank_name: str
    bank_account_masked: str
    year: int
    month_from: int
    month_to: int
    months: int
    amount: int = Field(..., description="金额（分）")
    state: str
    bank_ref: str
    failure_reason: str
    paid_on: date | None


class OutstandingFilter(Schema):
    division: str | None = Field(None, pattern=DIGITS)
    q: Text | None = Field(None, max_length=64)


class ResolveIn(Schema):
    outcome: Literal["paid", "failed"] = Field(..., description="paid：已发放；failed：发放失败（须填 reason）")
    bank_ref: Text = Field("", max_length=64, description="银行流水号或来函文号")
    reason: Text = Field("", max_length=200, description="失败原因")
    paid_on: date | None = Field(None, description="入账日期（已发放时；不填为今天）")


class SupplementIn(Schema):
    include_held: bool = Field(False, description="同时补发暂缓发放的明细")
    note: Note = ""


class SupplementOut(Schema):
    id: int
    number: str
    kind: str
    state: str
    parent_id: int
    division_code: str
    year: int
    quarter: int
    supplement: dict[str, int] = Field(..., description="failed/held 补发的原失败与暂缓笔数、items 笔数、amount（分）、account_changed 账号已更正、"
                                                        "account_unchanged 账号未变、held_again 补发后仍暂缓")

    @staticmethod
    def resolve_supplement(obj):
        return (obj.totals or {}).get("supplement", {})


@router.post("/{batch_id}/bank-file", response={202: JobOut, **WRITE_ERRORS}, summary="生成银行代发文件（后台任务；含完整账号，留痕）")
def bankfiles_export(request, batch_id: int, payload: BankFileExportIn):
    batch = access_batch(request.auth, batch_id)
    if payload.layout is None and batch.layout_id is None:
        require_perm(request.auth, Perm.SUBSIDY_RUN)
        raise ValidationFailed(MSG_LAYOUT_REQUIRED, code="layout_required", detail={"field": "layout"})
    layout = bankfile_layout(actor=request.auth, batch=batch, layout_id=payload.layout or batch.layout_id)
    bankfiles.bankfile_export_check(actor=request.auth, batch=batch, layout=layout)
    return Status(202, job_payload(jobs_bankfiles.bankfile_export_submit(actor=request.auth, batch=batch, layout=layout)))


@router.get("/{batch_id}/returns", response={200: list[ReturnOut], **ERRORS}, summary="批次的回盘文件")
@paginate(Pagination)
def bankfiles_returns(request, batch_id: int):
    return bank_return_list(actor=request.auth, batch=access_batch(request.auth, batch_id))


@router.post("/{batch_id}/returns", response={202: JobOut, **WRITE_ERRORS}, auth=auth_requiring(Perm.SUBSIDY_RUN),
             summary="导入银行回盘文件（后台任务；mode=all 有问题行则全部不入账，valid_only 只入账无误的行）")
def bankfiles_return_upload(request, batch_id: int, mode: Form[ModeIn] = "all", layout: Form[int | None] = None,
                            file: File[UploadedFile] = None):
    batch = access_batch(request.auth, batch_id)
    chosen = bankfile_layout(actor=request.auth, batch=batch, layout_id=layout) if layout else None
    returns.bank_return_check(actor=request.auth, batch=batch, mode=mode)
    if file is None:
        raise ValidationFailed(MSG_FILE_REQUIRED, code="file_required", detail={"field": "file"})
    returns.bank_return_check(actor=request.auth, batch=batch, filename=file.name or "", size=file.size, mode=mode)
    job = jobs_bankfiles.bank_return_submit(actor=request.auth, batch=batch, uploaded=file, mode=mode, layout=chosen)
    return Status(202, job_payload(job))


@router.get("/returns/{return_id}", response={200: ReturnOut, **ERRORS}, summary="一个回盘文件：处理结果与计数")
def bankfiles_return_get(request, return_id: int):
    return access_bank_return(request.auth, return_id)


@router.get("/returns/{return_id}/rows", response={200: list[ReturnRowOut], **ERRORS}, summary="回盘文件逐行结果（账号脱敏）")
@paginate(Pagination)
def bankfiles_return_rows(request, return_id: int, filters: Query[RowFilter]):
    return bank_return_rows(actor=request.auth, bank_return=access_bank_return(request.auth, return_id), flag=filters.flag or "")


_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.get("/returns/{return_id}/errors", response=ERRORS, summary="回盘问题行 Excel（含银行原始行，留痕）",
            openapi_extra={"responses": {200: {"description": "问题行", "content": {_XLSX: {"schema": {"type": "string", "format": "binary"}}}}}})
def bankfiles_return_errors(request, return_id: int):
    path = returns.bank_return_error_file(actor=request.auth, bank_return=access_bank_return(request.auth, return_id))
    return FileResponse(open(path, "rb"), as_attachment=True, filename=path.name, content_type=_XLSX)  # noqa: SIM115


@router.get("/{batch_id}/outstanding", response={200: list[OutstandingOut], **ERRORS}, summary="已出盘、尚无银行结果的明细")
@paginate(Pagination)
def bankfiles_outstanding(request, batch_id: int, filters: Query[OutstandingFilter]):
    batch = access_batch(request.auth, batch_id)
    return outstanding_items(actor=request.auth, batch=batch, division=filters.division or "", q=filters.q or "")


@router.post("/{batch_id}/items/{item_id}/resolve", response={200: OutstandingOut, **WRITE_ERRORS},
             summary="人工确认一笔明细的发放结果（银行电话或来函告知）")
def bankfiles_item_resolve(request, batch_id: int, item_id: int, payload: ResolveIn):
    _batch, item = access_outstanding_item(request.auth, batch_id, item_id)
    return supplements.item_resolve(actor=request.auth, item=item, outcome=payload.outcome, bank_ref=payload.bank_ref, reason=payload.reason,
                                    paid_on=payload.paid_on)


@router.post("/{batch_id}/supplements", response={201: SupplementOut, **WRITE_ERRORS}, summary="生成补发批次（发放失败的明细，可含暂缓的）")
def bankfiles_supplement(request, batch_id: int, payload: SupplementIn):
    batch = access_batch(request.auth, batch_id)
    child = supplements.batch_supplement_create(actor=request.auth, batch=batch, include_held=payload.include_held, note=payload.note)
    return Status(201, child)


"""Relocation API of the imports area: upload a department list (a job: follow it on /jobs/{id}), past imports and their
counts, their error workbooks, and the template of each kind."""

import datetime as dt
import tempfile
import uuid
from pathlib import Path
from typing import Literal

from django.http import FileResponse
from django.utils.translation import gettext_lazy
from ninja import Field, File, Form, Query, Router, Schema
from ninja.files import UploadedFile
from ninja.pagination import paginate
from ninja.responses import Status

from anju.core.api import JobOut
from anju.core.api_base import ERRORS, ErrorOut, Pagination, Text, TokenAuth, VerifiedSessionAuth
from anju.core.exceptions import ValidationFailed
from anju.core.views_jobs import job_payload
from anju.imports.readers import CSV_EXTENSIONS, EXCEL_EXTENSIONS
from anju.relocation.forms_imports import MSG_EXTENSION
from anju.relocation.jobs_imports import relocation_import_submit
from anju.relocation.selectors_imports import (
    access_relocation_import_batch,
    batch_kind,
    relocation_import_batch_list,
    relocation_import_errors_file,
    relocation_import_template,
    require_importer,
)

router = Router(tags=["relocation-imports"])
MSG_FILE_MISSING = gettext_lazy("请上传要导入的文件（字段 file）")
MSG_KIND_MISSING = gettext_lazy("请选择导入内容（字段 kind：employment、welfare、medical、training、insurance 或 income）")
KIND_PATTERN = "^(employment|welfare|medical|training|insurance|income)$"
WRITE_ERRORS = {**ERRORS, 409: ErrorOut}
_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_FILE_RESPONSE = {"responses": {200: {"description": "xlsx", "content": {_XLSX: {"schema": {"type": "string", "format": "binary"}}}}}}


def _importer(user):
    if user is not None:
        require_importer(user)
    return user


# The API's two authentications (same class names, so the OpenAPI security schemes stay), answering 403 to a role that
# may not import before the multipart body is parsed.
class _Token(TokenAuth):
    def authenticate(self, request, token):
        return _importer(super().authenticate(request, token))


class _Session(VerifiedSessionAuth):
    def authenticate(self, request, key):
        return _importer(super().authenticate(request, key))


_Token.__name__, _Session.__name__ = "TokenAuth", "VerifiedSessionAuth"
IMPORTERS = [_Token(), _Session()]


class RelocationImportBatchOut(Schema):
    id: int
    kind: Literal["employment", "welfare", "medical", "training", "insurance", "income", ""]
    template: str
    file_name: str
    file_sha256: str
    mode: Literal["all-or-nothing", "valid-only"]
    division_code: str
    rows: int
    imported: int
    updated: int
    unchanged: int
    rejected: int
    applied: bool
    has_errors_file: bool
    job_id: uuid.UUID | None
    created_by: str | None
    created_at: dt.datetime

    @staticmethod
    def resolve_kind(obj):
        return batch_kind(obj)

    @staticmethod
    def resolve_has_errors_file(obj):
        return bool(obj.errors_file)

    @staticmethod
    def resolve_created_by(obj):
        return obj.created_by.username if obj.created_by else None


class RelocationImportIn(Schema):
    # Optional at the schema level so that a caller without the permission gets 403 before any 422.
    kind: Text | None = None
    mode: Text = "all-or-nothing"


class RelocationImportFilter(Schema):
    kind: str | None = Field(None, pattern=KIND_PATTERN)


@router.post("", response={202: JobOut, **WRITE_ERRORS}, auth=IMPORTERS,
             summary="上传就业、低保特困、医疗费用、培训、参保或收入调查名单并导入（后台任务；进度与结果见 /jobs/{id}）")
def start_import(request, data: Form[RelocationImportIn], file: File[UploadedFile] = None):
    from anju.relocation.services.imports import check_import_kind

    if not data.kind:
        raise ValidationFailed(MSG_KIND_MISSING, code="kind_invalid", detail={"field": "kind"})
    check_import_kind(request.auth, data.kind, data.mode)
    if file is None:
        raise ValidationFailed(MSG_FILE_MISSING, code="file_missing", detail={"field": "file"})
    if Path(file.name or "").suffix.lower() not in EXCEL_EXTENSIONS | CSV_EXTENSIONS:
        raise ValidationFailed(MSG_EXTENSION, code="file_type", detail={"field": "file"})
    job = relocation_import_submit(actor=request.auth, kind=data.kind, mode=data.mode, uploaded=file, source="api")
    return Status(202, job_payload(job))


@router.get("", response={200: list[RelocationImportBatchOut], **ERRORS}, summary="部门数据导入记录（本辖区）")
@paginate(Pagination)
def list_imports(request, filters: Query[RelocationImportFilter]):
    return relocation_import_batch_list(actor=request.auth, kind=filters.kind or "")


@router.get("/templates/{kind}", response=ERRORS, summary="下载导入模板（xlsx：表头与示例行）", openapi_extra=_FILE_RESPONSE)
def get_template(request, kind: str):
    path, name = relocation_import_template(actor=request.auth, kind=kind, folder=Path(tempfile.mkdtemp(prefix="anju-template-")))
    return FileResponse(open(path, "rb"), as_attachment=True, filename=name, content_type=_XLSX)  # noqa: SIM115


@router.get("/{batch_id}", response={200: RelocationImportBatchOut, **ERRORS}, summary="一次导入的计数（状态）")
def get_import(request, batch_id: int):
    return access_relocation_import_batch(request.auth, batch_id)


@router.get("/{batch_id}/errors", response=ERRORS, summary="下载一次导入的错误报告（xlsx）", openapi_extra=_FILE_RESPONSE)
def get_import_errors(request, batch_id: int):
    path = relocation_import_errors_file(request.auth, batch_id)
    batch = access_relocation_import_batch(request.auth, batch_id)
    return FileResponse(open(path, "rb"), as_attachment=True, filename=f"{Path(batch.file_name).stem}-错误报告.xlsx",  # noqa: SIM115
                        content_type=_XLSX)

"""Roster import and export API: upload a file (a job), follow it on /jobs/{id}, list past imports, templates, exports."""

import datetime as dt
import tempfile
import uuid
from pathlib import Path

from django.http import FileResponse
from django.utils.translation import gettext_lazy
from ninja import Field, File, Form, Query, Router, Schema
from ninja.files import UploadedFile
from ninja.pagination import paginate
from ninja.responses import Status

from anju.accounts.roles import Perm
from anju.core.access import require_perm
from anju.core.api import JobOut
from anju.core.api_base import ERRORS, Pagination, Text
from anju.core.exceptions import ValidationFailed
from anju.core.jobs import job_submit
from anju.core.views_jobs import job_payload
from anju.imports.kinds_web import FILE_RESPONSE, XLSX
from anju.imports.readers import CSV_EXTENSIONS, EXCEL_EXTENSIONS
from anju.registry.forms_imports import MSG_EXTENSION
from anju.registry.jobs import upload_dir
from anju.registry.models import Program
from anju.registry.selectors_imports import access_import_batch, import_batch_list, roster_template

router = Router(tags=["registry-imports"])
MSG_FILE_MISSING = gettext_lazy("请上传名册文件（字段 file）")
PROGRAM_PATTERN = "^(reservoir|relocation)$"


class ImportBatchOut(Schema):
    id: int
    template: str
    file_name: str
    file_sha256: str
    mode: str
    division_code: str
    rows: int
    imported: int
    updated: int
    unchanged: int
    rejected: int
    applied: bool
    job_id: uuid.UUID | None
    created_by: str | None
    created_at: dt.datetime

    @staticmethod
    def resolve_created_by(obj):
        return obj.created_by.username if obj.created_by else None


class ImportIn(Schema):
    # Optional at the schema level so that a caller without the permission gets 403 before any 422.
    program: str | None = None
    mode: str = "all-or-nothing"
    scope: Text | None = None


class ExportIn(Schema):
    program: str = Field(..., pattern=PROGRAM_PATTERN)
    as_of: dt.date | None = None
    format: str = Field("xlsx", pattern="^(xlsx|csv)$")
    scope: Text | None = None


@router.post("", response={202: JobOut, **ERRORS}, summary="上传名册文件并导入（后台任务；进度与结果见 /jobs/{id}）")
def start_import(request, data: Form[ImportIn], file: File[UploadedFile] = None):
    require_perm(request.auth, Perm.REGISTRY_IMPORT)
    if file is None:
        raise ValidationFailed(MSG_FILE_MISSING, code="file_missing", detail={"field": "file"})
    name = Path(file.name or "upload").name
    if Path(name).suffix.lower() not in EXCEL_EXTENSIONS | CSV_EXTENSIONS:
        raise ValidationFailed(MSG_EXTENSION, code="file_type", detail={"field": "file"})
    if data.program not in Program.values:
        from anju.registry.services.imports import MSG_PROGRAM

        raise ValidationFailed(MSG_PROGRAM % {"program": data.program}, code="program_invalid", detail={"field": "program"})
    if data.mode not in ("all-or-nothing", "valid-only"):
        from anju.registry.services.imports import MSG_MODE

        raise ValidationFailed(MSG_MODE % {"mode": data.mode}, code="mode_invalid", detail={"field": "mode"})
    path = upload_dir(uuid.uuid4()) / name
    with open(path, "wb") as out:
        for chunk in file.chunks():
            out.write(chunk)
    params = {"program": data.program, "path": str(path), "filename": name, "mode": data.mode, "scope": (data.scope or "").strip(),
              "cleanup": True, "source": "api"}
    return Status(202, job_payload(job_submit(actor=request.auth, kind="registry.import", params=params)))


@router.get("", response={200: list[ImportBatchOut], **ERRORS}, summary="导入记录（本辖区）")
@paginate(Pagination)
def list_imports(request, program: str | None = Query(None, pattern=PROGRAM_PATTERN)):
    return import_batch_list(actor=request.auth, program=program or "")


@router.post("/exports", response={202: JobOut, **ERRORS}, summary="按模板导出名册（后台任务；文件见 /jobs/{id}/file）")
def start_export(request, data: ExportIn):
    require_perm(request.auth, Perm.REGISTRY_EXPORT)
    params = {"program": data.program, "as_of": data.as_of.isoformat() if data.as_of else "", "format": data.format,
              "scope": (data.scope or "").strip()}
    return Status(202, job_payload(job_submit(actor=request.auth, kind="registry.export", params=params)))


@router.get("/{batch_id}", response={200: ImportBatchOut, **ERRORS}, summary="一次导入的计数")
def get_import(request, batch_id: int):
    return access_import_batch(request.auth, batch_id)


@router.get("/templates/{program}", response=ERRORS, summary="下载名册导入模板（xlsx）", openapi_extra=FILE_RESPONSE)
def get_template(request, program: str):
    if program not in Program.values:
        from anju.core.exceptions import NotFound

        raise NotFound()
    path, name = roster_template(actor=request.auth, program=program, folder=Path(tempfile.mkdtemp(prefix="anju-template-")))
    return FileResponse(open(path, "rb"), as_attachment=True, filename=name, content_type=XLSX)  # noqa: SIM115

"""Relocation API of the imports area: upload a department list (a job: follow it on /jobs/{id}), past imports and their
counts, their error workbooks, and the template of each kind.

The endpoints' bodies, the importer-only authentication and the batch schema are shared with projects
(anju.imports.kinds_web); here: the routes, schema names, summaries and the kind list."""

from typing import Literal

from django.utils.translation import gettext_lazy
from ninja import Field, File, Form, Query, Router, Schema
from ninja.files import UploadedFile
from ninja.pagination import paginate

from anju.core.api import JobOut
from anju.core.api_base import ERRORS, Pagination
from anju.imports import kinds_web
from anju.imports.kinds_web import FILE_RESPONSE, WRITE_ERRORS, ImportBatchOut, ImportIn
from anju.relocation.selectors_imports import access_relocation_import_batch, relocation_import_batch_list
from anju.relocation.services.imports import AREA

router = Router(tags=["relocation-imports"])
MSG_KIND_MISSING = gettext_lazy("请选择导入内容（字段 kind：employment、welfare、medical、training、insurance 或 income）")
KIND_PATTERN = "^(employment|welfare|medical|training|insurance|income)$"
# May not import → 403 before the multipart body is parsed.
IMPORTERS = kinds_web.importer_auths(AREA)


class RelocationImportBatchOut(ImportBatchOut):
    kind: Literal["employment", "welfare", "medical", "training", "insurance", "income", ""]
    mode: Literal["all-or-nothing", "valid-only"]


class RelocationImportIn(ImportIn):
    pass


class RelocationImportFilter(Schema):
    kind: str | None = Field(None, pattern=KIND_PATTERN)


@router.post("", response={202: JobOut, **WRITE_ERRORS}, auth=IMPORTERS,
             summary="上传就业、低保特困、医疗费用、培训、参保或收入调查名单并导入（后台任务；进度与结果见 /jobs/{id}）")
def start_import(request, data: Form[RelocationImportIn], file: File[UploadedFile] = None):
    return kinds_web.start_upload(request, AREA, data, file, msg_kind_missing=MSG_KIND_MISSING)


@router.get("", response={200: list[RelocationImportBatchOut], **ERRORS}, summary="部门数据导入记录（本辖区）")
@paginate(Pagination)
def list_imports(request, filters: Query[RelocationImportFilter]):
    return relocation_import_batch_list(actor=request.auth, kind=filters.kind or "")


@router.get("/templates/{kind}", response=ERRORS, summary="下载导入模板（xlsx：表头与示例行）", openapi_extra=FILE_RESPONSE)
def get_template(request, kind: str):
    return kinds_web.template_download(request.auth, AREA, kind)


@router.get("/{batch_id}", response={200: RelocationImportBatchOut, **ERRORS}, summary="一次导入的计数（状态）")
def get_import(request, batch_id: int):
    return access_relocation_import_batch(request.auth, batch_id)


@router.get("/{batch_id}/errors", response=ERRORS, summary="下载一次导入的错误报告（xlsx）", openapi_extra=FILE_RESPONSE)
def get_import_errors(request, batch_id: int):
    return kinds_web.errors_download(request.auth, AREA, batch_id)

"""Projects API of the imports area: upload a file (a job: follow it on /jobs/{id}), past imports, their error
workbooks, and the templates of each kind.

The endpoints' bodies, the importer-only authentication and the batch schema are shared with relocation
(anju.imports.kinds_web); here: the routes, schema names, summaries and the kind list."""

from django.utils.translation import gettext_lazy
from ninja import Field, File, Form, Query, Router, Schema
from ninja.files import UploadedFile
from ninja.pagination import paginate

from anju.core.api import JobOut
from anju.core.api_base import ERRORS, Pagination
from anju.imports import kinds_web
from anju.imports.kinds_web import FILE_RESPONSE, WRITE_ERRORS, ImportBatchOut, ImportIn
from anju.projects.selectors_imports import access_project_import_batch, project_import_batch_list
from anju.projects.services.imports import AREA

router = Router(tags=["projects-imports"])
MSG_KIND_MISSING = gettext_lazy("请选择导入内容（字段 kind：projects、allocations、payments 或 progress）")
KIND_PATTERN = "^(projects|allocations|payments|progress)$"
# May import nothing → 403 before the multipart body is parsed (either of the two permissions lets a role in).
IMPORTERS = kinds_web.importer_auths(AREA)


# Subclasses only for their names, which the OpenAPI schema keeps.
class ProjectImportBatchOut(ImportBatchOut):
    pass


class ProjectImportIn(ImportIn):
    pass


class ProjectImportFilter(Schema):
    kind: str | None = Field(None, pattern=KIND_PATTERN)


@router.post("", response={202: JobOut, **WRITE_ERRORS}, auth=IMPORTERS,
             summary="上传项目台账、资金下达、资金支付或月度进度文件并导入（后台任务；进度与结果见 /jobs/{id}）")
def start_import(request, data: Form[ProjectImportIn], file: File[UploadedFile] = None):
    return kinds_web.start_upload(request, AREA, data, file, msg_kind_missing=MSG_KIND_MISSING)


@router.get("", response={200: list[ProjectImportBatchOut], **ERRORS}, summary="项目数据导入记录（本辖区）")
@paginate(Pagination)
def list_imports(request, filters: Query[ProjectImportFilter]):
    return project_import_batch_list(actor=request.auth, kind=filters.kind or "")


@router.get("/templates/{kind}", response=ERRORS, summary="下载导入模板（xlsx：表头与示例行）", openapi_extra=FILE_RESPONSE)
def get_template(request, kind: str):
    return kinds_web.template_download(request.auth, AREA, kind)


@router.get("/{batch_id}", response={200: ProjectImportBatchOut, **ERRORS}, summary="一次导入的计数")
def get_import(request, batch_id: int):
    return access_project_import_batch(request.auth, batch_id)


@router.get("/{batch_id}/errors", response=ERRORS, summary="下载一次导入的错误报告（xlsx）", openapi_extra=FILE_RESPONSE)
def get_import_errors(request, batch_id: int):
    return kinds_web.errors_download(request.auth, AREA, batch_id)

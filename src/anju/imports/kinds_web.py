"""The pages, form and API pieces of a program's import area (projects, relocation), shared: the upload form, the
bodies of the four pages (upload and past imports, template, one import, its error workbook) and of the API's
endpoints, the API's importer-only authentication and its batch schema.

An area's views_imports / api_imports / forms_imports keep their URL names, routes, schema class names, summaries and
wording, and call these with their `ImportArea` (`anju.imports.kinds`). The pages render the area's own templates,
which extend `imports/kind_index.html` / `imports/kind_batch.html` and fill in their titles and texts.
"""

from __future__ import annotations

import datetime as dt
import tempfile
import uuid
from pathlib import Path

from django import forms
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy
from ninja import Schema
from ninja.responses import Status

from anju.core.api_base import ERRORS, ErrorOut, Text, TokenAuth, VerifiedSessionAuth
from anju.core.exceptions import ApplicationError, ValidationFailed
from anju.core.pagination import paginate
from anju.imports.kinds import KIND_BY_TEMPLATE, ImportArea
from anju.imports.models import ImportBatch
from anju.imports.readers import CSV_EXTENSIONS, EXCEL_EXTENSIONS, MAX_FILE_BYTES

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MSG_EXTENSION = gettext_lazy("请上传 .xlsx、.xls 或 .csv 文件")
MSG_TOO_LARGE = gettext_lazy("文件超过 %(limit)s MB")
MSG_FILE_MISSING = gettext_lazy("请上传要导入的文件（字段 file）")


# --- the upload form ------------------------------------------------------------------------------------------

class KindImportForm(forms.Form):
    """Kind, mode and file. An area's form names its kinds' labels (`labels`) and may word the file's help."""

    labels: dict = {}

    kind = forms.ChoiceField(label=gettext_lazy("导入内容"))
    mode = forms.ChoiceField(label=gettext_lazy("导入模式"), choices=ImportBatch.Mode.choices, initial=ImportBatch.Mode.ALL_OR_NOTHING,
                             help_text=gettext_lazy("“全部或不导入”：任何一行有错都不写入；“仅导入正确行”：写入正确的行，错误行列入错误报告"))
    file = forms.FileField(label=gettext_lazy("文件"))

    def __init__(self, *args, kinds: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [(k, self.labels[k]) for k in kinds]

    def clean_file(self):
        f = self.cleaned_data["file"]
        if Path(f.name).suffix.lower() not in EXCEL_EXTENSIONS | CSV_EXTENSIONS:
            raise forms.ValidationError(MSG_EXTENSION, code="file_type")
        if f.size > MAX_FILE_BYTES:
            raise forms.ValidationError(MSG_TOO_LARGE % {"limit": MAX_FILE_BYTES // (1024 * 1024)}, code="file_too_large")
        return f


# --- the pages (the area's view adds login_required and the HTTP methods) -------------------------------------------

def _file(path: Path, name: str) -> FileResponse:
    return FileResponse(open(path, "rb"), as_attachment=True, filename=name, content_type=XLSX)  # noqa: SIM115 (FileResponse closes it)


def index_page(request, area: ImportArea, *, form_class, template: str):
    """Upload (a job: redirects to its page with live progress) and the past imports in scope."""
    from anju.web.forms import form_error

    user = request.user
    area.require_importer(user)
    kinds = area.importable_kinds(user)
    initial = request.GET.get("kind") if request.GET.get("kind") in kinds else kinds[0]
    form = form_class(request.POST or None, request.FILES or None, kinds=kinds, initial={"kind": initial})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            job = area.submit(actor=user, kind=data["kind"], mode=data["mode"], uploaded=data["file"])
        except ApplicationError as exc:
            form_error(form, exc)
        else:
            return redirect("jobs:detail", job_id=job.pk)
    page = paginate(request, area.batch_list(actor=user))
    for batch in page:
        batch.kind_label = area.batch_kind_label(batch)
    templates = [(k, area.labels[k], area.specs[k]) for k in area.kinds]
    return render(request, template, {"form": form, "page": page, "templates": templates, "ns": area.url_ns},
                  status=422 if request.method == "POST" else 200)


def template_download(actor, area: ImportArea, kind: str):
    """The template of `kind` as a download (the page's and the API's: `actor` is request.user or request.auth)."""
    return _file(*area.template(actor=actor, kind=kind, folder=Path(tempfile.mkdtemp(prefix="anju-template-"))))


def batch_page(request, area: ImportArea, batch_id: int, *, template: str):
    """One import: its counts, and the errors, warnings and the area's own counter its job kept."""
    batch = area.access_batch(request.user, batch_id)
    batch.kind_label = area.batch_kind_label(batch)
    result = batch.job.result if batch.job is not None and isinstance(batch.job.result, dict) else {}
    context = {"batch": batch, "errors": result.get("errors") or [], "error_count": result.get("error_count", 0),
               "warnings": result.get("warnings") or [], "ns": area.url_ns}
    if area.report.EXTRA:
        context[area.report.EXTRA] = result.get(area.report.EXTRA, 0)
    return render(request, template, context)


def errors_download(actor, area: ImportArea, batch_id: int):
    """An import's error workbook as a download (the page's and the API's)."""
    path = area.errors_file(actor, batch_id)
    batch = area.access_batch(actor, batch_id)
    return _file(path, f"{Path(batch.file_name).stem}-错误报告.xlsx")


# --- the API ----------------------------------------------------------------------------------------------------

WRITE_ERRORS = {**ERRORS, 409: ErrorOut}
FILE_RESPONSE = {"responses": {200: {"description": "xlsx", "content": {XLSX: {"schema": {"type": "string", "format": "binary"}}}}}}


def importer_auths(area: ImportArea) -> list:
    """The API's two authentications (same class names, so the OpenAPI security schemes stay), answering 403 to a role
    that may import nothing before the multipart body is parsed."""

    def importer(user):
        if user is not None:
            area.require_importer(user)
        return user

    class _Token(TokenAuth):
        def authenticate(self, request, token):
            return importer(super().authenticate(request, token))

    class _Session(VerifiedSessionAuth):
        def authenticate(self, request, key):
            return importer(super().authenticate(request, key))

    _Token.__name__, _Session.__name__ = "TokenAuth", "VerifiedSessionAuth"
    return [_Token(), _Session()]


class ImportBatchOut(Schema):
    """One past import; an area's schema keeps its own class name and may narrow `kind` and `mode`."""

    id: int
    kind: str
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
    has_errors_file: bool
    job_id: uuid.UUID | None
    created_by: str | None
    created_at: dt.datetime

    @staticmethod
    def resolve_kind(obj):
        return KIND_BY_TEMPLATE.get(obj.template, "")  # a list holds its own area's templates only

    @staticmethod
    def resolve_has_errors_file(obj):
        return bool(obj.errors_file)

    @staticmethod
    def resolve_created_by(obj):
        return obj.created_by.username if obj.created_by else None


class ImportIn(Schema):
    # Optional at the schema level so that a caller without the permission gets 403 before any 422.
    kind: Text | None = None
    mode: Text = "all-or-nothing"


def start_upload(request, area: ImportArea, data: ImportIn, file, *, msg_kind_missing):
    """Check the kind, mode and file, then queue the import: 202 with the job to follow on /jobs/{id}."""
    from anju.core.views_jobs import job_payload

    if not data.kind:
        raise ValidationFailed(msg_kind_missing, code="kind_invalid", detail={"field": "kind"})
    area.check_kind(request.auth, data.kind, data.mode)
    if file is None:
        raise ValidationFailed(MSG_FILE_MISSING, code="file_missing", detail={"field": "file"})
    if Path(file.name or "").suffix.lower() not in EXCEL_EXTENSIONS | CSV_EXTENSIONS:
        raise ValidationFailed(MSG_EXTENSION, code="file_type", detail={"field": "file"})
    job = area.submit(actor=request.auth, kind=data.kind, mode=data.mode, uploaded=file, source="api")
    return Status(202, job_payload(job))

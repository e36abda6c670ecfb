"""Project archives (档案): the checklist of documents by stage (DocumentType), uploads checked by content and stored
under MEDIA_ROOT/projects/<project id>/ with their sha256, audited downloads and deletions, and the archive package
(a zip of the documents in folders by stage with the index sheet 档案目录.xlsx)."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import uuid
import zipfile
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from anju.accounts.roles import Perm
from anju.core import uploads
from anju.core.access import in_scope, require_perm
from anju.core.audit import audit_record
from anju.core.exceptions import Conflict, NotFound, PermissionDenied, ValidationFailed
from anju.core.masking import safe_cell
from anju.core.uploads import files_removed_on_error
from anju.projects.models import STAGE_ORDER, Document, DocumentType, Project, Rectification, Stage

MAX_ARCHIVE_BYTES = 20 * uploads.MB
ARCHIVE_TYPES = {".pdf": uploads.PDF, ".jpg": uploads.JPEG, ".jpeg": uploads.JPEG, ".png": uploads.PNG, ".docx": uploads.DOCX,
                 ".xlsx": uploads.XLSX, ".doc": uploads.DOC, ".xls": uploads.XLS}
EVIDENCE_TYPE_CODE = "rectification_evidence"
INDEX_NAME = "档案目录.xlsx"
OTHER_FOLDER = "99-其他材料"
# Already-compressed formats are stored as they are in the package; the rest is deflated.
STORED_SUFFIXES = {".jpg", ".jpeg", ".png", ".docx", ".xlsx"}

MSG_NOT_UPLOADER_UNIT = gettext_lazy("只有上传单位（%(unit)s）的用户可以删除该文件")
MSG_REASON_REQUIRED = gettext_lazy("请填写删除理由")
MSG_IS_EVIDENCE = gettext_lazy("该文件是整改事项“%(finding)s”的佐证材料，不能删除")
MSG_ARCHIVED = gettext_lazy("项目已归档，档案不能再修改")
MSG_DOC_TYPE_UNKNOWN = gettext_lazy("未知的档案材料类型：%(code)s")
MSG_DOC_TYPE_INACTIVE = gettext_lazy("档案材料类型“%(name)s”已停用")
MSG_TITLE_TOO_LONG = gettext_lazy("标题最多 200 字")
MSG_CODE_FORMAT = gettext_lazy("编码只能由小写字母、数字和下划线组成，以字母开头，最多 32 位")
MSG_CODE_TAKEN = gettext_lazy("编码“%(code)s”已被使用")
MSG_NAME_REQUIRED = gettext_lazy("请填写材料名称")
MSG_STAGE_UNKNOWN = gettext_lazy("未知的阶段：%(stage)s")
MSG_FILE_MISSING = gettext_lazy("文件“%(name)s”在存储中找不到，请联系系统管理员")

CODE_RE = re.compile(r"^[a-z][a-z0-9_]{0,31}$")


# --- the checklist ---------------------------------------------------------------------------------------------

def _clean_type_fields(*, name: str, stage: str, sort: int | None) -> tuple[str, str]:
    name = (name or "").strip()
    if not name:
        raise ValidationFailed(MSG_NAME_REQUIRED, code="name_required", detail={"field": "name"})
    if len(name) > 60:
        raise ValidationFailed(MSG_NAME_REQUIRED, code="name_too_long", detail={"field": "name"})
    if stage not in STAGE_ORDER:
        raise ValidationFailed(MSG_STAGE_UNKNOWN % {"stage": stage}, code="stage_unknown", detail={"field": "stage"})
    if sort is not None and not (0 <= int(sort) <= 32767):
        raise ValidationFailed(gettext_lazy("排序须在 0 至 32767 之间"), code="sort_range", detail={"field": "sort"})
    return name, stage


def _type_dict(t: DocumentType) -> dict:
    return {"code": t.code, "name": t.name, "stage": t.stage, "required": t.required, "sort": t.sort, "active": t.active}


def document_type_create(*, actor, code: str, name: str, stage: str, required: bool = True, sort: int | None = None) -> DocumentType:
    """Add an entry to the archive checklist (city configuration)."""
    require_perm(actor, Perm.PROJECT_MANAGE)
    code = (code or "").strip()
    if not CODE_RE.match(code):
        raise ValidationFailed(MSG_CODE_FORMAT, code="code_format", detail={"field": "code"})
    name, stage = _clean_type_fields(name=name, stage=stage, sort=sort)
    with transaction.atomic():
        if DocumentType.objects.filter(code=code).exists():
            raise Conflict(MSG_CODE_TAKEN % {"code": code}, code="code_taken", detail={"field": "code"})
        if sort is None:
            last = DocumentType.objects.order_by("-sort").values_list("sort", flat=True).first() or 0
            sort = min(last + 10, 32767)
        try:
            with transaction.atomic():
                t = DocumentType.objects.create(code=code, name=name, stage=stage, required=required, sort=sort)
        except IntegrityError:
            raise Conflict(MSG_CODE_TAKEN % {"code": code}, code="code_taken", detail={"field": "code"}) from None
        audit_record(actor=actor, action="projects.document_type.created", object_type="document_type", object_id=t.pk,
                     after=_type_dict(t))
    return t


def document_type_update(*, actor, doc_type: DocumentType, name: str | None = None, stage: str | None = None,
                         required: bool | None = None, sort: int | None = None, active: bool | None = None) -> DocumentType:
    """Rename, move to another stage, make (not) required, reorder, deactivate or reactivate a checklist entry. The code
    stays: documents already filed keep their type."""
    require_perm(actor, Perm.PROJECT_MANAGE)
    with transaction.atomic():
        t = DocumentType.objects.select_for_update().get(pk=doc_type.pk)
        before = _type_dict(t)
        new_name, new_stage = _clean_type_fields(name=t.name if name is None else name, stage=t.stage if stage is None else stage,
                                                 sort=sort)
        t.name, t.stage = new_name, new_stage
        if required is not None:
            t.required = bool(required)
        if sort is not None:
            t.sort = int(sort)
        if active is not None:
            t.active = bool(active)
        after = _type_dict(t)
        if after != before:
            t.save(update_fields=["name", "stage", "required", "sort", "active"])
            audit_record(actor=actor, action="projects.document_type.updated", object_type="document_type", object_id=t.pk,
                         before=before, after=after)
    return t


# --- documents --------------------------------------------------------------------------------------------------

def project_media_dir(project_id: int) -> Path:
    return Path(settings.MEDIA_ROOT) / "projects" / str(project_id)


def doc_type_by_code(code: str | None, *, for_new: bool = True) -> DocumentType | None:
    """The checklist entry of a code ('' or None: no type); an inactive entry cannot take new documents."""
    code = (code or "").strip()
    if not code:
        return None
    t = DocumentType.objects.filter(code=code).first()
    if t is None:
        raise ValidationFailed(MSG_DOC_TYPE_UNKNOWN % {"code": code}, code="doc_type_unknown", detail={"field": "doc_type"})
    if for_new and not t.active:
        raise ValidationFailed(MSG_DOC_TYPE_INACTIVE % {"name": t.name}, code="doc_type_inactive", detail={"field": "doc_type"})
    return t


def check_archive_file(name: str, data: bytes) -> str:
    """The content type of a file the archive accepts (pdf, jpg/jpeg, png, docx, xlsx, doc, xls; at most 20 MB)."""
    return uploads.check_upload(name, data, allowed=ARCHIVE_TYPES, max_bytes=MAX_ARCHIVE_BYTES)


def document_store(*, actor, project: Project, doc_type: DocumentType | None, title: str, name: str, data: bytes,
                   content_type: str, written: list[Path]) -> Document:
    """Write a checked file and its Document row, with the audit event (trusted: the caller has checked permission,
    scope, the project's state and the file, and holds the transaction inside `files_removed_on_error(written)`)."""
    folder = project_media_dir(project.pk)
    folder.mkdir(parents=True, exist_ok=True)
    stored = folder / f"{uuid.uuid4().hex}{Path(name).suffix.lower()}"
    written.append(stored)
    stored.write_bytes(data)
    digest = hashlib.sha256(data).hexdigest()
    doc = Document.objects.create(project=project, doc_type=doc_type, title=title[:200], path=str(stored.relative_to(settings.MEDIA_ROOT)),
                                  original_name=name, content_type=content_type, size=len(data), sha256=digest, uploaded_by=actor)
    audit_record(actor=actor, action="projects.document.uploaded", object_type="document", object_id=doc.pk,
                 division_code=project.division_code,
                 after={"project": project.code, "doc_type": doc_type.code if doc_type else None, "title": doc.title, "name": name,
                        "size": len(data), "sha256": digest})
    return doc


def _assert_writable(actor, project: Project) -> None:
    if not (actor.can(Perm.PROJECT_EDIT) or actor.can(Perm.PROJECT_INSPECT)):
        require_perm(actor, Perm.PROJECT_EDIT)
    if not in_scope(actor, project.division_code, "entry"):
        raise NotFound()
    if project.stage == Stage.ARCHIVED:
        raise Conflict(MSG_ARCHIVED, code="archived")


def document_upload(*, actor, project: Project, name: str, data: bytes, doc_type: str | DocumentType | None = None,
                    title: str = "") -> Document:
    """File a document in a project's archive (PROJECT_EDIT or PROJECT_INSPECT, entry scope); checked by content, not
    name; stored with its sha256; audited."""
    if not (actor.can(Perm.PROJECT_EDIT) or actor.can(Perm.PROJECT_INSPECT)):
        require_perm(actor, Perm.PROJECT_EDIT)
    name = uploads.upload_name(name)
    title = (title or "").replace("\x00", "").strip()
    if len(title) > 200:
        raise ValidationFailed(MSG_TITLE_TOO_LONG, code="title_too_long", detail={"field": "title"})
    t = doc_type if isinstance(doc_type, DocumentType) else doc_type_by_code(doc_type)
    with files_removed_on_error([]) as written, transaction.atomic():
        locked = Project.objects.select_for_update().get(pk=project.pk)
        _assert_writable(actor, locked)
        content_type = check_archive_file(name, data)
        return document_store(actor=actor, project=locked, doc_type=t, title=title, name=name, data=data, content_type=content_type,
                              written=written)


def document_path(document: Document) -> Path:
    return Path(settings.MEDIA_ROOT) / document.path


def document_open(*, actor, document: Document) -> Path:
    """The stored file of a document the actor may read (the caller used access_document); every download is audited."""
    require_perm(actor, Perm.PROJECT_VIEW)
    if not in_scope(actor, document.project.division_code, "view"):
        raise NotFound()
    path = document_path(document)
    if not path.is_file():
        raise NotFound(MSG_FILE_MISSING % {"name": document.original_name})
    with transaction.atomic():
        audit_record(actor=actor, action="projects.document.downloaded", object_type="document", object_id=document.pk,
                     division_code=document.project.division_code,
                     after={"project": document.project.code, "name": document.original_name, "sha256": document.sha256})
    return path


def unit_of(user) -> str:
    """The unit a user acts for: their county (6 digits) or, above it, their city or province prefix."""
    return (user.entry_prefix or "")[:6]


def can_delete(actor, document: Document) -> bool:
    uploader = document.uploaded_by
    unit = unit_of(uploader) if uploader is not None else document.project.division_code[:6]
    return unit_of(actor) == unit


def document_delete(*, actor, document: Document, reason: str) -> None:
    """Remove a document from the archive: only a user of the uploader's unit (the same county, or the city for a
    city's upload), with a reason; audited with the file's digest. The stored file is removed after commit."""
    if not (actor.can(Perm.PROJECT_EDIT) or actor.can(Perm.PROJECT_INSPECT)):
        require_perm(actor, Perm.PROJECT_EDIT)
    reason = (reason or "").replace("\x00", "").strip()
    with transaction.atomic():
        project = Project.objects.select_for_update().get(pk=document.project_id)
        _assert_writable(actor, project)
        doc = Document.objects.select_related("uploaded_by", "doc_type").filter(pk=document.pk, project=project).first()
        if doc is None:
            raise NotFound()
        if not can_delete(actor, doc):
            from anju.divisions.selectors import division_names

            unit = unit_of(doc.uploaded_by) if doc.uploaded_by_id else doc.project.division_code[:6]
            code = unit.ljust(12, "0")
            raise PermissionDenied(MSG_NOT_UPLOADER_UNIT % {"unit": division_names([code]).get(code, unit)}, code="not_uploader_unit")
        if not reason:
            raise ValidationFailed(MSG_REASON_REQUIRED, code="reason_required", detail={"field": "reason"})
        evidence_of = Rectification.objects.filter(evidence=doc).first()
        if evidence_of is not None:
            raise Conflict(MSG_IS_EVIDENCE % {"finding": evidence_of.finding[:30]}, code="is_evidence")
        path = document_path(doc)
        audit_record(actor=actor, action="projects.document.deleted", object_type="document", object_id=doc.pk,
                     division_code=project.division_code, message=reason[:500],
                     before={"project": project.code, "doc_type": doc.doc_type.code if doc.doc_type_id else None, "title": doc.title,
                             "name": doc.original_name, "size": doc.size, "sha256": doc.sha256,
                             "uploaded_by": doc.uploaded_by.username if doc.uploaded_by_id else None},
                     after={"reason": reason[:300]})
        doc.delete()
        transaction.on_commit(lambda: path.unlink(missing_ok=True))


# --- the package ------------------------------------------------------------------------------------------------

def stage_folder(stage: str | None) -> str:
    if stage is None or stage not in STAGE_ORDER:
        return OTHER_FOLDER
    return f"{STAGE_ORDER[stage] + 1:02d}-{Stage(stage).label}"


_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f]+')


def _safe_part(text: str, limit: int = 80) -> str:
    text = _UNSAFE.sub("_", str(text or "")).strip(" .")
    return text[:limit] or "file"


def _arcname(used: set[str], folder: str, label: str, original: str) -> str:
    stem, suffix = Path(_safe_part(original, 120)).stem, Path(original).suffix.lower()
    base = f"{_safe_part(label, 40)}-{stem}" if label else stem
    base = base[:100]
    name, n = f"{folder}/{base}{suffix}", 1
    while name.lower() in used:
        n += 1
        name = f"{folder}/{base}({n}){suffix}"
    used.add(name.lower())
    return name


def archive_package_write(*, actor, project: Project, out) -> dict:
    """Write the archive package of a project the actor may read into `out` (a writable, seekable binary file): the
    documents in folders by stage (01-储备 … 10-归档, 99-其他材料) and 档案目录.xlsx listing each file (序号, 阶段,
    材料名称, 文件名, 大小, sha256, 上传人, 上传时间) with the required items still missing. Files are copied from disk
    one by one, never held in memory together. Audited."""
    import xlsxwriter

    from anju.projects.selectors import archive_missing

    require_perm(actor, Perm.PROJECT_VIEW)
    if not in_scope(actor, project.division_code, "view"):
        raise NotFound()
    docs = list(Document.objects.filter(project=project).select_related("doc_type", "uploaded_by")
                .order_by("doc_type__sort", "doc_type__code", "uploaded_at", "id"))
    docs.sort(key=lambda d: (STAGE_ORDER.get(d.doc_type.stage, 99) if d.doc_type_id else 99,
                             d.doc_type.sort if d.doc_type_id else 0, d.uploaded_at, d.pk))
    for d in docs:
        if not document_path(d).is_file():
            raise NotFound(MSG_FILE_MISSING % {"name": d.original_name})
    here = STAGE_ORDER[project.stage]
    missing = archive_missing(project)
    used: set[str] = {INDEX_NAME.lower()}
    rows = []
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
        for n, d in enumerate(docs, start=1):
            stage = d.doc_type.stage if d.doc_type_id else None
            label = d.doc_type.name if d.doc_type_id else (d.title or "")
            arcname = _arcname(used, stage_folder(stage), label, d.original_name)
            compress = zipfile.ZIP_STORED if Path(d.original_name).suffix.lower() in STORED_SUFFIXES else zipfile.ZIP_DEFLATED
            archive.write(document_path(d), arcname, compress_type=compress)
            rows.append([n, str(Stage(stage).label) if stage else _("其他"), d.doc_type.name if d.doc_type_id else (d.title or _("其他材料")),
                         arcname, d.size, d.sha256, d.uploaded_by.username if d.uploaded_by_id else "",
                         timezone.localtime(d.uploaded_at).strftime("%Y-%m-%d %H:%M")])
        with archive.open(INDEX_NAME, "w") as index:
            _write_index(index, project, rows, missing, here, xlsxwriter)
    with transaction.atomic():
        audit_record(actor=actor, action="projects.archive.packaged", object_type="project", object_id=project.pk,
                     division_code=project.division_code,
                     after={"code": project.code, "files": len(docs), "bytes": sum(d.size for d in docs), "missing": [t.code for t in missing]})
    return {"files": len(docs), "bytes": sum(d.size for d in docs), "missing": [t.name for t in missing]}


def _write_index(stream, project: Project, rows: list, missing: list, here: int, xlsxwriter) -> None:
    import tempfile

    # XlsxWriter needs a seekable target: build the small index in a temporary file, then copy it into the zip.
    with tempfile.TemporaryFile() as tmp:
        wb = xlsxwriter.Workbook(tmp, {"in_memory": False, "tmpdir": tempfile.gettempdir()})
        title = wb.add_format({"bold": True, "font_size": 14})
        head = wb.add_format({"bold": True, "border": 1, "bg_color": "#E8EEF7", "text_wrap": True})
        cell = wb.add_format({"border": 1})
        ws = wb.add_worksheet(_("档案目录"))
        ws.write(0, 0, safe_cell(_("%(code)s %(name)s 档案目录") % {"code": project.code, "name": project.name}), title)
        headers = [_("序号"), _("阶段"), _("材料名称"), _("文件名"), _("大小（字节）"), "sha256", _("上传人"), _("上传时间")]
        ws.write_row(1, 0, headers, head)
        for r, row in enumerate(rows, start=2):
            ws.write_row(r, 0, [row[0]] + [safe_cell(v) if isinstance(v, str) else v for v in row[1:]], cell)
        ws.set_column(0, 0, 6)
        ws.set_column(1, 2, 14)
        ws.set_column(3, 3, 48)
        ws.set_column(4, 4, 12)
        ws.set_column(5, 5, 66)
        ws.set_column(6, 7, 16)
        gap = wb.add_worksheet(_("缺少的必备材料"))
        gap.write(0, 0, safe_cell(_("%(code)s %(name)s 缺少的必备材料") % {"code": project.code, "name": project.name}), title)
        gap.write_row(1, 0, [_("序号"), _("阶段"), _("材料名称"), _("是否已到该阶段")], head)
        for r, t in enumerate(missing, start=2):
            gap.write_row(r, 0, [r - 1, str(Stage(t.stage).label), safe_cell(t.name),
                                 _("是") if STAGE_ORDER[t.stage] <= here else _("否")], cell)
        if not missing:
            gap.write(2, 0, _("无"))
        gap.set_column(0, 0, 6)
        gap.set_column(1, 3, 16)
        wb.close()
        tmp.seek(0)
        while chunk := tmp.read(1024 * 1024):
            stream.write(chunk)


def package_filename(project: Project, today: dt.date | None = None) -> str:
    return f"{_safe_part(project.code, 40)}-档案-{(today or dt.date.today()):%Y%m%d}.zip"

"""Upload checks shared by every app: the file type by content (magic bytes), not by name; size; office files (zip
archives) checked for entry count and declared uncompressed size before anything is decompressed, with the parts
they must have and a well-formed, entity-free [Content_Types].xml (POLICY.md §4)."""

from __future__ import annotations

import io
import zipfile
import zlib
from contextlib import contextmanager
from pathlib import Path

from defusedxml import DefusedXmlException
from defusedxml import ElementTree as SafeET
from django.utils.translation import gettext_lazy as _

from anju.core.exceptions import ValidationFailed

MB = 1024 * 1024
MAX_ZIP_ENTRIES = 2000
MAX_ZIP_TOTAL = 100 * MB  # the declared uncompressed size of all entries of an office file
MAX_CONTENT_TYPES_BYTES = 1 * MB  # [Content_Types].xml is a few kB in real files

PDF_MAGIC = (b"%PDF-",)
JPEG_MAGIC = (b"\xff\xd8\xff",)
PNG_MAGIC = (b"\x89PNG\r\n\x1a\n",)
ZIP_MAGIC = (b"PK\x03\x04",)
OLE2_MAGIC = (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",)  # the compound file of Word 97–2003 (.doc) and Excel 97–2003 (.xls)

PDF = ("application/pdf", PDF_MAGIC)
JPEG = ("image/jpeg", JPEG_MAGIC)
PNG = ("image/png", PNG_MAGIC)
DOCX = ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", ZIP_MAGIC)
XLSX = ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ZIP_MAGIC)
PPTX = ("application/vnd.openxmlformats-officedocument.presentationml.presentation", ZIP_MAGIC)
DOC = ("application/msword", OLE2_MAGIC)
XLS = ("application/vnd.ms-excel", OLE2_MAGIC)

# The part every office file of the kind has; a zip without it is not that kind of file.
OFFICE_MAIN_PART = {".docx": "word/document.xml", ".xlsx": "xl/workbook.xml", ".pptx": "ppt/presentation.xml"}
CONTENT_TYPES = "[Content_Types].xml"

MSG_UPLOAD_TYPE = _("不支持的文件类型“%(name)s”：只接受 %(types)s")
MSG_UPLOAD_EMPTY = _("文件“%(name)s”是空文件")
MSG_UPLOAD_SIZE = _("文件“%(name)s”超过 %(limit)s MB")
MSG_UPLOAD_CONTENT = _("文件“%(name)s”的内容与扩展名不符")
MSG_UPLOAD_ZIP = _("文件“%(name)s”解压后过大或包含过多文件，已拒绝")
MSG_UPLOAD_XML = _("文件“%(name)s”的内部结构（[Content_Types].xml）不是规范的 XML 或含有实体声明，已拒绝")

DEFAULT_MESSAGES = {"type": MSG_UPLOAD_TYPE, "empty": MSG_UPLOAD_EMPTY, "size": MSG_UPLOAD_SIZE, "content": MSG_UPLOAD_CONTENT,
                    "zip": MSG_UPLOAD_ZIP, "xml": MSG_UPLOAD_XML}


def upload_name(name) -> str:
    """The base name of an uploaded file as the browser or client sent it (no folders, at most 200 characters)."""
    return Path(str(name or "").replace("\\", "/").replace("\x00", "")).name[:200] or "file"


def read_upload(upload, limit: int) -> bytes:
    """An uploaded file's bytes, reading at most one chunk past `limit` (enough to refuse it without reading it all)."""
    chunks, total = [], 0
    for chunk in upload.chunks():
        chunks.append(chunk)
        total += len(chunk)
        if total > limit:
            break
    return b"".join(chunks)


def allowed_types_text(allowed: dict) -> str:
    """'pdf、jpg、png、docx' for a message listing what is accepted."""
    return "、".join(suffix.lstrip(".") for suffix in allowed)


def check_upload(name: str, data: bytes, *, allowed: dict[str, tuple[str, tuple[bytes, ...]]], max_bytes: int,
                 max_zip_entries: int = MAX_ZIP_ENTRIES, max_zip_total: int = MAX_ZIP_TOTAL, messages: dict | None = None,
                 code_prefix: str = "upload") -> str:
    """The content type of an acceptable file, or ValidationFailed naming the file (detail {"field": "file"}).

    `allowed` maps a lower-case suffix to (content type, magic prefixes). The suffix must be allowed, and the bytes must
    start with one of its magic prefixes. An office file (.docx/.xlsx/.pptx) must be a zip whose central directory
    declares at most `max_zip_entries` entries and `max_zip_total` bytes uncompressed (checked before decompressing
    anything), holding [Content_Types].xml and its main part; [Content_Types].xml must be well-formed XML without a
    DTD or entities. `messages` replaces the message of a reason (type, empty, size, content, zip, xml); codes are
    `<code_prefix>_<reason>` (an xml problem is reported as content when the caller has no xml message).
    """
    texts = {**DEFAULT_MESSAGES, **(messages or {})}
    has_xml_message = messages is None or "xml" in messages

    def refuse(reason: str, **extra):
        if reason == "xml" and not has_xml_message:
            reason = "content"
        params = {"name": name, "types": allowed_types_text(allowed), "limit": max_bytes // MB, **extra}
        return ValidationFailed(texts[reason] % params, code=f"{code_prefix}_{reason}", detail={"field": "file"})

    suffix = Path(name).suffix.lower()
    if suffix not in allowed:
        raise refuse("type")
    if not data:
        raise refuse("empty")
    if len(data) > max_bytes:
        raise refuse("size")
    content_type, magics = allowed[suffix]
    if not data.startswith(tuple(magics)):
        raise refuse("content")
    if suffix in OFFICE_MAIN_PART:
        _check_office(data, OFFICE_MAIN_PART[suffix], max_zip_entries, max_zip_total, refuse)
    return content_type


def _check_office(data: bytes, main_part: str, max_entries: int, max_total: int, refuse) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()  # the central directory only: nothing is decompressed yet
            if len(infos) > max_entries or sum(i.file_size for i in infos) > max_total:
                raise refuse("zip")
            names = {i.filename for i in infos}
            if CONTENT_TYPES not in names or main_part not in names:
                raise refuse("content")
            info = archive.getinfo(CONTENT_TYPES)
            if info.file_size > MAX_CONTENT_TYPES_BYTES:
                raise refuse("zip")
            with archive.open(info) as f:
                xml = f.read(MAX_CONTENT_TYPES_BYTES + 1)  # bounded even if the declared size lies
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError, ValueError, OSError):
        raise refuse("content") from None
    if len(xml) > MAX_CONTENT_TYPES_BYTES:
        raise refuse("zip")
    try:
        root = SafeET.fromstring(xml, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except (DefusedXmlException, SafeET.ParseError, ValueError):
        raise refuse("xml") from None
    if root.tag.rsplit("}", 1)[-1] != "Types":
        raise refuse("xml")


@contextmanager
def files_removed_on_error(written: list[Path]):
    """Delete the files written inside the block when it raises (wrap it around the transaction that records them, so a
    rollback leaves no orphan file behind)."""
    try:
        yield written
    except BaseException:
        for path in written:
            path.unlink(missing_ok=True)
        raise

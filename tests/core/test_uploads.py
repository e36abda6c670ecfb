"""Upload checks (core.uploads.check_upload): type by magic bytes, not by name; size; office files' zip limits checked
before decompressing, their parts, and [Content_Types].xml parsed with defusedxml (POLICY.md §4)."""

from __future__ import annotations

import io
import zipfile

import pytest

from anju.core import uploads
from anju.core.exceptions import ValidationFailed
from anju.core.uploads import check_upload

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
JPG = b"\xff\xd8\xff\xe0" + b"\x00" * 32
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 64
OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64
TYPES_XML = (b'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
             b'<Default Extension="xml" ContentType="application/xml"/></Types>')
ALLOWED = {".pdf": uploads.PDF, ".jpg": uploads.JPEG, ".jpeg": uploads.JPEG, ".png": uploads.PNG, ".docx": uploads.DOCX, ".xlsx": uploads.XLSX,
           ".doc": uploads.DOC, ".xls": uploads.XLS}
LIMIT = 1024 * 1024


def docx_bytes() -> bytes:
    import docx

    out = io.BytesIO()
    document = docx.Document()
    document.add_paragraph("验收报告")
    document.save(out)
    return out.getvalue()


def xlsx_bytes() -> bytes:
    import xlsxwriter

    out = io.BytesIO()
    wb = xlsxwriter.Workbook(out, {"in_memory": True})
    wb.add_worksheet().write(0, 0, "清单")
    wb.close()
    return out.getvalue()


def zip_bytes(entries: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in entries.items():
            z.writestr(name, data)
    return out.getvalue()


def lying_zip(entries: dict[str, bytes], declared: int) -> bytes:
    """A zip whose central directory declares `declared` bytes uncompressed for its last entry (a zip bomb's header)."""
    data = bytearray(zip_bytes(entries))
    end = data.rfind(b"PK\x05\x06")
    cd_offset = int.from_bytes(data[end + 16:end + 20], "little")
    last = data.rfind(b"PK\x01\x02", cd_offset, end)
    data[last + 24:last + 28] = declared.to_bytes(4, "little")  # uncompressed size in the central directory entry
    return bytes(data)


def check(name: str, data: bytes, **kw) -> str:
    return check_upload(name, data, allowed=ALLOWED, max_bytes=LIMIT, **kw)


def refused(name: str, data: bytes, **kw) -> ValidationFailed:
    with pytest.raises(ValidationFailed) as exc:
        check(name, data, **kw)
    assert exc.value.detail == {"field": "file"}
    assert name in exc.value.message  # the message names the file
    return exc.value


@pytest.mark.parametrize("name,data,content_type", [
    ("验收报告.pdf", PDF, "application/pdf"), ("现场.PNG", PNG, "image/png"), ("现场.jpg", JPG, "image/jpeg"),
    ("现场.jpeg", JPG, "image/jpeg"), ("纪要.doc", OLE2, "application/msword"), ("台账.xls", OLE2, "application/vnd.ms-excel"),
])
def test_good_files_by_magic(name, data, content_type):
    assert check(name, data) == content_type


def test_good_office_files():
    assert check("合同.docx", docx_bytes()) == uploads.DOCX[0]
    assert check("清单.xlsx", xlsx_bytes()) == uploads.XLSX[0]


@pytest.mark.parametrize("name,data", [
    ("setup.pdf", EXE),  # an exe renamed .pdf
    ("photo.docx", PNG),  # a png named .docx
    ("fake.png", PDF),
    ("fake.jpg", PNG),
    ("fake.doc", PDF),
    ("fake.xls", docx_bytes()),  # an OOXML zip is not the OLE2 compound file .xls names
    ("broken.xlsx", b"PK\x03\x04garbage"),
    ("wrongpart.docx", zip_bytes({"[Content_Types].xml": TYPES_XML, "xl/workbook.xml": b"<x/>"})),
    ("notypes.docx", zip_bytes({"word/document.xml": b"<x/>"})),
])
def test_wrong_content_behind_a_right_name(name, data):
    exc = refused(name, data)
    assert exc.code == "upload_content" and exc.message == str(uploads.MSG_UPLOAD_CONTENT % {"name": name})


@pytest.mark.parametrize("name", ["virus.exe", "noext", "archive.zip", "doc.ofd", "slides.pptx", "x.pdf.exe"])
def test_type_not_allowed(name):
    exc = refused(name, PDF)
    assert exc.code == "upload_type" and "pdf、jpg、jpeg、png、docx、xlsx、doc、xls" in exc.message


def test_empty_and_too_large():
    assert refused("空.pdf", b"").code == "upload_empty"
    exc = refused("大.pdf", PDF + b"x" * LIMIT)
    assert exc.code == "upload_size" and exc.message == str(uploads.MSG_UPLOAD_SIZE % {"name": "大.pdf", "limit": 1})
    assert check("正好.pdf", PDF + b"x" * (LIMIT - len(PDF))) == "application/pdf"  # exactly the limit is fine


def test_zip_bomb_declared_size_is_refused_before_decompressing():
    bomb = lying_zip({"[Content_Types].xml": TYPES_XML, "word/document.xml": b"<x/>"}, declared=3_000_000_000)
    exc = refused("bomb.docx", bomb)
    assert exc.code == "upload_zip" and exc.message == str(uploads.MSG_UPLOAD_ZIP % {"name": "bomb.docx"})
    real = zip_bytes({"[Content_Types].xml": TYPES_XML, "word/document.xml": b"\x00" * (2 * 1024 * 1024)})  # 2 MB of zeros, 2 kB packed
    assert len(real) < LIMIT
    assert refused("zeros.docx", real, max_zip_total=1024 * 1024).code == "upload_zip"


def test_too_many_entries():
    many = zip_bytes({"[Content_Types].xml": TYPES_XML, "word/document.xml": b"<x/>", **{f"media/{i}.xml": b"" for i in range(20)}})
    assert refused("many.docx", many, max_zip_entries=10).code == "upload_zip"
    assert check("many.docx", many, max_zip_entries=22) == uploads.DOCX[0]


@pytest.mark.parametrize("xml", [
    b"<Types><Default",  # not well-formed
    b'<?xml version="1.0"?><!DOCTYPE Types [<!ENTITY lol "lol">]><Types>&lol;</Types>',  # an entity (billion laughs starts so)
    b'<?xml version="1.0"?><!DOCTYPE Types SYSTEM "http://example.com/x.dtd"><Types/>',  # a DTD at all
    b'<?xml version="1.0"?><!DOCTYPE Types [<!ENTITY x SYSTEM "file:///etc/passwd">]><Types>&x;</Types>',  # external entity
    b"<Other/>",  # well-formed, but not a content-types part
])
def test_malformed_content_types(xml):
    data = zip_bytes({"[Content_Types].xml": xml, "word/document.xml": b"<x/>"})
    exc = refused("坏.docx", data)
    assert exc.code == "upload_xml" and exc.message == str(uploads.MSG_UPLOAD_XML % {"name": "坏.docx"})


def test_caller_messages_and_codes():
    """A caller with its own messages and code prefix (the registry's evidence) gets them; without an xml message a bad
    [Content_Types].xml is a content error."""
    messages = {"type": "T %(name)s", "empty": "E %(name)s", "size": "S %(name)s %(limit)s", "content": "C %(name)s", "zip": "Z %(name)s"}
    with pytest.raises(ValidationFailed) as exc:
        check_upload("a.docx", zip_bytes({"[Content_Types].xml": b"<x", "word/document.xml": b""}), allowed=ALLOWED, max_bytes=LIMIT,
                     messages=messages, code_prefix="evidence")
    assert exc.value.code == "evidence_content" and exc.value.message == "C a.docx"
    with pytest.raises(ValidationFailed) as exc:
        check_upload("a.pdf", PDF * 10, allowed=ALLOWED, max_bytes=10, messages=messages, code_prefix="evidence")
    assert exc.value.code == "evidence_size" and exc.value.message == "S a.pdf 0"


def test_upload_name_and_bounded_read():
    class Upload:
        def __init__(self, size: int, chunk: int):
            self.size, self.chunk, self.read = size, chunk, 0

        def chunks(self):
            while self.read < self.size:
                self.read += self.chunk
                yield b"x" * self.chunk

    assert uploads.upload_name("C:\\Users\\张三\\验收报告.pdf") == "验收报告.pdf"
    assert uploads.upload_name("../../etc/passwd") == "passwd"
    assert uploads.upload_name("") == "file"
    big = Upload(200 * 1024 * 1024, 64 * 1024)
    data = uploads.read_upload(big, limit=100 * 1024)
    assert len(data) == 128 * 1024 and big.read == 128 * 1024  # stops one chunk past the limit, the rest never read

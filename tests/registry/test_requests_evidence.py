"""Evidence attachments: allowed types by extension and magic bytes, size and zip limits, storage, audited download."""

from __future__ import annotations

import hashlib
import io
import zipfile

import pytest

from anju.core.exceptions import Conflict, NotFound, ValidationFailed
from anju.core.models import AuditEvent
from anju.registry.models import Evidence
from anju.registry.selectors_requests import access_evidence
from anju.registry.services import requests as svc

from . import test_requests_workflow as wf
from .test_requests_workflow import removal

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
JPG = b"\xff\xd8\xff\xe0" + b"\x00" * 32


@pytest.fixture
def actors(make_user):
    return wf.make_actors(make_user)


@pytest.fixture
def household(tree):
    return wf.make_family()



def docx_bytes() -> bytes:
    import docx

    out = io.BytesIO()
    document = docx.Document()
    document.add_paragraph("死亡证明")
    document.save(out)
    return out.getvalue()


def xlsx_bytes() -> bytes:
    import xlsxwriter

    out = io.BytesIO()
    wb = xlsxwriter.Workbook(out, {"in_memory": True})
    wb.add_worksheet().write(0, 0, "证明")
    wb.close()
    return out.getvalue()


def zip_bytes(entries: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in entries.items():
            z.writestr(name, data)
    return out.getvalue()


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.mark.parametrize("name,data", [("死亡证明.pdf", PDF), ("photo.PNG", PNG), ("scan.jpg", JPG), ("scan.jpeg", JPG),
                                       ("证明.docx", None), ("名单.xlsx", None)])
def test_allowed_types_are_stored_with_their_digest(actors, household, media, name, data):
    data = data or (docx_bytes() if name.endswith(".docx") else xlsx_bytes())
    cr = removal(actors, household)
    evidence = svc.evidence_add(actor=actors["township"], request=cr, name=name, data=data)
    stored = media / evidence.path
    assert stored.read_bytes() == data and stored.parent == media / "registry" / "evidence" / str(cr.pk)
    assert evidence.sha256 == hashlib.sha256(data).hexdigest() and evidence.size == len(data) and evidence.original_name == name
    assert AuditEvent.objects.filter(action="registry.request.evidence_added", object_id=str(cr.pk)).exists()


@pytest.mark.parametrize("name,data,code", [
    ("virus.exe", b"MZ\x90\x00", "evidence_type"),
    ("noext", PDF, "evidence_type"),
    ("fake.pdf", PNG, "evidence_content"),
    ("fake.png", PDF, "evidence_content"),
    ("fake.docx", PDF, "evidence_content"),
    ("broken.xlsx", b"PK\x03\x04garbage", "evidence_content"),
    ("other.docx", zip_bytes({"[Content_Types].xml": b"<x/>", "xl/workbook.xml": b"<x/>"}), "evidence_content"),
    ("empty.pdf", b"", "evidence_empty"),
])
def test_refused_files(actors, household, media, name, data, code):
    cr = removal(actors, household)
    with pytest.raises(ValidationFailed) as exc:
        svc.evidence_add(actor=actors["township"], request=cr, name=name, data=data)
    assert exc.value.code == code and exc.value.detail == {"field": "file"}
    assert not Evidence.objects.exists() and not (media / "registry").exists()


def test_size_and_zip_limits(actors, household, monkeypatch):
    cr = removal(actors, household)
    monkeypatch.setattr(svc, "MAX_EVIDENCE_BYTES", 40)
    with pytest.raises(ValidationFailed) as exc:
        svc.evidence_add(actor=actors["township"], request=cr, name="big.pdf", data=PDF + b"x" * 10)
    assert exc.value.message == str(svc.MSG_EVIDENCE_SIZE % {"name": "big.pdf", "limit": 0})
    monkeypatch.setattr(svc, "MAX_EVIDENCE_BYTES", 10 * 1024 * 1024)
    bomb = zip_bytes({"[Content_Types].xml": b"<x/>", "word/document.xml": b"\x00" * (2 * 1024 * 1024)})
    monkeypatch.setattr(svc, "MAX_ZIP_TOTAL", 1024 * 1024)
    with pytest.raises(ValidationFailed) as exc:
        svc.evidence_add(actor=actors["township"], request=cr, name="bomb.docx", data=bomb)
    assert exc.value.code == "evidence_zip" and exc.value.message == str(svc.MSG_EVIDENCE_ZIP % {"name": "bomb.docx"})
    monkeypatch.setattr(svc, "MAX_ZIP_ENTRIES", 3)
    many = zip_bytes({"[Content_Types].xml": b"<x/>", "word/document.xml": b"<x/>", **{f"f{i}": b"" for i in range(5)}})
    with pytest.raises(ValidationFailed) as exc:
        svc.evidence_add(actor=actors["township"], request=cr, name="many.docx", data=many)
    assert exc.value.code == "evidence_zip"


def test_count_limit_state_and_scope(actors, household, monkeypatch):
    cr = removal(actors, household)
    monkeypatch.setattr(svc, "MAX_EVIDENCE_FILES", 1)
    svc.evidence_add(actor=actors["township"], request=cr, name="a.pdf", data=PDF)
    with pytest.raises(ValidationFailed) as exc:
        svc.evidence_add(actor=actors["county"], request=cr, name="b.pdf", data=PDF)
    assert exc.value.code == "evidence_count"
    with pytest.raises(NotFound):
        svc.evidence_add(actor=actors["county_other"], request=cr, name="b.pdf", data=PDF)
    svc.change_request_withdraw(actor=actors["township"], request=cr)
    with pytest.raises(Conflict) as exc:
        svc.evidence_add(actor=actors["township"], request=cr, name="b.pdf", data=PDF)
    assert exc.value.code == "not_open"


def test_download_is_scoped_and_audited(actors, household):
    cr = removal(actors, household)
    evidence = svc.evidence_add(actor=actors["township"], request=cr, name="证明.pdf", data=PDF)
    with pytest.raises(NotFound):
        access_evidence(actors["county_other"], cr.pk, evidence.pk)
    with pytest.raises(NotFound):
        access_evidence(actors["county"], cr.pk, evidence.pk + 1)
    path = svc.evidence_open(actor=actors["county"], evidence=access_evidence(actors["county"], cr.pk, evidence.pk))
    assert path.read_bytes() == PDF
    event = AuditEvent.objects.get(action="registry.request.evidence_downloaded")
    assert event.actor == actors["county"] and event.after["sha256"] == evidence.sha256

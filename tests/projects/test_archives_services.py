"""The project archive: uploads checked by content and stored with their sha256, audited downloads and deletions, the
checklist, completeness per project and per county, and the archive package read back."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import zipfile
from decimal import Decimal

import pytest
from python_calamine import CalamineWorkbook

from anju.core.exceptions import Conflict, NotFound, PermissionDenied, ValidationFailed
from anju.core.models import AuditEvent
from anju.core.uploads import MSG_UPLOAD_CONTENT
from anju.projects import selectors_inspections as sel
from anju.projects.models import Document, DocumentType, Stage
from anju.projects.services import archives
from anju.projects.services import inspections as svc

from . import test_inspections_services as base
from .factories import COUNTY, OTHER_VILLAGE, VILLAGE, make_project
from .test_inspections_services import EXE, PDF, PNG, finding, inspect

people, media = base.people, base.media  # the fixtures (media is autouse)

OTHER_COUNTY_VILLAGE = "429922101201"  # 青山县, in the same city


def docx_bytes(text: str = "可行性研究报告") -> bytes:
    import docx

    out = io.BytesIO()
    document = docx.Document()
    document.add_paragraph(text)
    document.save(out)
    return out.getvalue()


def zip_bytes(entries: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in entries.items():
            z.writestr(name, data)
    return out.getvalue()


def upload(actor, project, name="文件.pdf", data=PDF, doc_type="", title=""):
    return archives.document_upload(actor=actor, project=project, name=name, data=data, doc_type=doc_type, title=title)


# --- uploads ----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name,data,content_type", [
    ("可研报告.pdf", PDF, "application/pdf"), ("现场照片.png", PNG, "image/png"),
    ("实施方案.docx", None, "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
])
def test_good_files_are_stored_with_their_digest(people, media, name, data, content_type):
    data = data or docx_bytes()
    project = make_project()
    doc = upload(people["clerk"], project, name, data, "feasibility", "可研")
    stored = media / doc.path
    assert stored.read_bytes() == data and stored.parent == media / "projects" / str(project.pk)
    assert (doc.sha256, doc.size, doc.original_name, doc.content_type) == (hashlib.sha256(data).hexdigest(), len(data), name, content_type)
    assert doc.doc_type.code == "feasibility" and doc.title == "可研" and doc.uploaded_by == people["clerk"]
    event = AuditEvent.objects.get(action="projects.document.uploaded", object_id=str(doc.pk))
    assert event.division_code == VILLAGE and event.after["sha256"] == doc.sha256


@pytest.mark.parametrize("name,data,code", [
    ("setup.pdf", EXE, "upload_content"),  # an exe renamed .pdf
    ("照片.docx", PNG, "upload_content"),  # a png named .docx
    ("bomb.docx", None, "upload_zip"),
    ("坏.docx", zip_bytes({"[Content_Types].xml": b"<Types", "word/document.xml": b"<x/>"}), "upload_xml"),
    ("包.zip", zip_bytes({"a.pdf": PDF}), "upload_type"),
    ("空.pdf", b"", "upload_empty"),
    ("大.pdf", PDF + b"x" * archives.MAX_ARCHIVE_BYTES, "upload_size"),
])
def test_bad_files_are_refused_and_nothing_is_written(people, media, name, data, code):
    if data is None:
        data = zip_bytes({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"\x00" * (101 * 1024 * 1024)})
    with pytest.raises(ValidationFailed) as exc:
        upload(people["clerk"], make_project(), name, data)
    assert exc.value.code == code and name in exc.value.message
    assert not Document.objects.exists() and not (media / "projects").exists()
    assert not AuditEvent.objects.filter(action="projects.document.uploaded").exists()


def test_wrong_type_message_names_the_file(people):
    with pytest.raises(ValidationFailed) as exc:
        upload(people["clerk"], make_project(), "setup.pdf", EXE)
    assert exc.value.message == str(MSG_UPLOAD_CONTENT % {"name": "setup.pdf"})


def test_document_type_must_be_known_and_active(people):
    project = make_project()
    with pytest.raises(ValidationFailed) as exc:
        upload(people["clerk"], project, doc_type="nope")
    assert exc.value.code == "doc_type_unknown" and exc.value.detail == {"field": "doc_type"}
    DocumentType.objects.filter(code="photos").update(active=False)
    with pytest.raises(ValidationFailed) as exc:
        upload(people["clerk"], project, doc_type="photos")
    assert exc.value.message == str(archives.MSG_DOC_TYPE_INACTIVE % {"name": "影像资料"})
    assert upload(people["clerk"], project, doc_type="").doc_type is None


def test_upload_permission_scope_and_archived(people):
    project = make_project()
    for role in ("leader", "finance", "township"):
        with pytest.raises(PermissionDenied):
            upload(people[role], project)
    with pytest.raises(NotFound):
        upload(people["foreign"], project)
    for role in ("clerk", "reviewer", "auditor", "city"):  # PROJECT_EDIT or PROJECT_INSPECT
        upload(people[role], project)
    project.stage = Stage.ARCHIVED
    project.save(update_fields=["stage"])
    with pytest.raises(Conflict) as exc:
        upload(people["clerk"], project)
    assert exc.value.code == "archived" and Document.objects.count() == 4


# --- download and delete ----------------------------------------------------------------------------------------

def test_download_is_scoped_and_audited(people, media):
    doc = upload(people["clerk"], make_project(), "可研.pdf", PDF, "feasibility")
    found = sel.access_document(people["leader"], doc.pk)
    path = archives.document_open(actor=people["leader"], document=found)
    assert path.read_bytes() == PDF
    event = AuditEvent.objects.get(action="projects.document.downloaded", object_id=str(doc.pk))
    assert event.actor == people["leader"] and event.after == {"project": doc.project.code, "name": "可研.pdf", "sha256": doc.sha256}
    with pytest.raises(NotFound):
        sel.access_document(people["foreign"], doc.pk)
    with pytest.raises(NotFound):
        sel.access_document(people["leader"], doc.pk + 100)
    with pytest.raises(PermissionDenied):
        sel.access_document(people["admin"].__class__.objects.create(username="norole"), doc.pk)
    (media / doc.path).unlink()
    with pytest.raises(NotFound):
        archives.document_open(actor=people["leader"], document=found)


def test_delete_by_the_uploaders_unit_with_a_reason(people, media, django_capture_on_commit_callbacks):
    project = make_project()
    doc = upload(people["clerk"], project, "可研.pdf", PDF, "feasibility")
    stored = media / doc.path
    with pytest.raises(PermissionDenied) as exc:  # the city did not upload it
        archives.document_delete(actor=people["city"], document=doc, reason="重复")
    assert exc.value.message == str(archives.MSG_NOT_UPLOADER_UNIT % {"unit": "白云县"})
    with pytest.raises(NotFound):
        archives.document_delete(actor=people["foreign"], document=doc, reason="重复")
    with pytest.raises(PermissionDenied):
        archives.document_delete(actor=people["leader"], document=doc, reason="重复")
    with pytest.raises(ValidationFailed) as exc:
        archives.document_delete(actor=people["clerk2"], document=doc, reason="  ")
    assert exc.value.code == "reason_required" and Document.objects.filter(pk=doc.pk).exists()
    with django_capture_on_commit_callbacks(execute=True):
        archives.document_delete(actor=people["clerk2"], document=doc, reason="上传错了文件")  # the same county's other clerk
    assert not Document.objects.filter(pk=doc.pk).exists() and not stored.exists()
    event = AuditEvent.objects.get(action="projects.document.deleted", object_id=str(doc.pk))
    assert event.message == "上传错了文件" and event.before["sha256"] == doc.sha256 and event.before["uploaded_by"] == "pi_clerk"
    city_doc = upload(people["city"], project)
    with pytest.raises(PermissionDenied):
        archives.document_delete(actor=people["clerk"], document=city_doc, reason="x")
    archives.document_delete(actor=people["city"], document=city_doc, reason="x")


def test_evidence_of_a_rectification_cannot_be_deleted(people):
    r = inspect(people["clerk"], make_project(), findings=[finding()]).findings.get()
    svc.rectification_close(actor=people["clerk"], rectification=r, closing_note="已整改", closed_on=dt.date(2026, 3, 20), evidence_name="a.png",
                            evidence_data=PNG)
    r.refresh_from_db()
    with pytest.raises(Conflict) as exc:
        archives.document_delete(actor=people["clerk"], document=r.evidence, reason="x")
    assert exc.value.code == "is_evidence"


# --- the checklist ----------------------------------------------------------------------------------------------

def test_checklist_is_managed_by_the_city(people):
    t = archives.document_type_create(actor=people["admin"], code="safety_plan", name="安全生产方案", stage=Stage.IMPLEMENTING, required=True)
    assert (t.name, t.stage, t.required, t.active) == ("安全生产方案", "implementing", True, True) and t.sort > 0
    assert AuditEvent.objects.filter(action="projects.document_type.created", object_id=str(t.pk)).exists()
    with pytest.raises(Conflict):
        archives.document_type_create(actor=people["admin"], code="safety_plan", name="重复", stage=Stage.IMPLEMENTING)
    with pytest.raises(ValidationFailed) as exc:
        archives.document_type_create(actor=people["admin"], code="Bad Code", name="x", stage=Stage.IMPLEMENTING)
    assert exc.value.code == "code_format"
    with pytest.raises(ValidationFailed):
        archives.document_type_create(actor=people["admin"], code="x1", name="x", stage="nowhere")
    for role in ("clerk", "auditor", "leader"):
        with pytest.raises(PermissionDenied):
            archives.document_type_create(actor=people[role], code="x2", name="x", stage=Stage.APPLIED)
    archives.document_type_update(actor=people["city"], doc_type=t, name="安全生产专项方案", stage=Stage.APPROVED, required=False, sort=5)
    t.refresh_from_db()
    assert (t.name, t.stage, t.required, t.sort) == ("安全生产专项方案", "approved", False, 5)
    archives.document_type_update(actor=people["city"], doc_type=t, active=False)
    t.refresh_from_db()
    assert not t.active
    events = AuditEvent.objects.filter(action="projects.document_type.updated", object_id=str(t.pk)).order_by("id")
    assert [e.after["active"] for e in events] == [True, False] and events[0].before["name"] == "安全生产方案"
    assert t not in sel.document_type_list(actor=people["leader"], active_only=True)


# --- completeness -----------------------------------------------------------------------------------------------

# The seeded checklist requires, by stage: 申报 4 (feasibility, implementation_plan, publicity, villager_minutes), 立项/下达 1
# (allocation_doc), 实施 3 (tender, contract, start_report), 完工 1, 验收 1, 审计 1, 绩效评价 1: 12 in all.

def test_project_completeness_to_date_and_overall(people):
    project = make_project(stage=Stage.IMPLEMENTING)
    for code in ("feasibility", "implementation_plan", "allocation_doc", "tender", "photos", ""):
        upload(people["clerk"], project, doc_type=code)
    upload(people["clerk"], project, doc_type="tender")  # a second file of the same entry counts once
    st = sel.archive_status(actor=people["leader"], project=project)
    assert (st.present_to_date, st.required_to_date, st.rate_to_date) == (4, 8, Decimal("0.5"))
    assert (st.present_overall, st.required_overall, st.rate_overall) == (4, 12, Decimal("0.3333"))
    assert st.percent_to_date == "50.0%" and st.percent_overall == "33.3%"
    assert [t.code for t in st.missing_to_date] == ["publicity", "villager_minutes", "contract", "start_report"]
    assert [t.code for t in st.missing_overall][-4:] == ["completion_report", "acceptance_report", "audit_report", "evaluation_report"]
    assert len(st.others) == 1 and len(st.documents) == 7
    implementing = next(g for g in st.stages if g.stage == "implementing")
    assert implementing.current and [len(i.documents) for i in implementing.items if i.doc_type.code == "tender"] == [2]
    # a retired required entry no longer counts
    DocumentType.objects.filter(code="publicity").update(active=False)
    st = sel.archive_status(actor=people["leader"], project=project)
    assert (st.present_to_date, st.required_to_date) == (4, 7)


def test_county_completeness(people):
    a = make_project(stage=Stage.IMPLEMENTING)  # 4/8 to date, 4/12 overall
    for code in ("feasibility", "implementation_plan", "allocation_doc", "tender"):
        upload(people["clerk"], a, doc_type=code)
    b = make_project(stage=Stage.APPROVED)  # 5/5, 5/12
    for code in ("feasibility", "implementation_plan", "publicity", "villager_minutes", "allocation_doc"):
        upload(people["clerk"], b, doc_type=code)
    make_project(stage=Stage.RESERVE)  # not counted
    c = make_project(division_code=OTHER_COUNTY_VILLAGE, stage=Stage.APPLIED)  # 青山县: 0/4, 0/12
    make_project(division_code=OTHER_VILLAGE, stage=Stage.APPLIED)  # another city
    rows = sel.archive_completeness_by_county(actor=people["city"])
    baiyun, qingshan, total = rows
    assert (baiyun.county_code, baiyun.county_name, baiyun.projects) == ("429921000000", "白云县", 2)
    assert (baiyun.average_to_date, baiyun.complete_to_date) == (Decimal("0.7500"), 1)  # (0.5 + 1) / 2
    assert (baiyun.average_overall, baiyun.complete_overall) == (Decimal("0.3750"), 0)  # (0.3333 + 0.4167) / 2
    assert (qingshan.county_name, qingshan.projects, qingshan.average_to_date, qingshan.complete_to_date) == ("青山县", 1, Decimal("0"), 0)
    assert (total.projects, total.complete_to_date, total.average_to_date) == (3, 1, Decimal("0.5000"))
    assert [r.county_code for r in sel.archive_completeness_by_county(actor=people["clerk"])] == ["429921000000", ""]
    assert [r.projects for r in sel.archive_completeness_by_county(actor=people["city"], division="429922")] == [1, 1]
    figures = {f.code: f for f in sel.completeness_of(sel.archive_completeness_projects(actor=people["city"]))}
    assert set(figures) == {a.code, b.code, c.code} and figures[b.code].complete_to_date


# --- the package ------------------------------------------------------------------------------------------------

def test_package_zip_with_index_sheet(people, tmp_path):
    project = make_project(stage=Stage.IMPLEMENTING, name="白云村道路硬化")
    docx = docx_bytes()
    upload(people["clerk"], project, "可研.pdf", PDF, "feasibility")
    upload(people["clerk"], project, "可研.pdf", PDF + b"v2", "feasibility")  # same name: numbered in the zip
    upload(people["city"], project, "方案.docx", docx, "implementation_plan")
    upload(people["clerk"], project, "招标.pdf", PDF, "tender")
    upload(people["clerk"], project, "=cmd.png", PNG, "", "现场照片")
    out = tmp_path / "p.zip"
    with open(out, "wb") as f:
        summary = archives.archive_package_write(actor=people["leader"], project=project, out=f)
    assert summary["files"] == 5
    with zipfile.ZipFile(out) as z:
        names = z.namelist()
        assert names[-1] == "档案目录.xlsx"
        assert set(names[:-1]) == {"02-申报/可行性研究报告-可研.pdf", "02-申报/可行性研究报告-可研(2).pdf", "02-申报/实施方案-方案.docx",
                                   "05-实施/招投标文件-招标.pdf", "99-其他材料/现场照片-=cmd.png"}
        assert z.read("02-申报/实施方案-方案.docx") == docx and z.read("02-申报/可行性研究报告-可研(2).pdf") == PDF + b"v2"
        book = CalamineWorkbook.from_filelike(io.BytesIO(z.read("档案目录.xlsx")))
    assert book.sheet_names == ["档案目录", "缺少的必备材料"]
    rows = book.get_sheet_by_index(0).to_python()
    assert rows[0][0] == f"{project.code} 白云村道路硬化 档案目录"
    assert rows[1] == ["序号", "阶段", "材料名称", "文件名", "大小（字节）", "sha256", "上传人", "上传时间"]
    body = rows[2:]
    assert [r[0] for r in body] == [1, 2, 3, 4, 5]
    assert body[0][1:6] == ["申报", "可行性研究报告", "02-申报/可行性研究报告-可研.pdf", len(PDF), hashlib.sha256(PDF).hexdigest()]
    assert body[2][2:4] == ["实施方案", "02-申报/实施方案-方案.docx"] and body[2][6] == "pi_city"
    assert body[4][1:4] == ["其他", "现场照片", "99-其他材料/现场照片-=cmd.png"]
    gaps = book.get_sheet_by_index(1).to_python()
    assert gaps[1] == ["序号", "阶段", "材料名称", "是否已到该阶段"]
    assert [(g[1], g[2], g[3]) for g in gaps[2:]][:4] == [("申报", "公示材料", "是"), ("申报", "村民会议纪要", "是"),
                                                        ("立项/下达", "资金下达文件", "是"), ("实施", "施工合同", "是")]
    assert gaps[-1][1:] == ["绩效评价", "绩效评价报告", "否"] and len(gaps) - 2 == 12 - 3
    event = AuditEvent.objects.get(action="projects.archive.packaged", object_id=str(project.pk))
    assert event.actor == people["leader"] and event.after["files"] == 5 and "publicity" in event.after["missing"]


def test_package_is_scoped_and_needs_the_files(people, media, tmp_path):
    project = make_project()
    doc = upload(people["clerk"], project)
    with pytest.raises(NotFound), open(tmp_path / "x.zip", "wb") as f:
        archives.archive_package_write(actor=people["foreign"], project=project, out=f)
    (media / doc.path).unlink()
    with pytest.raises(NotFound), open(tmp_path / "y.zip", "wb") as f:
        archives.archive_package_write(actor=people["clerk"], project=project, out=f)
    assert not AuditEvent.objects.filter(action="projects.archive.packaged").exists()


def test_archiving_needs_a_complete_archive(people):
    """The stage move to 归档 (projects area) refuses while a required item is missing; the archive page lists them."""
    from anju.projects.services.stages import stage_problems

    project = make_project(stage=Stage.EVALUATED)
    assert stage_problems(project, Stage.ARCHIVED)
    for t in DocumentType.objects.filter(required=True, active=True):
        upload(people["clerk"], project, doc_type=t.code)
    assert stage_problems(project, Stage.ARCHIVED) == []
    st = sel.archive_status(actor=people["clerk"], project=project)
    assert st.rate_overall == 1 and st.missing_overall == [] and COUNTY.startswith(project.division_code[:6])

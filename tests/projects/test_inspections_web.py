"""Quality and archive pages: record inspections with findings, acceptance and audit, close rectification with evidence,
upload, download, delete and package the archive, the scope lists and the checklist."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

from django.core.files.uploadedfile import SimpleUploadedFile
from python_calamine import CalamineWorkbook

from anju.core.models import AuditEvent
from anju.core.uploads import MSG_UPLOAD_CONTENT
from anju.projects.models import Acceptance, Document, DocumentType, Inspection, ProjectAudit, Rectification, Stage
from anju.projects.services import inspections as svc

from . import test_inspections_services as base
from .factories import OTHER_VILLAGE, make_project
from .test_inspections_services import EXE, PDF, PNG, TODAY, completed, finding, inspect

people, media = base.people, base.media  # the fixtures (media is autouse)

Q = "/projects/quality"


def findings_post(rows: list[dict], **data) -> dict:
    post = {"findings-TOTAL_FORMS": str(max(len(rows), 3)), "findings-INITIAL_FORMS": "0", "findings-MIN_NUM_FORMS": "0",
            "findings-MAX_NUM_FORMS": "30", **data}
    for n, row in enumerate(rows):
        post.update({f"findings-{n}-{k}": v for k, v in row.items()})
    return post


def test_quality_page_lists_everything(people, login):
    project = completed()
    inspect(people["clerk"], project, findings=[finding("护栏缺失", deadline=TODAY - dt.timedelta(days=5))])
    svc.acceptance_create(actor=people["clerk"], project=project, on=dt.date(2026, 3, 1), conclusion="conditional", opinion="资料补齐后合格")
    svc.audit_create(actor=people["auditor"], project=project, on=dt.date(2026, 3, 5), auditor="县审计局", amount_audited=123_456_700)
    page = login(people["leader"]).get(f"{Q}/{project.pk}/").content.decode()
    assert "护栏缺失" in page and "逾期 5 天" in page and "整改后合格" in page and "县审计局" in page and "123.46" in page
    assert "登记检查" not in page and "整改销号" not in page  # a reader sees no forms
    clerk = login(people["clerk"]).get(f"{Q}/{project.pk}/").content.decode()
    assert f"{Q}/{project.pk}/inspections/new/" in clerk and "整改销号" in clerk
    assert login(people["foreign"]).get(f"{Q}/{project.pk}/").status_code == 404


def test_record_inspection_with_findings(people, login):
    project = make_project(stage=Stage.IMPLEMENTING)
    client = login(people["reviewer"])
    assert client.get(f"{Q}/{project.pk}/inspections/new/").status_code == 200
    response = client.post(f"{Q}/{project.pk}/inspections/new/", findings_post(
        [{"finding": "未设置安全警示标志", "owner": "李四", "owner_user": str(people["clerk"].pk), "deadline": "2026-04-01"},
         {"finding": "", "owner": "", "deadline": ""}],
        kind="safety", on="2026-03-01", inspectors="王五、赵六", summary="总体良好"))
    assert response.status_code == 302 and response.url == f"{Q}/{project.pk}/"
    i = Inspection.objects.get()
    r = i.findings.get()
    assert (i.kind, i.inspectors, r.finding, r.owner_user) == ("safety", "王五、赵六", "未设置安全警示标志", people["clerk"])


def test_finding_errors_are_shown_and_nothing_is_written(people, login):
    project = make_project(stage=Stage.IMPLEMENTING)
    page = login(people["clerk"]).post(f"{Q}/{project.pk}/inspections/new/", findings_post(
        [{"finding": "问题", "owner": "李四", "deadline": "2026-02-01"}], kind="quality", on="2026-03-01", inspectors="王五"))
    assert page.status_code == 200
    assert str(svc.MSG_DEADLINE_BEFORE % {"what": "检查", "date": "2026-03-01"}) in page.content.decode()
    assert not Inspection.objects.exists()


def test_add_a_finding_later(people, login):
    i = inspect(people["clerk"], make_project())
    client = login(people["clerk"])
    assert client.get(f"{Q}/findings/inspection/{i.pk}/new/").status_code == 200
    response = client.post(f"{Q}/findings/inspection/{i.pk}/new/", {"finding": "补充问题", "owner": "王五", "deadline": "2026-05-01"})
    assert response.status_code == 302 and i.findings.get().finding == "补充问题"
    assert client.get(f"{Q}/findings/nothing/{i.pk}/new/").status_code == 404
    assert login(people["leader"]).get(f"{Q}/findings/inspection/{i.pk}/new/").status_code == 403
    assert login(people["foreign"]).get(f"{Q}/findings/inspection/{i.pk}/new/").status_code == 404


def test_acceptance_form_moves_the_stage_or_says_why_not(people, login):
    client = login(people["clerk"])
    early = make_project(stage=Stage.IMPLEMENTING)
    page = client.post(f"{Q}/{early.pk}/acceptances/new/", findings_post([], on="2026-03-01", conclusion="passed")).content.decode()
    assert str(svc.MSG_ACCEPTANCE_STAGE % {"stage": "实施"}) in page and not Acceptance.objects.exists()
    project = completed()
    response = client.post(f"{Q}/{project.pk}/acceptances/new/", findings_post(
        [{"finding": "竣工资料不全", "owner": "张三", "deadline": "2026-04-01"}], on="2026-03-01", conclusion="conditional",
        participants="县移民局", opinion="整改后合格", report=SimpleUploadedFile("验收报告.pdf", PDF)))
    assert response.status_code == 302 and Document.objects.get().doc_type.code == "acceptance_report"
    project.refresh_from_db()
    assert project.stage == Stage.ACCEPTED and Rectification.objects.get().source == "acceptance"


def test_audit_form_in_wan(people, login):
    project = completed()
    svc.acceptance_create(actor=people["clerk"], project=project, on=dt.date(2026, 3, 1), conclusion="passed")
    client = login(people["auditor"])
    page = client.post(f"{Q}/{project.pk}/audits/new/", findings_post([], on="2026-04-01", auditor="县审计局", amount="12.3456789", unit="wan"))
    assert page.status_code == 200 and "精确不到分" in page.content.decode() and not ProjectAudit.objects.exists()
    page = client.post(f"{Q}/{project.pk}/audits/new/", findings_post([], on="2026-04-01", auditor="县审计局", unit="yuan",
                                                                         report=SimpleUploadedFile("审计.pdf", EXE)))
    assert str(MSG_UPLOAD_CONTENT % {"name": "审计.pdf"}) in page.content.decode() and not ProjectAudit.objects.exists()
    response = client.post(f"{Q}/{project.pk}/audits/new/", findings_post([], on="2026-04-01", auditor="县审计局", amount="12.345678", unit="wan"))
    assert response.status_code == 302
    assert ProjectAudit.objects.get().amount_audited == 12_345_678
    project.refresh_from_db()
    assert project.stage == Stage.AUDITED
    assert login(people["finance"]).get(f"{Q}/{project.pk}/audits/new/").status_code == 403


def test_close_rectification_with_evidence(people, login, media):
    r = inspect(people["clerk"], make_project(), findings=[finding()]).findings.get()
    client = login(people["clerk"])
    assert client.get(f"{Q}/rectifications/{r.pk}/close/").status_code == 200
    bad = client.post(f"{Q}/rectifications/{r.pk}/close/", {"closing_note": "已整改", "closed_on": "2026-03-20",
                                                             "file": SimpleUploadedFile("照片.pdf", EXE)})
    assert str(MSG_UPLOAD_CONTENT % {"name": "照片.pdf"}) in bad.content.decode() and not Document.objects.exists()
    response = client.post(f"{Q}/rectifications/{r.pk}/close/", {"closing_note": "已整改", "closed_on": "2026-03-20",
                                                                  "file": SimpleUploadedFile("照片.png", PNG)})
    assert response.status_code == 302
    r.refresh_from_db()
    assert r.state == "closed" and r.evidence.doc_type.code == "rectification_evidence" and (media / r.evidence.path).read_bytes() == PNG
    assert login(people["foreign"]).get(f"{Q}/rectifications/{r.pk}/close/").status_code == 404


def test_rectification_list_overdue(people, login):
    on = TODAY - dt.timedelta(days=40)
    inspect(people["clerk"], make_project(name="白云村便民桥"), on=on, findings=[finding("桥面裂缝", deadline=TODAY - dt.timedelta(days=12)),
                                                                         finding("未到期", deadline=TODAY + dt.timedelta(days=3))])
    inspect(people["foreign"], make_project(division_code=OTHER_VILLAGE), on=on, findings=[finding("外县问题", deadline=on)])
    page = login(people["city"]).get(f"{Q}/rectifications/?state=overdue").content.decode()
    assert "桥面裂缝" in page and "白云村便民桥" in page and ">12<" in page and "未到期" not in page and "外县问题" not in page
    assert "未到期" in login(people["leader"]).get(f"{Q}/rectifications/").content.decode()
    assert login(people["city"]).get(f"{Q}/rectifications/?division=abc").status_code == 200


def test_archive_page_upload_download_delete(people, login, media):
    project = make_project(stage=Stage.APPROVED)
    client = login(people["clerk"])
    page = client.get(f"{Q}/{project.pk}/archive/").content.decode()
    assert "可行性研究报告" in page and "缺少" in page and "0.0%" in page
    response = client.post(f"{Q}/{project.pk}/archive/upload/", {"doc_type": "feasibility", "title": "可研报告",
                                                                  "file": SimpleUploadedFile("可研.pdf", PDF)})
    assert response.status_code == 302
    doc = Document.objects.get()
    bad = client.post(f"{Q}/{project.pk}/archive/upload/", {"doc_type": "", "file": SimpleUploadedFile("setup.pdf", EXE)})
    assert bad.status_code == 200 and str(MSG_UPLOAD_CONTENT % {"name": "setup.pdf"}) in bad.content.decode()
    assert Document.objects.count() == 1
    page = client.get(f"{Q}/{project.pk}/archive/").content.decode()
    assert "20.0%" in page and "可研报告" in page  # 1 of the 5 required up to 立项/下达
    download = login(people["leader"]).get(f"{Q}/documents/{doc.pk}/")
    assert download.status_code == 200 and b"".join(download.streaming_content) == PDF
    assert AuditEvent.objects.filter(action="projects.document.downloaded", actor=people["leader"], object_id=str(doc.pk)).exists()
    assert login(people["foreign"]).get(f"{Q}/documents/{doc.pk}/").status_code == 404
    assert login(people["leader"]).post(f"{Q}/documents/{doc.pk}/delete/", {"reason": "x"}).status_code == 403
    client.post(f"{Q}/documents/{doc.pk}/delete/", {"reason": ""})
    assert Document.objects.filter(pk=doc.pk).exists()
    client.post(f"{Q}/documents/{doc.pk}/delete/", {"reason": "传错了"})
    assert not Document.objects.filter(pk=doc.pk).exists()
    assert AuditEvent.objects.filter(action="projects.document.deleted", object_id=str(doc.pk)).exists()
    reader = login(people["leader"]).get(f"{Q}/{project.pk}/archive/").content.decode()
    assert "上传材料" not in reader and login(people["leader"]).post(f"{Q}/{project.pk}/archive/upload/").status_code == 403


def test_package_download(people, login):
    project = make_project(stage=Stage.APPROVED)
    client = login(people["clerk"])
    client.post(f"{Q}/{project.pk}/archive/upload/", {"doc_type": "feasibility", "file": SimpleUploadedFile("可研.pdf", PDF)})
    response = login(people["leader"]).get(f"{Q}/{project.pk}/archive/package/")
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    assert "attachment" in response["Content-Disposition"]
    with zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content))) as z:
        assert z.read("02-申报/可行性研究报告-可研.pdf") == PDF
        rows = CalamineWorkbook.from_filelike(io.BytesIO(z.read("档案目录.xlsx"))).get_sheet_by_index(0).to_python()
    assert rows[2][3] == "02-申报/可行性研究报告-可研.pdf"
    assert AuditEvent.objects.filter(action="projects.archive.packaged", actor=people["leader"]).exists()
    assert login(people["foreign"]).get(f"{Q}/{project.pk}/archive/package/").status_code == 404


def test_completeness_page(people, login):
    project = make_project(stage=Stage.APPLIED)
    client = login(people["clerk"])
    client.post(f"{Q}/{project.pk}/archive/upload/", {"doc_type": "feasibility", "file": SimpleUploadedFile("可研.pdf", PDF)})
    page = login(people["city"]).get(f"{Q}/archives/").content.decode()
    assert "白云县" in page and "25.0%" in page and "1/4" in page and project.code in page
    assert login(people["city"]).get(f"{Q}/archives/?year=abc").status_code == 200


def test_checklist_management(people, login):
    admin = login(people["admin"])
    assert "项目建议书" in admin.get(f"{Q}/checklist/").content.decode()
    response = admin.post(f"{Q}/checklist/new/", {"code": "safety_plan", "name": "安全生产方案", "stage": "implementing", "required": "on",
                                                  "sort": "95"})
    assert response.status_code == 302
    t = DocumentType.objects.get(code="safety_plan")
    assert (t.required, t.sort, t.active) == (True, 95, True)
    duplicate = admin.post(f"{Q}/checklist/new/", {"code": "safety_plan", "name": "x", "stage": "implementing"})
    assert duplicate.status_code == 200 and "已被使用" in duplicate.content.decode()
    admin.post(f"{Q}/checklist/{t.pk}/edit/", {"name": "安全生产专项方案", "stage": "approved", "sort": "5"})  # unchecked: not required, inactive
    t.refresh_from_db()
    assert (t.name, t.stage, t.required, t.active) == ("安全生产专项方案", "approved", False, False)
    assert login(people["clerk"]).get(f"{Q}/checklist/new/").status_code == 403
    assert "修改" not in login(people["clerk"]).get(f"{Q}/checklist/").content.decode()

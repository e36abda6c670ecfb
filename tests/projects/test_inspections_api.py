"""The inspections API: inspections and findings, rectification (overdue, close with a multipart evidence upload),
acceptance and audit with their stage moves, the archive (multipart upload, download, delete, package, completeness,
checklist)."""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile

from python_calamine import CalamineWorkbook

from anju.core.models import AuditEvent
from anju.core.uploads import MSG_UPLOAD_CONTENT
from anju.projects.models import Document, DocumentType, Inspection, Stage
from anju.projects.services import archives
from anju.projects.services import inspections as svc

from . import test_inspections_services as base
from .factories import OTHER_VILLAGE, make_project
from .test_inspections_services import EXE, PDF, PNG, TODAY, completed, finding, inspect

people, media = base.people, base.media  # the fixtures (media is autouse)

A = "/api/v1/projects/quality"


def post(client, path, data):
    return client.post(path, data=json.dumps(data), content_type="application/json")


def test_inspection_with_findings(people, api):
    project = make_project(stage=Stage.IMPLEMENTING)
    client = api(people["reviewer"])
    response = post(client, f"{A}/{project.pk}/inspections", {
        "kind": "quality", "on": "2026-03-01", "inspectors": "王五", "summary": "抽查",
        "findings": [{"finding": "混凝土强度不足", "owner": "李四", "deadline": "2026-04-01", "owner_user": people["clerk"].pk}]})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["kind_name"] == "质量检查" and body["created_by"] == "pi_reviewer"
    assert [(f["finding"], f["owner_user"], f["state"], f["project_code"]) for f in body["findings"]] == [
        ("混凝土强度不足", "pi_clerk", "open", project.code)]
    assert client.get(f"{A}/inspections/{body['id']}").json()["findings"][0]["deadline"] == "2026-04-01"
    listed = client.get(f"{A}/{project.pk}/inspections").json()
    assert listed["count"] == 1 and listed["items"][0]["id"] == body["id"]
    bad = post(client, f"{A}/{project.pk}/inspections", {"kind": "quality", "on": "2026-03-01", "inspectors": "王五",
                                                         "findings": [{"finding": "x", "owner": "y", "deadline": "2026-01-01"}]})
    assert bad.status_code == 422 and bad.json()["detail"]["field"] == "deadline"
    assert Inspection.objects.count() == 1
    added = post(client, f"{A}/inspections/{body['id']}/findings", {"finding": "补充", "owner": "王五", "deadline": "2026-05-01"})
    assert added.status_code == 201 and added.json()["source"] == "inspection"
    assert post(api(people["leader"]), f"{A}/{project.pk}/inspections", {"kind": "quality", "on": "2026-03-01", "inspectors": "x"}).status_code == 403
    assert post(api(people["foreign"]), f"{A}/{project.pk}/inspections", {"kind": "quality", "on": "2026-03-01", "inspectors": "x"}).status_code == 404


def test_acceptance_and_audit_move_the_stage(people, api):
    client = api(people["clerk"])
    early = make_project(stage=Stage.IMPLEMENTING)
    refused = post(client, f"{A}/{early.pk}/acceptances", {"on": "2026-03-01", "conclusion": "passed"})
    assert refused.status_code == 409 and refused.json()["message"] == str(svc.MSG_ACCEPTANCE_STAGE % {"stage": "实施"})
    project = completed()
    accepted = post(client, f"{A}/{project.pk}/acceptances", {"on": "2026-03-01", "conclusion": "passed", "participants": "县移民局"})
    assert accepted.status_code == 201 and accepted.json()["project_stage"] == "accepted"
    audit = post(api(people["auditor"]), f"{A}/{project.pk}/audits", {"on": "2026-04-01", "auditor": "县审计局",
                                                                      "amount_audited_yuan": "487654.32",
                                                                      "findings": [{"finding": "票据不全", "owner": "张三", "deadline": "2026-05-01"}]})
    assert audit.status_code == 201, audit.content
    body = audit.json()
    assert body["project_stage"] == "audited" and body["amount_audited_yuan"] == "487654.32" and body["findings"][0]["source"] == "audit"
    assert client.get(f"{A}/{project.pk}/audits").json()["items"][0]["amount_audited_yuan"] == "487654.32"
    assert client.get(f"{A}/{project.pk}/acceptances").json()["count"] == 1


def test_rectification_list_and_close_with_multipart_evidence(people, api, media):
    on = TODAY - dt.timedelta(days=30)
    project = make_project(stage=Stage.IMPLEMENTING)
    inspect(people["clerk"], project, on=on, findings=[finding("逾期", deadline=TODAY - dt.timedelta(days=7)),
                                                       finding("未到期", deadline=TODAY + dt.timedelta(days=7))])
    inspect(people["foreign"], make_project(division_code=OTHER_VILLAGE), on=on, findings=[finding("外县", deadline=on)])
    client = api(people["clerk"])
    overdue = client.get(f"{A}/rectifications?overdue=true").json()
    assert overdue["count"] == 1 and overdue["items"][0]["finding"] == "逾期" and overdue["items"][0]["days_overdue"] == 7
    assert client.get(f"{A}/rectifications?state=open").json()["count"] == 2
    rid = overdue["items"][0]["id"]
    assert client.get(f"{A}/rectifications/{rid}").json()["days_overdue"] == 7
    missing = client.post(f"{A}/rectifications/{rid}/close", {"closing_note": "已整改", "closed_on": TODAY.isoformat()})
    assert missing.status_code == 422 and missing.json()["detail"] == {"field": "file"}
    bad = client.post(f"{A}/rectifications/{rid}/close", {"closing_note": "已整改", "closed_on": TODAY.isoformat(),
                                                           "file": _named(EXE, "证明.pdf")})
    assert bad.status_code == 422 and bad.json()["message"] == str(MSG_UPLOAD_CONTENT % {"name": "证明.pdf"})
    ok = client.post(f"{A}/rectifications/{rid}/close", {"closing_note": "已整改", "closed_on": TODAY.isoformat(),
                                                          "file": _named(PNG, "照片.png")})
    assert ok.status_code == 200, ok.content
    body = ok.json()
    assert body["state"] == "closed" and body["days_overdue"] == 0 and body["closed_by"] == "pi_clerk"
    assert Document.objects.get(pk=body["evidence_id"]).doc_type.code == "rectification_evidence"
    again = client.post(f"{A}/rectifications/{rid}/close", {"closing_note": "x", "closed_on": TODAY.isoformat(), "file": _named(PNG, "a.png")})
    assert again.status_code == 409
    assert api(people["leader"]).post(f"{A}/rectifications/{rid}/close", {"file": _named(PNG, "a.png")}).json()["code"] == "forbidden"
    assert api(people["foreign"]).get(f"{A}/rectifications/{rid}").status_code == 404


def _named(data: bytes, name: str):
    f = io.BytesIO(data)
    f.name = name
    return f


def test_archive_upload_download_delete_and_package(people, api, media):
    project = make_project(stage=Stage.APPROVED)
    client = api(people["clerk"])
    response = client.post(f"{A}/{project.pk}/archive/documents", {"doc_type": "feasibility", "title": "可研", "file": _named(PDF, "可研.pdf")})
    assert response.status_code == 201, response.content
    doc = response.json()
    assert doc["doc_type"] == "feasibility" and doc["sha256"] == Document.objects.get().sha256 and doc["uploaded_by"] == "pi_clerk"
    bad = client.post(f"{A}/{project.pk}/archive/documents", {"file": _named(PNG, "方案.docx")})
    assert bad.status_code == 422 and bad.json()["code"] == "upload_content"
    unknown = client.post(f"{A}/{project.pk}/archive/documents", {"doc_type": "nope", "file": _named(PDF, "a.pdf")})
    assert unknown.status_code == 422 and unknown.json()["detail"] == {"field": "doc_type"}
    assert api(people["leader"]).post(f"{A}/{project.pk}/archive/documents", {"file": _named(PDF, "a.pdf")}).status_code == 403
    assert api(people["foreign"]).post(f"{A}/{project.pk}/archive/documents", {"file": _named(PDF, "a.pdf")}).status_code == 404

    status = api(people["leader"]).get(f"{A}/{project.pk}/archive").json()
    assert (status["present_to_date"], status["required_to_date"], status["rate_to_date"]) == (1, 5, "0.2000")
    assert status["missing_to_date"] == ["implementation_plan", "publicity", "villager_minutes", "allocation_doc"]
    assert next(i for i in status["items"] if i["code"] == "feasibility")["documents"] == [doc["id"]]

    download = api(people["leader"]).get(f"{A}/archive/documents/{doc['id']}")
    assert download.status_code == 200 and b"".join(download.streaming_content) == PDF
    assert AuditEvent.objects.filter(action="projects.document.downloaded", actor=people["leader"]).exists()

    package = api(people["leader"]).get(f"{A}/{project.pk}/archive/package")
    assert package.status_code == 200
    with zipfile.ZipFile(io.BytesIO(b"".join(package.streaming_content))) as z:
        assert z.read("02-申报/可行性研究报告-可研.pdf") == PDF
        gaps = CalamineWorkbook.from_filelike(io.BytesIO(z.read("档案目录.xlsx"))).get_sheet_by_index(1).to_python()
    assert [g[2] for g in gaps[2:6]] == ["实施方案", "公示材料", "村民会议纪要", "资金下达文件"]

    assert client.delete(f"{A}/archive/documents/{doc['id']}").status_code == 422  # no reason
    assert api(people["city"]).delete(f"{A}/archive/documents/{doc['id']}?reason=x").status_code == 403  # not the uploader's unit
    assert client.delete(f"{A}/archive/documents/{doc['id']}?reason=传错了").status_code == 204
    assert not Document.objects.filter(pk=doc["id"]).exists()
    assert api(people["leader"]).get(f"{A}/archive/documents/{doc['id']}").status_code == 404


def test_completeness_and_checklist(people, api):
    project = make_project(stage=Stage.APPLIED)
    archives.document_upload(actor=people["clerk"], project=project, name="a.pdf", data=PDF, doc_type="feasibility")
    body = api(people["city"]).get(f"{A}/archive/completeness").json()
    assert body["counties"] == [{"county_code": "429921000000", "county_name": "白云县", "projects": 1, "complete_to_date": 0,
                                 "complete_overall": 0, "average_to_date": "0.2500", "average_overall": "0.0833"}]
    assert body["total"]["projects"] == 1
    checklist = api(people["leader"]).get(f"{A}/archive/checklist").json()
    assert checklist[0]["code"] == "proposal" and len(checklist) == DocumentType.objects.count()
    city = api(people["city"])
    created = post(city, f"{A}/archive/checklist", {"code": "safety_plan", "name": "安全生产方案", "stage": "implementing"})
    assert created.status_code == 201 and created.json()["required"] is True
    assert post(city, f"{A}/archive/checklist", {"code": "safety_plan", "name": "x", "stage": "implementing"}).status_code == 409
    patched = city.patch(f"{A}/archive/checklist/{created.json()['id']}", data=json.dumps({"active": False, "name": "安全方案"}),
                         content_type="application/json")
    assert patched.status_code == 200 and (patched.json()["active"], patched.json()["name"]) == (False, "安全方案")
    assert post(api(people["clerk"]), f"{A}/archive/checklist", {"code": "x1", "name": "x", "stage": "applied"}).status_code == 403

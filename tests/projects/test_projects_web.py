"""Project register pages: the filtered list, the 项目台账 export read back, create and edit (万元, the core fields after 立项),
actual dates, the stage page, the project page's sections, and scope."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.utils import timezone
from python_calamine import CalamineWorkbook

from anju.core.models import AuditEvent
from anju.projects.models import Document, DocumentType, Inspection, Project, Rectification, Stage, Warning, WarningRule
from anju.projects.services import projects as svc
from anju.projects.services import stages

from .factories import COUNTY, OTHER_VILLAGE, TOWNSHIP, VILLAGE, make_allocation, make_payment, make_progress, make_project

P = "/projects"


@pytest.fixture
def people(make_user, other_city):
    return {"clerk": make_user("county_clerk", "429921", username="w_clerk", full_name="县经办"),
            "city": make_user("city_clerk", "4299", username="w_city"),
            "other": make_user("county_clerk", "429821", username="w_other"),
            "township": make_user("township_clerk", "429921101", username="w_township"),
            "leader": make_user("leader", "4299", username="w_leader")}


@pytest.fixture
def ledger(people):
    """Three projects of 白云县 (one with money and progress) and one of another city."""
    a = make_project(code="XM-A", name="甲村道路", division_code=VILLAGE, year=2026, stage=Stage.IMPLEMENTING, planned_investment=12_345_678,
                     actual_start=dt.date(2026, 3, 1), category="infrastructure", program="reservoir")
    make_allocation(a, 8_000_000, doc_date=dt.date(2026, 2, 1), doc_number="清移发〔2026〕3号")
    make_allocation(a, 2_000_000, doc_date=dt.date(2026, 4, 1), fund_source="provincial", doc_number="鄂移〔2026〕8号")
    make_payment(a, 3_000_000, paid_on=dt.date(2026, 3, 15), voucher="PZ-A1")
    make_payment(a, 2_000_000, paid_on=dt.date(2026, 5, 20), voucher="PZ-A2", fund_source="provincial")
    make_progress(a, dt.date(2026, 3, 1), "20")
    make_progress(a, dt.date(2026, 5, 1), "55.5", problems="雨季影响")
    b = make_project(code="XM-B", name="乙镇产业园", division_code=TOWNSHIP, year=2025, stage=Stage.RESERVE, category="industry",
                     program="three_gorges", planned_investment=200_000_000)
    c = make_project(code="XM-C", name="县城培训", division_code=COUNTY, year=2026, stage=Stage.APPROVED, category="training")
    foreign = make_project(code="XM-F", name="外县项目", division_code=OTHER_VILLAGE, year=2026)
    return {"a": a, "b": b, "c": c, "foreign": foreign}


def test_list_filters_and_scope(people, ledger, login):
    client = login(people["clerk"])
    page = client.get(f"{P}/").content.decode()
    assert all(code in page for code in ("XM-A", "XM-B", "XM-C")) and "XM-F" not in page
    assert "12.35" in page  # 计划投资（万元）
    for query, expected in [("q=产业", {"XM-B"}), ("year=2026", {"XM-A", "XM-C"}), ("stage=approved", {"XM-C"}), ("program=three_gorges", {"XM-B"}),
                            ("category=training", {"XM-C"}), ("division=429921101", {"XM-A", "XM-B"}), ("county=429921", {"XM-A", "XM-B", "XM-C"})]:
        body = client.get(f"{P}/?{query}").content.decode()
        assert {c for c in ("XM-A", "XM-B", "XM-C") if c in body} == expected, query
    township = login(people["township"]).get(f"{P}/").content.decode()
    assert "XM-A" in township and "XM-B" in township and "XM-C" not in township


def test_ledger_export_reads_back(people, ledger, login):
    client = login(people["clerk"])
    response = client.get(f"{P}/export/?year=2026")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in response["Content-Disposition"]
    sheet = CalamineWorkbook.from_filelike(io.BytesIO(response.content)).get_sheet_by_index(0).to_python()
    assert sheet[0][0] == "扶持项目台账" and "共 2 个项目" in sheet[1][0]
    header = sheet[2]
    assert header[:6] == ["序号", "项目编码", "项目名称", "县（市、区）", "乡镇", "村"] and header[-1] == "形象进度（%）"
    rows = {r[1]: dict(zip(header, r, strict=True)) for r in sheet[3:]}
    assert set(rows) == {"XM-A", "XM-C"}
    a = rows["XM-A"]
    assert (a["县（市、区）"], a["项目类型"], a["项目类别"], a["计划年度"], a["阶段"]) == ("白云县", "水库移民后期扶持", "基础设施", 2026, "实施")
    assert a["乡镇"] and a["村"]
    assert a["计划投资（万元）"] == 12.345678 and a["累计下达资金（万元）"] == 10 and a["累计支付资金（万元）"] == 5
    assert a["形象进度（%）"] == 55.5 and a["实际开工日期"] == dt.date(2026, 3, 1) and a["责任单位"] == "县移民局"
    c = rows["XM-C"]
    assert (c["乡镇"], c["村"], c["累计下达资金（万元）"], c["形象进度（%）"]) == ("", "", 0, "")
    event = AuditEvent.objects.get(action="projects.ledger.exported")
    assert event.after["rows"] == 2 and event.after["filters"] == {"year": 2026} and event.actor_username == "w_clerk"
    everything = CalamineWorkbook.from_filelike(io.BytesIO(client.get(f"{P}/export/").content)).get_sheet_by_index(0).to_python()
    assert len(everything) == 3 + 3  # title, subtitle, header and the county's three projects (not the foreign one)


def test_create_page_takes_wan(people, login):
    client = login(people["clerk"])
    assert client.get(f"{P}/new/").status_code == 200
    form = {"code": "XM-NEW", "name": "新建灌溉渠", "division_code": "429921101201", "program": "reservoir", "category": "infrastructure",
            "year": "2026", "planned_investment": "1.2345678", "investment_unit": "wan", "owner": "w_township"}
    refused = client.post(f"{P}/new/", form)
    assert refused.status_code == 200 and "精确不到分" in refused.content.decode() and not Project.objects.exists()
    response = client.post(f"{P}/new/", {**form, "planned_investment": "12.345678"})
    project = Project.objects.get(code="XM-NEW")
    assert response.status_code == 302 and response.url == f"{P}/{project.pk}/"
    assert (project.planned_investment, project.owner.username, project.stage) == (12_345_678, "w_township", Stage.RESERVE)
    outside = client.post(f"{P}/new/", {**form, "code": "XM-OUT", "planned_investment": "1", "division_code": "429922"})
    assert str(svc.MSG_LOCATION_SCOPE) in outside.content.decode()
    assert login(people["leader"]).get(f"{P}/new/").status_code == 403


def test_edit_page_locks_the_core_after_approval(people, ledger, login):
    c = ledger["c"]
    client = login(people["clerk"])
    page = client.get(f"{P}/{c.pk}/edit/").content.decode()
    assert "只有市级项目管理人员可以修改" in page
    form = {"code": c.code, "name": "改掉的名称", "division_code": c.division_code, "program": "reservoir", "category": "training",
            "planned_investment": "999", "investment_unit": "yuan", "responsible_person": "钱七", "year": "2026"}
    assert client.post(f"{P}/{c.pk}/edit/", form).status_code == 302
    c.refresh_from_db()
    assert (c.name, c.planned_investment, c.responsible_person) == ("县城培训", 50_000_000, "钱七")  # disabled fields kept
    city = login(people["city"])
    assert "只有市级项目管理人员可以修改" not in city.get(f"{P}/{c.pk}/edit/").content.decode()
    assert city.post(f"{P}/{c.pk}/edit/", {**form, "planned_investment": "60", "investment_unit": "wan"}).status_code == 302
    c.refresh_from_db()
    assert (c.name, c.planned_investment) == ("改掉的名称", 60_000_000)


def test_dates_and_stage_pages(people, ledger, login):
    client = login(people["clerk"])
    c = ledger["c"]
    page = client.get(f"{P}/{c.pk}/stage/").content.decode()
    assert str(stages.MSG_NEEDS_START) in page  # what 实施 still needs
    refused = client.post(f"{P}/{c.pk}/stage/", {"to_stage": "implementing", "on": "2026-03-01"})
    assert refused.status_code == 200 and str(stages.MSG_NEEDS_START) in refused.content.decode()
    future = client.post(f"{P}/{c.pk}/dates/", {"actual_start": (dt.date.today() + dt.timedelta(days=2)).isoformat()})
    assert str(svc.MSG_DATE_FUTURE % {"field": svc.LABELS["actual_start"]}) in future.content.decode()
    assert client.post(f"{P}/{c.pk}/dates/", {"actual_start": "2026-03-02"}).status_code == 302
    c.refresh_from_db()
    assert (c.stage, c.stage_on) == (Stage.IMPLEMENTING, dt.date(2026, 3, 2))
    b = ledger["b"]  # 2,000,000 元 without a design
    page = client.get(f"{P}/{b.pk}/stage/").content.decode()
    assert "须由具备相应资质的设计单位设计" in page
    assert client.post(f"{P}/{b.pk}/stage/", {"to_stage": "applied", "on": "2026-03-01"}).status_code == 200
    Project.objects.filter(pk=b.pk).update(design_institute="市设计院", design_qualified=True)
    assert client.post(f"{P}/{b.pk}/stage/", {"to_stage": "applied", "on": "2026-03-01", "note": "申报"}).status_code == 302
    assert Project.objects.get(pk=b.pk).stage == Stage.APPLIED


def test_project_page_shows_every_section(people, ledger, login):
    a = ledger["a"]
    rule = WarningRule.objects.get(code="payment_behind", scope="")
    Warning.objects.create(rule=rule, project=a, division_code=a.division_code, level="yellow", message="资金支付率低于序时进度 12 个百分点",
                           raised_at=timezone.now())
    Warning.objects.create(rule=WarningRule.objects.get(code="not_started_90", scope=""), project=a, division_code=a.division_code,
                           level="yellow", message="已解除的预警", raised_at=timezone.now(), cleared_at=timezone.now())
    inspection = Inspection.objects.create(project=a, division_code=a.division_code, kind="quality", on=dt.date(2026, 6, 1),
                                           inspectors="县质监站 张工")
    Rectification.objects.create(project=a, division_code=a.division_code, source="inspection", inspection=inspection,
                                 finding="路面平整度不达标", owner="施工单位", deadline=dt.date(2026, 7, 1))
    Document.objects.create(project=a, doc_type=DocumentType.objects.get(code="feasibility"), title="可研报告", path="x/y.pdf",
                            original_name="可研.pdf", content_type="application/pdf", size=10, sha256="0" * 64)
    client = login(people["clerk"])
    body = client.get(f"{P}/{a.pk}/").content.decode()
    for text in ("甲村道路", "清移发〔2026〕3号", "鄂移〔2026〕8号", "PZ-A2", "50.00%", "<svg", "雨季影响", "55.5",
                 "资金支付率低于序时进度 12 个百分点", "质量检查", "路面平整度不达标", "逾期", "可研.pdf", "实施方案", "开工报告",
                 "下一阶段：完工", str(stages.MSG_NEEDS_COMPLETION), "登记入库", "储备 → 实施"):
        assert text in body, text
    assert "已解除的预警" not in body
    assert "可行性研究报告、" not in body.split("尚缺的必备材料")[1][:200]  # present, so not listed as missing
    for section in ("facts", "timeline", "money", "progress", "warnings", "inspections", "archive"):
        assert f'id="{section}"' in body
    assert client.get(f"{P}/{ledger['foreign'].pk}/").status_code == 404
    assert login(people["other"]).get(f"{P}/{a.pk}/").status_code == 404
    township = login(people["township"])
    assert township.get(f"{P}/{a.pk}/").status_code == 200
    assert township.get(f"{P}/{ledger['c'].pk}/").status_code == 404  # a county-level project lies outside its township
    assert township.get(f"{P}/{a.pk}/edit/").status_code == 403
    assert login(people["other"]).get(f"{P}/{a.pk}/edit/").status_code == 404


def test_project_page_of_a_bare_project(people, login):
    project = make_project(stage=Stage.RESERVE, code="XM-BARE")
    body = login(people["leader"]).get(f"{P}/{project.pk}/").content.decode()
    assert "尚无资金下达记录" in body and "尚未报送月度进度" in body and "<svg" not in body and "修改" not in body.split("项目概况")[0].split("</h1>")[1]

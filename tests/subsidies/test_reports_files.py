"""The ledger's files read back: 发放公示表 (Excel, PDF), batch summary by township (Excel), fund summary (Excel) and the
annual fund report (Excel, Word); scope and audit of each export."""

from __future__ import annotations

import io
import re

import docx
import pytest
from python_calamine import CalamineWorkbook

from anju.core.exceptions import NotFound, ValidationFailed
from anju.core.models import AuditEvent
from anju.registry import posting as registry_posting
from anju.subsidies import reports, reports_funds

from .factories import actors
from .test_ledger_data import two_years


@pytest.fixture
def people(make_user):
    return actors(make_user)


@pytest.fixture
def data(tree, people):
    return two_years(people)


def sheet(content: bytes, index: int = 0) -> list[list]:
    return CalamineWorkbook.from_filelike(io.BytesIO(content)).get_sheet_by_index(index).to_python()


def test_posting_list_excel_by_village(data, people):
    content, name, ctype = reports.batch_posting_export(actor=people["clerk"], batch=data["b2025"], fmt="xlsx")
    assert ctype == reports.XLSX and name == "白云县2025年水库移民后期扶持直补资金发放公示表.xlsx"
    rows = sheet(content)
    assert rows[0][0] == "白云县2025年水库移民后期扶持直补资金发放公示表" and data["b2025"].number in rows[1][0]
    assert rows[2] == ["序号", "户编号", "姓名", "身份证号", "月数", "金额（元）"]
    body = [r for r in rows[3:] if isinstance(r[0], float)]
    # 赵一 (cancelled) is not listed; the other township's village (李) comes first in code order
    assert [r[2] for r in body] == ["李一", "张一", "张二", "王一"]
    assert [int(r[0]) for r in body] == [1, 2, 3, 4] and body[1][1] == "S001" and "*" in body[1][3] and body[1][4] == 12.0 and body[1][5] == 600.0
    subtotals = [r for r in rows if r[1] == "小计"]
    assert [r[5] for r in subtotals] == [600.0, 1800.0] and subtotals[1][2] == "3 人"
    total = next(r for r in rows if r[1] == "合计")
    assert total[5] == 2400.0 and total[2] == "4 人"
    assert any("公示单位（盖章）" in str(r[0]) for r in rows)
    event = AuditEvent.objects.get(action="subsidies.batch.posting_exported")
    assert event.after == {"format": "xlsx", "rows": 4, "amount": 240000, "part": "", "division": ""} and event.actor == people["clerk"]


def test_posting_list_of_a_township_viewer_is_its_part(data, people):
    content, _name, _ctype = reports.batch_posting_export(actor=people["township"], batch=data["b2025"], fmt="xlsx")
    names = [r[2] for r in sheet(content)[3:] if isinstance(r[0], float)]
    assert names == ["张一", "张二", "王一"]
    # the county prints one village's list to post there
    content, name, _ctype = reports.batch_posting_export(actor=people["clerk"], batch=data["b2025"], fmt="xlsx", division=data["v2"])
    rows = sheet(content)
    assert [r[2] for r in rows[3:] if isinstance(r[0], float)] == ["李一"]
    assert rows[0][0].startswith("白云县") and name != "白云县2025年水库移民后期扶持直补资金发放公示表.xlsx"
    with pytest.raises(ValidationFailed):
        reports.batch_posting_export(actor=people["clerk"], batch=data["b2025"], fmt="xlsx", division="12x")


def test_posting_list_pdf(data, people):
    content, name, ctype = reports.batch_posting_export(actor=people["clerk"], batch=data["b2025"], fmt="pdf")
    assert content.startswith(b"%PDF-") and ctype == "application/pdf" and name.endswith(".pdf")
    assert len(re.findall(rb"/Type\s*/Page[^s]", content)) == 1
    font = registry_posting.cjk_font()
    assert font in ("AnjuCJK", "STSong-Light")
    assert (b"FontFile2" in content) if font == "AnjuCJK" else (b"STSong-Light" in content)
    assert AuditEvent.objects.filter(action="subsidies.batch.posting_exported", after__format="pdf").count() == 1
    with pytest.raises(ValidationFailed) as exc:
        reports.batch_posting_export(actor=people["clerk"], batch=data["b2025"], fmt="csv")
    assert exc.value.message == str(reports.MSG_FORMAT)


def test_posting_pdf_of_a_large_village_runs_over_pages():
    village = reports.PostingVillage("429921101201", "白坪镇", "茶坝村委会",
                                     rows=[[i, f"H{i:03d}", f"人{i}", "420***********1234", 12, 60000] for i in range(1, 121)],
                                     persons=120, fen=7200000)
    content = reports.posting_pdf(reports.BatchPosting("标题", "副标题", [village], 120, 7200000))
    assert len(re.findall(rb"/Type\s*/Page[^s]", content)) >= 3


def test_batch_summary_by_township(data, people):
    content, name = reports.batch_summary_export(actor=people["clerk"], batch=data["b2025"])
    assert name == "白云县2025年水库移民后期扶持直补资金发放汇总表.xlsx"
    rows = sheet(content)
    assert "相符" in rows[1][0] and data["b2025"].number in rows[1][0]
    assert rows[2][:4] == ["序号", "乡镇", "应发笔数", "应发金额（元）"]
    townships = rows[3:-1]
    assert len(townships) == 2 and rows[-1][1] == "合计"
    # total: 4 entitled (赵一 cancelled), 1 paid, 2 failed (张二 + 李一 re-issued elsewhere), 1 held
    assert rows[-1][2:] == [4.0, 2400.0, 1.0, 600.0, 2.0, 1200.0, 1.0, 600.0]
    assert sum(r[3] for r in townships) == 2400.0
    assert AuditEvent.objects.filter(action="subsidies.batch.summary_exported", object_id=str(data["b2025"].pk)).count() == 1


def test_fund_summary_excel(data, people):
    content, name = reports_funds.fund_summary_export(actor=people["city_clerk"], year=2025)
    rows = sheet(content)
    assert rows[0][0] == "清江市2025年度直补资金汇总表" and name == "清江市2025年度直补资金汇总表.xlsx"
    assert rows[2][:5] == ["年度", "县（市、区）", "资金来源", "应发金额（元）", "已发金额（元）"]
    body = {r[1]: r for r in rows[3:-1]}
    assert body["白云县"][2] == "中央水库移民扶持基金" and body["白云县"][3:11] == [2400.0, 1200.0, 600.0, 600.0, 300.0, 100.0, 200.0, 1200.0]
    assert body["白云县"][11] == 2.0
    assert rows[-1][0] == "合计" and rows[-1][3] == 3000.0


def test_annual_report_excel_for_the_city(data, people):
    content, name, ctype = reports_funds.annual_report_export(actor=people["city_clerk"], year=2025, scope="4299", fmt="xlsx")
    assert name == "清江市2025年度水库移民后期扶持直补资金发放情况报告.xlsx" and ctype == reports_funds.XLSX
    book = CalamineWorkbook.from_filelike(io.BytesIO(content))
    assert book.sheet_names == ["分县汇总", "分资金来源", "明细"]
    counties = book.get_sheet_by_name("分县汇总").to_python()
    assert "应发直补资金 3,000.00 元" in counties[1][0] and "应追缴 300.00 元" in counties[1][0]
    assert [r[1] for r in counties[3:]] == ["白云县", "青山县", "合计"]
    assert counties[-1][2] == 3000.0 and counties[-1][9] == 1200.0
    sources = book.get_sheet_by_name("分资金来源").to_python()
    assert [r[1] for r in sources[3:]] == ["中央水库移民扶持基金", "省级资金", "合计"]
    event = AuditEvent.objects.get(action="subsidies.funds.report_exported")
    assert event.after["scope"] == "4299" and event.after["format"] == "xlsx" and event.division_code == "429900000000"


def test_annual_report_word_for_a_county(data, people):
    content, name, ctype = reports_funds.annual_report_export(actor=people["clerk"], year=2025, fmt="docx")
    assert name == "白云县2025年度水库移民后期扶持直补资金发放情况报告.docx" and ctype == reports_funds.DOCX
    document = docx.Document(io.BytesIO(content))
    text = "\n".join(p.text for p in document.paragraphs)
    assert document.paragraphs[0].text == "白云县2025年度水库移民后期扶持直补资金发放情况报告"
    for part in ("共生成直补资金发放批次 2 个", "应发直补资金 2,400.00 元", "已发放 1,200.00 元（2 笔）", "发放失败待补发 600.00 元",
                 "尚欠 200.00 元", "项目扶持资金 1,200.00 元（2 人）", "二、分资金来源情况", "白云县（盖章）"):
        assert part in text, part
    (table,) = document.tables
    cells = [[c.text for c in row.cells] for row in table.rows]
    assert cells[0][:3] == ["序号", "资金来源", "应发"] and cells[1][1] == "中央水库移民扶持基金" and cells[1][2] == "2,400.00"
    assert cells[-1][1] == "合计"
    city = docx.Document(io.BytesIO(reports_funds.annual_report_export(actor=people["city_clerk"], year=2025, scope="4299", fmt="docx")[0]))
    assert len(city.tables) == 2 and "二、分县（市、区）情况" in "\n".join(p.text for p in city.paragraphs)


def test_annual_report_scope_and_input(data, people):
    with pytest.raises(NotFound):
        reports_funds.annual_report_export(actor=people["clerk"], year=2025, scope="429922", fmt="xlsx")
    with pytest.raises(NotFound):
        reports_funds.annual_report_export(actor=people["clerk"], year=2025, scope="4299", fmt="xlsx")
    with pytest.raises(ValidationFailed) as exc:
        reports_funds.annual_report_export(actor=people["township"], year=2025, fmt="docx")
    assert exc.value.message == str(reports_funds.MSG_REPORT_SCOPE)
    with pytest.raises(ValidationFailed) as exc:
        reports_funds.annual_report_export(actor=people["clerk"], year=2025, fmt="pdf")
    assert exc.value.code == "format_invalid"
    with pytest.raises(ValidationFailed) as exc:
        reports_funds.annual_report_export(actor=people["clerk"], year=1999, fmt="xlsx")
    assert exc.value.message == str(reports_funds.MSG_REPORT_YEAR)
    assert not AuditEvent.objects.filter(action="subsidies.funds.report_exported").exists()

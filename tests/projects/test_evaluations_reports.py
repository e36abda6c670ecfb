"""Lists and reports: the per-county summary (averages, grades), per-project scores, and the Word reports read back."""

from __future__ import annotations

import io
from decimal import Decimal

import docx
import pytest
from docx.oxml.ns import qn

from anju.core.exceptions import NotFound, ValidationFailed
from anju.core.models import AuditEvent
from anju.projects import reports_evaluations as reports
from anju.projects.models import Evaluation, Stage
from anju.projects.selectors_evaluations import evaluation_county_summary, evaluation_list, evaluation_scores

from .evaluations_data import YEAR, actors, reviewed, started, submitted
from .factories import OTHER_VILLAGE, make_allocation, make_payment


@pytest.fixture
def people(make_user, other_city):
    return actors(make_user)


@pytest.fixture
def year_of_work(people, tree):
    """白云县: reviewed 95 / 81.5 / 59.99, one submitted (88), one draft; another county of the city: reviewed 70.01."""
    from anju.divisions.models import Division

    second = next(d.code for d in Division.objects.filter(level=5, code__startswith="4299").exclude(code__startswith="429921"))
    out = {
        "a": reviewed(people, "96", "95", name="甲村道路硬化项目"),
        "b": reviewed(people, "85", "81.5", name="乙村饮水工程"),
        "c": reviewed(people, "70", "59.99", name="丙村产业基地"),
        "d": submitted(people, "88", name="丁村文化广场"),
        "e": started(people, name="戊村护岸"),
        "f": reviewed(people, "75", "70.01", village=second, by="city", name="外乡桥梁"),
        "other_year": reviewed(people, "99", "99", year=YEAR - 1),
        "second": second,
    }
    return out


def test_county_summary_counts_and_averages(people, year_of_work):
    rows, total = evaluation_county_summary(actor=people["leader"], year=YEAR)
    by_code = {r.code: r for r in rows}
    baiyun = by_code["429921"]
    assert (baiyun.name, baiyun.evaluations, baiyun.submitted, baiyun.reviewed) == ("白云县", 5, 4, 3)
    assert baiyun.average == Decimal("78.83")  # (95 + 81.5 + 59.99) / 3 = 78.83
    assert baiyun.self_average == Decimal("84.75")  # (96 + 85 + 70 + 88) / 4 submitted
    assert baiyun.grades == {"excellent": 1, "good": 1, "fair": 0, "poor": 1}
    other = by_code[year_of_work["second"][:6]]
    assert (other.evaluations, other.reviewed, other.average, other.grades["fair"]) == (1, 1, Decimal("70.01"), 1)
    assert (total.evaluations, total.reviewed, total.average) == (6, 4, Decimal("76.63"))  # 306.50 / 4 = 76.625 → 76.63
    assert sum(total.grades.values()) == 4


def test_summary_is_scoped(people, year_of_work):
    foreign_e = submitted(people, "90", village=OTHER_VILLAGE, by="foreign")
    rows, total = evaluation_county_summary(actor=people["clerk"], year=YEAR)
    assert [r.code for r in rows] == ["429921"] and total.evaluations == 5
    rows, total = evaluation_county_summary(actor=people["foreign"], year=YEAR)
    assert [r.code for r in rows] == ["429821"] and (total.submitted, total.reviewed) == (1, 0)
    assert foreign_e not in list(evaluation_list(actor=people["city"], year=YEAR))


def test_per_project_scores(people, year_of_work):
    columns, rows = evaluation_scores(actor=people["city"], year=YEAR, division="429921")
    assert [c for c, _label in columns] == ["output", "outcome", "satisfaction", "budget"]
    a = next(r for r in rows if r.evaluation == year_of_work["a"])
    assert [(g.self_score, g.review_score) for g in a.cells] == [
        (Decimal("46.00"), Decimal("45.00")), (Decimal("30.00"), Decimal("30.00")), (Decimal("10.00"), Decimal("10.00")),
        (Decimal("10.00"), Decimal("10.00"))]
    e = next(r for r in rows if r.evaluation == year_of_work["e"])
    assert all(g.self_score is None and g.review_score is None for g in e.cells)


def _doc(data: bytes):
    return docx.Document(io.BytesIO(data))


def _texts(d) -> list[str]:
    return [p.text for p in d.paragraphs]


def _east_asian_fonts(d) -> set[str]:
    fonts = set()
    for run in d.element.body.iter(qn("w:r")):
        rfonts = run.find(qn("w:rPr") + "/" + qn("w:rFonts"))
        if rfonts is not None and rfonts.get(qn("w:eastAsia")):
            fonts.add(rfonts.get(qn("w:eastAsia")))
    return fonts


def test_the_project_report_reads_back(people, year_of_work):
    e = year_of_work["b"]
    make_allocation(e.project, 40_000_000)
    make_payment(e.project, 30_000_000)
    data, name, content_type = reports.evaluation_report_export(actor=people["leader"], evaluation=e)
    assert name == "乙村饮水工程项目绩效评价报告.docx" and content_type == reports.DOCX
    d = _doc(data)
    texts = _texts(d)
    assert texts[0] == "乙村饮水工程项目绩效评价报告"
    body = next(t for t in texts if "资金支付率" in t)
    assert "已下达资金400,000.00元" in body and "已支付300,000.00元" in body and "资金支付率75.0%" in body
    assert "县级自评得分85.00分，市级复核得分81.50分，评价等级为“良”" in body
    assert "失分最多的指标是“产出数量”，扣15.00分" in body  # 18.5 lost from 产出数量 (15) then 产出质量 (3.5)
    facts, grid = d.tables
    assert ["项目编码", e.project.code] == [c.text for c in facts.rows[1].cells]
    assert ["资金支付率", "75.0%"] in [[c.text for c in r.cells] for r in facts.rows]
    header = [c.text for c in grid.rows[0].cells]
    assert header == ["一级指标", "分值", "二级指标", "分值", "评分标准", "自评得分", "复核得分"]
    rows = [[c.text for c in r.cells] for r in grid.rows[1:]]
    assert rows[0] == ["产出指标", "50", "产出数量", "15", "按批复建设内容完成的比例计分", "0.00", "0.00"]
    assert rows[1][:4] == ["产出指标", "50", "产出质量", "15"] and rows[1][5:] == ["15.00", "11.50"]  # merged first-level cells
    assert rows[-1] == ["合计", "100", "", "", "", "85.00", "81.50"]
    assert "评价等级：良" in next(t for t in texts if t.startswith("评价等级"))
    assert "自评说明" in texts and "复核意见" in texts
    assert {"仿宋_GB2312", "黑体"} <= _east_asian_fonts(d)
    event = AuditEvent.objects.get(action="projects.evaluation.report_downloaded")
    assert (event.object_id, event.actor_username, event.division_code) == (str(e.pk), "ev_leader", e.division_code)


def test_a_draft_report_says_so(people):
    e = started(people, name="村级道路")
    d = _doc(reports.evaluation_report_export(actor=people["clerk"], evaluation=e)[0])
    assert _texts(d)[0] == "村级道路项目绩效评价报告"
    assert any("正在县级自评，尚未提交" in t for t in _texts(d))
    assert [c.text for c in d.tables[1].rows[-1].cells][-2:] == ["—", "—"]


def test_the_city_summary_report_reads_back(people, year_of_work):
    data, name, _type = reports.summary_report_export(actor=people["city"], year=YEAR, scope="4299")
    assert name == "清江市2025年度扶持项目绩效评价情况汇总报告.docx"
    d = _doc(data)
    texts = _texts(d)
    assert texts[0] == "清江市2025年度扶持项目绩效评价情况汇总报告"
    overall = texts[2]
    assert "共开展扶持项目绩效评价6个，其中县级已提交自评5个，市级已复核4个" in overall
    assert "已复核项目平均得分76.63分，评价等级为优1个、良1个、中1个、差1个" in overall
    assert "平均得分最高的是白云县（78.83分）" in overall or "最低的是白云县（78.83分）" in overall
    projects, counties = d.tables
    assert len(projects.rows) == 7
    a = next([c.text for c in r.cells] for r in projects.rows if r.cells[3].text == "甲村道路硬化项目")
    assert a[1:] == ["白云县", year_of_work["a"].project.code, "甲村道路硬化项目", "96.00", "95.00", "优"]
    draft = next([c.text for c in r.cells] for r in projects.rows if r.cells[3].text == "戊村护岸")
    assert draft[4:] == ["—", "—", "—"]
    county_rows = [[c.text for c in r.cells] for r in counties.rows]
    assert county_rows[0] == ["县（市、区）", "评价项目数", "已复核", "平均自评得分", "平均复核得分", "优", "良", "中", "差"]
    assert ["白云县", "5", "3", "84.75", "78.83", "1", "1", "0", "1"] in county_rows
    assert county_rows[-1] == ["合计", "6", "4", "82.80", "76.63", "1", "1", "1", "1"]
    assert {"仿宋_GB2312", "黑体"} <= _east_asian_fonts(d)
    event = AuditEvent.objects.get(action="projects.evaluation.summary_downloaded")
    assert event.object_id == "4299-2025" and event.after["scope"] == "4299"


def test_the_county_summary_report_and_its_scope(people, year_of_work):
    d = _doc(reports.summary_report_export(actor=people["clerk"], year=YEAR, scope="")[0])
    assert _texts(d)[0] == "白云县2025年度扶持项目绩效评价情况汇总报告"
    assert len(d.tables[0].rows) == 6
    with pytest.raises(NotFound):
        reports.summary_report_export(actor=people["clerk"], year=YEAR, scope="4299")
    with pytest.raises(NotFound):
        reports.summary_report_export(actor=people["city"], year=YEAR, scope="429821")
    with pytest.raises(ValidationFailed) as exc:
        reports.summary_report_export(actor=people["city"], year=YEAR, scope="429921101")
    assert exc.value.message == str(reports.MSG_REPORT_SCOPE)
    assert AuditEvent.objects.filter(action="projects.evaluation.summary_downloaded").count() == 1


def test_an_evaluation_reviewed_at_acceptance_is_still_reported(people):
    e = reviewed(people, "100", stage=Stage.ACCEPTED, name="验收项目")
    assert e.state == Evaluation.State.REVIEWED
    d = _doc(reports.evaluation_docx(e))
    assert any("各项指标均得满分" in t for t in _texts(d))

"""The bulletin read back: numbers in the xlsx (python_calamine), the title, 文号, generated sentence and fonts in the docx
(python-docx), the text of the PDF (pypdf), including Chinese county names; every generation audited; bad input refused."""

from __future__ import annotations

import io
import zipfile

import pytest

from anju.core.exceptions import NotFound, ValidationFailed
from anju.core.models import AuditEvent
from anju.projects import reports_bulletin as rb

from .rates_data import AS_OF, YEAR, build_rates_world

pytestmark = pytest.mark.django_db
DOC_NUMBER = "清移办〔2026〕12号"
SENTENCE = ("截至2026年9月30日，全市中省后期扶持项目共4个，已开工3个，开工率75.00%；已完工1个，完工率25.00%；"
            "下达资金210.00万元，已支付73.00万元，资金支付率34.76%，较上年同期下降15.24个百分点。")


@pytest.fixture
def city(tree, other_city, make_user):
    build_rates_world()
    return make_user("city_clerk", "4299")


def _sheet(data: bytes, name: str) -> list[list]:
    from python_calamine import CalamineWorkbook

    return CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_name(name).to_python()


def _find(rows: list[list], label: str) -> list:
    return next(r for r in rows if len(r) > 1 and r[1] == label)


def test_summary_sentence_from_the_figures(city):
    b = rb.bulletin_data(actor=city, year=YEAR, as_of=AS_OF)
    assert rb.summary_sentence(b) == SENTENCE
    text = "".join(t for _k, t in rb.body_paragraphs(b))
    assert "排名靠前的是白云县（35.00%）；排名靠后的是青山县（30.00%）" in text
    assert "白云县、青山县资金支付率低于序时进度20个百分点以上，予以红色预警" in text
    assert "以前年度结转项目2个，已完工1个" in text and "工作要求" in text


def test_xlsx_numbers_colours_and_chart(city):
    data = rb.bulletin_render(actor=city, year=YEAR, as_of=AS_OF, fmt="xlsx", doc_number=DOC_NUMBER)
    rows = _sheet(data, "分县排名")
    assert rows[0][0] == "关于2026年度全市移民后期扶持项目建设进度和资金支付情况的通报"
    baiyun = _find(rows, "白云县")
    # rank, name, projects, started, start rate, completed, completion rate, allocated 万元, paid 万元, payment rate, last year, warning
    assert baiyun[0] == 1 and baiyun[2:10] == [3, 2, 0.6667, 1, 0.3333, 200.0, 70.0, 0.35]  # rates as the engine rounds them (4 places)
    assert baiyun[10] == 0.5 and baiyun[11] == "红色预警"
    total = _find(rows, "合计")
    assert total[2:10] == [4, 3, 0.75, 1, 0.25, 210.0, 73.0, 0.3476]
    empty = _find(rows, "江城区")
    assert empty[0] == "" and empty[4] == "—"
    carried = _find(_sheet(data, "结转项目"), "白云县")
    assert carried[2:9] == [2, 2, 1.0, 1, 0.5, 60.0, 40.0]
    lagging = _sheet(data, "滞后项目")
    assert any(r[3] == "湖河镇堰塘整治" and r[5] == 30.0 for r in lagging if len(r) > 5)
    months = _sheet(data, "月度支付进度")
    assert months[9][0] == "2026-09" and months[9][1:4] == [210.0, 73.0, 0.3476]
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        names = z.namelist()
        styles = z.read("xl/styles.xml").decode()
    assert "xl/charts/chart1.xml" in names and "xl/charts/chart2.xml" in names  # native charts: rates by county, payment line
    assert "F8CBAD" in styles  # the red warning fill


def test_docx_official_layout(city):
    import docx
    from docx.oxml.ns import qn

    data = rb.bulletin_render(actor=city, year=YEAR, as_of=AS_OF, fmt="docx", doc_number=DOC_NUMBER)
    document = docx.Document(io.BytesIO(data))
    texts = [p.text for p in document.paragraphs]
    assert texts[0] == "清江市移民工作领导小组办公室文件" and texts[1] == DOC_NUMBER
    assert "关于2026年度全市移民后期扶持项目建设进度和资金支付情况的通报" in texts
    assert SENTENCE in texts

    def east_asia(paragraph) -> str:
        return paragraph.runs[0]._element.rPr.rFonts.get(qn("w:eastAsia"))

    by_text = {p.text: p for p in document.paragraphs if p.runs}
    assert east_asia(by_text["关于2026年度全市移民后期扶持项目建设进度和资金支付情况的通报"]) == "方正小标宋简体"
    assert east_asia(by_text["一、总体情况"]) == "黑体"
    assert east_asia(by_text[SENTENCE]) == "仿宋_GB2312"
    assert document.paragraphs[0].runs[0].font.color.rgb == docx.shared.RGBColor(0xC0, 0, 0)  # the red header
    assert len(document.inline_shapes) == 2  # the two chart images
    cells = [c.text for t in document.tables for row in t.rows for c in row.cells]
    assert "白云县" in cells and "200.00" in cells and "35.00%" in cells and "湖河镇堰塘整治" in cells


def test_pdf_text_with_chinese_names(city):
    from pypdf import PdfReader

    data = rb.bulletin_render(actor=city, year=YEAR, as_of=AS_OF, fmt="pdf", doc_number=DOC_NUMBER)
    assert data.startswith(b"%PDF")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    flat = text.replace("\n", "")
    # cjk_font() embeds an installed TTF or names reportlab's STSong-Light (Adobe-GB1 with a Unicode CMap): either way pypdf
    # maps the glyphs back to the Chinese text
    assert "清移办〔2026〕12号" in flat and "白云县" in flat and "青山县" in flat
    assert "全市中省后期扶持项目共4个，已开工3个" in flat and "资金支付率34.76%" in flat.replace(" ", "")
    assert "湖河镇堰塘整治" in flat


def test_every_generation_is_audited_and_bad_input_refused(city, make_user):
    rb.bulletin_render(actor=city, year=YEAR, as_of=AS_OF, fmt="xlsx")
    event = AuditEvent.objects.get(action="projects.bulletin.generated")
    assert event.division_code == "429900000000" and event.after["format"] == "xlsx" and event.after["projects"] == 4
    with pytest.raises(ValidationFailed) as exc:
        rb.bulletin_render(actor=city, year=YEAR, as_of=AS_OF, fmt="odt")
    assert exc.value.message == str(rb.MSG_FORMAT)
    with pytest.raises(ValidationFailed) as exc:
        rb.bulletin_render(actor=city, year=YEAR, as_of=AS_OF, fmt="docx", doc_number="x" * 61)
    assert exc.value.message == str(rb.MSG_DOC_NUMBER)
    clerk = make_user("county_clerk", "429922")
    with pytest.raises(NotFound):
        rb.bulletin_render(actor=clerk, year=YEAR, as_of=AS_OF, scope="429921", fmt="xlsx")
    assert AuditEvent.objects.filter(action="projects.bulletin.generated").count() == 1


def test_county_bulletin_covers_its_county_only(city, make_user):
    clerk = make_user("county_clerk", "429922")
    b = rb.bulletin_data(actor=clerk, year=YEAR, as_of=AS_OF)
    assert b.area == "青山县" and [r.name for r in b.table.rows] == ["青山县"]
    assert rb.summary_sentence(b).startswith("截至2026年9月30日，青山县中省后期扶持项目共1个")
    rows = _sheet(rb.bulletin_xlsx(b), "分县排名")
    assert not any(len(r) > 1 and r[1] == "白云县" for r in rows)

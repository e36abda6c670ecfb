"""Fund documents: the 资金汇总 table (Excel) and the annual fund report of a county or the city (年度资金报告, Excel and
Word in the fonts of official documents). Every export is audited."""

from __future__ import annotations

import io

import xlsxwriter
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from anju.core.access import code_prefix_q, scope_filter
from anju.core.audit import audit_record
from anju.core.exceptions import NotFound, ValidationFailed, join_sentences
from anju.core.masking import safe_cell
from anju.divisions.models import Division, Level
from anju.subsidies.models import Batch, FundSource
from anju.subsidies.months import fen_text
from anju.subsidies.reports import MONEY, money
from anju.subsidies.selectors_ledger import FundRow, FundSummary, fund_summary

MSG_REPORT_SCOPE = gettext_lazy("年度资金报告的范围应为您辖区内的一个县（市、区）或整个市")
MSG_REPORT_YEAR = gettext_lazy("请选择 2006 年至 2100 年之间的年度")
MSG_REPORT_FORMAT = gettext_lazy("导出格式应为 xlsx 或 docx")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
REPORT_FORMATS = {"xlsx": XLSX, "docx": DOCX}

# (attribute, column label): the money columns every fund table shows, in order.
FUND_COLUMNS = [
    ("entitled", gettext_lazy("应发金额")), ("paid", gettext_lazy("已发金额")), ("failed", gettext_lazy("发放失败")), ("pending", gettext_lazy("待发金额")),
    ("recovery", gettext_lazy("应追缴")), ("recovered", gettext_lazy("已追回")), ("outstanding", gettext_lazy("尚欠")),
    ("project_amount", gettext_lazy("项目扶持资金")),
]


def source_label(code: str) -> str:
    return str(FundSource(code).label) if code in FundSource.values else code


# --- 资金汇总 (Excel) -------------------------------------------------------------------------------------------------

class _Book:
    """An in-memory workbook with the formats every fund sheet uses."""

    def __init__(self):
        self.out = io.BytesIO()
        self.wb = xlsxwriter.Workbook(self.out, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False})
        wb = self.wb
        self.title = wb.add_format({"bold": True, "font_size": 16, "align": "center"})
        self.head = wb.add_format({"bold": True, "bg_color": "#E8EEF7", "border": 1, "align": "center", "text_wrap": True})
        self.cell, self.amount = wb.add_format({"border": 1}), wb.add_format({"border": 1, "num_format": MONEY})
        self.bold = wb.add_format({"border": 1, "bold": True, "bg_color": "#F5F7FA"})
        self.bold_amount = wb.add_format({"border": 1, "bold": True, "bg_color": "#F5F7FA", "num_format": MONEY})

    def sheet(self, name: str, title: str, subtitle: str, lead: list[str]):
        ws = self.wb.add_worksheet(name)
        labels = [*lead, *(_("%(label)s（元）") % {"label": label} for _key, label in FUND_COLUMNS), _("项目扶持人数")]
        ws.merge_range(0, 0, 0, len(labels) - 1, safe_cell(title), self.title)
        ws.merge_range(1, 0, 1, len(labels) - 1, safe_cell(subtitle))
        for col, label in enumerate(labels):
            ws.write_string(2, col, str(label), self.head)
            ws.set_column(col, col, 16 if col >= len(lead) else 12)
        ws.freeze_panes(3, len(lead))
        return ws

    def figures(self, ws, r: int, col: int, row: FundRow, *, total: bool = False) -> None:
        for i, (key, _label) in enumerate(FUND_COLUMNS):
            ws.write_number(r, col + i, money(getattr(row, key)), self.bold_amount if total else self.amount)
        ws.write_number(r, col + len(FUND_COLUMNS), row.project_persons, self.bold if total else self.cell)

    def close(self) -> bytes:
        self.wb.close()
        return self.out.getvalue()


def _detail_sheet(book: _Book, summary: FundSummary, title: str, subtitle: str) -> None:
    ws = book.sheet(_("明细"), title, subtitle, [_("年度"), _("县（市、区）"), _("资金来源")])
    r = 3
    for row in summary.rows:
        ws.write_number(r, 0, row.year, book.cell)
        ws.write_string(r, 1, safe_cell(row.county_name), book.cell)
        ws.write_string(r, 2, row.source_label, book.cell)
        book.figures(ws, r, 3, row)
        r += 1
    ws.write_string(r, 0, _("合计"), book.bold)
    ws.write_blank(r, 1, None, book.bold)
    ws.write_blank(r, 2, None, book.bold)
    book.figures(ws, r, 3, summary.total, total=True)


def _grouped_sheet(book: _Book, name: str, rows: list[FundRow], total: FundRow, title: str, subtitle: str, *, by_county: bool) -> None:
    ws = book.sheet(name, title, subtitle, [_("序号"), _("县（市、区）") if by_county else _("资金来源")])
    r = 3
    for seq, row in enumerate(rows, start=1):
        ws.write_number(r, 0, seq, book.cell)
        ws.write_string(r, 1, safe_cell(row.county_name) if by_county else row.source_label, book.cell)
        book.figures(ws, r, 2, row)
        r += 1
    ws.write_blank(r, 0, None, book.bold)
    ws.write_string(r, 1, _("合计"), book.bold)
    book.figures(ws, r, 2, total, total=True)


def fund_summary_xlsx(summary: FundSummary, *, title: str, subtitle: str = "") -> bytes:
    book = _Book()
    _detail_sheet(book, summary, title, subtitle)
    return book.close()


def fund_summary_export(*, actor, year: int | None = None, county: str = "", fund_source: str = "") -> tuple[bytes, str]:
    """(content, file name) of the fund summary with the page's filters; audited."""
    summary = fund_summary(actor=actor, year=year, county=county, fund_source=fund_source)
    scope = county or actor.view_prefix
    name = _scope_name(scope)
    title = _("%(scope)s%(year)s直补资金汇总表") % {"scope": name, "year": _("%(y)s年度") % {"y": year} if year else ""}
    subtitle = _("资金来源：%(source)s　生成时间：%(at)s") % {"source": source_label(fund_source) if fund_source else _("全部"),
                                                      "at": timezone.localtime().strftime("%Y-%m-%d %H:%M")}
    data = fund_summary_xlsx(summary, title=title, subtitle=subtitle)
    with transaction.atomic():
        audit_record(actor=actor, action="subsidies.funds.summary_exported", object_type="fund_summary", object_id=scope,
                     division_code=scope.ljust(12, "0"), after={"year": year, "county": county, "fund_source": fund_source,
                                                                "rows": len(summary.rows), "bytes": len(data)})
    return data, f"{title}.xlsx"


# --- 年度资金报告 ----------------------------------------------------------------------------------------------------

def _scope_name(prefix: str) -> str:
    return Division.objects.filter(code=prefix.ljust(12, "0")).values_list("name", flat=True).first() or prefix


def report_scope(actor, scope: str = "") -> Division:
    """The county or city an annual report covers: known and in the actor's view scope (else NotFound); default: the view scope."""
    prefix = (scope or actor.view_prefix or "").strip()
    if not prefix.isdigit() or not prefix.isascii() or len(prefix) not in (4, 6):
        raise ValidationFailed(MSG_REPORT_SCOPE, code="scope_invalid", detail={"field": "scope"})
    division = Division.objects.filter(code=prefix.ljust(12, "0"), level__in=(Level.CITY, Level.COUNTY)).first()
    if division is None:  # a well-formed code of no county or city: as unknown as one outside the scope
        raise NotFound()
    if not division.code.startswith(actor.view_prefix):
        raise NotFound()
    return division


def report_title(division: Division, year: int) -> str:
    return _("%(scope)s%(year)s年度水库移民后期扶持直补资金发放情况报告") % {"scope": division.name, "year": year}


def _report_data(actor, division: Division, year: int) -> tuple[FundSummary, int]:
    if not isinstance(year, int) or not 2006 <= year <= 2100:
        raise ValidationFailed(MSG_REPORT_YEAR, code="year_invalid", detail={"field": "year"})
    summary = fund_summary(actor=actor, year=year, county=division.prefix)
    batches = scope_filter(Batch.objects.filter(code_prefix_q("division_code", division.prefix), year=year), actor).count()
    return summary, batches


def _figures_text(division: Division, year: int, summary: FundSummary, batches: int) -> str:
    t = summary.total
    parts = [_("%(year)s年度，%(scope)s共生成直补资金发放批次 %(batches)s 个，应发直补资金 %(entitled)s 元；已发放 %(paid)s 元（%(paid_n)s 笔），"
             "发放失败待补发 %(failed)s 元，待发放 %(pending)s 元。") % {
        "year": year, "scope": division.name, "batches": batches, "entitled": fen_text(t.entitled), "paid": fen_text(t.paid),
        "paid_n": t.paid_count, "failed": fen_text(t.failed), "pending": fen_text(t.pending)}]
    if t.recovery:
        parts.append(_("因核减滞后多发、应追缴 %(due)s 元，已追回 %(back)s 元，尚欠 %(owed)s 元。") % {
            "due": fen_text(t.recovery), "back": fen_text(t.recovered), "owed": fen_text(t.outstanding)})
    else:
        parts.append(_("本年度无应追缴资金。"))
    if t.project_amount or t.project_persons:
        parts.append(_("另有项目扶持资金 %(amount)s 元（%(persons)s 人），用于扶持项目。")
                     % {"amount": fen_text(t.project_amount), "persons": t.project_persons})
    return join_sentences(parts)


def annual_report_xlsx(*, actor, division: Division, year: int) -> bytes:
    summary, batches = _report_data(actor, division, year)
    title = report_title(division, year)
    subtitle = _figures_text(division, year, summary, batches)
    book = _Book()
    _grouped_sheet(book, _("分县汇总"), summary.by_county, summary.total, title, subtitle, by_county=True)
    _grouped_sheet(book, _("分资金来源"), summary.by_source, summary.total, title, subtitle, by_county=False)
    _detail_sheet(book, summary, title, subtitle)
    return book.close()


def annual_report_docx(*, actor, division: Division, year: int) -> bytes:
    """The report: title, the figures in words, a table by county and one by fund source (yuan), and the sign-off block."""
    import docx
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm, Pt

    from anju.registry.reports_verification import FONT_BODY, FONT_HEADING, FONT_LATIN, FONT_TITLE, _add_font_fallbacks, _para, _set_font

    summary, batches = _report_data(actor, division, year)
    document = docx.Document()
    _add_font_fallbacks(document)
    normal = document.styles["Normal"]
    normal.font.name, normal.font.size = FONT_LATIN, Pt(16)
    normal.element.get_or_add_rPr().get_or_add_rFonts().set("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}eastAsia", FONT_BODY)
    section = document.sections[0]
    section.top_margin, section.bottom_margin, section.left_margin, section.right_margin = Cm(3.7), Cm(3.5), Cm(2.8), Cm(2.6)

    _para(document, report_title(division, year), font=FONT_TITLE, size=22, align=WD_ALIGN_PARAGRAPH.CENTER, indent=False)
    _para(document, _("一、总体情况"), font=FONT_HEADING)
    _para(document, _figures_text(division, year, summary, batches))

    def table(heading: str, first: str, rows: list[FundRow], label) -> None:
        _para(document, heading, font=FONT_HEADING)
        headers = [_("序号"), first, _("应发"), _("已发"), _("失败"), _("待发"), _("应追缴"), _("已追回"), _("尚欠"), _("项目扶持")]
        grid = document.add_table(rows=1, cols=len(headers))
        grid.style = "Table Grid"
        for cell, text in zip(grid.rows[0].cells, headers, strict=True):
            cell.text = ""
            _set_font(cell.paragraphs[0].add_run(text), FONT_HEADING, 10.5)

        def add(values: list[str], font: str = FONT_BODY) -> None:
            for cell, value in zip(grid.add_row().cells, values, strict=True):
                cell.text = ""
                _set_font(cell.paragraphs[0].add_run(value), font, 10.5)

        def figures(r: FundRow) -> list[str]:
            return [fen_text(getattr(r, key)) for key, _label in FUND_COLUMNS]

        for seq, r in enumerate(rows, start=1):
            add([str(seq), label(r), *figures(r)])
        add(["", _("合计"), *figures(summary.total)], FONT_HEADING)
        _para(document, _("（金额单位：元）"), size=12, indent=False)

    if division.level == Level.CITY:
        table(_("二、分县（市、区）情况"), _("县（市、区）"), summary.by_county, lambda r: r.county_name)
        table(_("三、分资金来源情况"), _("资金来源"), summary.by_source, lambda r: r.source_label)
        closing = _("四、说明")
    else:
        table(_("二、分资金来源情况"), _("资金来源"), summary.by_source, lambda r: r.source_label)
        closing = _("三、说明")
    _para(document, closing, font=FONT_HEADING)
    _para(document, _("应发 = 已发 + 发放失败 + 待发；发放失败经更正后在补发批次中重新发放的，其应发金额只计一次。应追缴为核减生效后仍已发放的月份金额。"))
    _para(document, "")
    _para(document, _("%(scope)s（盖章）") % {"scope": division.name}, align=WD_ALIGN_PARAGRAPH.RIGHT, indent=False)
    today = timezone.localdate()
    _para(document, _("%(y)s年%(m)s月%(d)s日") % {"y": today.year, "m": today.month, "d": today.day}, align=WD_ALIGN_PARAGRAPH.RIGHT, indent=False)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def annual_report_export(*, actor, year: int, scope: str = "", fmt: str = "xlsx") -> tuple[bytes, str, str]:
    """(content, file name, content type) of the annual fund report of a county or the city; audited."""
    from anju.accounts.roles import Perm
    from anju.core.access import require_perm

    require_perm(actor, Perm.SUBSIDY_VIEW)
    if fmt not in REPORT_FORMATS:
        raise ValidationFailed(MSG_REPORT_FORMAT, code="format_invalid", detail={"field": "format"})
    division = report_scope(actor, scope)
    data = (annual_report_xlsx if fmt == "xlsx" else annual_report_docx)(actor=actor, division=division, year=year)
    with transaction.atomic():
        audit_record(actor=actor, action="subsidies.funds.report_exported", object_type="fund_report", object_id=f"{division.prefix}-{year}",
                     division_code=division.code, after={"year": year, "scope": division.prefix, "format": fmt, "bytes": len(data)})
    return data, f"{report_title(division, year)}.{fmt}", REPORT_FORMATS[fmt]


__all__ = ["annual_report_export", "annual_report_docx", "annual_report_xlsx", "fund_summary_export", "fund_summary_xlsx", "report_scope",
           "report_title", "FUND_COLUMNS", "MSG_REPORT_SCOPE", "MSG_REPORT_YEAR", "MSG_REPORT_FORMAT"]

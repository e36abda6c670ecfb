"""Printed lists of a payment batch: the 发放公示表 (posting list, by village with subtotals; Excel and PDF in the CJK
font) and the batch summary by township (Excel). Every export is audited."""

from __future__ import annotations

import io
from dataclasses import dataclass, field

import xlsxwriter
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from anju.core.audit import audit_record
from anju.core.exceptions import ValidationFailed
from anju.core.masking import safe_cell
from anju.divisions.selectors import division_names
from anju.registry.models import Program
from anju.registry.posting import _escape, cjk_font
from anju.subsidies.models import Batch, FundSource, Item
from anju.subsidies.months import fen_text, period_label
from anju.subsidies.selectors import batch_items
from anju.subsidies.selectors_ledger import batch_part
from anju.subsidies.services.reconcile import batch_reconciliation

MSG_FORMAT = gettext_lazy("导出格式应为 xlsx 或 pdf")
MSG_DIVISION = gettext_lazy("区划代码只能是 1 至 12 位数字")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PDF = "application/pdf"
FORMATS = {"xlsx": XLSX, "pdf": PDF}
MONEY = "#,##0.00"


def money(fen: int) -> float:
    """Fen as yuan for a numeric spreadsheet cell: every sum is done in integer fen first; only the cell is a number."""
    return int(fen) / 100


def batch_title(batch: Batch, county_name: str, kind: str) -> str:
    """e.g. 白云县2025年水库移民后期扶持直补资金发放公示表 (kind: 发放公示表 / 发放汇总表); a supplementary batch says 补发."""
    program = Program(batch.program).label if batch.program in Program.values else ""
    supplement = _("补发") if batch.kind == Batch.Kind.SUPPLEMENTARY else ""
    return _("%(county)s%(period)s%(program)s直补资金%(supplement)s%(kind)s") % {
        "county": county_name, "period": period_label(batch.year, batch.quarter), "program": program, "supplement": supplement, "kind": kind}


def _source_label(batch: Batch) -> str:
    return str(FundSource(batch.fund_source).label) if batch.fund_source in FundSource.values else batch.fund_source


# --- 发放公示表 ------------------------------------------------------------------------------------------------------

@dataclass
class PostingVillage:
    code: str
    township: str
    village: str
    rows: list[list] = field(default_factory=list)  # [seq, household, name, id_masked, months, fen]
    persons: int = 0
    fen: int = 0


@dataclass
class BatchPosting:
    title: str
    subtitle: str
    villages: list[PostingVillage]
    persons: int
    fen: int


def _headers() -> list[str]:
    return [_("序号"), _("户编号"), _("姓名"), _("身份证号"), _("月数"), _("金额（元）")]


def batch_posting(*, actor, batch: Batch, division: str = "") -> BatchPosting:
    """The posting list's rows: every entitled (not cancelled) item of the actor's part (or of one township or village of
    it: `division`, a code prefix), by village, ID numbers masked."""
    items = batch_items(actor=actor, batch=batch, division=division).exclude(state=Item.State.CANCELLED)
    rows = list(items.values_list("division_code", "household_number", "name", "id_masked", "months", "amount"))
    names = division_names([batch.division_code, *{r[0] for r in rows}])
    villages: dict[str, PostingVillage] = {}
    seq = 0
    for code, household, name, id_masked, months, amount in rows:
        v = villages.get(code)
        if v is None:
            v = villages[code] = PostingVillage(code, names.get(code[:9].ljust(12, "0"), ""), names.get(code, code))
        seq += 1
        v.rows.append([seq, household, name, id_masked, months, amount])
        v.persons += 1
        v.fen += amount
    county_name = names.get(batch.division_code, batch.division_code)
    part = max(batch_part(actor, batch), division if len(division) > 6 else "", key=len)
    if part:
        county_name += division_names([part.ljust(12, "0")]).get(part.ljust(12, "0"), "")
    subtitle = _("批次号：%(number)s　资金来源：%(source)s　金额单位：元") % {"number": batch.number, "source": _source_label(batch)}
    return BatchPosting(title=batch_title(batch, county_name, _("发放公示表")), subtitle=subtitle, villages=list(villages.values()),
                        persons=seq, fen=sum(v.fen for v in villages.values()))


def _signature_lines() -> list[str]:
    return [_("公示期内如有异议，请向村委会或乡镇人民政府反映。"), _("公示单位（盖章）：________________　　监督举报电话：________________"),
            _("制表人：__________    审核人：__________    公示日期：____年__月__日")]


def posting_xlsx(table: BatchPosting) -> bytes:
    out = io.BytesIO()
    wb = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False})
    ws = wb.add_worksheet(_("公示表"))
    title = wb.add_format({"bold": True, "font_size": 16, "align": "center", "valign": "vcenter", "font_name": "宋体"})
    sub = wb.add_format({"font_size": 11, "font_name": "宋体"})
    head = wb.add_format({"bold": True, "border": 1, "align": "center", "valign": "vcenter", "bg_color": "#F2F2F2", "font_name": "宋体"})
    group = wb.add_format({"bold": True, "border": 1, "font_name": "宋体", "bg_color": "#F7F9FC"})
    cell = wb.add_format({"border": 1, "valign": "vcenter", "font_name": "宋体"})
    amount = wb.add_format({"border": 1, "num_format": MONEY, "font_name": "宋体"})
    bold_amount = wb.add_format({"border": 1, "num_format": MONEY, "bold": True, "font_name": "宋体"})
    bold = wb.add_format({"border": 1, "bold": True, "font_name": "宋体"})
    widths = [7, 14, 12, 22, 8, 14]
    for i, w in enumerate(widths):
        ws.set_column(i, i, w)
    last = len(widths) - 1
    ws.merge_range(0, 0, 0, last, safe_cell(table.title), title)
    ws.set_row(0, 30)
    ws.merge_range(1, 0, 1, last, safe_cell(table.subtitle), sub)
    for c, h in enumerate(_headers()):
        ws.write_string(2, c, h, head)
    r = 3
    for v in table.villages:
        ws.merge_range(r, 0, r, last, safe_cell(f"{v.township} {v.village}"), group)
        r += 1
        for seq, household, name, id_masked, months, fen in v.rows:
            ws.write_number(r, 0, seq, cell)
            ws.write_string(r, 1, safe_cell(household), cell)
            ws.write_string(r, 2, safe_cell(name), cell)
            ws.write_string(r, 3, safe_cell(id_masked), cell)
            ws.write_number(r, 4, months, cell)
            ws.write_number(r, 5, money(fen), amount)
            r += 1
        ws.write_blank(r, 0, None, bold)
        ws.write_string(r, 1, _("小计"), bold)
        ws.merge_range(r, 2, r, 4, _("%(n)s 人") % {"n": v.persons}, bold)
        ws.write_number(r, 5, money(v.fen), bold_amount)
        r += 1
    ws.write_blank(r, 0, None, bold)
    ws.write_string(r, 1, _("合计"), bold)
    ws.merge_range(r, 2, r, 4, _("%(n)s 人") % {"n": table.persons}, bold)
    ws.write_number(r, 5, money(table.fen), bold_amount)
    for line in _signature_lines():
        r += 1
        ws.merge_range(r, 0, r, last, line, sub)
    ws.repeat_rows(2)
    ws.set_paper(9)  # A4
    ws.fit_to_pages(1, 0)
    ws.set_footer("&C" + _("第 &P 页，共 &N 页"))
    wb.close()
    return out.getvalue()


def posting_pdf(table: BatchPosting) -> bytes:
    """The posting list as an A4 PDF: one table per village (small tables keep a large county fast to lay out)."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    font = cjk_font()
    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=A4, leftMargin=15 * mm, rightMargin=15 * mm, topMargin=15 * mm, bottomMargin=15 * mm,
                            title=table.title, author="anju")
    title_style = ParagraphStyle("t", fontName=font, fontSize=16, leading=22, alignment=1)
    text = ParagraphStyle("x", fontName=font, fontSize=10, leading=14)
    widths = [x * mm for x in (14, 30, 26, 46, 16, 28)]
    style = TableStyle([("GRID", (0, 0), (-1, -1), 0.5, colors.black), ("FONTNAME", (0, 0), (-1, -1), font), ("FONTSIZE", (0, 0), (-1, -1), 9),
                        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#F2F2F2")), ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                        ("ALIGN", (4, 1), (5, -1), "RIGHT"), ("BACKGROUND", (0, -1), (-1, -1), colors.HexColor("#F7F9FC"))])
    story = [Paragraph(_escape(table.title), title_style), Spacer(1, 3 * mm), Paragraph(_escape(table.subtitle), text), Spacer(1, 3 * mm)]
    for v in table.villages:
        story.append(Paragraph(_escape(f"{v.township} {v.village}"), text))
        data = [_headers()] + [[str(seq), household, name, id_masked, str(months), fen_text(fen)]
                               for seq, household, name, id_masked, months, fen in v.rows]
        data.append(["", _("小计"), _("%(n)s 人") % {"n": v.persons}, "", "", fen_text(v.fen)])
        grid = Table(data, colWidths=widths, repeatRows=1)
        grid.setStyle(style)
        story += [grid, Spacer(1, 3 * mm)]
    story.append(Paragraph(_escape(_("合计：%(n)s 人，%(yuan)s 元") % {"n": table.persons, "yuan": fen_text(table.fen)}), text))
    story.append(Spacer(1, 4 * mm))
    story += [Paragraph(_escape(line), text) for line in _signature_lines()]

    def footer(canvas, document):
        canvas.saveState()
        canvas.setFont(font, 9)
        canvas.drawCentredString(A4[0] / 2, 8 * mm, _("第 %(n)s 页") % {"n": document.page})
        canvas.restoreState()

    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return out.getvalue()


def batch_posting_export(*, actor, batch: Batch, fmt: str = "xlsx", division: str = "") -> tuple[bytes, str, str]:
    """(content, file name, content type) of the batch's posting list (of one township or village with `division`); audited.
    Trusts the caller's access_batch."""
    if fmt not in FORMATS:
        raise ValidationFailed(MSG_FORMAT, code="format_invalid", detail={"field": "format"})
    if division and (not division.isdigit() or not division.isascii() or len(division) > 12):
        raise ValidationFailed(MSG_DIVISION, code="division_invalid", detail={"field": "division"})
    table = batch_posting(actor=actor, batch=batch, division=division)
    content = posting_xlsx(table) if fmt == "xlsx" else posting_pdf(table)
    with transaction.atomic():
        audit_record(actor=actor, action="subsidies.batch.posting_exported", object_type="batch", object_id=batch.pk,
                     division_code=batch.division_code, after={"format": fmt, "rows": table.persons, "amount": table.fen,
                                                               "part": batch_part(actor, batch), "division": division})
    return content, f"{table.title}.{fmt}", FORMATS[fmt]


# --- 发放汇总表 (by township) ---------------------------------------------------------------------------------------

SUMMARY_COLUMNS = [gettext_lazy("序号"), gettext_lazy("乡镇"), gettext_lazy("应发笔数"), gettext_lazy("应发金额（元）"), gettext_lazy("已发笔数"),
                   gettext_lazy("已发金额（元）"), gettext_lazy("失败笔数"), gettext_lazy("失败金额（元）"), gettext_lazy("待发笔数"),
                   gettext_lazy("待发金额（元）")]


def batch_summary_xlsx(*, actor, batch: Batch) -> bytes:
    """Counts and yuan by township (entitled, paid, failed, pending) with the total and whether the figures tie."""
    rec = batch_reconciliation(batch, part=batch_part(actor, batch))
    county_name = division_names([batch.division_code]).get(batch.division_code, batch.division_code)
    out = io.BytesIO()
    wb = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False})
    ws = wb.add_worksheet(_("发放汇总表"))
    title = wb.add_format({"bold": True, "font_size": 16, "align": "center"})
    head = wb.add_format({"bold": True, "bg_color": "#E8EEF7", "border": 1, "align": "center", "text_wrap": True})
    cell, amount = wb.add_format({"border": 1}), wb.add_format({"border": 1, "num_format": MONEY})
    bold, bold_amount = wb.add_format({"border": 1, "bold": True, "bg_color": "#F5F7FA"}), wb.add_format({"border": 1, "bold": True,
                                                                                                           "bg_color": "#F5F7FA", "num_format": MONEY})
    width = len(SUMMARY_COLUMNS)
    ws.merge_range(0, 0, 0, width - 1, safe_cell(batch_title(batch, county_name, _("发放汇总表"))), title)
    ws.merge_range(1, 0, 1, width - 1, safe_cell(_("批次号：%(number)s　状态：%(state)s　资金来源：%(source)s　对账：%(ties)s") % {
        "number": batch.number, "state": batch.get_state_display(), "source": _source_label(batch),
        "ties": _("相符") if rec.ties else _("不符")}))
    for col, label in enumerate(SUMMARY_COLUMNS):
        ws.write_string(2, col, str(label), head)
    for col, w in enumerate([6, 20, 10, 14, 10, 14, 10, 14, 10, 14]):
        ws.set_column(col, col, w)

    def figures(r: int, f, fmt, money_fmt) -> None:
        for i, key in enumerate(("entitled", "paid", "failed", "pending")):
            ws.write_number(r, 2 + 2 * i, getattr(f, f"{key}_n"), fmt)
            ws.write_number(r, 3 + 2 * i, money(getattr(f, key)), money_fmt)

    r = 3
    for seq, t in enumerate(rec.townships, start=1):
        ws.write_number(r, 0, seq, cell)
        ws.write_string(r, 1, safe_cell(t.name), cell)
        figures(r, t.figures, cell, amount)
        r += 1
    ws.write_blank(r, 0, None, bold)
    ws.write_string(r, 1, _("合计"), bold)
    figures(r, rec.totals, bold, bold_amount)
    ws.freeze_panes(3, 0)
    wb.close()
    return out.getvalue()


def batch_summary_export(*, actor, batch: Batch) -> tuple[bytes, str]:
    """(content, file name) of the batch summary by township; audited. Trusts the caller's access_batch."""
    data = batch_summary_xlsx(actor=actor, batch=batch)
    with transaction.atomic():
        audit_record(actor=actor, action="subsidies.batch.summary_exported", object_type="batch", object_id=batch.pk,
                     division_code=batch.division_code, after={"bytes": len(data), "part": batch_part(actor, batch)})
    name = batch_title(batch, division_names([batch.division_code]).get(batch.division_code, batch.division_code), _("发放汇总表"))
    return data, f"{name}.xlsx"


__all__ = ["batch_posting", "batch_posting_export", "batch_summary_export", "batch_summary_xlsx", "posting_pdf", "posting_xlsx",
           "batch_title", "money", "MSG_FORMAT", "FORMATS", "XLSX", "PDF"]

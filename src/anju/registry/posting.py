"""The public posting list (公示表) of change requests on posting in a township or county: printable Excel and PDF."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import xlsxwriter
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from anju.core.audit import audit_record
from anju.core.exceptions import ValidationFailed
from anju.core.masking import safe_cell
from anju.divisions.models import Division
from anju.divisions.selectors import division_names
from anju.registry.models import ChangeRequest, Program, RemovalCause
from anju.registry.selectors_requests import posting_list, posting_scope

MSG_FORMAT = gettext_lazy("导出格式应为 xlsx 或 pdf")
FORMATS = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "pdf": "application/pdf"}
CJK_FONTS = (
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 2),
    ("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc", 2),
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),
)


def _headers() -> list[str]:
    return [_("序号"), _("乡镇"), _("村"), _("户编号"), _("姓名"), _("身份证号"), _("类型"), _("原因"), _("生效日期")]


@dataclass
class PostingTable:
    title: str
    scope_name: str
    program_label: str
    period: str
    rows: list[list[str]]
    count: int


def _reason(cr: ChangeRequest) -> str:
    parts = []
    if cr.cause:
        parts.append(str(RemovalCause(cr.cause).label))
    if cr.reason:
        parts.append(cr.reason)
    return "；".join(parts)


def posting_table(*, actor, scope: str = "", program: str = "", on: dt.date | None = None) -> PostingTable:
    """The rows of the posting list (one per person; a new household lists each member), ID numbers masked."""
    prefix = posting_scope(actor, scope)
    requests = list(posting_list(actor=actor, scope=prefix, program=program, on=on))
    names = division_names([cr.division_code for cr in requests] + [prefix.ljust(12, "0")])
    rows: list[list[str]] = []
    for cr in requests:
        township, village = names.get(cr.division_code[:9].ljust(12, "0"), ""), names.get(cr.division_code, "")
        effective = f"{cr.effective_on:%Y-%m-%d}" if cr.effective_on else ""
        kind = str(cr.get_kind_display())
        if cr.kind == ChangeRequest.Kind.ADD_HOUSEHOLD:
            for m in cr.payload.get("members", []):
                rows.append([township, village, cr.payload.get("number", ""), m["name"], m["id_masked"], kind, _reason(cr), effective])
        elif cr.kind == ChangeRequest.Kind.ADD_PERSON:
            m = cr.payload.get("member", {})
            rows.append([township, village, cr.household.number if cr.household else "", m.get("name", ""), m.get("id_masked", ""), kind,
                         _reason(cr), effective])
        else:
            rows.append([township, village, cr.household.number if cr.household else "", cr.person.name if cr.person else "",
                         cr.person.id_masked if cr.person else "", kind, _reason(cr), effective])
    rows = [[str(i), *row] for i, row in enumerate(rows, 1)]
    starts = [cr.posting_from for cr in requests if cr.posting_from]
    ends = [cr.posting_until for cr in requests if cr.posting_until]
    period = _("%(start)s 至 %(end)s") % {"start": f"{min(starts):%Y年%m月%d日}", "end": f"{max(ends):%Y年%m月%d日}"} if starts else ""
    scope_name = names.get(prefix.ljust(12, "0")) or Division.objects.filter(code=prefix.ljust(12, "0")).values_list("name", flat=True).first() or prefix
    program_label = str(Program(program).label) if program else _("全部项目")
    title = _("%(scope)s%(program)s人员变动公示表") % {"scope": scope_name, "program": program_label if program else ""}
    return PostingTable(title=title, scope_name=scope_name, program_label=program_label, period=period, rows=rows, count=len(requests))


def _signature_lines() -> list[str]:
    return [_("公示单位（盖章）：________________"), _("监督举报电话：________________"),
            _("制表人：__________    审核人：__________    公示日期：____年__月__日")]


def posting_xlsx(table: PostingTable) -> bytes:
    out = io.BytesIO()
    wb = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False})
    ws = wb.add_worksheet(_("公示表"))
    title = wb.add_format({"bold": True, "font_size": 16, "align": "center", "valign": "vcenter", "font_name": "宋体"})
    sub = wb.add_format({"font_size": 11, "font_name": "宋体"})
    head = wb.add_format({"bold": True, "border": 1, "align": "center", "valign": "vcenter", "bg_color": "#F2F2F2", "font_name": "宋体"})
    cell = wb.add_format({"border": 1, "valign": "vcenter", "font_name": "宋体", "text_wrap": True})
    widths = [6, 14, 16, 12, 10, 20, 10, 28, 12]
    for i, w in enumerate(widths):
        ws.set_column(i, i, w)
    last = len(widths) - 1
    ws.merge_range(0, 0, 0, last, safe_cell(table.title), title)
    ws.set_row(0, 30)
    ws.merge_range(1, 0, 1, last, safe_cell(_("公示期：%(period)s") % {"period": table.period or "—"}), sub)
    for c, h in enumerate(_headers()):
        ws.write_string(2, c, h, head)
    r = 3
    for row in table.rows:
        for c, value in enumerate(row):
            ws.write_string(r, c, str(safe_cell(value)), cell)
        r += 1
    r += 1
    ws.merge_range(r, 0, r, last, _("公示期内如有异议，请向公示单位反映。"), sub)
    for line in _signature_lines():
        r += 1
        ws.merge_range(r, 0, r, last, line, sub)
    ws.repeat_rows(2)
    ws.set_landscape()
    ws.set_paper(9)  # A4
    ws.fit_to_pages(1, 0)
    ws.set_footer("&C" + _("第 &P 页，共 &N 页"))
    wb.close()
    return out.getvalue()


@lru_cache(maxsize=1)
def cjk_font() -> str:
    """Register and name a CJK font: an installed TTF/TTC (embedded) or reportlab's built-in STSong-Light."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfbase.ttfonts import TTFont

    for path, index in CJK_FONTS:
        if Path(path).is_file():
            try:
                pdfmetrics.registerFont(TTFont("AnjuCJK", path, subfontIndex=index))
                return "AnjuCJK"
            except Exception:  # noqa: BLE001, S112  (a broken font file: try the next one)
                continue
    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    return "STSong-Light"


def posting_pdf(table: PostingTable) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    font = cjk_font()
    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=landscape(A4), leftMargin=15 * mm, rightMargin=15 * mm, topMargin=15 * mm, bottomMargin=15 * mm,
                            title=table.title, author="anju")
    title_style = ParagraphStyle("t", fontName=font, fontSize=16, leading=22, alignment=1)
    text = ParagraphStyle("x", fontName=font, fontSize=10, leading=14)
    cell = ParagraphStyle("c", fontName=font, fontSize=9, leading=12, wordWrap="CJK")
    data = [[Paragraph(h, cell) for h in _headers()]] + [[Paragraph(_escape(v), cell) for v in row] for row in table.rows]
    widths = [x * mm for x in (12, 30, 34, 24, 20, 38, 18, 58, 22)]
    grid = Table(data, colWidths=widths, repeatRows=1)
    grid.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.5, colors.black), ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#F2F2F2")),
                              ("VALIGN", (0, 0), (-1, -1), "MIDDLE")]))
    story = [Paragraph(_escape(table.title), title_style), Spacer(1, 4 * mm),
             Paragraph(_escape(_("公示期：%(period)s") % {"period": table.period or "—"}), text), Spacer(1, 3 * mm), grid, Spacer(1, 6 * mm),
             Paragraph(_escape(_("公示期内如有异议，请向公示单位反映。")), text)]
    story += [Paragraph(_escape(line), text) for line in _signature_lines()]

    def footer(canvas, document):
        canvas.saveState()
        canvas.setFont(font, 9)
        canvas.drawCentredString(landscape(A4)[0] / 2, 8 * mm, _("第 %(n)s 页") % {"n": document.page})
        canvas.restoreState()

    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return out.getvalue()


def _escape(value: str) -> str:
    return str(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def posting_export(*, actor, scope: str = "", program: str = "", fmt: str = "xlsx", on: dt.date | None = None) -> tuple[bytes, str, str]:
    """(content, file name, content type) of the posting list; every export is audited."""
    if fmt not in FORMATS:
        raise ValidationFailed(MSG_FORMAT, code="format_invalid", detail={"field": "format"})
    table = posting_table(actor=actor, scope=scope, program=program, on=on)
    content = posting_xlsx(table) if fmt == "xlsx" else posting_pdf(table)
    prefix = posting_scope(actor, scope)
    with transaction.atomic():
        audit_record(actor=actor, action="registry.request.posting_exported", object_type="posting_list", object_id=prefix,
                     division_code=prefix.ljust(12, "0"), after={"format": fmt, "program": program, "requests": table.count, "rows": len(table.rows)})
    filename = f"posting-{prefix}-{program or 'all'}-{dt.date.today():%Y%m%d}.{fmt}"
    return content, filename, FORMATS[fmt]

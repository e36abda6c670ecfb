"""The bulletin 项目建设进度和资金支付情况通报 of a year, an as-of date and a scope, as Excel (tables with warning colours and a
native chart), Word (an official document: red header, 文号, body text from the figures, tables, chart images, the fonts of
official documents) and PDF (reportlab with the CJK font). Every generation is audited."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from anju.accounts.roles import Perm
from anju.core.access import require_perm
from anju.core.audit import audit_record
from anju.core.exceptions import ValidationFailed, join_list, join_sentences
from anju.core.masking import safe_cell
from anju.projects import charts
from anju.projects import selectors_rates as sr
from anju.projects.money import wan_text

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PDF = "application/pdf"
FORMATS = {"xlsx": XLSX, "docx": DOCX, "pdf": PDF}
LAGGING_LIMIT = 20
DOC_NUMBER_MAX = 60

MSG_FORMAT = gettext_lazy("通报格式应为 xlsx、docx 或 pdf")
MSG_DOC_NUMBER = gettext_lazy("文号最多 60 个字符，且不能包含控制字符")

RED_FILL, YELLOW_FILL = "#F8CBAD", "#FFE699"
RED_TEXT = "#C00000"


@dataclass
class Bulletin:
    year: int
    as_of: dt.date
    scope: str
    scope_name: str
    doc_number: str
    table: sr.RateTable
    carried: sr.RateTable
    by_program: sr.RateTable
    months: list[sr.MonthPoint]
    lagging: dict[str, list[sr.LaggingProject]]
    generated_at: dt.datetime

    @property
    def area(self) -> str:
        """全市 / 白云县 / 白坪镇: how the body text names the scope."""
        return _("全市") if len(self.scope) == 4 else self.scope_name

    @property
    def title(self) -> str:
        return _("关于%(year)s年度%(area)s移民后期扶持项目建设进度和资金支付情况的通报") % {"year": self.year, "area": self.area}

    @property
    def issuer(self) -> str:
        return _("%(scope)s移民工作领导小组办公室") % {"scope": self.scope_name}

    @property
    def date_text(self) -> str:
        return _date(self.as_of)

    @property
    def filename_stem(self) -> str:
        return _("项目建设进度和资金支付情况通报-%(scope)s-%(date)s") % {"scope": self.scope_name, "date": self.as_of.isoformat()}


def _date(day: dt.date) -> str:
    return _("%(y)s年%(m)s月%(d)s日") % {"y": day.year, "m": day.month, "d": day.day}


def _pct(value: Decimal | None) -> str:
    return sr.percent_text(value)


def _points(value: Decimal | None) -> str:
    """A change of rate as percentage points: Decimal("0.0512") → "5.12"."""
    return "" if value is None else f"{abs(value * 100).quantize(Decimal('0.01'))}"


# --- checks and data -----------------------------------------------------------------------------------------------

def bulletin_check(*, actor, year: int, as_of: dt.date, scope: str = "", fmt: str = "xlsx", doc_number: str = "") -> dict:
    """Check what a bulletin job will need before it is queued; returns its params (the scope as the prefix it covers)."""
    require_perm(actor, Perm.PROJECT_VIEW)
    if fmt not in FORMATS:
        raise ValidationFailed(MSG_FORMAT, code="format_invalid", detail={"field": "format"})
    doc_number = (doc_number or "").strip()
    if len(doc_number) > DOC_NUMBER_MAX or any(ord(ch) < 32 for ch in doc_number):
        raise ValidationFailed(MSG_DOC_NUMBER, code="doc_number_invalid", detail={"field": "doc_number"})
    sr._check(year, as_of, sr.BY_COUNTY)
    prefix, _name = sr.rates_scope(actor, scope)
    return {"year": year, "as_of": as_of.isoformat(), "scope": prefix, "format": fmt, "doc_number": doc_number}


def bulletin_data(*, actor, year: int, as_of: dt.date, scope: str = "", doc_number: str = "", progress=None) -> Bulletin:
    step = progress or (lambda p, m="": None)
    table = sr.project_rates(actor=actor, year=year, as_of=as_of, scope=scope)
    step(15, _("统计当年项目"))
    carried = sr.project_rates(actor=actor, year=year, as_of=as_of, scope=scope, carried_over=True)
    by_program = sr.project_rates(actor=actor, year=year, as_of=as_of, scope=scope, by=sr.BY_PROGRAM)
    step(30, _("统计结转项目"))
    months = sr.monthly_payment_rates(actor=actor, year=year, as_of=as_of, scope=scope)
    lagging = sr.lagging_projects(actor=actor, year=year, as_of=as_of, scope=scope, limit=LAGGING_LIMIT)
    step(45, _("统计滞后项目"))
    return Bulletin(year=year, as_of=as_of, scope=table.scope, scope_name=table.scope_name, doc_number=(doc_number or "").strip(),
                    table=table, carried=carried, by_program=by_program, months=months, lagging=lagging, generated_at=timezone.now())


# --- the text ------------------------------------------------------------------------------------------------------

def summary_sentence(b: Bulletin) -> str:
    """截至2026年9月30日，全市中省后期扶持项目共X个，已开工Y个，开工率Z%；……"""
    t = b.table.total
    text = _("截至%(date)s，%(area)s中省后期扶持项目共%(n)s个，已开工%(started)s个，开工率%(start_rate)s；已完工%(completed)s个，完工率%(done_rate)s；"
             "下达资金%(allocated)s万元，已支付%(paid)s万元，资金支付率%(pay_rate)s") % {
        "date": b.date_text, "area": b.area, "n": t.projects, "started": t.started, "start_rate": _pct(t.start_rate),
        "completed": t.completed, "done_rate": _pct(t.completion_rate), "allocated": wan_text(t.allocated), "paid": wan_text(t.paid),
        "pay_rate": _pct(t.payment_rate)}
    change = t.payment_rate_change
    if change is not None:
        if change > 0:
            text += _("，较上年同期提高%(p)s个百分点") % {"p": _points(change)}
        elif change < 0:
            text += _("，较上年同期下降%(p)s个百分点") % {"p": _points(change)}
        else:
            text += _("，与上年同期持平")
    return text + _("。")


def body_paragraphs(b: Bulletin) -> list[tuple[str, str]]:
    """(kind, text) of the body: kind "h" a heading, "p" a paragraph."""
    t, table = b.table.total, b.table
    out: list[tuple[str, str]] = [("h", _("一、总体情况")), ("p", summary_sentence(b))]
    c = b.carried.total
    if c.projects:
        out.append(("p", _("以前年度结转项目%(n)s个，已完工%(done)s个，完工率%(rate)s；累计下达资金%(alloc)s万元，已支付%(paid)s万元，资金支付率%(pay)s。") % {
            "n": c.projects, "done": c.completed, "rate": _pct(c.completion_rate), "alloc": wan_text(c.allocated), "paid": wan_text(c.paid),
            "pay": _pct(c.payment_rate)}))
    if table.target is not None:
        gap = (t.payment_rate - table.target) if t.payment_rate is not None else None
        text = _("按照序时进度要求，%(month)s月底资金支付率应达到%(target)s") % {"month": table.checkpoint.month, "target": _pct(table.target)}
        if gap is not None and gap < 0:
            text += _("，%(area)s低于序时进度%(p)s个百分点。") % {"area": b.area, "p": _points(gap)}
        elif gap is not None:
            text += _("，%(area)s已达到序时进度。") % {"area": b.area}
        else:
            text += _("。")
        out.append(("p", text))
    rated = [r for r in table.ranked() if r.rank is not None]
    if len(rated) >= 2 and table.by == sr.BY_COUNTY:
        out.append(("h", _("二、各县（市、区）情况")))
        n = min(3, len(rated) // 2) or 1
        best = join_list(_("%(name)s（%(rate)s）") % {"name": r.name, "rate": _pct(r.payment_rate)} for r in rated[:n])
        worst = join_list(_("%(name)s（%(rate)s）") % {"name": r.name, "rate": _pct(r.payment_rate)} for r in reversed(rated[-n:]))
        out.append(("p", _("从资金支付率看，排名靠前的是%(best)s；排名靠后的是%(worst)s。") % {"best": best, "worst": worst}))
        by_start = sorted((r for r in table.rows if r.projects), key=lambda r: (r.start_rate or 0))
        if by_start and by_start[0].start_rate is not None and by_start[0].start_rate < 1:
            out.append(("p", _("开工率最低的是%(name)s（%(rate)s）。") % {"name": by_start[0].name, "rate": _pct(by_start[0].start_rate)}))
        red = [r for r in rated if r.level == sr.RED]
        yellow = [r for r in rated if r.level == sr.YELLOW]
        if red or yellow:
            parts = []
            if red:
                parts.append(_("%(names)s资金支付率低于序时进度20个百分点以上，予以红色预警") % {"names": join_list(r.name for r in red)})
            if yellow:
                parts.append(_("%(names)s低于序时进度，予以黄色预警") % {"names": join_list(r.name for r in yellow)})
            out.append(("p", str(_("；")).join(parts) + _("。")))
        elif table.target is not None:
            out.append(("p", _("各县（市、区）资金支付率均达到序时进度要求。")))
    lag = b.lagging
    if lag["not_started"] or lag["low_paid"]:
        out.append(("h", _("三、滞后项目") if len(out) > 3 else _("二、滞后项目")))
        sentences = []
        if lag["not_started"]:
            sentences.append(_("资金已下达但尚未开工的项目%(n)s个（详见附表），其中最早下达资金的已等待%(days)s天。") % {
                "n": len(lag["not_started"]) if len(lag["not_started"]) < LAGGING_LIMIT else _("%(n)s个以上") % {"n": LAGGING_LIMIT},
                "days": lag["not_started"][0].days_waiting or 0})
        if lag["low_paid"]:
            low = lag["low_paid"][0]
            sentences.append(_("资金支付比例最低的项目为%(county)s%(name)s，已支付%(share)s。") % {
                "county": low.county_name, "name": low.name, "share": _pct(low.paid_share)})
        out.append(("p", join_sentences(sentences)))
    headings = ["一", "二", "三", "四", "五"]
    out.append(("h", _("%(n)s、工作要求") % {"n": headings[sum(1 for k, _t in out if k == "h")]}))
    out.append(("p", _("各地要对照年度目标和序时进度，逐个项目分析滞后原因，压实项目法人和责任人责任，加快项目建设和资金支付进度。"
                      "对资金已下达尚未开工的项目，要倒排工期、限时开工；对支付进度滞后的项目，要及时办理验工计价和资金拨付手续，"
                      "确保资金安全、规范、高效使用。被预警的县（市、区）要在10个工作日内将整改措施报送市级移民管理机构。")))
    return out


# --- charts --------------------------------------------------------------------------------------------------------

def _chart_pngs(b: Bulletin) -> list[tuple[str, bytes]]:
    rows = b.table.rows
    pngs = [(_("图1 各县（市、区）开工率、完工率和资金支付率") if b.table.by == sr.BY_COUNTY else _("图1 开工率、完工率和资金支付率"),
             charts.rates_bar([r.name for r in rows], [r.start_rate for r in rows], [r.completion_rate for r in rows],
                              [r.payment_rate for r in rows], target=b.table.target, fmt="png"))]
    if b.months:
        targets = sr.payment_targets(b.scope).targets
        pngs.append((_("图2 %(year)s年资金支付进度（累计支付率）") % {"year": b.year},
                     charts.monthly_line([m.month for m in b.months], [m.payment_rate for m in b.months],
                                         last_year=[m.last_payment_rate for m in b.months], targets=targets, fmt="png")))
    return pngs


# --- table rows shared by the formats ------------------------------------------------------------------------------

def rate_headers(first: str) -> list[str]:
    return [_("排名"), first, _("项目数"), _("已开工"), _("开工率"), _("已完工"), _("完工率"), _("下达资金（万元）"), _("已支付（万元）"),
            _("资金支付率"), _("上年同期支付率"), _("预警")]


def rate_cells(r: sr.RateRow, *, total: bool = False) -> list[str]:
    return ["" if total or r.rank is None else str(r.rank), r.name, str(r.projects), str(r.started), _pct(r.start_rate), str(r.completed),
            _pct(r.completion_rate), wan_text(r.allocated), wan_text(r.paid), _pct(r.payment_rate), _pct(r.last.payment_rate), r.level_label]


def lagging_headers() -> list[str]:
    return [_("序号"), _("县（市、区）"), _("项目编码"), _("项目名称"), _("首次下达日期"), _("下达资金（万元）"), _("已支付（万元）"), _("支付比例"),
            _("开工日期")]


def lagging_cells(i: int, p: sr.LaggingProject) -> list[str]:
    return [str(i), p.county_name, p.code, p.name, p.first_allocation.isoformat() if p.first_allocation else "", wan_text(p.allocated),
            wan_text(p.paid), _pct(p.paid_share), p.actual_start.isoformat() if p.actual_start else _("未开工")]


def _lagging_rows(b: Bulletin) -> list[tuple[str, list[sr.LaggingProject]]]:
    return [(_("资金已下达未开工项目"), b.lagging["not_started"]), (_("资金支付比例最低的项目"), b.lagging["low_paid"])]


# --- xlsx ----------------------------------------------------------------------------------------------------------

def bulletin_xlsx(b: Bulletin) -> bytes:
    import xlsxwriter

    out = io.BytesIO()
    wb = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False})
    f_title = wb.add_format({"bold": True, "font_size": 16, "align": "center", "valign": "vcenter"})
    f_sub = wb.add_format({"italic": True, "font_color": "#555555"})
    f_head = wb.add_format({"bold": True, "bg_color": "#E8EEF7", "border": 1, "align": "center", "valign": "vcenter", "text_wrap": True})
    base = {"border": 1}
    fmts: dict[tuple[str, str, bool], object] = {}

    def fmt(kind: str, level: str = "", bold: bool = False):
        key = (kind, level, bold)
        if key not in fmts:
            spec = dict(base)
            if kind == "pct":
                spec["num_format"] = "0.00%"
            elif kind == "wan":
                spec["num_format"] = "#,##0.00"
            elif kind == "int":
                spec["num_format"] = "0"
            if level == sr.RED:
                spec.update({"bg_color": RED_FILL, "font_color": RED_TEXT})
            elif level == sr.YELLOW:
                spec["bg_color"] = YELLOW_FILL
            if bold:
                spec.update({"bold": True, "bg_color": spec.get("bg_color", "#F5F7FA")})
            fmts[key] = wb.add_format(spec)
        return fmts[key]

    def rate_sheet(name: str, table: sr.RateTable, first: str, *, chart: bool = False) -> None:
        ws = wb.add_worksheet(name)
        headers = rate_headers(first)
        ws.merge_range(0, 0, 0, len(headers) - 1, safe_cell(b.title), f_title)
        ws.set_row(0, 28)
        ws.merge_range(1, 0, 1, len(headers) - 1, safe_cell(_("%(set)s · 统计截止：%(date)s · 上年同期截止：%(last)s · 范围：%(scope)s") % {
            "set": table.set_label, "date": b.date_text, "last": _date(table.last_as_of), "scope": b.scope_name}), f_sub)
        for col, label in enumerate(headers):
            ws.write_string(2, col, label, f_head)
        ws.set_column(0, 0, 6)
        ws.set_column(1, 1, 20)
        ws.set_column(2, len(headers) - 1, 12)
        ws.freeze_panes(3, 2)
        r = 3
        rows = table.ranked()
        for row in rows:
            write_rate_row(ws, r, row)
            r += 1
        write_rate_row(ws, r, table.total, total=True)
        if table.target is not None:
            ws.write_string(r + 2, 0, safe_cell(_("序时进度目标：%(month)s月底资金支付率 %(target)s；红色：低于目标20个百分点以上；黄色：低于目标。") % {
                "month": table.checkpoint.month, "target": _pct(table.target)}))
        if chart and rows:
            ch = wb.add_chart({"type": "column"})
            for col, label, colour in ((4, _("开工率"), "#2F6DB5"), (6, _("完工率"), "#888888"), (9, _("资金支付率"), "#2E8B57")):
                ch.add_series({"name": label, "categories": [name, 3, 1, 2 + len(rows), 1], "values": [name, 3, col, 2 + len(rows), col],
                               "fill": {"color": colour}, "data_labels": {"value": False}})
            ch.set_title({"name": _("开工率、完工率和资金支付率")})
            ch.set_y_axis({"num_format": "0%", "max": 1, "min": 0, "major_gridlines": {"visible": True, "line": {"color": "#DDDDDD"}}})
            ch.set_legend({"position": "bottom"})
            ch.set_size({"width": 820, "height": 360})
            ws.insert_chart(r + 4, 1, ch)

    def write_rate_row(ws, r: int, row: sr.RateRow, *, total: bool = False) -> None:
        if total or row.rank is None:
            ws.write_blank(r, 0, None, fmt("int", bold=total))
        else:
            ws.write_number(r, 0, row.rank, fmt("int"))
        ws.write_string(r, 1, safe_cell(row.name), fmt("text", bold=total))
        ws.write_number(r, 2, row.projects, fmt("int", bold=total))
        ws.write_number(r, 3, row.started, fmt("int", bold=total))
        number(ws, r, 4, row.start_rate, fmt("pct", bold=total))
        ws.write_number(r, 5, row.completed, fmt("int", bold=total))
        number(ws, r, 6, row.completion_rate, fmt("pct", bold=total))
        ws.write_number(r, 7, row.allocated / 1_000_000, fmt("wan", bold=total))
        ws.write_number(r, 8, row.paid / 1_000_000, fmt("wan", bold=total))
        number(ws, r, 9, row.payment_rate, fmt("pct", row.level, bold=total))
        number(ws, r, 10, row.last.payment_rate, fmt("pct", bold=total))
        ws.write_string(r, 11, row.level_label, fmt("text", row.level, bold=total))

    def number(ws, r: int, c: int, value: Decimal | None, f) -> None:
        if value is None:
            ws.write_string(r, c, "—", f)
        else:
            ws.write_number(r, c, float(value), f)

    rate_sheet(_("分县排名"), b.table, _("县（市、区）") if b.table.by == sr.BY_COUNTY else _("分组"), chart=True)
    rate_sheet(_("结转项目"), b.carried, _("县（市、区）"))
    rate_sheet(_("分项目类型"), b.by_program, _("项目类型"))

    ws = wb.add_worksheet(_("滞后项目"))
    headers = lagging_headers()
    ws.merge_range(0, 0, 0, len(headers) - 1, safe_cell(_("滞后项目清单（截至%(date)s）") % {"date": b.date_text}), f_title)
    ws.set_column(0, 0, 6)
    ws.set_column(1, 2, 16)
    ws.set_column(3, 3, 32)
    ws.set_column(4, len(headers) - 1, 14)
    r = 1
    for label, items in _lagging_rows(b):
        r += 1
        ws.merge_range(r, 0, r, len(headers) - 1, label, f_head)
        r += 1
        for col, h in enumerate(headers):
            ws.write_string(r, col, h, f_head)
        for i, p in enumerate(items, start=1):
            r += 1
            ws.write_number(r, 0, i, fmt("int"))
            ws.write_string(r, 1, safe_cell(p.county_name), fmt("text"))
            ws.write_string(r, 2, safe_cell(p.code), fmt("text"))
            ws.write_string(r, 3, safe_cell(p.name), fmt("text"))
            ws.write_string(r, 4, p.first_allocation.isoformat() if p.first_allocation else "", fmt("text"))
            ws.write_number(r, 5, p.allocated / 1_000_000, fmt("wan"))
            ws.write_number(r, 6, p.paid / 1_000_000, fmt("wan"))
            number(ws, r, 7, p.paid_share, fmt("pct"))
            ws.write_string(r, 8, p.actual_start.isoformat() if p.actual_start else _("未开工"), fmt("text"))
        if not items:
            r += 1
            ws.merge_range(r, 0, r, len(headers) - 1, _("无"), fmt("text"))
        r += 1

    ws = wb.add_worksheet(_("月度支付进度"))
    heads = [_("月份"), _("累计下达（万元）"), _("累计支付（万元）"), _("累计支付率"), _("上年同期支付率")]
    for col, h in enumerate(heads):
        ws.write_string(0, col, h, f_head)
    ws.set_column(0, len(heads) - 1, 16)
    for i, m in enumerate(b.months, start=1):
        ws.write_string(i, 0, f"{m.month:%Y-%m}", fmt("text"))
        ws.write_number(i, 1, m.allocated / 1_000_000, fmt("wan"))
        ws.write_number(i, 2, m.paid / 1_000_000, fmt("wan"))
        number(ws, i, 3, m.payment_rate, fmt("pct"))
        number(ws, i, 4, m.last_payment_rate, fmt("pct"))
    if b.months:
        name = _("月度支付进度")
        ch = wb.add_chart({"type": "line"})
        ch.add_series({"name": _("本年累计支付率"), "categories": [name, 1, 0, len(b.months), 0], "values": [name, 1, 3, len(b.months), 3],
                       "marker": {"type": "circle"}})
        ch.add_series({"name": _("上年同期"), "categories": [name, 1, 0, len(b.months), 0], "values": [name, 1, 4, len(b.months), 4],
                       "line": {"dash_type": "dash"}})
        ch.set_y_axis({"num_format": "0%", "min": 0, "max": 1})
        ch.set_title({"name": _("资金支付进度")})
        ws.insert_chart(1, len(heads) + 1, ch)

    ws = wb.add_worksheet(_("口径说明"))
    ws.set_column(0, 0, 120)
    for i, line in enumerate(sr.DEFINITIONS):
        ws.write_string(i, 0, str(line))
    wb.close()
    return out.getvalue()


# --- docx ----------------------------------------------------------------------------------------------------------

def bulletin_docx(b: Bulletin) -> bytes:
    import docx
    from docx.enum.section import WD_ORIENT
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt, RGBColor

    from anju.registry.reports_verification import FONT_BODY, FONT_HEADING, FONT_LATIN, FONT_TITLE, _add_font_fallbacks, _para, _set_font

    document = docx.Document()
    _add_font_fallbacks(document)
    normal = document.styles["Normal"]
    normal.font.name, normal.font.size = FONT_LATIN, Pt(16)
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), FONT_BODY)
    section = document.sections[0]
    section.top_margin, section.bottom_margin, section.left_margin, section.right_margin = Cm(3.7), Cm(3.5), Cm(2.8), Cm(2.6)
    document.core_properties.title = b.title
    document.core_properties.author = b.issuer

    header = _para(document, b.issuer + _("文件"), font=FONT_TITLE, size=26, align=WD_ALIGN_PARAGRAPH.CENTER, indent=False)
    for run in header.runs:
        run.font.color.rgb = RGBColor(0xC0, 0x00, 0x00)
    number = _para(document, b.doc_number, size=16, align=WD_ALIGN_PARAGRAPH.CENTER, indent=False)
    _red_rule(number)
    _para(document, "", indent=False)
    _para(document, b.title, font=FONT_TITLE, size=22, align=WD_ALIGN_PARAGRAPH.CENTER, indent=False)
    _para(document, _("各县（市、区）移民管理机构：") if len(b.scope) == 4 else _("各有关单位："), indent=False)
    _para(document, _("现将截至%(date)s%(area)s移民后期扶持项目建设进度和资金支付情况通报如下：") % {"date": b.date_text, "area": b.area})
    for kind, text in body_paragraphs(b):
        _para(document, text, font=FONT_HEADING if kind == "h" else FONT_BODY)

    pngs = _chart_pngs(b)
    for caption, png in pngs:
        document.add_picture(io.BytesIO(png), width=Cm(15.5))
        document.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER
        _para(document, caption, font=FONT_HEADING, size=12, align=WD_ALIGN_PARAGRAPH.CENTER, indent=False)

    _para(document, "", indent=False)
    _para(document, b.issuer, align=WD_ALIGN_PARAGRAPH.RIGHT, indent=False)
    today = timezone.localdate()
    _para(document, _date(today), align=WD_ALIGN_PARAGRAPH.RIGHT, indent=False)

    # the tables, as attachments on landscape pages
    landscape = document.add_section()
    landscape.orientation = WD_ORIENT.LANDSCAPE
    landscape.page_width, landscape.page_height = section.page_height, section.page_width
    landscape.left_margin = landscape.right_margin = Cm(2)
    landscape.top_margin = landscape.bottom_margin = Cm(2)

    def grid(headers: list[str], rows: list[tuple[list[str], str, bool]]) -> None:
        width = len(headers)
        table = document.add_table(rows=len(rows) + 1, cols=width)
        table.style = "Table Grid"
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        # all cells at once: python-docx rebuilds the whole grid on every row.cells, which is quadratic in the rows
        cells = table._cells
        for col, text in enumerate(headers):
            _set_font(cells[col].paragraphs[0].add_run(text), FONT_HEADING, 10)
        for r, (values, level, bold) in enumerate(rows, start=1):
            for col, value in enumerate(values):
                cell = cells[r * width + col]
                _set_font(cell.paragraphs[0].add_run(value), FONT_HEADING if bold else FONT_BODY, 10)
                if level and col in (9, 11):
                    _shade(cell, RED_FILL if level == sr.RED else YELLOW_FILL)

    def rate_table(label: str, table: sr.RateTable, first: str) -> None:
        _para(document, label, font=FONT_HEADING, size=14, align=WD_ALIGN_PARAGRAPH.CENTER, indent=False)
        rows = [(rate_cells(r), r.level, False) for r in table.ranked()] + [(rate_cells(table.total, total=True), table.total.level, True)]
        grid(rate_headers(first), rows)
        _para(document, _("注：金额单位为万元；上年同期截止%(date)s。") % {"date": _date(table.last_as_of)}, size=10, indent=False)

    _para(document, _("附表1"), font=FONT_HEADING, size=14, indent=False)
    rate_table(_("%(area)s%(year)s年度项目建设进度和资金支付情况排名表") % {"area": b.area, "year": b.year}, b.table, _("县（市、区）"))
    _para(document, _("附表2"), font=FONT_HEADING, size=14, indent=False)
    rate_table(_("以前年度结转项目建设进度和资金支付情况表"), b.carried, _("县（市、区）"))
    _para(document, _("附表3"), font=FONT_HEADING, size=14, indent=False)
    for label, items in _lagging_rows(b):
        _para(document, label, font=FONT_HEADING, size=14, align=WD_ALIGN_PARAGRAPH.CENTER, indent=False)
        if items:
            grid(lagging_headers(), [(lagging_cells(i, p), "", False) for i, p in enumerate(items, start=1)])
        else:
            _para(document, _("无"), size=12, indent=False)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _red_rule(paragraph) -> None:
    """The red line under the 文号 of an official document (a bottom border of the paragraph)."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    ppr = paragraph._p.get_or_add_pPr()
    borders = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for key, value in (("w:val", "single"), ("w:sz", "18"), ("w:space", "4"), ("w:color", "C00000")):
        bottom.set(qn(key), value)
    borders.append(bottom)
    ppr.append(borders)


def _shade(cell, colour: str) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), colour.lstrip("#"))
    cell._tc.get_or_add_tcPr().append(shading)


# --- pdf -----------------------------------------------------------------------------------------------------------

def bulletin_pdf(b: Bulletin) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import HRFlowable, Image, NextPageTemplate, PageBreak, PageTemplate, Paragraph, Spacer, Table, TableStyle
    from reportlab.platypus.doctemplate import BaseDocTemplate
    from reportlab.platypus.frames import Frame

    from anju.registry.posting import _escape, cjk_font

    font = cjk_font()
    out = io.BytesIO()
    portrait_size, landscape_size = A4, landscape(A4)
    doc = BaseDocTemplate(out, pagesize=portrait_size, title=b.title, author=b.issuer, leftMargin=25 * mm, rightMargin=25 * mm,
                          topMargin=25 * mm, bottomMargin=20 * mm)

    def footer(canvas, document):
        canvas.saveState()
        canvas.setFont(font, 9)
        canvas.drawCentredString(canvas._pagesize[0] / 2, 10 * mm, _("第 %(n)s 页") % {"n": document.page})
        canvas.restoreState()

    doc.addPageTemplates([
        PageTemplate(id="portrait", pagesize=portrait_size, onPage=footer,
                     frames=[Frame(25 * mm, 20 * mm, portrait_size[0] - 50 * mm, portrait_size[1] - 45 * mm)]),
        PageTemplate(id="landscape", pagesize=landscape_size, onPage=footer,
                     frames=[Frame(12 * mm, 15 * mm, landscape_size[0] - 24 * mm, landscape_size[1] - 27 * mm)]),
    ])
    red = colors.HexColor(RED_TEXT)
    s_header = ParagraphStyle("header", fontName=font, fontSize=22, leading=30, alignment=1, textColor=red)
    s_number = ParagraphStyle("number", fontName=font, fontSize=12, leading=18, alignment=1)
    s_title = ParagraphStyle("title", fontName=font, fontSize=17, leading=26, alignment=1, spaceBefore=8, spaceAfter=8)
    s_head = ParagraphStyle("head", fontName=font, fontSize=13, leading=22, spaceBefore=6)
    s_body = ParagraphStyle("body", fontName=font, fontSize=12, leading=21, firstLineIndent=24, wordWrap="CJK")
    s_plain = ParagraphStyle("plain", parent=s_body, firstLineIndent=0)
    s_right = ParagraphStyle("right", parent=s_plain, alignment=2)
    s_caption = ParagraphStyle("caption", fontName=font, fontSize=10, leading=14, alignment=1)
    s_cell = ParagraphStyle("cell", fontName=font, fontSize=8, leading=10, wordWrap="CJK")

    story = [Paragraph(_escape(b.issuer + _("文件")), s_header)]
    if b.doc_number:
        story.append(Paragraph(_escape(b.doc_number), s_number))
    story += [HRFlowable(width="100%", thickness=2, color=red, spaceBefore=2, spaceAfter=6), Paragraph(_escape(b.title), s_title),
              Paragraph(_escape(_("各县（市、区）移民管理机构：") if len(b.scope) == 4 else _("各有关单位：")), s_plain),
              Paragraph(_escape(_("现将截至%(date)s%(area)s移民后期扶持项目建设进度和资金支付情况通报如下：") % {"date": b.date_text, "area": b.area}), s_body)]
    for kind, text in body_paragraphs(b):
        story.append(Paragraph(_escape(text), s_head if kind == "h" else s_body))
    for caption, png in _chart_pngs(b):
        img = Image(io.BytesIO(png))
        ratio = img.imageHeight / img.imageWidth
        img.drawWidth, img.drawHeight = 155 * mm, 155 * mm * ratio
        story += [Spacer(1, 3 * mm), img, Paragraph(_escape(caption), s_caption)]
    story += [Spacer(1, 8 * mm), Paragraph(_escape(b.issuer), s_right), Paragraph(_escape(_date(timezone.localdate())), s_right),
              NextPageTemplate("landscape"), PageBreak()]

    def grid(headers: list[str], rows: list[tuple[list[str], str, bool]], widths) -> Table:
        data = [[Paragraph(_escape(h), s_cell) for h in headers]] + [[Paragraph(_escape(v), s_cell) for v in values] for values, _l, _b in rows]
        table = Table(data, colWidths=[w * mm for w in widths], repeatRows=1)
        style = [("GRID", (0, 0), (-1, -1), 0.5, colors.black), ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#E8EEF7")),
                 ("VALIGN", (0, 0), (-1, -1), "MIDDLE")]
        for i, (_values, level, bold) in enumerate(rows, start=1):
            if level:
                fill = colors.HexColor(RED_FILL if level == sr.RED else YELLOW_FILL)
                style += [("BACKGROUND", (9, i), (9, i), fill), ("BACKGROUND", (11, i), (11, i), fill)]
            if bold:
                style.append(("BACKGROUND", (0, i), (-1, i), colors.HexColor("#F5F7FA")))
        table.setStyle(TableStyle(style))
        return table

    rate_widths = (12, 34, 16, 16, 20, 16, 20, 28, 28, 22, 26, 22)
    for label, table in ((_("附表1 %(area)s%(year)s年度项目建设进度和资金支付情况排名表") % {"area": b.area, "year": b.year}, b.table),
                         (_("附表2 以前年度结转项目建设进度和资金支付情况表"), b.carried)):
        rows = [(rate_cells(r), r.level, False) for r in table.ranked()] + [(rate_cells(table.total, total=True), table.total.level, True)]
        story += [Paragraph(_escape(label), s_title), grid(rate_headers(_("县（市、区）")), rows, rate_widths),
                  Paragraph(_escape(_("注：金额单位为万元；上年同期截止%(date)s。") % {"date": _date(table.last_as_of)}), s_caption), Spacer(1, 6 * mm)]
    story.append(Paragraph(_escape(_("附表3 滞后项目清单")), s_title))
    for label, items in _lagging_rows(b):
        story.append(Paragraph(_escape(label), s_head))
        if items:
            story.append(grid(lagging_headers(), [(lagging_cells(i, p), "", False) for i, p in enumerate(items, start=1)],
                              (12, 28, 34, 70, 24, 24, 24, 20, 22)))
        else:
            story.append(Paragraph(_escape(_("无")), s_plain))
    doc.build(story)
    return out.getvalue()


# --- entry point -----------------------------------------------------------------------------------------------------

def bulletin_render(*, actor, year: int, as_of: dt.date, scope: str = "", fmt: str = "xlsx", doc_number: str = "", progress=None) -> bytes:
    """The bulletin as bytes of `fmt`; audited (projects.bulletin.generated)."""
    params = bulletin_check(actor=actor, year=year, as_of=as_of, scope=scope, fmt=fmt, doc_number=doc_number)
    step = progress or (lambda p, m="": None)
    b = bulletin_data(actor=actor, year=year, as_of=as_of, scope=params["scope"], doc_number=params["doc_number"], progress=step)
    step(50, _("生成文件"))
    data = {"xlsx": bulletin_xlsx, "docx": bulletin_docx, "pdf": bulletin_pdf}[fmt](b)
    step(95, _("记录留痕"))
    with transaction.atomic():
        audit_record(actor=actor, action="projects.bulletin.generated", object_type="project_bulletin", object_id=f"{b.scope}-{b.as_of.isoformat()}",
                     division_code=b.scope.ljust(12, "0"), after={**params, "bytes": len(data), "projects": b.table.total.projects})
    return data


def bulletin_filename(*, actor, year: int, as_of: dt.date, scope: str, fmt: str) -> str:
    _prefix, name = sr.rates_scope(actor, scope)
    return _("项目建设进度和资金支付情况通报-%(scope)s-%(date)s.%(fmt)s") % {"scope": name, "date": as_of.isoformat(), "fmt": fmt}


__all__ = ["bulletin_check", "bulletin_data", "bulletin_render", "bulletin_filename", "bulletin_xlsx", "bulletin_docx", "bulletin_pdf",
           "summary_sentence", "body_paragraphs", "Bulletin", "FORMATS", "MSG_FORMAT", "MSG_DOC_NUMBER"]

"""Planning files: the plan execution report (targets against achieved, by county and category) and a guideline's
review ranking, as Excel workbooks (numbers as numbers: money in 元, rates as percentages)."""

from __future__ import annotations

import io
from decimal import Decimal

import xlsxwriter
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from anju.core.masking import safe_cell
from anju.divisions.selectors import division_names
from anju.projects.models import Application, Guideline, Program
from anju.projects.selectors import term_names
from anju.projects.selectors_plans import ExecutionRow, PlanExecution

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MONEY = "#,##0.00"
PERCENT = "0.0%"


def money(fen: int) -> float:
    """Fen as yuan for a numeric cell: every sum is done in integer fen first; only the cell is a number."""
    return int(fen) / 100


class _Book:
    def __init__(self):
        self.out = io.BytesIO()
        self.wb = xlsxwriter.Workbook(self.out, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False})
        wb = self.wb
        self.title = wb.add_format({"bold": True, "font_size": 16, "align": "center"})
        self.head = wb.add_format({"bold": True, "bg_color": "#E8EEF7", "border": 1, "align": "center", "valign": "vcenter", "text_wrap": True})
        self.cell = wb.add_format({"border": 1})
        self.amount = wb.add_format({"border": 1, "num_format": MONEY})
        self.percent = wb.add_format({"border": 1, "num_format": PERCENT})
        self.bold = wb.add_format({"border": 1, "bold": True, "bg_color": "#F5F7FA"})
        self.bold_amount = wb.add_format({"border": 1, "bold": True, "bg_color": "#F5F7FA", "num_format": MONEY})
        self.bold_percent = wb.add_format({"border": 1, "bold": True, "bg_color": "#F5F7FA", "num_format": PERCENT})

    def sheet(self, name: str, title: str, subtitle: str, labels: list[str], widths: list[int]):
        ws = self.wb.add_worksheet(name)
        ws.merge_range(0, 0, 0, len(labels) - 1, safe_cell(title), self.title)
        ws.merge_range(1, 0, 1, len(labels) - 1, safe_cell(subtitle))
        for col, label in enumerate(labels):
            ws.write_string(2, col, str(label), self.head)
            ws.set_column(col, col, widths[col] if col < len(widths) else 14)
        ws.freeze_panes(3, 0)
        return ws

    def rate(self, ws, r: int, c: int, value: Decimal | None, *, total: bool = False) -> None:
        if value is None:
            ws.write_string(r, c, "—", self.bold if total else self.cell)
        else:
            ws.write_number(r, c, float(value), self.bold_percent if total else self.percent)

    def close(self) -> bytes:
        self.wb.close()
        return self.out.getvalue()


EXECUTION_LABELS = [
    gettext_lazy("县（市、区）"), gettext_lazy("项目类别"), gettext_lazy("目标项目数"), gettext_lazy("已立项项目数"),
    gettext_lazy("项目完成率"), gettext_lazy("目标投资（元）"), gettext_lazy("已下达资金（元）"), gettext_lazy("投资完成率"),
]


def _figures(book: _Book, ws, r: int, row: ExecutionRow, *, total: bool = False) -> None:
    cell, amount = (book.bold, book.bold_amount) if total else (book.cell, book.amount)
    ws.write_number(r, 2, row.target_projects, cell)
    ws.write_number(r, 3, row.projects, cell)
    book.rate(ws, r, 4, row.project_rate, total=total)
    ws.write_number(r, 5, money(row.target_investment), amount)
    ws.write_number(r, 6, money(row.investment), amount)
    book.rate(ws, r, 7, row.investment_rate, total=total)


def plan_execution_xlsx(report: PlanExecution) -> bytes:
    """The execution report: one sheet by county and category (with county subtotals and the total), one by category."""
    plan = report.plan
    book = _Book()
    labels = [str(label) for label in EXECUTION_LABELS]
    title = _("%(name)s（%(start)s—%(end)s年）执行情况") % {"name": plan.name, "start": plan.start_year, "end": plan.end_year}
    place = division_names([plan.division_code]).get(plan.division_code, plan.division_code)
    subtitle = _("编制区划：%(place)s　状态：%(state)s　统计截至：%(as_of)s　生成时间：%(at)s") % {
        "place": place, "state": plan.get_state_display(), "as_of": report.as_of.isoformat(),
        "at": timezone.localtime().strftime("%Y-%m-%d %H:%M")}
    ws = book.sheet(_("按县和类别"), title, subtitle, labels, [16, 12, 11, 11, 11, 18, 18, 11])
    r = 3
    for block in report.counties:
        for row in block.rows:
            ws.write_string(r, 0, safe_cell(block.county_name), book.cell)
            ws.write_string(r, 1, safe_cell(row.category_name), book.cell)
            _figures(book, ws, r, row)
            r += 1
        ws.write_string(r, 0, safe_cell(block.county_name), book.bold)
        ws.write_string(r, 1, _("小计"), book.bold)
        _figures(book, ws, r, block.total, total=True)
        r += 1
    ws.write_string(r, 0, _("合计"), book.bold)
    ws.write_blank(r, 1, None, book.bold)
    _figures(book, ws, r, report.total, total=True)

    ws = book.sheet(_("按类别"), title, subtitle, [_("序号"), *labels[1:]], [8, 12, 11, 11, 11, 18, 18, 11])
    r = 3
    for seq, row in enumerate(report.by_category, start=1):
        ws.write_number(r, 0, seq, book.cell)
        ws.write_string(r, 1, safe_cell(row.category_name), book.cell)
        _figures(book, ws, r, row)
        r += 1
    ws.write_blank(r, 0, None, book.bold)
    ws.write_string(r, 1, _("合计"), book.bold)
    _figures(book, ws, r, report.total, total=True)
    return book.close()


RANKING_LABELS = [
    gettext_lazy("排名"), gettext_lazy("项目编码"), gettext_lazy("项目名称"), gettext_lazy("县（市、区）"),
    gettext_lazy("项目类别"), gettext_lazy("项目类型"), gettext_lazy("计划投资（元）"), gettext_lazy("申请资金（元）"),
    gettext_lazy("评审人数"), gettext_lazy("平均得分"), gettext_lazy("状态"),
]


def ranking_xlsx(guideline: Guideline, applications: list[Application]) -> bytes:
    """The ranking of a guideline's applications (annotated by `application_annotate`) as a workbook."""
    book = _Book()
    categories = term_names("category")
    programs = dict(Program.choices)
    title = _("%(title)s 评审排名") % {"title": guideline.title}
    subtitle = _("年度：%(year)s　文号：%(doc)s　生成时间：%(at)s") % {"year": guideline.year, "doc": guideline.doc_number or "—",
                                                             "at": timezone.localtime().strftime("%Y-%m-%d %H:%M")}
    ws = book.sheet(_("评审排名"), title, subtitle, [str(label) for label in RANKING_LABELS], [7, 22, 30, 14, 12, 16, 16, 16, 9, 10, 10])
    r = 3
    for a in applications:
        p = a.project
        ws.write_number(r, 0, a.rank, book.cell)
        ws.write_string(r, 1, safe_cell(p.code), book.cell)
        ws.write_string(r, 2, safe_cell(p.name), book.cell)
        ws.write_string(r, 3, safe_cell(getattr(a, "county_name", a.division_code[:6])), book.cell)
        ws.write_string(r, 4, safe_cell(categories.get(p.category, p.category)), book.cell)
        ws.write_string(r, 5, str(programs.get(p.program, p.program)), book.cell)
        ws.write_number(r, 6, money(p.planned_investment), book.amount)
        ws.write_number(r, 7, money(a.requested), book.amount)
        ws.write_number(r, 8, getattr(a, "review_count", 0), book.cell)
        ws.write_number(r, 9, float(a.score), book.cell)
        ws.write_string(r, 10, str(a.get_state_display()), book.cell)
        r += 1
    return book.close()

"""The 项目台账 (project ledger) as Excel: every project of a filtered list with its place, program, category, planned
investment, stage, responsibility, planned and actual dates, money allocated and paid to date (万元) and progress; audited."""

from __future__ import annotations

import datetime as dt
import io

import xlsxwriter
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from anju.core.audit import audit_record
from anju.core.masking import safe_cell
from anju.divisions.selectors import division_names
from anju.projects.models import Program, Stage, Term
from anju.projects.money import UNITS, WAN
from anju.projects.selectors import term_names
from anju.projects.selectors_projects import place_names, project_search, with_money

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
LEDGER_COLUMNS = [
    (gettext_lazy("序号"), 6), (gettext_lazy("项目编码"), 18), (gettext_lazy("项目名称"), 30), (gettext_lazy("县（市、区）"), 10),
    (gettext_lazy("乡镇"), 10), (gettext_lazy("村"), 10), (gettext_lazy("项目类型"), 14), (gettext_lazy("项目类别"), 10),
    (gettext_lazy("计划年度"), 8), (gettext_lazy("计划投资（万元）"), 12), (gettext_lazy("阶段"), 9), (gettext_lazy("责任单位"), 16),
    (gettext_lazy("责任人"), 8), (gettext_lazy("计划开工日期"), 11), (gettext_lazy("计划完工日期"), 11), (gettext_lazy("实际开工日期"), 11),
    (gettext_lazy("实际完工日期"), 11), (gettext_lazy("累计下达资金（万元）"), 12), (gettext_lazy("累计支付资金（万元）"), 12),
    (gettext_lazy("形象进度（%）"), 9),
]
WAN_FORMAT = "#,##0.00####"  # up to 6 places: a fen in 万元


def _wan(fen: int) -> float:
    """Fen as 万元 for a numeric cell: sums are exact integers first; only the cell is a number."""
    return int(fen) / UNITS[WAN]


def ledger_rows(*, actor, as_of: dt.date | None = None, **filters) -> list[list]:
    """The ledger's rows (cell values) for the filtered projects of the actor's view scope."""
    qs = with_money(project_search(actor=actor, **filters), as_of).select_related(None)
    fields = ("code", "name", "division_code", "program", "category", "year", "planned_investment", "stage", "responsible_unit",
              "responsible_person", "planned_start", "planned_completion", "actual_start", "actual_completion", "allocated_fen", "paid_fen",
              "progress_percent")
    data = list(qs.values_list(*fields))
    names = division_names({r[2] for r in data})
    categories = term_names(Term.Kind.CATEGORY)
    programs, stages = dict(Program.choices), dict(Stage.choices)
    rows = []
    for seq, (code, name, division, program, category, year, investment, stage, unit, person, p_start, p_end, a_start, a_end,
              allocated, paid, percent) in enumerate(data, start=1):
        county, township, village = place_names(division, names)
        rows.append([seq, code, name, county, township, village, str(programs.get(program, program)), categories.get(category, category),
                     year, _wan(investment), str(stages.get(stage, stage)), unit, person, p_start, p_end, a_start, a_end,
                     _wan(allocated or 0), _wan(paid or 0), None if percent is None else float(percent)])
    return rows


def ledger_xlsx(rows: list[list], *, title: str, subtitle: str) -> bytes:
    out = io.BytesIO()
    wb = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False})
    ws = wb.add_worksheet(_("项目台账"))
    title_fmt = wb.add_format({"bold": True, "font_size": 16, "align": "center", "valign": "vcenter"})
    sub = wb.add_format({"font_size": 10})
    head = wb.add_format({"bold": True, "border": 1, "align": "center", "valign": "vcenter", "text_wrap": True, "bg_color": "#E8EEF7"})
    cell = wb.add_format({"border": 1})
    date = wb.add_format({"border": 1, "num_format": "yyyy-mm-dd"})
    wan = wb.add_format({"border": 1, "num_format": WAN_FORMAT})
    pct = wb.add_format({"border": 1, "num_format": "0.00"})
    last = len(LEDGER_COLUMNS) - 1
    ws.merge_range(0, 0, 0, last, safe_cell(title), title_fmt)
    ws.set_row(0, 28)
    ws.merge_range(1, 0, 1, last, safe_cell(subtitle), sub)
    for c, (label, width) in enumerate(LEDGER_COLUMNS):
        ws.write_string(2, c, str(label), head)
        ws.set_column(c, c, width)
    money_cols, date_cols = {9, 17, 18}, {13, 14, 15, 16}
    for r, row in enumerate(rows, start=3):
        for c, value in enumerate(row):
            if value is None or value == "":
                ws.write_blank(r, c, None, cell)
            elif c in date_cols:
                ws.write_datetime(r, c, dt.datetime.combine(value, dt.time()), date)
            elif c in money_cols:
                ws.write_number(r, c, value, wan)
            elif c == 19:
                ws.write_number(r, c, value, pct)
            elif isinstance(value, int | float):
                ws.write_number(r, c, value, cell)
            else:
                ws.write_string(r, c, safe_cell(str(value)), cell)
    ws.freeze_panes(3, 3)
    ws.autofilter(2, 0, 2 + len(rows), last)
    ws.set_landscape()
    ws.set_paper(9)
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(2)
    wb.close()
    return out.getvalue()


def project_ledger_export(*, actor, **filters) -> tuple[bytes, str]:
    """(content, file name) of the 项目台账 for the filtered projects (empty filters are dropped); audited."""
    filters = {k: v for k, v in filters.items() if v not in (None, "")}
    today = dt.date.today()
    rows = ledger_rows(actor=actor, as_of=today, **filters)
    title = _("扶持项目台账")
    subtitle = _("截至 %(date)s　共 %(n)s 个项目　金额单位：万元") % {"date": today.isoformat(), "n": len(rows)}
    content = ledger_xlsx(rows, title=title, subtitle=subtitle)
    with transaction.atomic():
        audit_record(actor=actor, action="projects.ledger.exported", object_type="project_ledger", division_code=actor.view_scope_id or "",
                     after={"rows": len(rows), "filters": filters, "bytes": len(content)})
    return content, f"{title}{today:%Y%m%d}.xlsx"

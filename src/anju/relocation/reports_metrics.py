"""The metrics table's columns (shared by the page, the printed CLI table and the workbook) and the Excel file (后续扶持指标表)."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import xlsxwriter
from django.utils.translation import gettext as _

from anju.core.masking import safe_cell
from anju.projects.money import fen_text, percent_text
from anju.relocation.models import Employment, MonitoringCase


def rate_text(value: float | None) -> str:
    """0.6667 → '66.67%'; None → '—'."""
    return percent_text(None if value is None else Decimal(str(value)))


def columns() -> list[tuple[str, str, str]]:
    """[(key, header, kind)] of every measure; kind: int, rate (fraction), fen (money); nested keys as 'a.b'."""
    cols = [("households", _("搬迁户数"), "int"), ("persons", _("搬迁人数"), "int"), ("labour_households", _("有劳动力户数"), "int"),
            ("labour_households_employed", _("至少1人就业户数"), "int"), ("employment_rate", _("至少1人就业率"), "rate"),
            ("employed_persons", _("就业人数"), "int")]
    cols += [(f"employed_by_kind.{k}", str(label), "int") for k, label in Employment.Kind.choices]
    cols += [("per_capita_income_fen", _("人均纯收入（元）"), "fen"), ("income_households", _("收入调查户数"), "int"),
             ("welfare_households", _("低保特困户数"), "int"), ("welfare_coverage", _("低保覆盖率"), "rate"),
             ("monitored_households", _("监测户数"), "int")]
    cols += [(f"monitored_by_category.{k}", str(label), "int") for k, label in MonitoringCase.Category.choices]
    return cols


def value(row: dict, key: str):
    if "." in key:
        outer, inner = key.split(".", 1)
        return row[outer].get(inner, 0)
    return row[key]


def cell_text(row: dict, key: str, kind: str) -> str:
    v = value(row, key)
    if kind == "rate":
        return rate_text(v)
    if kind == "fen":
        return "—" if v is None else fen_text(v)
    return str(v)


def metrics_xlsx(rows: list[dict], total: dict, *, title: str, as_of: dt.date, by_label: str, definitions) -> bytes:
    out = io.BytesIO()
    wb = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False})
    ws = wb.add_worksheet(_("后续扶持指标"))
    head = wb.add_format({"bold": True, "border": 1, "align": "center", "valign": "vcenter", "text_wrap": True, "bg_color": "#F2F2F2"})
    cell = wb.add_format({"border": 1, "valign": "vcenter"})
    bold = wb.add_format({"border": 1, "valign": "vcenter", "bold": True})
    number = wb.add_format({"border": 1, "num_format": "#,##0"})
    money = wb.add_format({"border": 1, "num_format": "#,##0.00"})
    pct = wb.add_format({"border": 1, "num_format": "0.00%"})
    cols = columns()
    headers = [_("代码"), _("名称")] + [label for _k, label, _t in cols]
    last = len(headers) - 1
    ws.merge_range(0, 0, 0, last, safe_cell(title), wb.add_format({"bold": True, "font_size": 14, "align": "center"}))
    ws.merge_range(1, 0, 1, last, safe_cell(_("统计日期：%(date)s；%(by)s") % {"date": as_of.isoformat(), "by": by_label}),
                   wb.add_format({"align": "left"}))
    ws.set_row(2, 36)
    ws.set_column(0, 0, 14)
    ws.set_column(1, 1, 22)
    ws.set_column(2, last, 11)
    for c, h in enumerate(headers):
        ws.write_string(2, c, h, head)

    def write(r: int, row: dict, fmt) -> None:
        ws.write_string(r, 0, safe_cell(row["code"]), fmt)
        ws.write_string(r, 1, safe_cell(row["name"]), fmt)
        for c, (key, _label, kind) in enumerate(cols, start=2):
            v = value(row, key)
            if v is None:
                ws.write_blank(r, c, None, cell)
            elif kind == "rate":
                ws.write_number(r, c, v, pct)
            elif kind == "fen":
                ws.write_number(r, c, v / 100, money)
            else:
                ws.write_number(r, c, v, number)

    r = 3
    for row in rows:
        write(r, row, cell)
        r += 1
    write(r, total, bold)
    r += 2
    ws.write_string(r, 0, _("口径说明"), wb.add_format({"bold": True}))
    for i, line in enumerate(definitions, start=1):
        ws.write_string(r + i, 0, safe_cell(f"{i}. {line}"))
    ws.freeze_panes(3, 2)
    wb.close()
    return out.getvalue()


def metrics_title(scope_name: str) -> str:
    return _("%(scope)s易地扶贫搬迁后续扶持指标表") % {"scope": scope_name}


def metrics_filename(as_of: dt.date) -> str:
    return _("后续扶持指标_%(date)s.xlsx") % {"date": as_of.strftime("%Y%m%d")}

"""The employment list (就业台账) as an Excel workbook: one row per employment spell active on a day."""

from __future__ import annotations

import datetime as dt
import io

import xlsxwriter
from django.utils.translation import gettext as _

from anju.core.masking import safe_cell
from anju.divisions.selectors import division_names
from anju.projects.reports_warnings import place_name


def employment_xlsx(rows, *, on: dt.date) -> bytes:
    """`rows`: Employment with person and household loaded. IDs are masked; money is 元 to the fen."""
    names = division_names({e.division_code for e in rows})
    out = io.BytesIO()
    wb = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False})
    ws = wb.add_worksheet(_("就业台账"))
    head = wb.add_format({"bold": True, "border": 1, "align": "center", "valign": "vcenter", "bg_color": "#F2F2F2"})
    cell = wb.add_format({"border": 1, "valign": "vcenter"})
    money = wb.add_format({"border": 1, "num_format": "#,##0.00"})
    headers = [_("序号"), _("县（市、区）"), _("乡镇、村"), _("户编号"), _("姓名"), _("身份证号"), _("就业类型"), _("就业单位"), _("就业地点"),
               _("开始日期"), _("结束日期"), _("月收入（元）")]
    widths = [6, 12, 24, 18, 10, 20, 14, 28, 20, 12, 12, 14]
    title = _("搬迁群众就业台账（%(date)s 在岗）") % {"date": on.isoformat()}
    ws.merge_range(0, 0, 0, len(headers) - 1, title, wb.add_format({"bold": True, "font_size": 14, "align": "center"}))
    for c, (h, w) in enumerate(zip(headers, widths, strict=True)):
        ws.set_column(c, c, w)
        ws.write_string(1, c, h, head)
    for r, e in enumerate(rows, start=2):
        county = e.division_code[:6].ljust(12, "0")
        ws.write_number(r, 0, r - 1, cell)
        ws.write_string(r, 1, safe_cell(names.get(county, county)), cell)
        ws.write_string(r, 2, safe_cell(place_name(e.division_code, names)), cell)
        ws.write_string(r, 3, safe_cell(e.household.number), cell)
        ws.write_string(r, 4, safe_cell(e.person.name), cell)
        ws.write_string(r, 5, e.person.id_masked, cell)
        ws.write_string(r, 6, str(e.get_kind_display()), cell)
        ws.write_string(r, 7, safe_cell(e.employer), cell)
        ws.write_string(r, 8, safe_cell(e.place), cell)
        ws.write_string(r, 9, e.started_on.isoformat(), cell)
        ws.write_string(r, 10, e.ended_on.isoformat() if e.ended_on else "", cell)
        ws.write_number(r, 11, e.monthly_income_fen / 100, money)  # a cell value: the one place a float is allowed
    ws.freeze_panes(2, 0)
    ws.autofilter(1, 0, max(1, len(rows) + 1), len(headers) - 1)
    wb.close()
    return out.getvalue()

"""The warning list as an Excel workbook (预警清单): one row per warning as the list page shows it."""

from __future__ import annotations

import datetime as dt
import io

import xlsxwriter
from django.utils import timezone
from django.utils.translation import gettext as _

from anju.core.masking import safe_cell
from anju.divisions.selectors import division_names


def _when(value: dt.datetime | None) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def place_name(code: str, names: dict[str, str]) -> str:
    """The township and village of a code below its county ("城关镇 河口村"), or the county's name."""
    parts = [code[:9].ljust(12, "0"), code] if code[6:] != "000000" else [code]
    found = []
    for part in parts:
        name = names.get(part)
        if name and name not in found:
            found.append(name)
    return " ".join(found) or code


def warnings_xlsx(warnings, *, title: str) -> bytes:
    """`warnings`: an iterable of Warning with rule, project and assignee loaded (warning_list's queryset)."""
    rows = list(warnings)
    names = division_names({w.division_code for w in rows})
    out = io.BytesIO()
    wb = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False})
    ws = wb.add_worksheet(_("预警清单"))
    head = wb.add_format({"bold": True, "border": 1, "align": "center", "valign": "vcenter", "bg_color": "#F2F2F2"})
    cell = wb.add_format({"border": 1, "valign": "vcenter"})
    wrap = wb.add_format({"border": 1, "valign": "vcenter", "text_wrap": True})
    number = wb.add_format({"border": 1, "num_format": "0.####"})
    red = wb.add_format({"border": 1, "font_color": "#B42318", "bold": True})
    yellow = wb.add_format({"border": 1, "font_color": "#9A6700", "bold": True})
    headers = [_("序号"), _("预警等级"), _("县（市、区）"), _("项目地点"), _("项目编码"), _("项目名称"), _("规则"), _("指标值"), _("预警内容"),
               _("责任人"), _("预警时间"), _("解除时间")]
    widths = [6, 10, 12, 22, 18, 28, 26, 10, 60, 12, 17, 17]
    ws.merge_range(0, 0, 0, len(headers) - 1, safe_cell(title), wb.add_format({"bold": True, "font_size": 14, "align": "center"}))
    for c, (h, w) in enumerate(zip(headers, widths, strict=True)):
        ws.set_column(c, c, w)
        ws.write_string(1, c, h, head)
    for r, w in enumerate(rows, start=2):
        county = w.division_code[:6].ljust(12, "0")
        ws.write_number(r, 0, r - 1, cell)
        ws.write_string(r, 1, str(w.get_level_display()), red if w.level == "red" else yellow)
        ws.write_string(r, 2, safe_cell(names.get(county, county)), cell)
        ws.write_string(r, 3, safe_cell(place_name(w.division_code, names)), cell)
        ws.write_string(r, 4, safe_cell(w.project.code), cell)
        ws.write_string(r, 5, safe_cell(w.project.name), cell)
        ws.write_string(r, 6, safe_cell(w.rule.name), cell)
        if w.value is None:
            ws.write_blank(r, 7, None, cell)
        else:
            ws.write_number(r, 7, float(w.value), number)  # a cell value: the one place a float is allowed
        ws.write_string(r, 8, safe_cell(w.message), wrap)
        who = w.assignee.full_name or w.assignee.username if w.assignee_id else ""
        ws.write_string(r, 9, safe_cell(who), cell)
        ws.write_string(r, 10, _when(w.raised_at), cell)
        ws.write_string(r, 11, _when(w.cleared_at), cell)
    ws.freeze_panes(2, 0)
    ws.autofilter(1, 0, max(1, len(rows) + 1), len(headers) - 1)
    wb.close()
    return out.getvalue()

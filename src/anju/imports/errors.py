"""Import results for people: row errors, the error workbook and blank templates.

The error workbook has two sheets. “错误行”: the header row of the imported sheet, then each rejected row's
original cells with every bad cell filled red and commented with its message, plus “原行号” and a last column
“错误说明” joining the row's messages — fix the cells there and import that sheet again. “错误清单”: one line per
error (工作表, 行号, 列, 值, 代码, 说明), file-level errors first. Every cell goes through `safe_cell` (formula
injection). Written with XlsxWriter in constant-memory mode; cell comments are kept in memory by XlsxWriter, so
only the first `MAX_COMMENTS` bad cells get one (every bad cell is still red and explained in “错误说明”).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

import xlsxwriter
from django.utils.translation import gettext as _

from anju.core.masking import safe_cell
from anju.imports.readers import RowData
from anju.imports.spec import TableSpec

EXCEL_MAX_ROWS = 1_048_576
MAX_COMMENTS = 20_000
MAX_CELL_TEXT = 32_000


@dataclass(frozen=True)
class RowError:
    """One problem: where (sheet, row as the spreadsheet shows it, column header), the value, a code, a message."""

    sheet: str
    row: int
    column: str
    value: str
    code: str
    message: str

    def as_dict(self) -> dict:
        return {"sheet": self.sheet, "row": self.row, "column": self.column, "value": self.value, "code": self.code,
                "message": self.message}


def _text(value) -> str:
    return str(value)[:MAX_CELL_TEXT]


def _write_value(ws, row: int, col: int, value, fmt, date_fmt, datetime_fmt) -> None:
    """Write a raw cell keeping its type (dates as dates, numbers as numbers); text through safe_cell."""
    if value is None or value == "":
        if fmt is not None:
            ws.write_blank(row, col, None, fmt)
        return
    if isinstance(value, bool):
        ws.write_boolean(row, col, value, fmt)
    elif isinstance(value, int | float):
        ws.write_number(row, col, value, fmt)
    elif isinstance(value, datetime.datetime):
        ws.write_datetime(row, col, value, datetime_fmt if fmt is None else fmt)
    elif isinstance(value, datetime.date):
        ws.write_datetime(row, col, datetime.datetime.combine(value, datetime.time()), date_fmt if fmt is None else fmt)
    else:
        ws.write_string(row, col, safe_cell(_text(value)), fmt)


def write_error_workbook(path, *, table_title: str, headers: list[str], rejected: Iterable[tuple[RowData, list[RowError]]],
                         file_errors: Iterable[RowError] = ()) -> None:
    """Write the error workbook (see the module docstring). `headers` are the imported sheet's header texts."""
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True, "strings_to_numbers": False, "strings_to_formulas": False,
                                         "strings_to_urls": False})
    try:
        head = wb.add_format({"bold": True, "bg_color": "#D9E1F2", "border": 1, "text_wrap": True, "valign": "top"})
        bad = wb.add_format({"bg_color": "#FFC7CE", "font_color": "#9C0006"})
        bad_date = wb.add_format({"bg_color": "#FFC7CE", "font_color": "#9C0006", "num_format": "yyyy-mm-dd"})
        date_fmt = wb.add_format({"num_format": "yyyy-mm-dd"})
        datetime_fmt = wb.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
        note = wb.add_format({"font_color": "#9C0006", "text_wrap": True})
        title_fmt = wb.add_format({"bold": True, "font_size": 13})

        rows_ws = wb.add_worksheet(_("错误行"))
        list_ws = wb.add_worksheet(_("错误清单"))
        rows_ws.set_comments_author("anju")
        width = len(headers)
        col_row_no, col_note = width, width + 1
        for c, h in enumerate(headers):
            rows_ws.write_string(0, c, safe_cell(_text(h)), head)
            rows_ws.set_column(c, c, min(40, max(10, len(str(h)) * 2 + 2)))
        rows_ws.write_string(0, col_row_no, _("原行号"), head)
        rows_ws.write_string(0, col_note, _("错误说明"), head)
        rows_ws.set_column(col_note, col_note, 60)
        rows_ws.freeze_panes(1, 0)

        list_ws.write_string(0, 0, safe_cell(_text(table_title)), title_fmt)
        list_head = [_("工作表"), _("行号"), _("列"), _("值"), _("代码"), _("说明")]
        for c, h in enumerate(list_head):
            list_ws.write_string(1, c, h, head)
        for c, w in enumerate((14, 8, 16, 24, 18, 60)):
            list_ws.set_column(c, c, w)
        list_ws.freeze_panes(2, 0)

        # Sheet order matters for constant_memory only within a sheet: write each sheet's rows in order.
        out_list = 2
        list_full = False

        def add_line(e: RowError) -> None:
            nonlocal out_list, list_full
            if list_full:
                return
            if out_list >= EXCEL_MAX_ROWS - 1:
                list_ws.write_string(out_list, 0, _("错误太多，以下未列出"))
                list_full = True
                return
            values = (e.sheet, e.row, e.column, e.value, e.code, e.message)
            for c, v in enumerate(values):
                if c == 1 and isinstance(v, int):
                    list_ws.write_number(out_list, c, v)
                elif v not in (None, ""):
                    list_ws.write_string(out_list, c, safe_cell(_text(v)))
            out_list += 1

        for e in file_errors:
            add_line(e)

        index = {}
        for c, h in enumerate(headers):
            index.setdefault(h, c)
        out_row = 1
        comments = 0
        for row, errors in rejected:
            for e in errors:
                add_line(e)
            if out_row >= EXCEL_MAX_ROWS:
                continue
            bad_cols: dict[int, list[str]] = {}
            for e in errors:
                c = index.get(e.column)
                if c is not None:
                    bad_cols.setdefault(c, []).append(e.message)
            raw = row.raw
            for c in range(width):  # cells beyond the header (CSV trailing commas) have no column to go to
                value = raw[c] if c < len(raw) else None
                is_bad = c in bad_cols
                fmt = (bad_date if isinstance(value, datetime.date) else bad) if is_bad else None
                _write_value(rows_ws, out_row, c, value, fmt, date_fmt, datetime_fmt)
                if is_bad and comments < MAX_COMMENTS:
                    rows_ws.write_comment(out_row, c, _text("\n".join(bad_cols[c])), {"x_scale": 2, "y_scale": 1.5})
                    comments += 1
            rows_ws.write_number(out_row, col_row_no, row.number)
            messages = [f"{e.column}：{e.message}" if e.column else e.message for e in errors]
            rows_ws.write_string(out_row, col_note, safe_cell(_text("；".join(messages))), note)
            out_row += 1
    finally:
        wb.close()


def _is_text_field(field) -> bool:
    name = field.name.lower()
    return field.text or any(word in name for word in ("id_number", "account", "phone", "card"))


def write_template(path, *, spec: TableSpec, example_rows: Iterable[list] = (), notes: Iterable[str] = ()) -> None:
    """A blank import template: the standard headers (required ones red with a “必填” comment), ID/account/phone
    columns formatted as text, optional example rows, and a “填写说明” sheet with the notes and every accepted header."""
    wb = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False, "strings_to_formulas": False, "strings_to_urls": False})
    try:
        head = wb.add_format({"bold": True, "bg_color": "#D9E1F2", "border": 1, "align": "center", "valign": "vcenter"})
        head_required = wb.add_format({"bold": True, "bg_color": "#D9E1F2", "border": 1, "align": "center", "valign": "vcenter",
                                       "font_color": "#C00000"})
        text_fmt = wb.add_format({"num_format": "@"})
        date_fmt = wb.add_format({"num_format": "yyyy-mm-dd"})
        wrap = wb.add_format({"text_wrap": True, "valign": "top"})
        bold = wb.add_format({"bold": True})

        ws = wb.add_worksheet(spec.title[:31])
        for c, f in enumerate(spec.fields):
            ws.set_column(c, c, max(10, len(f.label) * 2 + 4), text_fmt if _is_text_field(f) else None)
            ws.write_string(0, c, f.label, head_required if f.required else head)
            if f.required:
                ws.write_comment(0, c, _("必填"))
        ws.freeze_panes(1, 0)
        for r, values in enumerate(example_rows, start=1):
            for c, value in enumerate(values):
                field = spec.fields[c] if c < len(spec.fields) else None
                if field is not None and _is_text_field(field) and value not in (None, ""):
                    ws.write_string(r, c, safe_cell(str(value)), text_fmt)
                else:
                    _write_value(ws, r, c, value, None, date_fmt, date_fmt)

        info = wb.add_worksheet(_("填写说明"))
        info.set_column(0, 0, 20)
        info.set_column(1, 1, 8)
        info.set_column(2, 2, 60)
        info.write_string(0, 0, safe_cell(spec.title), bold)
        r = 2
        for line in notes:
            info.write_string(r, 0, safe_cell(str(line)))
            r += 1
        base_notes = [
            _("表头可以放在标题行之下；红色表头为必填列。"),
            _("身份证号、银行账号等长数字列已设为文本格式，请勿改为数值（否则末几位会丢失）。"),
            _("日期可填 2003-05-01、2003/5/1、2003年5月1日 或 20030501；空行与“合计”行会被跳过。"),
        ]
        for line in base_notes:
            info.write_string(r, 0, line)
            r += 1
        r += 1
        for c, h in enumerate((_("列名"), _("必填"), _("也可使用的表头"))):
            info.write_string(r, c, h, bold)
        for f in spec.fields:
            r += 1
            info.write_string(r, 0, f.label)
            info.write_string(r, 1, _("是") if f.required else "")
            if f.aliases:
                info.write_string(r, 2, safe_cell("、".join(f.aliases)), wrap)
    finally:
        wb.close()

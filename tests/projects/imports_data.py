"""Files and actors for the project import tests: workbooks written with XlsxWriter, read back with calamine."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import xlsxwriter
from python_calamine import CalamineWorkbook

from anju.projects.services.imports import project_import

LEDGER_HEADERS = ["项目编码", "项目名称", "区划代码", "县（市、区）", "乡（镇）", "村", "项目类型", "项目类别", "计划年度", "建设内容",
                  "计划投资（万元）", "受益移民人数", "责任单位", "责任人", "设计单位", "具备设计资质", "计划开工日期", "计划完工日期",
                  "实际开工日期", "实际完工日期", "项目阶段"]
ALLOCATION_HEADERS = ["项目编码", "项目名称", "资金来源", "资金年度", "下达文号", "下达日期", "下达金额（万元）"]
PAYMENT_HEADERS = ["项目编码", "资金来源", "支付日期", "支付金额（元）", "凭证号", "收款单位"]
PROGRESS_HEADERS = ["项目编码", "月份", "形象进度（%）", "累计完成投资（万元）", "存在问题", "实际开工日期", "实际完工日期"]


def write_xlsx(path: Path, rows: list[list], *, title: str | None = None, sheet: str = "Sheet1") -> Path:
    """A workbook whose first sheet holds `rows` (the header first), under a merged title row when `title` is given."""
    wb = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False})
    ws = wb.add_worksheet(sheet)
    date_fmt = wb.add_format({"num_format": "yyyy-mm-dd"})
    start = 0
    if title:
        ws.merge_range(0, 0, 0, max(1, len(rows[0]) - 1), title)
        ws.write_string(1, 0, "填报单位：白云县移民局")
        start = 2
    for r, values in enumerate(rows, start=start):
        for c, value in enumerate(values):
            if value is None or value == "":
                continue
            if isinstance(value, dt.date):
                ws.write_datetime(r, c, dt.datetime.combine(value, dt.time()), date_fmt)
            elif isinstance(value, (int, float)) and not isinstance(value, bool):
                ws.write_number(r, c, value)
            else:
                ws.write_string(r, c, str(value))
    wb.close()
    return path


def ledger_row(code: str, name: str = "", *, division: str = "429921101201", program: str = "水库移民后期扶持", category: str = "基础设施",
               year=2026, investment="80", stage: str = "立项/下达", start=None, completion=None, design: str = "", qualified: str = "",
               county: str = "", township: str = "", village: str = "") -> list:
    return [code, name or f"项目{code}", division, county, township, village, program, category, year, "道路硬化", investment, 120, "白坪镇人民政府",
            "王五", design, qualified, "2026-04-01", "2026-10-31", start, completion, stage]


def read_sheet(data: bytes, sheet: int = 0) -> list[list]:
    wb = CalamineWorkbook.from_filelike(io.BytesIO(data))
    return wb.get_sheet_by_index(sheet).to_python()


def run(actor, kind: str, path: Path, mode: str = "all-or-nothing", today: dt.date = dt.date(2026, 6, 3), **kw):
    return project_import(actor=actor, kind=kind, source=path, filename=path.name, mode=mode, today=today, **kw)


def errors_of(report) -> list[tuple]:
    return [(e.row, e.column, e.code) for e in report.errors]

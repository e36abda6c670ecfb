"""Excel of the relocation-step progress: per site within each county, county subtotals and the total."""

from __future__ import annotations

import io

import xlsxwriter
from django.utils.translation import gettext as _

from anju.core.masking import safe_cell
from anju.relocation.models import Step
from anju.relocation.selectors_steps import Progress, ProgressRow


def progress_headers() -> list[str]:
    return [_("县（市、区）"), _("安置点编码"), _("安置点"), _("搬迁户数"), _("尚未确认"), *[str(label) for label in Step.labels],
            _("已入住户数"), _("入住率"), _("已拆旧复垦户数"), _("拆旧复垦率")]


def _cells(r: ProgressRow, county: str, code: str, name: str) -> list:
    return [county, code, name, r.households, r.not_started, *[r.steps[s] for s in Step.values], r.moved_in,
            r.moved_in_rate, r.demolished, r.demolished_rate]


def progress_xlsx(progress: Progress, *, title: str) -> bytes:
    """The progress table: a row per county and site, a subtotal per county, the total; rates as percentages."""
    out = io.BytesIO()
    wb = xlsxwriter.Workbook(out, {"in_memory": True})
    head = wb.add_format({"bold": True, "border": 1, "bg_color": "#E8EEF7", "text_wrap": True})
    cell = wb.add_format({"border": 1})
    pct = wb.add_format({"border": 1, "num_format": "0.0%"})
    bold = wb.add_format({"border": 1, "bold": True})
    bold_pct = wb.add_format({"border": 1, "bold": True, "num_format": "0.0%"})
    ws = wb.add_worksheet(_("搬迁进度"))
    ws.write(0, 0, safe_cell(title), wb.add_format({"bold": True, "font_size": 14}))
    headers = progress_headers()
    ws.write_row(1, 0, headers, head)
    rate_cols = {len(headers) - 3, len(headers) - 1}
    r = 2

    def write(values, plain, percent):
        nonlocal r
        for c, v in enumerate(values):
            if v is None:
                ws.write_blank(r, c, None, plain)
            elif c in rate_cols:
                ws.write_number(r, c, v, percent)
            elif isinstance(v, int):
                ws.write_number(r, c, v, plain)
            else:
                ws.write_string(r, c, str(safe_cell(v)), plain)
        r += 1

    by_county: dict[str, list[ProgressRow]] = {}
    for row in progress.rows:
        by_county.setdefault(row.county_code, []).append(row)
    for county in progress.counties:
        for row in by_county.get(county.county_code, []):
            write(_cells(row, row.county_name, row.site_code, row.site_name), cell, pct)
        write(_cells(county, county.county_name, "", _("小计")), bold, bold_pct)
    write(_cells(progress.total, _("合计"), "", ""), bold, bold_pct)
    ws.set_column(0, 0, 14)
    ws.set_column(1, 1, 14)
    ws.set_column(2, 2, 22)
    ws.set_column(3, len(headers) - 1, 11)
    ws.freeze_panes(2, 3)
    wb.close()
    return out.getvalue()

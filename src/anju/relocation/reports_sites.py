"""The 安置点台账 of the site list as Excel: each filtered site with its place, placement, units, capacity and occupancy
on a day, facilities in use and housing-area exceptions; the export is audited."""

from __future__ import annotations

import datetime as dt
import io

import xlsxwriter
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from anju.core.audit import audit_record
from anju.core.masking import safe_cell
from anju.relocation import selectors

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
COLUMNS = [
    (gettext_lazy("序号"), 6), (gettext_lazy("安置点编码"), 14), (gettext_lazy("安置点名称"), 24), (gettext_lazy("所在区划"), 16),
    (gettext_lazy("安置方式"), 10), (gettext_lazy("城镇/农村"), 8), (gettext_lazy("规划安置住房（套）"), 10),
    (gettext_lazy("建成安置住房（套）"), 10), (gettext_lazy("设计安置人数"), 10), (gettext_lazy("安置户数"), 9),
    (gettext_lazy("安置人数"), 9), (gettext_lazy("已入住户数"), 9), (gettext_lazy("入住率（%）"), 9),
    (gettext_lazy("设施已投用/总数"), 10), (gettext_lazy("人均住房面积超标户"), 10), (gettext_lazy("其中建档立卡户"), 10),
    (gettext_lazy("经度"), 11), (gettext_lazy("纬度"), 11), (gettext_lazy("建成日期"), 11), (gettext_lazy("管理单位"), 16),
]
PERCENT_COL, DATE_COL = 12, 18


def site_rows(*, actor, as_of: dt.date, **filters) -> list[list]:
    sites = list(selectors.site_list(actor=actor, **filters))
    selectors.decorate_sites(sites, actor=actor, as_of=as_of)
    rows = []
    for seq, s in enumerate(sites, start=1):
        o = s.occupancy
        rows.append([seq, s.code, s.name, s.division_name, str(s.get_placement_display()), str(s.get_area_type_display()), s.planned_units,
                     s.built_units, s.capacity, o.households, o.persons, o.moved_in, None if o.rate is None else round(o.rate * 100, 2),
                     f"{o.facilities_in_use}/{o.facilities_total}", o.area_over, o.area_over_registered,
                     None if s.longitude is None else float(s.longitude), None if s.latitude is None else float(s.latitude),
                     s.completed_on, s.manager])
    return rows


def sites_xlsx(rows: list[list], *, title: str, subtitle: str) -> bytes:
    out = io.BytesIO()
    wb = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False})
    ws = wb.add_worksheet(_("安置点台账"))
    title_fmt = wb.add_format({"bold": True, "font_size": 16, "align": "center", "valign": "vcenter"})
    head = wb.add_format({"bold": True, "border": 1, "align": "center", "valign": "vcenter", "text_wrap": True, "bg_color": "#E8EEF7"})
    cell = wb.add_format({"border": 1})
    date = wb.add_format({"border": 1, "num_format": "yyyy-mm-dd"})
    pct = wb.add_format({"border": 1, "num_format": "0.00"})
    last = len(COLUMNS) - 1
    ws.merge_range(0, 0, 0, last, safe_cell(title), title_fmt)
    ws.merge_range(1, 0, 1, last, safe_cell(subtitle), wb.add_format({"font_size": 10}))
    for c, (label, width) in enumerate(COLUMNS):
        ws.write_string(2, c, str(label), head)
        ws.set_column(c, c, width)
    for r, row in enumerate(rows, start=3):
        for c, value in enumerate(row):
            if value is None or value == "":
                ws.write_blank(r, c, None, cell)
            elif c == DATE_COL:
                ws.write_datetime(r, c, dt.datetime.combine(value, dt.time()), date)
            elif c == PERCENT_COL:
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


def site_ledger_export(*, actor, as_of: dt.date | None = None, **filters) -> tuple[bytes, str]:
    """(content, file name) of the 安置点台账 of the filtered sites on `as_of` (today); audited."""
    filters = {k: v for k, v in filters.items() if v not in (None, "")}
    as_of = as_of or dt.date.today()
    rows = site_rows(actor=actor, as_of=as_of, **filters)
    title = _("安置点台账")
    subtitle = _("截至 %(date)s　共 %(n)s 个安置点") % {"date": as_of.isoformat(), "n": len(rows)}
    content = sites_xlsx(rows, title=title, subtitle=subtitle)
    with transaction.atomic():
        audit_record(actor=actor, action="relocation.site_ledger.exported", object_type="site_ledger",
                     division_code=actor.view_scope_id or "", after={"rows": len(rows), "filters": filters, "bytes": len(content)})
    return content, f"{title}{as_of:%Y%m%d}.xlsx"

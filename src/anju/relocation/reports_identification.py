"""Excel workbooks of identification: the candidate list (搬迁对象候选名单) and the coverage check (应搬尽搬核查).

Resident IDs are masked unless the actor holds REGISTRY_VIEW_PII; every export is audited (the full-ID ones say so).
"""

from __future__ import annotations

import io

import xlsxwriter
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from anju.accounts.roles import Perm
from anju.core.audit import audit_record
from anju.core.crypto import decryptor
from anju.core.masking import safe_cell
from anju.projects.money import yuan_text
from anju.relocation.selectors_common import term_names
from anju.relocation.selectors_identification import Coverage, with_places


def _formats(wb):
    return {"head": wb.add_format({"bold": True, "border": 1, "align": "center", "valign": "vcenter", "bg_color": "#F2F2F2"}),
            "cell": wb.add_format({"border": 1, "valign": "vcenter"}),
            "title": wb.add_format({"bold": True, "font_size": 14, "align": "center"})}


def _sheet(wb, f, name: str, title: str, headers: list[str], widths: list[int]):
    ws = wb.add_worksheet(name)
    ws.merge_range(0, 0, 0, len(headers) - 1, safe_cell(title), f["title"])
    for c, (h, w) in enumerate(zip(headers, widths, strict=True)):
        ws.set_column(c, c, w)
        ws.write_string(1, c, h, f["head"])
    return ws


def _write_row(ws, r: int, values: list, fmt) -> None:
    for c, v in enumerate(values):
        if isinstance(v, int) and not isinstance(v, bool):
            ws.write_number(r, c, v, fmt)
        else:
            ws.write_string(r, c, safe_cell("" if v is None else str(v)), fmt)


def _audit_export(actor, kind: str, prefix: str, rows: int, full: bool) -> None:
    with transaction.atomic():
        audit_record(actor=actor, action=f"relocation.{kind}.exported", object_type=kind, division_code=prefix.ljust(12, "0")[:12] if prefix else "",
                     after={"rows": rows, "full_ids": full})


def candidates_xlsx(*, actor, surveys, prefix: str = "") -> bytes:
    """The candidate list as the page shows it, one row per survey."""
    rows = with_places(surveys)
    full = actor.can(Perm.REGISTRY_VIEW_PII)
    decrypt = decryptor()
    conditions = term_names("living_condition")
    out = io.BytesIO()
    wb = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False})
    f = _formats(wb)
    headers = [_("序号"), _("调查编号"), _("县（市、区）"), _("乡镇"), _("村"), _("户主姓名"), _("户主身份证号"), _("名册户编号"), _("家庭人口"),
               _("生存条件"), _("建档立卡"), _("住房不安全"), _("上年人均纯收入（元）"), _("位于迁出区"), _("调查日期"), _("状态")]
    ws = _sheet(wb, f, _("候选名单"), _("易地扶贫搬迁对象候选名单"), headers, [6, 9, 12, 14, 14, 10, 20, 16, 8, 30, 8, 10, 14, 10, 12, 12])
    yes, no = _("是"), _("否")
    for r, s in enumerate(rows, start=2):
        _write_row(ws, r, [r - 1, s.pk, s.county_name, s.township_name, s.village_name, s.head_name,
                           decrypt(s.head_id_enc) if full else s.head_id_masked, s.household.number if s.household_id else "", s.members,
                           "、".join(conditions.get(c, c) for c in s.conditions), yes if s.poverty_registered else no,
                           yes if s.housing_unsafe else no,
                           yuan_text(s.per_capita_income_fen) if s.per_capita_income_fen is not None else "",
                           yes if s.in_designated_area else no, s.surveyed_on.isoformat(), s.get_state_display()], f["cell"])
    wb.close()
    _audit_export(actor, "candidates", prefix, len(rows), full)
    return out.getvalue()


COVERAGE_SHEETS = {"missing": gettext_lazy("迁出区未识别户"), "not_moved": gettext_lazy("已确认未入住"), "overdue": gettext_lazy("逾期未确认")}


def coverage_xlsx(*, actor, coverage: Coverage) -> bytes:
    """The coverage check, one sheet per list (IDs masked: the list is for follow-up, not identification)."""
    out = io.BytesIO()
    wb = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False})
    f = _formats(wb)
    headers = [_("序号"), _("县（市、区）"), _("乡镇"), _("村"), _("户编号"), _("调查编号"), _("户主姓名"), _("户主身份证号"), _("调查日期"),
               _("问题")]
    widths = [6, 12, 14, 14, 16, 9, 10, 20, 12, 50]
    for key, name in COVERAGE_SHEETS.items():
        ws = _sheet(wb, f, str(name), _("应搬尽搬核查：%(name)s（截至 %(date)s）") % {"name": name, "date": coverage.as_of.isoformat()},
                    headers, widths)
        for r, row in enumerate(getattr(coverage, key), start=2):
            _write_row(ws, r, [r - 1, row.county_name, row.township_name, row.village_name, row.household_number,
                               row.survey_id or "", row.head_name, row.head_id_masked,
                               row.surveyed_on.isoformat() if row.surveyed_on else "", row.reason], f["cell"])
    wb.close()
    _audit_export(actor, "coverage", coverage.prefix, coverage.total, False)
    return out.getvalue()

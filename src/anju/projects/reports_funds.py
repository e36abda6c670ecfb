"""Excel lists of project allocations (资金下达明细) and payments (资金支付明细) for a scope and filters; every export is
audited."""

from __future__ import annotations

import io

import xlsxwriter
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from anju.core.audit import audit_record
from anju.core.masking import safe_cell
from anju.divisions.selectors import division_names
from anju.projects.models import Term
from anju.projects.selectors import term_names
from anju.projects.selectors_funds import allocation_list, county_prefix, payment_list

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MONEY = "#,##0.00"
MAX_ROWS = 200_000


def _scope_name(prefix: str) -> str:
    if not prefix.isdigit():
        return ""
    return division_names([prefix.ljust(12, "0")]).get(prefix.ljust(12, "0"), prefix)


def _workbook(title: str, subtitle: str, headers: list[str], rows: list[list], money_cols: set[int], total_col: int) -> bytes:
    out = io.BytesIO()
    wb = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False})
    title_f = wb.add_format({"bold": True, "font_size": 16, "align": "center"})
    head = wb.add_format({"bold": True, "bg_color": "#E8EEF7", "border": 1, "align": "center", "text_wrap": True})
    cell = wb.add_format({"border": 1})
    amount = wb.add_format({"border": 1, "num_format": MONEY})
    bold = wb.add_format({"border": 1, "bold": True, "bg_color": "#F5F7FA"})
    bold_amount = wb.add_format({"border": 1, "bold": True, "bg_color": "#F5F7FA", "num_format": MONEY})
    ws = wb.add_worksheet(_("明细"))
    ws.merge_range(0, 0, 0, len(headers) - 1, safe_cell(title), title_f)
    ws.merge_range(1, 0, 1, len(headers) - 1, safe_cell(subtitle))
    for col, label in enumerate(headers):
        ws.write_string(2, col, label, head)
        ws.set_column(col, col, 16 if col in money_cols else 14)
    ws.set_column(2, 2, 30)
    ws.freeze_panes(3, 0)
    total = 0
    r = 3
    for r, row in enumerate(rows, start=3):
        for col, value in enumerate(row):
            if col in money_cols:
                ws.write_number(r, col, int(value) / 100, amount)  # fen summed as integers; the cell alone is a number
            elif isinstance(value, int):
                ws.write_number(r, col, value, cell)
            else:
                ws.write_string(r, col, str(safe_cell(value or "")), cell)
        total += int(row[total_col])
    r = 3 + len(rows)
    ws.write_string(r, 0, _("合计"), bold)
    for col in range(1, len(headers)):
        if col == total_col:
            ws.write_number(r, col, total / 100, bold_amount)
        elif col == 1:
            ws.write_string(r, col, _("%(n)s 笔") % {"n": len(rows)}, bold)
        else:
            ws.write_blank(r, col, None, bold)
    wb.close()
    return out.getvalue()


def _subtitle(filters: dict, names: dict) -> str:
    parts = []
    if filters.get("year"):
        parts.append(_("年度：%(y)s") % {"y": filters["year"]})
    if filters.get("fund_source"):
        parts.append(_("资金来源：%(s)s") % {"s": names.get(filters["fund_source"], filters["fund_source"])})
    if filters.get("q"):
        parts.append(_("项目：%(q)s") % {"q": filters["q"]})
    parts.append(_("生成时间：%(at)s") % {"at": timezone.localtime().strftime("%Y-%m-%d %H:%M")})
    return "　".join(parts)


def _audit(actor, action: str, scope: str, filters: dict, rows: int, size: int) -> None:
    with transaction.atomic():
        audit_record(actor=actor, action=action, object_type="project_funds", object_id=scope, division_code=scope.ljust(12, "0") if scope.isdigit() else "",
                     after={**filters, "rows": rows, "bytes": size})


def allocations_export(*, actor, year: int | None = None, fund_source: str = "", county: str = "", q: str = "") -> tuple[bytes, str]:
    """(content, file name) of the allocations of the actor's scope with the list's filters."""
    filters = {"year": year, "fund_source": fund_source, "county": county_prefix(county), "q": q}
    qs = allocation_list(actor=actor, **filters)[:MAX_ROWS]
    items = list(qs)
    names = term_names(Term.Kind.FUND_SOURCE)
    places = division_names({a.division_code for a in items})
    scope = filters["county"] or actor.view_prefix
    title = _("%(scope)s项目资金下达明细表") % {"scope": _scope_name(scope)}
    headers = [_("序号"), _("项目编码"), _("项目名称"), _("县（市、区）"), _("资金来源"), _("资金年度"), _("下达文号"), _("下达日期"),
               _("下达金额（元）"), _("备注")]
    rows = [[i, a.project.code, a.project.name, places.get(a.division_code[:6].ljust(12, "0"), a.division_code[:6]),
             names.get(a.fund_source, a.fund_source), a.year, a.doc_number, a.doc_date.isoformat(), a.amount, a.note]
            for i, a in enumerate(items, start=1)]
    data = _workbook(title, _subtitle(filters, names), headers, rows, {8}, 8)
    _audit(actor, "projects.allocations.exported", scope, filters, len(rows), len(data))
    return data, f"{title}.xlsx"


def payments_export(*, actor, year: int | None = None, fund_source: str = "", county: str = "", q: str = "") -> tuple[bytes, str]:
    """(content, file name) of the payments of the actor's scope with the list's filters."""
    filters = {"year": year, "fund_source": fund_source, "county": county_prefix(county), "q": q}
    items = list(payment_list(actor=actor, **filters)[:MAX_ROWS])
    names = term_names(Term.Kind.FUND_SOURCE)
    places = division_names({p.division_code for p in items})
    scope = filters["county"] or actor.view_prefix
    title = _("%(scope)s项目资金支付明细表") % {"scope": _scope_name(scope)}
    headers = [_("序号"), _("项目编码"), _("项目名称"), _("县（市、区）"), _("资金来源"), _("支付日期"), _("凭证号"), _("收款单位"),
               _("支付金额（元）"), _("备注")]
    rows = [[i, p.project.code, p.project.name, places.get(p.division_code[:6].ljust(12, "0"), p.division_code[:6]),
             names.get(p.fund_source, p.fund_source), p.paid_on.isoformat(), p.voucher, p.payee, p.amount, p.note]
            for i, p in enumerate(items, start=1)]
    data = _workbook(title, _subtitle(filters, names), headers, rows, {8}, 8)
    _audit(actor, "projects.payments.exported", scope, filters, len(rows), len(data))
    return data, f"{title}.xlsx"

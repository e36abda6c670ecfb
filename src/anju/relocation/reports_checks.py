"""Excel files of a spot check: the sample list for the field team (household number, head, masked ID, township,
village, site, address, phone) and the results with their follow-up. Full ID numbers and phones only for an actor
holding REGISTRY_VIEW_PII who asks for them; every export is audited (saying whether it was masked)."""

from __future__ import annotations

import datetime as dt
import io

import xlsxwriter
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from anju.accounts.roles import Perm
from anju.core.access import require_perm
from anju.core.audit import audit_record
from anju.core.crypto import decrypt
from anju.core.masking import mask_phone, safe_cell
from anju.relocation import selectors_checks as sel
from anju.relocation.models import SpotCheck

MSG_FORMULA_NOTE = gettext_lazy("抽样方法：总体为名册日期在册的搬迁户（按户 id 升序），样本为 random.Random(种子).sample(总体, 抽样户数)")


def _book():
    out = io.BytesIO()
    wb = xlsxwriter.Workbook(out, {"in_memory": True})
    formats = {"title": wb.add_format({"bold": True, "font_size": 14}), "head": wb.add_format({"bold": True, "border": 1, "bg_color": "#E8EEF7"}),
               "cell": wb.add_format({"border": 1, "num_format": "@"}), "note": wb.add_format({"italic": True, "font_color": "#666666"})}
    return out, wb, formats


def _head(ws, f, check: SpotCheck, title: str, headers: list[str]) -> None:
    ws.write(0, 0, safe_cell(f"{check.name} {title}"), f["title"])
    ws.write(1, 0, safe_cell(_("名册日期 %(as_of)s；总体 %(population)s 户；抽样 %(size)s 户；随机种子 %(seed)s；方式 %(method)s") % {
        "as_of": check.as_of.isoformat(), "population": check.population, "size": check.sample_size, "seed": check.seed,
        "method": check.get_method_display()}), f["note"])
    ws.write(2, 0, str(MSG_FORMULA_NOTE), f["note"])
    ws.write_row(3, 0, headers, f["head"])


def sample_xlsx(*, actor, check: SpotCheck, unmasked: bool = False) -> bytes:
    """The field list of a check the caller accessed: one row per sampled household in drawing order. Audited."""
    require_perm(actor, Perm.RELOCATION_VIEW)
    if unmasked:
        require_perm(actor, Perm.REGISTRY_VIEW_PII)
    items = sel.items_of(check)
    out, wb, f = _book()
    ws = wb.add_worksheet(_("抽查名单"))
    headers = [_("抽样序号"), _("户编号"), _("户主"), _("户主身份证号"), _("乡镇"), _("村"), _("安置点"), _("住址"), _("联系电话"),
               _("核查结果"), _("发现问题"), _("核查人")]
    _head(ws, f, check, _("抽查名单"), headers)
    for r, i in enumerate(items, start=4):
        head = i.household.head
        id_number = (decrypt(head.id_enc) if unmasked else head.id_masked) if head else ""
        phone = (head.phone if unmasked else mask_phone(head.phone)) if head else ""
        values = [str(i.order), i.household.number, head.name if head else "", id_number, i.township, i.village, i.site_name,
                  i.household.address, phone, "", "", ""]
        for c, v in enumerate(values):
            ws.write_string(r, c, str(safe_cell(v or "")), f["cell"])
    ws.set_column(0, 0, 8)
    ws.set_column(1, 3, 20)
    ws.set_column(4, 8, 16)
    ws.set_column(9, 11, 14)
    wb.close()
    with transaction.atomic():
        audit_record(actor=actor, action="relocation.spot_check.sample_exported", object_type="spot_check", object_id=check.pk,
                     division_code=check.division_code, after={"rows": len(items), "masked": not unmasked})
    return out.getvalue()


def results_xlsx(*, actor, check: SpotCheck) -> bytes:
    """The results of a check the caller accessed: result, findings, checker and follow-up of each household. Audited."""
    require_perm(actor, Perm.RELOCATION_VIEW)
    items = sel.items_of(check)
    today = dt.date.today()
    out, wb, f = _book()
    ws = wb.add_worksheet(_("核查结果"))
    headers = [_("抽样序号"), _("户编号"), _("户主"), _("乡镇"), _("村"), _("安置点"), _("核查结果"), _("发现问题"), _("核查日期"),
               _("核查人"), _("整改"), _("整改责任人"), _("整改期限"), _("逾期天数"), _("整改情况"), _("整改完成日期")]
    _head(ws, f, check, _("核查结果"), headers)
    for r, i in enumerate(items, start=4):
        head = i.household.head
        values = [str(i.order), i.household.number, head.name if head else "", i.township, i.village, i.site_name, i.get_result_display(),
                  i.findings, i.checked_on.isoformat() if i.checked_on else "", i.checker, i.get_follow_up_display(), i.follow_up_owner,
                  i.follow_up_deadline.isoformat() if i.follow_up_deadline else "", str(sel.days_overdue(i, today) or ""),
                  i.follow_up_note, i.resolved_on.isoformat() if i.resolved_on else ""]
        for c, v in enumerate(values):
            ws.write_string(r, c, str(safe_cell(str(v or ""))), f["cell"])
    ws.set_column(0, 0, 8)
    ws.set_column(1, 15, 14)
    ws.set_column(7, 7, 40)
    wb.close()
    with transaction.atomic():
        audit_record(actor=actor, action="relocation.spot_check.results_exported", object_type="spot_check", object_id=check.pk,
                     division_code=check.division_code, after={"rows": len(items)})
    return out.getvalue()


def export_filename(check: SpotCheck, kind: str) -> str:
    label = _("抽查名单") if kind == "sample" else _("核查结果")
    return f"{label}-{check.pk}-{dt.date.today():%Y%m%d}.xlsx"

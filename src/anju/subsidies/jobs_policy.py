"""Policy job kind: the what-if costing (测算对比) of a draft version, with its result table as an xlsx file."""

from __future__ import annotations

import xlsxwriter
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from anju.accounts.roles import Perm
from anju.core.jobs import job_kind, result_path
from anju.core.masking import safe_cell
from anju.subsidies.months import yuan
from anju.subsidies.selectors_policy import WHATIF_KIND, access_policy, scope_name
from anju.subsidies.services.policy import policy_whatif

WHATIF_COLUMNS = [gettext_lazy("县（市、区）"), gettext_lazy("年度"), gettext_lazy("直补人数（现行）"), gettext_lazy("直补人数（草稿）"),
                  gettext_lazy("直补金额（现行，元）"), gettext_lazy("直补金额（草稿，元）"), gettext_lazy("差额（元）"),
                  gettext_lazy("项目扶持（现行，元）"), gettext_lazy("项目扶持（草稿，元）")]
WHATIF_KEYS = ("persons_current", "persons_draft", "current", "draft", "diff", "project_current", "project_draft")
MONEY_KEYS = {"current", "draft", "diff", "project_current", "project_draft"}


def write_whatif_xlsx(path, result: dict) -> None:
    """The what-if table: one row per county and year, a subtotal per year and the total; amounts in yuan."""
    workbook = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False})
    sheet = workbook.add_worksheet(_("测算对比"))
    title = workbook.add_format({"bold": True, "font_size": 14, "align": "center"})
    head = workbook.add_format({"bold": True, "bg_color": "#E8EEF7", "border": 1, "align": "center", "text_wrap": True})
    money = workbook.add_format({"num_format": "#,##0.00", "border": 1})
    count = workbook.add_format({"num_format": "#,##0", "border": 1})
    text = workbook.add_format({"border": 1})
    bold_money = workbook.add_format({"num_format": "#,##0.00", "border": 1, "bold": True})
    bold_count = workbook.add_format({"num_format": "#,##0", "border": 1, "bold": True})
    bold_text = workbook.add_format({"border": 1, "bold": True})
    heading = _("%(title)s（%(scope)s，%(date)s起）测算对比") % {
        "title": result.get("title", ""), "scope": scope_name(result.get("scope", "")), "date": result.get("effective_from", "")}
    sheet.merge_range(0, 0, 0, len(WHATIF_COLUMNS) - 1, safe_cell(heading), title)
    for col, label in enumerate(WHATIF_COLUMNS):
        sheet.write_string(1, col, str(label), head)
        sheet.set_column(col, col, 18 if col == 0 else 14)
    sheet.freeze_panes(2, 2)
    r = 2

    def line(first: str, year, row: dict, bold: bool = False) -> None:
        nonlocal r
        sheet.write_string(r, 0, safe_cell(first), bold_text if bold else text)
        if year == "":
            sheet.write_string(r, 1, "", bold_text if bold else text)
        else:
            sheet.write_number(r, 1, year, bold_count if bold else count)
        for i, key in enumerate(WHATIF_KEYS, start=2):
            if key in MONEY_KEYS:
                sheet.write_number(r, i, yuan(row.get(key, 0)), bold_money if bold else money)
            else:
                sheet.write_number(r, i, int(row.get(key, 0)), bold_count if bold else count)
        r += 1

    for row in result.get("rows", []):
        line(row["county_name"], row["year"], row)
    for row in result.get("by_year", []):
        line(_("小计"), row["year"], row, bold=True)
    line(_("合计"), "", result.get("totals", {}), bold=True)
    sheet.write_string(r + 1, 0, _("测算时间：%(at)s；按现有名单（实时）测算，直补人数为有应发金额的直补人员") % {
        "at": timezone.localtime().strftime("%Y-%m-%d %H:%M")})
    workbook.close()


@job_kind(WHATIF_KIND, title=gettext_lazy("政策版本：测算对比"), permission=Perm.SUBSIDY_POLICY)
def policy_whatif_job(job, progress):
    actor = job.created_by
    policy = access_policy(actor, job.params["policy"])
    result = policy_whatif(actor=actor, policy=policy, years=int(job.params.get("years", 5)), progress=progress)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    write_whatif_xlsx(result_path(job, f"whatif-policy{policy.pk}-{stamp}.xlsx"), result)
    return result

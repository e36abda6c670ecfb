"""Verification documents: the 花名册 (Excel, streamed), the summary table by township and village (Excel) and the
核定报告 (Word, in the fonts Chinese government offices use, with fallbacks named in the font table)."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable

import xlsxwriter
from django.db.models import OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from anju.core.crypto import decrypt
from anju.core.exceptions import join_list
from anju.core.masking import safe_cell
from anju.divisions.models import Division
from anju.registry.models import Enrolment, Person, Program, Verification
from anju.registry.selectors_verification import verification_summary

Progress = Callable[[int, str], None]

ROSTER_COLUMNS = [gettext_lazy("序号"), gettext_lazy("乡镇"), gettext_lazy("村"), gettext_lazy("户编号"), gettext_lazy("姓名"),
                  gettext_lazy("性别"), gettext_lazy("身份证号"), gettext_lazy("出生日期"), gettext_lazy("与户主关系"),
                  gettext_lazy("人口类别"), gettext_lazy("扶持方式")]
ROSTER_WIDTHS = [8, 16, 18, 14, 10, 6, 22, 12, 10, 10, 10]
SUMMARY_COLUMNS = [gettext_lazy("序号"), gettext_lazy("乡镇"), gettext_lazy("村"), gettext_lazy("上年人数"), gettext_lazy("新增"),
                   gettext_lazy("核减"), gettext_lazy("迁入"), gettext_lazy("迁出"), gettext_lazy("本年人数"), gettext_lazy("信息变更")]
SUMMARY_KEYS = ("previous", "added", "removed", "moved_in", "moved_out", "current", "changed")

PROGRAM_TITLES = {Program.RESERVOIR: gettext_lazy("水库移民后期扶持"), Program.RELOCATION: gettext_lazy("易地扶贫搬迁后续扶持")}

# Fonts of Chinese official documents (GB/T 9704), each with the font Word or WPS falls back to when it is missing.
FONT_TITLE, FONT_HEADING, FONT_BODY = "方正小标宋简体", "黑体", "仿宋_GB2312"
FONT_FALLBACKS = {FONT_TITLE: "宋体", FONT_HEADING: "SimHei", FONT_BODY: "仿宋"}
FONT_LATIN = "Times New Roman"


def document_title(verification: Verification, county_name: str, kind: str) -> str:
    """e.g. 白云县2025年度水库移民后期扶持人口核定报告 (kind: 核定报告 / 花名册 / 核定汇总表)."""
    return _("%(county)s%(year)s年度%(program)s人口%(kind)s") % {
        "county": county_name, "year": verification.year, "program": PROGRAM_TITLES.get(verification.program, ""), "kind": kind}


def _county_name(verification: Verification) -> str:
    return Division.objects.filter(code=verification.division_code).values_list("name", flat=True).first() or verification.division_code


# --- 花名册 --------------------------------------------------------------------------------------------------------

def write_roster_xlsx(path, verification: Verification, entries, *, unmasked: bool = False, progress: Progress | None = None) -> int:
    """Stream the snapshot's rows into an xlsx (constant memory). `entries` is the scoped, ordered entry queryset."""
    report = progress or (lambda percent, message="": None)
    names = dict(Division.objects.filter(code__startswith=verification.division_code[:6]).values_list("code", "name"))
    genders, categories = {"M": _("男"), "F": _("女")}, {k: str(v) for k, v in Enrolment.Category.choices}
    modes = {k: str(v) for k, v in Enrolment.SupportMode.choices}
    total = entries.count()
    fields = ["division_code", "household_number", "name", "gender", "id_masked", "birth_date", "relation", "category", "support_mode"]
    if unmasked:
        entries = entries.annotate(id_enc=Subquery(Person.objects.filter(pk=OuterRef("person_id")).values("id_enc")[:1]))
        fields.append("id_enc")
    workbook = xlsxwriter.Workbook(str(path), {"constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
                                               "strings_to_numbers": False})
    sheet = workbook.add_worksheet(_("花名册"))
    title = workbook.add_format({"bold": True, "font_size": 16, "align": "center", "valign": "vcenter"})
    head = workbook.add_format({"bold": True, "bg_color": "#E8EEF7", "border": 1, "align": "center"})
    date = workbook.add_format({"num_format": "yyyy-mm-dd"})
    sheet.merge_range(0, 0, 0, len(ROSTER_COLUMNS) - 1, document_title(verification, names.get(verification.division_code, ""), _("花名册")), title)
    for col, (label, width) in enumerate(zip(ROSTER_COLUMNS, ROSTER_WIDTHS, strict=True)):
        sheet.write_string(1, col, str(label), head)
        sheet.set_column(col, col, width)
    sheet.freeze_panes(2, 0)
    n = 0
    for n, row in enumerate(entries.values_list(*fields).iterator(chunk_size=5000), start=1):
        village, household, name, gender, id_masked, birth, relation, category, mode = row[:9]
        number = decrypt(row[9]) if unmasked and row[9] else id_masked
        r = n + 1
        sheet.write_number(r, 0, n)
        sheet.write_string(r, 1, safe_cell(names.get(village[:9].ljust(12, "0"), "")))
        sheet.write_string(r, 2, safe_cell(names.get(village, village)))
        sheet.write_string(r, 3, safe_cell(household))
        sheet.write_string(r, 4, safe_cell(name))
        sheet.write_string(r, 5, genders.get(gender, gender))
        sheet.write_string(r, 6, safe_cell(number))
        birth = birth if isinstance(birth, dt.date) else dt.date.fromisoformat(str(birth))
        sheet.write_datetime(r, 7, dt.datetime(birth.year, birth.month, birth.day), date)
        sheet.write_string(r, 8, safe_cell(relation))
        sheet.write_string(r, 9, categories.get(category, category))
        sheet.write_string(r, 10, modes.get(mode, mode))
        if n % 20000 == 0:
            report(min(95, n * 100 // max(total, 1)), _("已写出 %(n)s / %(total)s 人") % {"n": n, "total": total})
    sheet.autofilter(1, 0, max(n + 1, 2), len(ROSTER_COLUMNS) - 1)
    workbook.close()
    report(100, _("已导出 %(n)s 人") % {"n": n})
    return n


# --- 汇总表 --------------------------------------------------------------------------------------------------------

def summary_xlsx(verification: Verification, *, actor) -> bytes:
    """Counts by township (小计) and village, with a 合计 row; 上年 columns stay empty for a first verification."""
    summary = verification_summary(actor=actor, verification=verification)
    out = io.BytesIO()
    workbook = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False})
    sheet = workbook.add_worksheet(_("汇总表"))
    title = workbook.add_format({"bold": True, "font_size": 16, "align": "center"})
    head = workbook.add_format({"bold": True, "bg_color": "#E8EEF7", "border": 1, "align": "center", "text_wrap": True})
    cell, bold = workbook.add_format({"border": 1}), workbook.add_format({"border": 1, "bold": True, "bg_color": "#F5F7FA"})
    width = len(SUMMARY_COLUMNS)
    sheet.merge_range(0, 0, 0, width - 1, document_title(verification, summary.county_name, _("核定汇总表")), title)
    sheet.merge_range(1, 0, 1, width - 1, _("核定基准日：%(date)s 24时　状态：%(state)s") % {
        "date": verification.as_of.isoformat(), "state": verification.get_state_display()})
    for col, label in enumerate(SUMMARY_COLUMNS):
        sheet.write_string(2, col, str(label), head)
    for col, w in enumerate([6, 18, 20, 10, 8, 8, 8, 8, 10, 10]):
        sheet.set_column(col, col, w)

    def numbers(r: int, counts: dict, fmt) -> None:
        for i, key in enumerate(SUMMARY_KEYS):
            if key in ("previous", "added", "removed", "moved_in", "moved_out", "changed") and not summary.has_previous:
                sheet.write_blank(r, 3 + i, None, fmt)
            else:
                sheet.write_number(r, 3 + i, counts.get(key, 0), fmt)

    r, seq = 3, 0
    for t in summary.townships:
        sheet.write_blank(r, 0, None, bold)
        sheet.write_string(r, 1, safe_cell(t.name), bold)
        sheet.write_string(r, 2, _("小计"), bold)
        numbers(r, t.counts, bold)
        r += 1
        for village in t.villages:
            seq += 1
            sheet.write_number(r, 0, seq, cell)
            sheet.write_string(r, 1, safe_cell(t.name), cell)
            sheet.write_string(r, 2, safe_cell(village.name), cell)
            numbers(r, village.counts, cell)
            r += 1
    sheet.write_blank(r, 0, None, bold)
    sheet.write_string(r, 1, _("合计"), bold)
    sheet.write_blank(r, 2, None, bold)
    numbers(r, summary.totals, bold)
    sheet.freeze_panes(3, 0)
    workbook.close()
    return out.getvalue()


# --- 核定报告 (Word) ------------------------------------------------------------------------------------------------

def _set_font(run, name: str, size_pt: float | None = None, bold: bool | None = None) -> None:
    from docx.oxml.ns import qn
    from docx.shared import Pt

    run.font.name = FONT_LATIN if name == FONT_BODY else name
    rpr = run._element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = rpr.makeelement(qn("w:rFonts"), {})
        rpr.insert(0, fonts)
    fonts.set(qn("w:eastAsia"), name)
    if size_pt:
        run.font.size = Pt(size_pt)
    if bold is not None:
        run.font.bold = bold


def _add_font_fallbacks(document) -> None:
    """Name each Chinese font in the font table with an altName (the font to use where it is not installed)."""
    from docx.opc.constants import RELATIONSHIP_TYPE as RT
    from lxml import etree

    part = document.part.part_related_by(RT.FONT_TABLE)
    ns = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
    root = etree.fromstring(part.blob)  # noqa: S320 (python-docx's own template part, not user input)
    for name, alt in FONT_FALLBACKS.items():
        font = etree.SubElement(root, f"{{{ns}}}font", {f"{{{ns}}}name": name})
        etree.SubElement(font, f"{{{ns}}}altName", {f"{{{ns}}}val": alt})
        etree.SubElement(font, f"{{{ns}}}charset", {f"{{{ns}}}val": "86"})  # GB2312
        etree.SubElement(font, f"{{{ns}}}family", {f"{{{ns}}}val": "modern" if name == FONT_BODY else "auto"})
    part._blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _para(document, text: str, *, font: str = FONT_BODY, size: float = 16, bold: bool = False, align=None, indent: bool = True):
    from docx.shared import Pt

    p = document.add_paragraph()
    if align is not None:
        p.alignment = align
    if indent:
        p.paragraph_format.first_line_indent = Pt(size * 2)
    p.paragraph_format.line_spacing = Pt(28)
    _set_font(p.add_run(text), font, size, bold)
    return p


def _counted(items: dict[str, int], label) -> str:
    parts = [_("%(label)s %(n)s 人") % {"label": label(code), "n": n} for code, n in items.items() if n]
    return join_list(parts)


def report_docx(verification: Verification, *, actor) -> bytes:
    """The 核定报告: totals, 新增 / 核减 by reason, 变更 by field, a table by township, and the sign-off block."""
    import docx
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    from anju.registry.services.verification import COMPARED, reason_label

    summary = verification_summary(actor=actor, verification=verification)
    counts = verification.counts or {}
    program = PROGRAM_TITLES.get(verification.program, "")
    document = docx.Document()
    _add_font_fallbacks(document)
    normal = document.styles["Normal"]
    normal.font.name, normal.font.size = FONT_LATIN, Pt(16)
    normal.element.get_or_add_rPr().get_or_add_rFonts().set("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}eastAsia", FONT_BODY)
    section = document.sections[0]
    from docx.shared import Cm

    section.top_margin, section.bottom_margin, section.left_margin, section.right_margin = Cm(3.7), Cm(3.5), Cm(2.8), Cm(2.6)

    _para(document, document_title(verification, summary.county_name, _("核定报告")), font=FONT_TITLE, size=22,
          align=WD_ALIGN_PARAGRAPH.CENTER, indent=False)
    total, prev = summary.totals["current"], counts.get("previous_total")
    households = counts.get("households", 0)
    _para(document, _("一、核定基本情况"), font=FONT_HEADING, indent=True)
    text = _("以%(date)s24时为基准日，对%(county)s%(program)s人口进行了年度核定。核定结果：在册扶持人口 %(total)s 人、%(households)s 户。") % {
        "date": _("%(y)s年12月31日") % {"y": verification.year}, "county": summary.county_name, "program": program,
        "total": total, "households": households}
    if prev is not None and summary.has_previous:
        delta = total - summary.totals["previous"]
        text += _("上年度核定 %(prev)s 人，本年度新增 %(added)s 人、核减 %(removed)s 人、信息变更 %(changed)s 人，较上年%(dir)s %(delta)s 人。") % {
            "prev": summary.totals["previous"], "added": summary.totals["added"], "removed": summary.totals["removed"],
            "changed": summary.totals["changed"], "dir": _("增加") if delta >= 0 else _("减少"), "delta": abs(delta)}
    else:
        text += _("本年度为首次核定，无上年度锁定名单可比对。")
    _para(document, text)
    if summary.has_previous:
        reasons = counts.get("reasons") or {}
        _para(document, _("二、新增人口情况"), font=FONT_HEADING)
        _para(document, (_("新增 %(n)s 人，其中：%(list)s。") % {"n": counts.get("added", 0), "list": _counted(reasons.get("added", {}), reason_label)})
              if counts.get("added") else _("本年度无新增人口。"))
        _para(document, _("三、核减人口情况"), font=FONT_HEADING)
        _para(document, (_("核减 %(n)s 人，其中：%(list)s。") % {"n": counts.get("removed", 0), "list": _counted(reasons.get("removed", {}), reason_label)})
              if counts.get("removed") else _("本年度无核减人口。"))
        _para(document, _("四、信息变更情况"), font=FONT_HEADING)
        fields = counts.get("fields") or {}
        _para(document, (_("信息变更 %(n)s 人，涉及：%(list)s。") % {"n": counts.get("changed", 0),
                                                               "list": _counted(fields, lambda f: COMPARED.get(f, f))})
              if counts.get("changed") else _("本年度无信息变更。"))
        table_heading = _("五、分乡镇核定结果")
    else:
        table_heading = _("二、分乡镇核定结果")
    _para(document, table_heading, font=FONT_HEADING)
    headers = [_("序号"), _("乡镇"), _("上年人数"), _("新增"), _("核减"), _("迁入"), _("迁出"), _("本年人数")]
    keys = ("previous", "added", "removed", "moved_in", "moved_out", "current")
    table = document.add_table(rows=1, cols=len(headers))
    table.style = "Table Grid"
    for cell, label in zip(table.rows[0].cells, headers, strict=True):
        cell.text = ""
        _set_font(cell.paragraphs[0].add_run(label), FONT_HEADING, 12)

    def add_row(values: list[str], font: str = FONT_BODY) -> None:
        cells = table.add_row().cells
        for cell, value in zip(cells, values, strict=True):
            cell.text = ""
            _set_font(cell.paragraphs[0].add_run(value), font, 12)

    def figures(c: dict) -> list[str]:
        return [str(c.get(k, 0)) if summary.has_previous or k == "current" else "" for k in keys]

    for i, t in enumerate(summary.townships, start=1):
        add_row([str(i), t.name, *figures(t.counts)])
    add_row(["", _("合计"), *figures(summary.totals)], FONT_HEADING)

    _para(document, "")
    state = verification.get_state_display()
    _para(document, _("六、确认情况") if summary.has_previous else _("三、确认情况"), font=FONT_HEADING)
    _para(document, _("当前状态：%(state)s。") % {"state": state})

    def signer(user, at) -> str:
        if user is None or at is None:
            return _("（未确认）")
        return f"{user.full_name or user.username}　{timezone.localtime(at).date().isoformat()}"

    for label, who in ((_("县级审核（签字）："), signer(verification.county_signed_by, verification.county_signed_at)),
                       (_("市级确认（签字）："), signer(verification.city_signed_by, verification.city_signed_at))):
        _para(document, label + who, indent=False)
    _para(document, _("%(county)s（盖章）") % {"county": summary.county_name}, align=WD_ALIGN_PARAGRAPH.RIGHT, indent=False)
    today = timezone.localdate()
    _para(document, _("%(y)s年%(m)s月%(d)s日") % {"y": today.year, "m": today.month, "d": today.day}, align=WD_ALIGN_PARAGRAPH.RIGHT, indent=False)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


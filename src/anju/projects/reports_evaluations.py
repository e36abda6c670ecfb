"""Performance-evaluation reports (Word): one project's 绩效评价报告 (facts, the indicator table with self and review
scores, totals, grade, comments and a paragraph written from the figures), and the summary report of a county or the
city (the projects' scores and grades, county averages, a generated paragraph). Fonts of official documents: titles
方正小标宋简体, headings 黑体, body 仿宋_GB2312, each set as the East Asian font (w:eastAsia) with fallbacks. Every
download is audited."""

from __future__ import annotations

import io
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from anju.accounts.roles import Perm
from anju.core.access import require_perm
from anju.core.audit import audit_record
from anju.core.exceptions import NotFound, ValidationFailed, join_list, join_sentences
from anju.divisions.models import Division, Level
from anju.projects.models import Evaluation, Program, Stage
from anju.projects.money import fen_text, wan_text
from anju.projects.money import percent_text as money_percent_text
from anju.projects.selectors import term_names
from anju.projects.selectors_evaluations import (
    CountySummary,
    division_names,
    evaluation_annotate,
    evaluation_county_summary,
    evaluation_list,
    evaluation_rows,
    group_totals,
)
from anju.projects.services.evaluations import CENT, FIRST_YEAR, BudgetFacts, budget_facts, score_text

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
MSG_REPORT_SCOPE = gettext_lazy("汇总报告的范围应为您辖区内的一个县（市、区）或整个市")
MSG_REPORT_YEAR = gettext_lazy("请选择 %(first)s 年至 2100 年之间的评价年度")


# --- text from the figures --------------------------------------------------------------------------------------

def _num(value: Decimal | None) -> str:
    return score_text(value) if value is not None else "—"


def _weight(value: Decimal) -> str:
    return f"{value.normalize():f}"


def percent_text(rate: Decimal | None) -> str:
    return money_percent_text(rate, 1)


def _grade(e: Evaluation) -> str:
    return str(Evaluation.Grade(e.grade).label) if e.grade else "—"


def report_title(e: Evaluation) -> str:
    """XX项目绩效评价报告 (a name already ending in 项目 is not doubled)."""
    name = e.project.name.strip()
    return _("%(name)s绩效评价报告") % {"name": name} if name.endswith(str(_("项目"))) else _("%(name)s项目绩效评价报告") % {"name": name}


def project_location(code: str) -> str:
    prefixes = [code[:n].ljust(12, "0") for n in (6, 9, 12)]
    names = division_names(prefixes)
    parts = []
    for p in prefixes:
        if p in names and names[p] not in parts:
            parts.append(names[p])
    return "".join(parts) or code


def project_facts(e: Evaluation, money: BudgetFacts) -> list[tuple[str, str]]:
    p = e.project
    category = term_names("category").get(p.category, p.category)
    return [
        (_("项目编码"), p.code), (_("项目名称"), p.name), (_("项目地点"), project_location(p.division_code)),
        (_("项目类型"), str(Program(p.program).label) if p.program in Program.values else p.program), (pgettext("project", "项目类别"), category),
        (_("计划年度"), str(p.year or "—")), (_("计划投资（万元）"), wan_text(p.planned_investment)),
        (_("已下达资金（元）"), fen_text(money.allocated)), (_("已支付资金（元）"), fen_text(money.paid)),
        (_("资金支付率"), percent_text(money.rate)),
        (_("实际开工日期"), p.actual_start.isoformat() if p.actual_start else "—"),
        (_("实际完工日期"), p.actual_completion.isoformat() if p.actual_completion else "—"),
        (_("责任单位"), p.responsible_unit or "—"), (_("责任人"), p.responsible_person or "—"),
        (_("当前阶段"), str(Stage(p.stage).label)), (_("评价年度"), str(e.year)), (_("指标模板"), e.template.name),
    ]


def evaluation_text(e: Evaluation, money: BudgetFacts) -> str:
    """The body paragraph: money, the self and review totals, the grade, each first-level indicator and the largest loss."""
    p = e.project
    parts = [_("%(name)s位于%(place)s，计划投资%(planned)s万元；截至%(date)s，已下达资金%(allocated)s元，已支付%(paid)s元，资金支付率%(rate)s。") % {
        "name": p.name, "place": project_location(p.division_code), "planned": wan_text(p.planned_investment),
        "date": timezone.localdate().isoformat(), "allocated": fen_text(money.allocated), "paid": fen_text(money.paid),
        "rate": percent_text(money.rate)}]
    if e.state == Evaluation.State.DRAFT:
        parts.append(_("%(year)s年度绩效评价正在县级自评，尚未提交。") % {"year": e.year})
    elif e.state == Evaluation.State.SUBMITTED:
        parts.append(_("%(year)s年度绩效评价县级自评得分%(self)s分，尚待市级复核。") % {"year": e.year, "self": _num(e.self_total)})
    else:
        parts.append(_("%(year)s年度绩效评价县级自评得分%(self)s分，市级复核得分%(review)s分，评价等级为“%(grade)s”。") % {
            "year": e.year, "self": _num(e.self_total), "review": _num(e.review_total), "grade": _grade(e)})
    reviewed = e.state == Evaluation.State.REVIEWED
    groups = group_totals(e)
    pieces = []
    for g in groups:
        score = g.review_score if reviewed else g.self_score
        if score is not None:
            pieces.append(_("%(name)s得分%(score)s分（满分%(weight)s分，得分率%(rate)s）") % {
                "name": g.name, "score": score_text(score), "weight": _weight(g.weight), "rate": percent_text(score / g.weight)})
    if pieces:
        parts.append(_("分项看，%(list)s。") % {"list": join_list(pieces)})
    scores = e.review_scores if reviewed else e.self_scores
    losses = [(r.weight - (r.review_score if reviewed else r.self_score), r.name) for r in evaluation_rows(e)
              if (r.review_score if reviewed else r.self_score) is not None]
    worst = max(losses, default=None, key=lambda x: x[0])
    if scores and worst and worst[0] > 0:
        parts.append(_("失分最多的指标是“%(name)s”，扣%(loss)s分。") % {"name": worst[1], "loss": score_text(worst[0])})
    elif scores and worst:
        parts.append(_("各项指标均得满分。"))
    return join_sentences(parts)


# --- Word helpers -----------------------------------------------------------------------------------------------

def _document():
    import docx
    from docx.shared import Cm, Pt

    from anju.registry.reports_verification import FONT_BODY, FONT_LATIN, _add_font_fallbacks

    document = docx.Document()
    _add_font_fallbacks(document)
    normal = document.styles["Normal"]
    normal.font.name, normal.font.size = FONT_LATIN, Pt(16)
    normal.element.get_or_add_rPr().get_or_add_rFonts().set("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}eastAsia", FONT_BODY)
    section = document.sections[0]
    section.top_margin, section.bottom_margin, section.left_margin, section.right_margin = Cm(3.7), Cm(3.5), Cm(2.8), Cm(2.6)
    return document


def _table(document, headers: list[str], rows: list[list[str]], *, bold_last: bool = False, size: float = 10.5):
    from anju.registry.reports_verification import FONT_BODY, FONT_HEADING, _set_font

    grid = document.add_table(rows=1, cols=len(headers))
    grid.style = "Table Grid"
    for cell, text in zip(grid.rows[0].cells, headers, strict=True):
        cell.text = ""
        _set_font(cell.paragraphs[0].add_run(str(text)), FONT_HEADING, size)
    for n, values in enumerate(rows, start=1):
        font = FONT_HEADING if bold_last and n == len(rows) else FONT_BODY
        for cell, value in zip(grid.add_row().cells, values, strict=True):
            cell.text = ""
            _set_font(cell.paragraphs[0].add_run(str(value)), font, size)
    return grid


def _signoff(document, unit: str) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    from anju.registry.reports_verification import _para

    _para(document, "")
    _para(document, unit, align=WD_ALIGN_PARAGRAPH.RIGHT, indent=False)
    today = timezone.localdate()
    _para(document, _("%(y)s年%(m)s月%(d)s日") % {"y": today.year, "m": today.month, "d": today.day}, align=WD_ALIGN_PARAGRAPH.RIGHT, indent=False)


def _bytes(document) -> bytes:
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


# --- one project ------------------------------------------------------------------------------------------------

def evaluation_docx(e: Evaluation) -> bytes:
    """The project's report: title, facts, the indicator table (weights, self and review scores) with totals, grade,
    comments and the generated paragraph."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    from anju.registry.reports_verification import FONT_HEADING, FONT_TITLE, _para

    money = budget_facts(e)
    document = _document()
    _para(document, report_title(e), font=FONT_TITLE, size=22, align=WD_ALIGN_PARAGRAPH.CENTER, indent=False)
    _para(document, _("一、项目基本情况"), font=FONT_HEADING)
    _table(document, [_("项目"), _("内容")], [[k, v] for k, v in project_facts(e, money)], size=12)
    _para(document, _("二、评价结论"), font=FONT_HEADING)
    _para(document, evaluation_text(e, money))
    _para(document, _("三、指标评分"), font=FONT_HEADING)
    rows = evaluation_rows(e)
    body = [[r.group_name, _weight(r.group_weight), r.name, _weight(r.weight), r.guide, _num(r.self_score), _num(r.review_score)]
            for r in rows]
    body.append([_("合计"), "100", "", "", "", _num(e.self_total), _num(e.review_total)])
    grid = _table(document, [_("一级指标"), _("分值"), _("二级指标"), _("分值"), _("评分标准"), _("自评得分"), _("复核得分")], body,
                  bold_last=True)
    for index, r in enumerate(rows, start=1):  # one cell for each first-level indicator over its sub-indicators
        if r.group_span > 1:
            for col in (0, 1):
                merged = grid.cell(index, col).merge(grid.cell(index + r.group_span - 1, col))
                for extra in merged.paragraphs[1:]:  # merging appends the lower cells' (repeated) texts: keep the top one
                    extra._element.getparent().remove(extra._element)
    _para(document, _("评价等级：%(grade)s（复核总分 ≥ 90 分为优，≥ 80 分为良，≥ 60 分为中，60 分以下为差）") % {"grade": _grade(e)}, indent=False)
    _para(document, _("四、自评说明"), font=FONT_HEADING)
    _para(document, e.self_comment or _("（无）"))
    _para(document, _("五、复核意见"), font=FONT_HEADING)
    if e.state == Evaluation.State.REVIEWED:
        _para(document, e.review_comment or _("（无）"))
    else:
        _para(document, _("尚未复核。"))
    _signoff(document, project_location(e.division_code[:6].ljust(12, "0")))
    return _bytes(document)


def evaluation_report_export(*, actor, evaluation: Evaluation) -> tuple[bytes, str, str]:
    """(content, file name, content type) of an evaluation's report; the download is audited."""
    require_perm(actor, Perm.PROJECT_VIEW)
    data = evaluation_docx(evaluation)
    with transaction.atomic():
        audit_record(actor=actor, action="projects.evaluation.report_downloaded", object_type="evaluation", object_id=evaluation.pk,
                     division_code=evaluation.division_code, after={"project": evaluation.project.code, "year": evaluation.year,
                                                                    "state": evaluation.state, "bytes": len(data)})
    return data, f"{report_title(evaluation)}.docx", DOCX


# --- a county or the city ---------------------------------------------------------------------------------------

def summary_scope(actor, scope: str = "") -> Division:
    """The county or city a summary covers: known and in the actor's view scope (else NotFound); default the view scope."""
    prefix = (scope or actor.view_prefix or "").strip()
    if not (prefix.isascii() and prefix.isdigit()) or len(prefix) not in (4, 6):
        raise ValidationFailed(MSG_REPORT_SCOPE, code="scope_invalid", detail={"field": "scope"})
    division = Division.objects.filter(code=prefix.ljust(12, "0"), level__in=(Level.CITY, Level.COUNTY)).first()
    if division is None or not division.code.startswith(actor.view_prefix):
        raise NotFound()
    return division


def summary_title(division: Division, year: int) -> str:
    return _("%(scope)s%(year)s年度扶持项目绩效评价情况汇总报告") % {"scope": division.name, "year": year}


def summary_text(division: Division, year: int, counties: list[CountySummary], total: CountySummary) -> str:
    parts = [_("%(year)s年度，%(scope)s共开展扶持项目绩效评价%(n)s个，其中县级已提交自评%(submitted)s个，市级已复核%(reviewed)s个。") % {
        "year": year, "scope": division.name, "n": total.evaluations, "submitted": total.submitted, "reviewed": total.reviewed}]
    if total.reviewed:
        g = total.grades
        parts.append(_("已复核项目平均得分%(avg)s分，评价等级为优%(a)s个、良%(b)s个、中%(c)s个、差%(d)s个。") % {
            "avg": _num(total.average), "a": g[Evaluation.Grade.EXCELLENT], "b": g[Evaluation.Grade.GOOD],
            "c": g[Evaluation.Grade.FAIR], "d": g[Evaluation.Grade.POOR]})
        ranked = [c for c in counties if c.average is not None]
        if division.level == Level.CITY and len(ranked) > 1:
            best = max(ranked, key=lambda c: (c.average, c.code))
            worst = min(ranked, key=lambda c: (c.average, c.code))
            parts.append(_("分县看，平均得分最高的是%(best)s（%(b)s分），最低的是%(worst)s（%(w)s分）。") % {
                "best": best.name, "b": _num(best.average), "worst": worst.name, "w": _num(worst.average)})
        if g[Evaluation.Grade.POOR]:
            parts.append(_("评价为“差”的项目应限期整改，并在下一年度资金安排中予以考虑。"))
    else:
        parts.append(_("尚无经市级复核的项目。"))
    return join_sentences(parts)


def _summary_data(actor, division: Division, year: int):
    if isinstance(year, bool) or not isinstance(year, int) or not FIRST_YEAR <= year <= 2100:
        raise ValidationFailed(MSG_REPORT_YEAR % {"first": FIRST_YEAR}, code="year_invalid", detail={"field": "year"})
    evaluations = evaluation_annotate(list(evaluation_list(actor=actor, year=year, division=division.prefix)))
    counties, total = evaluation_county_summary(actor=actor, year=year, division=division.prefix)
    return evaluations, counties, total


def county_rows(counties: list[CountySummary], total: CountySummary) -> list[list[str]]:
    rows = []
    for c in [*counties, total]:
        g = c.grades
        rows.append([c.name, str(c.evaluations), str(c.reviewed), _num(c.self_average), _num(c.average),
                     str(g[Evaluation.Grade.EXCELLENT]), str(g[Evaluation.Grade.GOOD]), str(g[Evaluation.Grade.FAIR]),
                     str(g[Evaluation.Grade.POOR])])
    return rows


COUNTY_HEADERS = [gettext_lazy("县（市、区）"), gettext_lazy("评价项目数"), gettext_lazy("已复核"), gettext_lazy("平均自评得分"),
                  gettext_lazy("平均复核得分"), gettext_lazy("优"), gettext_lazy("良"), gettext_lazy("中"), gettext_lazy("差")]


def summary_docx(*, actor, division: Division, year: int) -> bytes:
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    from anju.registry.reports_verification import FONT_HEADING, FONT_TITLE, _para

    evaluations, counties, total = _summary_data(actor, division, year)
    document = _document()
    _para(document, summary_title(division, year), font=FONT_TITLE, size=22, align=WD_ALIGN_PARAGRAPH.CENTER, indent=False)
    _para(document, _("一、总体情况"), font=FONT_HEADING)
    _para(document, summary_text(division, year, counties, total))
    _para(document, _("二、项目评价结果"), font=FONT_HEADING)
    rows = [[str(n), e.county_name, e.project.code, e.project.name, _num(e.self_total if e.state != Evaluation.State.DRAFT else None),
             _num(e.review_total), _grade(e)] for n, e in enumerate(evaluations, start=1)]
    _table(document, [_("序号"), _("县（市、区）"), _("项目编码"), _("项目名称"), _("自评得分"), _("复核得分"), _("等级")], rows)
    _para(document, _("（自评得分为已提交的自评；复核得分与等级为市级复核结果）"), size=12, indent=False)
    _para(document, _("三、分县（市、区）情况") if division.level == Level.CITY else _("三、得分情况"), font=FONT_HEADING)
    _table(document, [str(h) for h in COUNTY_HEADERS], county_rows(counties, total), bold_last=True)
    _para(document, _("平均得分只计已提交（自评）或已复核（复核）的项目，保留两位小数。"), size=12, indent=False)
    _signoff(document, division.name)
    return _bytes(document)


def summary_report_export(*, actor, year: int, scope: str = "") -> tuple[bytes, str, str]:
    """(content, file name, content type) of the summary report of a county or the city; the download is audited."""
    require_perm(actor, Perm.PROJECT_VIEW)
    division = summary_scope(actor, scope)
    data = summary_docx(actor=actor, division=division, year=year)
    with transaction.atomic():
        audit_record(actor=actor, action="projects.evaluation.summary_downloaded", object_type="evaluation_summary",
                     object_id=f"{division.prefix}-{year}", division_code=division.code,
                     after={"scope": division.prefix, "year": year, "bytes": len(data)})
    return data, f"{summary_title(division, year)}.docx", DOCX


__all__ = ["CENT", "DOCX", "evaluation_docx", "evaluation_report_export", "report_title", "summary_docx", "summary_report_export",
           "summary_scope", "summary_title"]

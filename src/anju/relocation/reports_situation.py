"""The 易地扶贫搬迁后续扶持工作情况报告 (Word) of the city or a county as of a day: red header and 文号, a body written from
the figures (sites and occupancy, relocation progress, employment, incomes, 低保, monitoring with its categories and risk
types, issues), tables by area and by site, and chart images; Chinese office fonts as East Asian fonts. Audited."""

from __future__ import annotations

import datetime as dt
import io

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from anju.accounts.roles import Perm
from anju.core.access import code_prefix_q, require_perm
from anju.core.audit import audit_record
from anju.core.exceptions import ValidationFailed, join_list
from anju.relocation import charts
from anju.relocation import selectors_dashboards as sd
from anju.relocation.models import Employment, MonitoringCase, Relocation, Site, Step

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
DOC_NUMBER_MAX = 60
LOW_SITES_LIMIT = 10
MSG_DOC_NUMBER = gettext_lazy("文号最多 60 个字符，且不能包含控制字符")
STEP_DATES = [(Step.AGREEMENT, "agreement_on"), (Step.ALLOCATED, "allocated_on"), (Step.MOVED_IN, "moved_in_on"),
              (Step.DEMOLISHED, "demolished_on")]


def _day(day: dt.date) -> str:
    return _("%(y)s年%(m)s月%(d)s日") % {"y": day.year, "m": day.month, "d": day.day}


def pct(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.2f}%"


def yuan(fen: int | None) -> str:
    return "—" if fen is None else f"{fen / 100:,.0f}"


def area_name(d: sd.Dashboard) -> str:
    return _("全市") if d.is_city else d.scope_name


def report_title(d: sd.Dashboard) -> str:
    return _("关于%(area)s易地扶贫搬迁后续扶持工作情况的报告") % {"area": area_name(d)}


def report_issuer(d: sd.Dashboard) -> str:
    return _("%(scope)s易地扶贫搬迁后续扶持工作领导小组办公室") % {"scope": d.scope_name}


def report_filename(d: sd.Dashboard) -> str:
    return _("易地扶贫搬迁后续扶持情况报告-%(scope)s-%(date)s.docx") % {"scope": d.scope_name, "date": d.as_of.isoformat()}


def report_check(*, actor, as_of: dt.date, scope: str | None = "", doc_number: str = "") -> dict:
    require_perm(actor, Perm.RELOCATION_VIEW)
    sd._check_day(as_of)
    doc_number = (doc_number or "").strip()
    if len(doc_number) > DOC_NUMBER_MAX or any(ord(ch) < 32 for ch in doc_number):
        raise ValidationFailed(MSG_DOC_NUMBER, code="doc_number_invalid", detail={"field": "doc_number"})
    prefix, _name = sd.dashboard_scope(actor, scope)
    return {"as_of": as_of.isoformat(), "scope": prefix, "doc_number": doc_number}


# --- figures the text needs beyond the dashboard ---------------------------------------------------------------------

def site_summary(d: sd.Dashboard) -> dict:
    sites = [s for s in d.sites if s.id is not None]
    urban = sum(1 for s in sites if s.area_type == str(Site.AreaType.URBAN.label))
    concentrated = sum(1 for s in sites if s.placement == str(Site.Placement.CONCENTRATED.label))
    capacity = sum(s.capacity for s in sites)
    placed = sum(s.m["persons"] for s in sites)
    return {"sites": len(sites), "urban": urban, "rural": len(sites) - urban, "concentrated": concentrated, "capacity": capacity,
            "planned": sum(s.planned_units for s in sites), "built": sum(s.built_units for s in sites), "placed": placed,
            "occupancy": placed / capacity if capacity else None,
            "facilities": sum(len(s.facilities_in_use) for s in sites)}


def relocation_progress(prefix: str, as_of: dt.date) -> dict:
    """Households whose relocation reached each step by the day (the step's date on or before it)."""
    qs = Relocation.objects.filter(code_prefix_q("division_code", prefix), confirmed_on__isnull=False, confirmed_on__lte=as_of)
    agg = qs.aggregate(confirmed=Count("id"), **{step: Count("id", filter=Q(**{f"{column}__lte": as_of})) for step, column in STEP_DATES})
    return {k: v or 0 for k, v in agg.items()}


# --- the text --------------------------------------------------------------------------------------------------------

def body_paragraphs(d: sd.Dashboard, progress: dict | None = None) -> list[tuple[str, str]]:
    """(kind, text): "h" a heading, "p" a paragraph."""
    t, area, s = d.total, area_name(d), site_summary(d)
    progress = progress if progress is not None else relocation_progress(d.scope, d.as_of)
    out: list[tuple[str, str]] = [("h", _("一、安置点建设和搬迁入住情况"))]
    out.append(("p", _("截至%(date)s，%(area)s共有安置点%(n)s个，其中集中安置点%(c)s个；城镇安置点%(u)s个、农村安置点%(r)s个，"
                       "设计安置%(cap)s人，规划安置住房%(planned)s套、已建成%(built)s套，已投用配套设施%(f)s处。") % {
        "date": _day(d.as_of), "area": area, "n": s["sites"], "c": s["concentrated"], "u": s["urban"], "r": s["rural"], "cap": s["capacity"],
        "planned": s["planned"], "built": s["built"], "f": s["facilities"]}))
    out.append(("p", _("在册搬迁群众%(h)s户%(p)s人，其中在安置点安置%(placed)s人，安置点入住率%(occ)s。已确认搬迁%(confirmed)s户，签订搬迁协议%(agreement)s户，"
                       "分配安置住房%(allocated)s户，搬迁入住%(moved)s户，旧房拆除（复垦）%(demolished)s户。") % {
        "h": t["households"], "p": t["persons"], "placed": s["placed"], "occ": pct(s["occupancy"]), "confirmed": progress["confirmed"],
        "agreement": progress[Step.AGREEMENT], "allocated": progress[Step.ALLOCATED], "moved": progress[Step.MOVED_IN],
        "demolished": progress[Step.DEMOLISHED]}))
    out.append(("h", _("二、就业帮扶情况")))
    kinds = dict(Employment.Kind.choices)
    by_kind = join_list(_("%(kind)s%(n)s人") % {"kind": kinds.get(k, k), "n": n} for k, n in t["employed_by_kind"].items() if n)
    text = _("有劳动力的搬迁户%(lh)s户，其中至少1人就业的%(le)s户，至少1人就业率%(rate)s；搬迁劳动力就业%(ep)s人") % {
        "lh": t["labour_households"], "le": t["labour_households_employed"], "rate": pct(t["employment_rate"]), "ep": t["employed_persons"]}
    text += (_("，其中%(kinds)s。") % {"kinds": by_kind}) if by_kind else _("。")
    rated = sorted((r for r in d.rows if r["employment_rate"] is not None and r["households"]), key=lambda r: (r["employment_rate"], r["code"]))
    if len(rated) >= 2:
        text += _("分%(level)s看，至少1人就业率最高的是%(best)s（%(best_rate)s），最低的是%(worst)s（%(worst_rate)s）。") % {
            "level": d.child_label, "best": rated[-1]["name"], "best_rate": pct(rated[-1]["employment_rate"]), "worst": rated[0]["name"],
            "worst_rate": pct(rated[0]["employment_rate"])}
    out.append(("p", text))
    out.append(("h", _("三、收入和兜底保障情况")))
    line = d.income_line_yuan
    text = _("%(year)s年有收入调查的搬迁户%(n)s户，人均纯收入%(inc)s元") % {"year": t["income_year"], "n": t["income_households"],
                                                               "inc": yuan(t["per_capita_income_fen"])}
    if line is not None and t["per_capita_income_fen"] is not None:
        text += _("，为防返贫监测收入线（%(line)s元）的%(times)s倍") % {"line": f"{line:,}", "times": f"{t['per_capita_income_fen'] / 100 / line:.2f}"}
    below = [r["name"] for r in d.rows if line is not None and r["per_capita_income_fen"] is not None and r["per_capita_income_fen"] < line * 100]
    text += _("。") + (_("%(names)s人均纯收入低于监测收入线。") % {"names": join_list(below)} if below else "")
    text += _("纳入低保或特困供养的搬迁户%(w)s户，占搬迁户的%(cov)s。") % {"w": t["welfare_households"], "cov": pct(t["welfare_coverage"])}
    out.append(("p", text))
    out.append(("h", _("四、防返贫动态监测情况")))
    cats = dict(MonitoringCase.Category.choices)
    by_cat = join_list(_("%(cat)s%(n)s户") % {"cat": cats[c], "n": t["monitored_by_category"].get(c, 0)} for c in MonitoringCase.Category.values)
    colours = dict(MonitoringCase.Colour.choices)
    by_colour = join_list(_("%(c)s%(n)s户") % {"c": colours[c], "n": n} for c, n in d.colours.items())
    text = _("纳入防返贫监测的搬迁户%(m)s户，其中%(cats)s；按风险等级，%(colours)s。") % {"m": t["monitored_households"], "cats": by_cat,
                                                                        "colours": by_colour}
    if d.risks:
        text += _("主要风险类型为%(risks)s。") % {"risks": join_list(_("%(r)s（%(n)s户）") % {"r": name, "n": n} for name, n in d.risks[:5])}
    out.append(("p", text))
    out.append(("h", _("五、存在的问题")))
    problems = issue_sentences(d)
    for i, sentence in enumerate(problems or [_("未发现突出问题。")], start=1):
        out.append(("p", (f"{i}. " if problems else "") + sentence))
    out.append(("h", _("六、下一步工作")))
    out.append(("p", _("坚持“搬得出、稳得住、能致富”的目标，对有劳动力但无人就业的搬迁户逐户制定就业帮扶措施，落实公益性岗位、扶贫车间和劳务输出等渠道，"
                      "确保有劳动力的搬迁家庭至少1人稳定就业；对防返贫监测对象落实“一户一策”帮扶，及时核实处置风险预警线索，"
                      "按期完成抽查发现问题的整改，巩固拓展易地搬迁脱贫成果。")))
    return out


def issue_sentences(d: sd.Dashboard) -> list[str]:
    i = d.issues
    out = []
    if i.low_rate_sites:
        names = join_list(_("%(name)s（%(rate)s）") % {"name": s.name, "rate": pct(s.m["employment_rate"])} for s in i.low_rate_sites[:LOW_SITES_LIMIT])
        more = _("等%(n)s个安置点") % {"n": len(i.low_rate_sites)} if len(i.low_rate_sites) > LOW_SITES_LIMIT else ""
        out.append(_("部分安置点就业率偏低：%(names)s%(more)s至少1人就业率低于%(limit)s。") % {"names": names, "more": more, "limit": pct(sd.LOW_RATE)})
    if i.idle_total:
        where = join_list(_("%(name)s%(n)s户") % {"name": name, "n": n} for name, n in i.idle_households[:LOW_SITES_LIMIT])
        out.append(_("有劳动力但无人就业的搬迁户%(n)s户（%(where)s）。") % {"n": i.idle_total, "where": where})
    if i.open_signals:
        out.append(_("待核实的风险预警线索%(n)s条（%(kinds)s）。") % {
            "n": sum(i.open_signals.values()), "kinds": join_list(_("%(k)s%(n)s条") % {"k": k, "n": n} for k, n in i.open_signals.items())})
    if i.overdue_follow_ups:
        out.append(_("抽查发现问题逾期未整改%(n)s户。") % {"n": i.overdue_follow_ups})
    return out


# --- tables and charts -------------------------------------------------------------------------------------------------

def area_headers(d: sd.Dashboard) -> list[str]:
    return [d.child_label, _("搬迁户数"), _("搬迁人数"), _("有劳动力户"), _("至少1人就业户"), _("就业率"), _("人均纯收入（元）"), _("低保覆盖率"),
            _("监测户数")]


def area_cells(r: dict) -> list[str]:
    return [r["name"], str(r["households"]), str(r["persons"]), str(r["labour_households"]), str(r["labour_households_employed"]),
            pct(r["employment_rate"]), yuan(r["per_capita_income_fen"]), pct(r["welfare_coverage"]), str(r["monitored_households"])]


def site_headers() -> list[str]:
    return [_("安置点"), _("所在县"), _("设计人数"), _("安置户数"), _("安置人数"), _("入住率"), _("有劳动力户"), _("就业率"), _("监测户数")]


def site_cells(s: sd.SiteRow) -> list[str]:
    m = s.m
    return [s.name, s.county, str(s.capacity), str(m["households"]), str(m["persons"]), pct(s.occupancy), str(m["labour_households"]),
            pct(m["employment_rate"]), str(m["monitored_households"])]


def chart_series(d: sd.Dashboard) -> dict:
    rows = [r for r in d.rows if r["households"]] or d.rows
    names = [r["name"] for r in rows]
    cats = dict(MonitoringCase.Category.choices)
    return {"names": names, "rates": [r["employment_rate"] for r in rows], "incomes": [r["per_capita_income_fen"] for r in rows],
            "categories": {c: [r["monitored_by_category"].get(c, 0) for r in rows] for c in MonitoringCase.Category.values},
            "category_labels": {c: str(v) for c, v in cats.items()}}


def chart_images(d: sd.Dashboard, fmt: str = "png") -> list[tuple[str, object]]:
    c = chart_series(d)
    label = d.child_label
    return [
        (_("图1 各%(l)s有劳动力搬迁户至少1人就业率") % {"l": label}, charts.employment_chart(c["names"], c["rates"], fmt=fmt)),
        (_("图2 各%(l)s搬迁户人均纯收入与监测收入线") % {"l": label},
         charts.income_chart(c["names"], c["incomes"], line_yuan=d.income_line_yuan, fmt=fmt)),
        (_("图3 各%(l)s防返贫监测户（按类别）") % {"l": label}, charts.monitored_chart(c["names"], c["categories"], c["category_labels"], fmt=fmt)),
    ]


# --- docx --------------------------------------------------------------------------------------------------------------

def report_docx(d: sd.Dashboard, *, doc_number: str = "", progress=None) -> bytes:
    import docx
    from docx.enum.section import WD_ORIENT
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt, RGBColor

    from anju.projects.reports_bulletin import _red_rule
    from anju.registry.reports_verification import FONT_BODY, FONT_HEADING, FONT_LATIN, FONT_TITLE, _add_font_fallbacks, _para, _set_font

    step = progress or (lambda p, m="": None)
    document = docx.Document()
    _add_font_fallbacks(document)
    normal = document.styles["Normal"]
    normal.font.name, normal.font.size = FONT_LATIN, Pt(16)
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), FONT_BODY)
    section = document.sections[0]
    section.top_margin, section.bottom_margin, section.left_margin, section.right_margin = Cm(3.7), Cm(3.5), Cm(2.8), Cm(2.6)
    title, issuer = report_title(d), report_issuer(d)
    document.core_properties.title = title
    document.core_properties.author = issuer

    header = _para(document, issuer + _("文件"), font=FONT_TITLE, size=24, align=WD_ALIGN_PARAGRAPH.CENTER, indent=False)
    for run in header.runs:
        run.font.color.rgb = RGBColor(0xC0, 0x00, 0x00)
    number = _para(document, doc_number or _("〔%(y)s〕　号") % {"y": d.as_of.year}, size=16, align=WD_ALIGN_PARAGRAPH.CENTER, indent=False)
    _red_rule(number)
    _para(document, "", indent=False)
    _para(document, title, font=FONT_TITLE, size=22, align=WD_ALIGN_PARAGRAPH.CENTER, indent=False)
    _para(document, _("市人民政府：") if d.is_city else _("%(scope)s人民政府：") % {"scope": d.scope_name}, indent=False)
    _para(document, _("现将截至%(date)s%(area)s易地扶贫搬迁后续扶持工作情况报告如下：") % {"date": _day(d.as_of), "area": area_name(d)})
    for kind, text in body_paragraphs(d):
        _para(document, text, font=FONT_HEADING if kind == "h" else FONT_BODY)
    step(60, _("绘制图表"))
    for caption, png in chart_images(d, "png"):
        document.add_picture(io.BytesIO(png), width=Cm(15.5))
        document.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER
        _para(document, caption, font=FONT_HEADING, size=12, align=WD_ALIGN_PARAGRAPH.CENTER, indent=False)
    _para(document, "", indent=False)
    _para(document, issuer, align=WD_ALIGN_PARAGRAPH.RIGHT, indent=False)
    _para(document, _day(timezone.localdate()), align=WD_ALIGN_PARAGRAPH.RIGHT, indent=False)
    step(80, _("生成附表"))

    landscape = document.add_section()
    landscape.orientation = WD_ORIENT.LANDSCAPE
    landscape.page_width, landscape.page_height = section.page_height, section.page_width
    landscape.left_margin = landscape.right_margin = Cm(2)
    landscape.top_margin = landscape.bottom_margin = Cm(2)

    def grid(headers: list[str], rows: list[tuple[list[str], bool]]) -> None:
        width = len(headers)
        table = document.add_table(rows=len(rows) + 1, cols=width)
        table.style = "Table Grid"
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        cells = table._cells  # all at once: row.cells rebuilds the grid each time
        for col, text in enumerate(headers):
            _set_font(cells[col].paragraphs[0].add_run(text), FONT_HEADING, 10)
        for r, (values, bold) in enumerate(rows, start=1):
            for col, value in enumerate(values):
                _set_font(cells[r * width + col].paragraphs[0].add_run(value), FONT_HEADING if bold else FONT_BODY, 10)

    _para(document, _("附表1"), font=FONT_HEADING, size=14, indent=False)
    _para(document, _("%(area)s易地扶贫搬迁后续扶持情况（分%(l)s）") % {"area": area_name(d), "l": d.child_label}, font=FONT_HEADING, size=14,
          align=WD_ALIGN_PARAGRAPH.CENTER, indent=False)
    grid(area_headers(d), [(area_cells(r), False) for r in d.rows] + [(area_cells({**d.total, "name": _("合计")}), True)])
    _para(document, _("注：人均纯收入为%(y)s年；就业率为有劳动力户中至少1人就业的比例。") % {"y": d.total["income_year"]}, size=10, indent=False)
    _para(document, _("附表2"), font=FONT_HEADING, size=14, indent=False)
    _para(document, _("安置点情况"), font=FONT_HEADING, size=14, align=WD_ALIGN_PARAGRAPH.CENTER, indent=False)
    sites = [s for s in d.sites if s.id is not None]
    if sites:
        grid(site_headers(), [(site_cells(s), False) for s in sites])
    else:
        _para(document, _("无"), size=12, indent=False)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def report_render(*, actor, as_of: dt.date, scope: str | None = "", doc_number: str = "", progress=None) -> tuple[bytes, str]:
    """(docx bytes, file name); audited as relocation.report.generated."""
    params = report_check(actor=actor, as_of=as_of, scope=scope, doc_number=doc_number)
    step = progress or (lambda p, m="": None)
    d = sd.dashboard_data(actor=actor, as_of=as_of, scope=params["scope"])
    step(40, _("撰写报告"))
    data = report_docx(d, doc_number=params["doc_number"], progress=step)
    name = report_filename(d)
    with transaction.atomic():
        audit_record(actor=actor, action="relocation.report.generated", object_type="relocation_report", object_id=f"{d.scope}-{as_of.isoformat()}",
                     division_code=d.scope.ljust(12, "0"), after={**params, "bytes": len(data), "households": d.total["households"]})
    return data, name


__all__ = ["report_check", "report_render", "report_docx", "body_paragraphs", "issue_sentences", "chart_images", "relocation_progress",
           "site_summary", "report_title", "report_filename", "DOCX", "MSG_DOC_NUMBER"]

"""Reads of the project register, scoped to the actor: the filtered list with money to date, one project's page (facts,
timeline, money, progress, warnings, inspections, archive), what the actor may do with it, and the vocabularies."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import BigIntegerField, OuterRef, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from anju.accounts.roles import ROLES, Perm
from anju.core.access import code_prefix_q, in_scope, require_perm
from anju.core.exceptions import NotFound
from anju.divisions.selectors import division_names
from anju.projects.models import (
    STAGE_ORDER,
    Allocation,
    Document,
    Inspection,
    Payment,
    Program,
    ProgressReport,
    Project,
    Rectification,
    Stage,
    StageChange,
    Term,
    Warning,
)
from anju.projects.money import fen_text, wan_text
from anju.projects.selectors import archive_missing, project_list, term_names
from anju.projects.services.stages import BACKWARD, next_stage, stage_problems


def project_search(*, actor, q: str = "", county: str = "", division: str = "", year: int | None = None, stage: str = "",
                   program: str = "", category: str = "") -> QuerySet[Project]:
    """The projects of the actor's view scope matching the filters (`county` and `division` are code prefixes)."""
    qs = project_list(actor=actor, q=q, division=division, year=year, stage=stage, program=program, category=category)
    if county:
        qs = qs.filter(code_prefix_q("division_code", county))
    return qs


def _sum(model, date_field: str, as_of: dt.date):
    rows = (model.objects.filter(project=OuterRef("pk"), **{f"{date_field}__lte": as_of}).order_by().values("project")
            .annotate(total=Sum("amount")).values("total")[:1])
    return Coalesce(Subquery(rows, output_field=BigIntegerField()), Value(0), output_field=BigIntegerField())


def with_money(qs: QuerySet[Project], as_of: dt.date | None = None) -> QuerySet[Project]:
    """Annotate allocated_fen and paid_fen to `as_of` (today) and the latest reported physical progress (progress_percent)."""
    as_of = as_of or dt.date.today()
    latest = ProgressReport.objects.filter(project=OuterRef("pk")).order_by("-month").values("physical_percent")[:1]
    return qs.annotate(allocated_fen=_sum(Allocation, "doc_date", as_of), paid_fen=_sum(Payment, "paid_on", as_of),
                       progress_percent=Subquery(latest))


def place_names(code: str, names: dict[str, str]) -> tuple[str, str, str]:
    """(county, township, village) names of a location code; a county-level project has no township or village."""
    county = names.get(code[:6].ljust(12, "0"), code[:6])
    township = names.get(code[:9].ljust(12, "0"), "") if code[6:9] != "000" else ""
    village = names.get(code, "") if code[9:] != "000" else ""
    return county, township, village


def decorate(projects) -> list[Project]:
    """Place names, category name and labels on a page of projects (names looked up once per page)."""
    projects = list(projects)
    names = division_names({p.division_code for p in projects})
    categories = term_names(Term.Kind.CATEGORY)
    for p in projects:
        p.county_name, p.township_name, p.village_name = place_names(p.division_code, names)
        p.place = "".join(filter(None, (p.county_name, p.township_name, p.village_name)))
        p.category_name = categories.get(p.category, p.category)
        p.investment_yuan = fen_text(p.planned_investment)
        p.investment_wan = wan_text(p.planned_investment, 2)
    return projects


def payment_rate(paid: int, allocated: int) -> Decimal | None:
    """资金支付率 = paid / allocated, to 4 places (None when nothing is allocated)."""
    if not allocated:
        return None
    return (Decimal(paid) / Decimal(allocated)).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)


def rate_text(rate: Decimal | None) -> str:
    return "—" if rate is None else f"{(rate * 100).quantize(Decimal('0.01'))}%"


def project_totals(project: Project, as_of: dt.date | None = None) -> dict:
    """Allocated and paid (fen) to `as_of` (today) and the payment rate."""
    as_of = as_of or dt.date.today()
    allocated = Allocation.objects.filter(project=project, doc_date__lte=as_of).aggregate(s=Sum("amount"))["s"] or 0
    paid = Payment.objects.filter(project=project, paid_on__lte=as_of).aggregate(s=Sum("amount"))["s"] or 0
    return {"allocated": allocated, "paid": paid, "rate": payment_rate(paid, allocated)}


def move_targets(project: Project) -> list[str]:
    """The stages a user may ask to move the project to: the next one, or back as an application return allows."""
    targets = [s for (here, s) in sorted(BACKWARD) if here == project.stage]
    following = next_stage(project.stage)
    return ([following] if following else []) + targets


def project_actions(actor, project: Project) -> dict[str, bool]:
    from anju.projects.services.projects import may_edit_core

    edit = actor.can(Perm.PROJECT_EDIT) and in_scope(actor, project.division_code, "entry")
    return {"edit": edit, "edit_core": edit and may_edit_core(actor, project), "stage": edit,
            "dates": edit and STAGE_ORDER[project.stage] >= STAGE_ORDER[Stage.APPROVED]}


def next_stage_problems(project: Project) -> tuple[str | None, list[str]]:
    following = next_stage(project.stage)
    return following, (stage_problems(project, following) if following else [])


def project_timeline(*, actor, project: Project) -> list[StageChange]:
    require_perm(actor, Perm.PROJECT_VIEW)
    if not in_scope(actor, project.division_code):
        raise NotFound()
    return list(StageChange.objects.filter(project=project).select_related("by").order_by("on", "id"))


def _month_end(month: dt.date) -> dt.date:
    return (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)


def _cumulative(rows: list, date_attr: str, until: dt.date) -> int:
    return sum(r.amount for r in rows if getattr(r, date_attr) <= until)


def project_money(project: Project) -> dict:
    """Allocations by fund source and year (with their 文号), payments, totals to date and the payment rate."""
    today = dt.date.today()
    sources = term_names(Term.Kind.FUND_SOURCE)
    allocations = list(Allocation.objects.filter(project=project).order_by("fund_source", "year", "doc_date", "id"))
    payments = list(Payment.objects.filter(project=project).order_by("paid_on", "id"))
    groups: dict[tuple[str, int], dict] = {}
    for a in allocations:
        a.source_name = sources.get(a.fund_source, a.fund_source)
        a.yuan = fen_text(a.amount)
        g = groups.setdefault((a.fund_source, a.year), {"source": a.fund_source, "source_name": a.source_name, "year": a.year, "rows": [],
                                                        "fen": 0})
        g["rows"].append(a)
        g["fen"] += a.amount
    for g in groups.values():
        g["yuan"] = fen_text(g["fen"])
    by_source: dict[str, dict] = defaultdict(lambda: {"allocated": 0, "paid": 0})
    for a in allocations:
        if a.doc_date <= today:
            by_source[a.fund_source]["allocated"] += a.amount
    for p in payments:
        p.source_name = sources.get(p.fund_source, p.fund_source)
        p.yuan = fen_text(p.amount)
        if p.paid_on <= today:
            by_source[p.fund_source]["paid"] += p.amount
    source_rows = [{"source": code, "source_name": sources.get(code, code), "allocated_yuan": fen_text(v["allocated"]),
                    "paid_yuan": fen_text(v["paid"]), "rate": rate_text(payment_rate(v["paid"], v["allocated"]))}
                   for code, v in sorted(by_source.items())]
    allocated = sum(v["allocated"] for v in by_source.values())
    paid = sum(v["paid"] for v in by_source.values())
    rate = payment_rate(paid, allocated)
    return {"allocations": allocations, "groups": list(groups.values()), "payments": payments, "by_source": source_rows,
            "allocated": allocated, "paid": paid, "allocated_yuan": fen_text(allocated), "paid_yuan": fen_text(paid),
            "allocated_wan": wan_text(allocated, 2), "paid_wan": wan_text(paid, 2), "rate": rate, "rate_text": rate_text(rate)}


def project_progress(project: Project, allocations: list, payments: list) -> list[dict]:
    """The monthly reports, each with the cumulative payment and its share of the allocation at the month's end."""
    rows = []
    for r in ProgressReport.objects.filter(project=project).order_by("month"):
        end = _month_end(r.month)
        paid, allocated = _cumulative(payments, "paid_on", end), _cumulative(allocations, "doc_date", end)
        share = payment_rate(paid, allocated)
        rows.append({"month": r.month, "percent": r.physical_percent, "investment_completed_yuan": fen_text(r.investment_completed),
                     "paid_yuan": fen_text(paid), "paid_share": share, "paid_share_text": rate_text(share), "problems": r.problems,
                     "reported_at": r.reported_at})
    return rows


def progress_chart(rows: list[dict]) -> str:
    from anju.projects.charts import progress_chart_svg

    return progress_chart_svg([r["month"] for r in rows], [float(r["percent"]) for r in rows],
                              [None if r["paid_share"] is None else float(r["paid_share"]) for r in rows])


def project_page_data(actor, project: Project) -> dict:
    """Everything the project page shows, read in scope: facts, timeline, money, monthly progress with its chart, open warnings,
    inspections and open rectifications, the archive and what it lacks."""
    require_perm(actor, Perm.PROJECT_VIEW)
    if not in_scope(actor, project.division_code):
        raise NotFound()
    today = dt.date.today()
    decorate([project])
    project.program_label = Program(project.program).label if project.program in Program.values else project.program
    money = project_money(project)
    progress = project_progress(project, money["allocations"], money["payments"])
    following, problems = next_stage_problems(project)
    kinds = term_names(Term.Kind.INSPECTION_KIND)
    inspections = list(Inspection.objects.filter(project=project).prefetch_related("findings").order_by("-on", "-id"))
    for i in inspections:
        i.kind_name = kinds.get(i.kind, i.kind)
        i.open_findings = sum(1 for f in i.findings.all() if f.state == Rectification.State.OPEN)
    rectifications = list(Rectification.objects.filter(project=project, state=Rectification.State.OPEN).order_by("deadline", "id"))
    for r in rectifications:
        r.overdue_days = max((today - r.deadline).days, 0)
    documents = list(Document.objects.filter(project=project).select_related("doc_type").order_by("doc_type__sort", "id"))
    missing_now = archive_missing(project, up_to_stage=project.stage)
    missing_all = archive_missing(project)
    present_types = {d.doc_type_id for d in documents if d.doc_type_id}
    timeline = project_timeline(actor=actor, project=project)
    history = [{"on": c.on, "label": (f"{Stage(c.from_stage).label} → " if c.from_stage else "") + str(Stage(c.to_stage).label),
                "note": c.note, "by": c.by.username if c.by_id else ""} for c in timeline]
    created = {"on": project.created_at.date(), "label": str(_("登记入库")), "note": "",
               "by": project.created_by.username if project.created_by_id else ""}
    history.insert(next((i for i, h in enumerate(history) if h["on"] > created["on"]), len(history)), created)
    return {
        "project": project,
        "timeline": timeline,
        "history": history,
        "money": money,
        "progress": progress,
        "chart": progress_chart(progress) if progress else "",
        "warnings": list(Warning.objects.filter(project=project, cleared_at__isnull=True).select_related("rule", "assignee")
                         .order_by("-raised_at", "id")),
        "inspections": inspections,
        "rectifications": rectifications,
        "documents": documents,
        "archive_missing": missing_now,
        "archive_missing_all": missing_all,
        "archive_present": len(present_types),
        "next_stage": following,
        "next_stage_label": Stage(following).label if following else "",
        "stage_problems": problems,
        "actions": project_actions(actor, project),
    }


# --- vocabularies ------------------------------------------------------------------------------------------------

def term_list(*, actor, kind: str = "", active: bool | None = None, perm: str = Perm.PROJECT_VIEW) -> QuerySet[Term]:
    require_perm(actor, perm)
    qs = Term.objects.all()
    if kind:
        qs = qs.filter(kind=kind)
    if active is not None:
        qs = qs.filter(active=active)
    return qs.order_by("kind", "sort", "code")


def access_term(actor, term_id, *, perm: str = Perm.PROJECT_VIEW) -> Term:
    """One vocabulary term (shared by the whole installation: not scoped), or NotFound."""
    require_perm(actor, perm)
    try:
        pk = int(term_id)
    except (TypeError, ValueError):
        raise NotFound() from None
    term = Term.objects.filter(pk=pk).first()
    if term is None:
        raise NotFound()
    return term


def owner_choices(actor) -> list:
    """Active accounts under the actor's entry scope whose role may read projects: who may be a project's 责任人账号."""
    from anju.accounts.models import User

    roles = [code for code, role in ROLES.items() if Perm.PROJECT_VIEW in role.perms]
    return list(User.objects.filter(code_prefix_q("view_scope_id", actor.entry_prefix), is_active=True, role__in=roles)
                .order_by("view_scope_id", "username"))

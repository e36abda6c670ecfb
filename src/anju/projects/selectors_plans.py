"""Five-year plan reads, always scoped: the list, one plan, its target grid, its projects and the projects that may join
it, and the plan execution report (targets against what is achieved, by county and category)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from anju.accounts.roles import Perm
from anju.core.access import code_prefix_q, in_scope, require_perm, scope_filter
from anju.core.exceptions import NotFound
from anju.divisions.codes import prefix_of
from anju.divisions.selectors import division_names
from anju.projects.models import STAGE_ORDER, Allocation, Plan, PlanTarget, Project, Stage, Term
from anju.projects.selectors import term_names
from anju.projects.services.plans import plan_counties, plan_prefix

ACHIEVED_STAGES = [s for s in Stage.values if STAGE_ORDER[s] >= STAGE_ORDER[Stage.APPROVED]]


def _wider(prefix: str) -> list[str]:
    """The 12-digit codes of the divisions that cover a view prefix (its province, city, county, …)."""
    return [prefix[:n].ljust(12, "0") for n in (2, 4, 6, 9) if n < len(prefix)]


def plan_visible_q(actor) -> Q:
    """Plans inside the view scope (any state) and the published or closed plans of the divisions covering it: a county
    reads its city's plan, not the city's drafts."""
    prefix = actor.view_prefix
    if not prefix.isdigit():
        return Q(pk__in=[])
    return code_prefix_q("division_code", prefix) | Q(division_code__in=_wider(prefix), state__in=[Plan.State.PUBLISHED, Plan.State.CLOSED])


def plan_visible(actor, plan: Plan) -> bool:
    prefix = actor.view_prefix
    if not prefix.isdigit():
        return False
    return plan.division_code.startswith(prefix) or (plan.division_code in _wider(prefix) and plan.state != Plan.State.DRAFT)


def plan_list(*, actor, state: str = "", q: str = "") -> QuerySet[Plan]:
    require_perm(actor, Perm.PROJECT_VIEW)
    qs = Plan.objects.filter(plan_visible_q(actor)).select_related("created_by")
    if state:
        qs = qs.filter(state=state)
    if q:
        qs = qs.filter(name__contains=q)
    return qs.order_by("-start_year", "division_code", "id")


def access_plan(actor, plan_id, *, kind: str = "view") -> Plan:
    """One plan the actor may read, or (kind="entry") change; NotFound when unknown, malformed or out of that scope."""
    require_perm(actor, Perm.PROJECT_VIEW)
    try:
        pk = int(plan_id)
    except (TypeError, ValueError):
        raise NotFound() from None
    plan = Plan.objects.filter(pk=pk).select_related("created_by").first()
    if plan is None or not plan_visible(actor, plan):
        raise NotFound()
    if kind == "entry" and not in_scope(actor, plan.division_code, "entry"):
        raise NotFound()
    return plan


def plan_actions(actor, plan: Plan) -> dict[str, bool]:
    """The buttons a plan page offers; the services check again."""
    manage = actor.can(Perm.PROJECT_MANAGE) and in_scope(actor, plan.division_code, "entry")
    open_ = plan.state != Plan.State.CLOSED
    return {"edit": manage and open_, "targets": manage and open_, "assign": manage and open_,
            "publish": manage and plan.state == Plan.State.DRAFT, "close": manage and plan.state == Plan.State.PUBLISHED,
            "delete": manage and plan.state == Plan.State.DRAFT}


def plan_annotate(plans) -> list[Plan]:
    """Division names, target totals and project counts of a page of plans (one query each)."""
    plans = list(plans)
    names = division_names([p.division_code for p in plans])
    ids = [p.pk for p in plans]
    targets = {r["plan"]: r for r in PlanTarget.objects.filter(plan__in=ids).values("plan").annotate(n=Sum("projects"), money=Sum("investment"))}
    counts = dict(Project.objects.filter(plan__in=ids).values("plan").annotate(n=Count("id")).values_list("plan", "n"))
    for p in plans:
        p.division_name = names.get(p.division_code, p.division_code)
        p.target_projects = (targets.get(p.pk) or {}).get("n") or 0
        p.target_investment = (targets.get(p.pk) or {}).get("money") or 0
        p.project_count = counts.get(p.pk, 0)
    return plans


def plan_division_choices(actor) -> list[tuple[str, str]]:
    """The cities and counties of the actor's entry scope, for a plan's or guideline's division field."""
    from anju.divisions.models import Division, Level

    prefix = actor.entry_prefix
    if not prefix.isdigit():
        return []
    rows = Division.objects.filter(code_prefix_q("code", prefix), level__in=[Level.CITY, Level.COUNTY]).order_by("code")
    return [(d.prefix, f"{d.name}（{d.prefix}）") for d in rows]


# --- targets --------------------------------------------------------------------------------------------------

def _visible_county(actor, county_code: str) -> bool:
    prefix = actor.view_prefix
    return county_code.startswith(prefix) or prefix.startswith(prefix_of(county_code))


def plan_categories(plan: Plan) -> list[tuple[str, str]]:
    """The active categories, plus inactive ones the plan's targets or projects still name (in the city's order)."""
    used = set(plan.targets.values_list("category", flat=True)) | set(Project.objects.filter(plan=plan).values_list("category", flat=True))
    rows = Term.objects.filter(kind=Term.Kind.CATEGORY).filter(Q(active=True) | Q(code__in=used)).order_by("sort", "code")
    return [(t.code, t.name) for t in rows]


def plan_target_grid(actor, plan: Plan) -> dict:
    """The targets as a grid: counties (rows) × categories (columns), each cell {"projects", "investment"} (fen)."""
    counties = [d for d in plan_counties(plan) if _visible_county(actor, d.code)]
    categories = plan_categories(plan)
    cells = {(t.division_code, t.category): t for t in plan.targets.all()}
    rows = []
    for d in counties:
        row_cells = [{"category": code, "projects": cells[(d.code, code)].projects if (d.code, code) in cells else 0,
                      "investment": cells[(d.code, code)].investment if (d.code, code) in cells else 0} for code, _name in categories]
        rows.append({"county": d.code, "prefix": d.prefix, "name": d.name, "cells": row_cells,
                     "projects": sum(c["projects"] for c in row_cells), "investment": sum(c["investment"] for c in row_cells)})
    return {"counties": counties, "categories": categories, "rows": rows}


def plan_targets(actor, plan: Plan) -> list[PlanTarget]:
    """The plan's target rows the actor may read (all of them, or their county's)."""
    return [t for t in plan.targets.all().order_by("division_code", "category") if _visible_county(actor, t.division_code)]


# --- projects -------------------------------------------------------------------------------------------------

def plan_project_list(actor, plan: Plan) -> QuerySet[Project]:
    """The plan's projects in the actor's view scope."""
    return scope_filter(Project.objects.filter(plan=plan), actor).order_by("division_code", "year", "code")


def plan_candidates(actor, plan: Plan, *, q: str = "") -> QuerySet[Project]:
    """Projects the actor may put in the plan: in their entry scope and the plan's division, of a year within the plan,
    not already in it."""
    qs = scope_filter(Project.objects.all(), actor, kind="entry").filter(code_prefix_q("division_code", plan_prefix(plan)),
                                                                        year__gte=plan.start_year, year__lte=plan.end_year)
    qs = qs.exclude(plan=plan)
    if q:
        qs = qs.filter(Q(code__icontains=q) | Q(name__icontains=q))
    return qs.order_by("division_code", "year", "code")



# --- the execution report -------------------------------------------------------------------------------------

def ratio(done: int, target: int) -> Decimal | None:
    """done / target as a fraction with 4 places (None when there is no target)."""
    if not target:
        return None
    return (Decimal(done) / Decimal(target)).quantize(Decimal("0.0001"))


@dataclass
class ExecutionRow:
    county: str  # 12-digit code ("" on a total row)
    county_name: str
    category: str  # category code ("" on a county subtotal or the total)
    category_name: str
    target_projects: int = 0
    target_investment: int = 0
    projects: int = 0
    investment: int = 0

    @property
    def project_rate(self) -> Decimal | None:
        return ratio(self.projects, self.target_projects)

    @property
    def investment_rate(self) -> Decimal | None:
        return ratio(self.investment, self.target_investment)

    def add(self, other: ExecutionRow) -> None:
        self.target_projects += other.target_projects
        self.target_investment += other.target_investment
        self.projects += other.projects
        self.investment += other.investment

    def as_dict(self) -> dict:
        rate = self.project_rate
        money_rate = self.investment_rate
        return {"county": self.county, "county_name": self.county_name, "category": self.category, "category_name": self.category_name,
                "target_projects": self.target_projects, "target_investment": self.target_investment, "projects": self.projects,
                "investment": self.investment, "project_rate": None if rate is None else str(rate),
                "investment_rate": None if money_rate is None else str(money_rate)}


@dataclass
class CountyBlock:
    county: str
    county_name: str
    rows: list[ExecutionRow] = field(default_factory=list)
    total: ExecutionRow | None = None


@dataclass
class PlanExecution:
    plan: Plan
    as_of: dt.date
    counties: list[CountyBlock]
    by_category: list[ExecutionRow]
    total: ExecutionRow

    @property
    def rows(self) -> list[ExecutionRow]:
        return [r for block in self.counties for r in block.rows]


def plan_execution(*, actor, plan: Plan, as_of: dt.date | None = None) -> PlanExecution:
    """Targets against what is achieved, by county and category, in the actor's view scope.

    Achieved projects: the plan's projects at stage 立项/下达 or later. Achieved investment: the allocations (资金下达) of
    the plan's projects dated on or before `as_of` (today by default)."""
    require_perm(actor, Perm.PROJECT_VIEW)
    as_of = as_of or timezone.localdate()
    categories = dict(plan_categories(plan))
    names_of_terms = term_names(Term.Kind.CATEGORY)
    cells: dict[tuple[str, str], ExecutionRow] = {}

    def cell(county: str, category: str) -> ExecutionRow:
        key = (county, category)
        if key not in cells:
            cells[key] = ExecutionRow(county=county, county_name="", category=category,
                                      category_name=categories.get(category) or names_of_terms.get(category, category))
        return cells[key]

    for t in plan_targets(actor, plan):
        row = cell(t.division_code, t.category)
        row.target_projects += t.projects
        row.target_investment += t.investment
    projects = scope_filter(Project.objects.filter(plan=plan, stage__in=ACHIEVED_STAGES), actor)
    for r in projects.values("division_code", "category").annotate(n=Count("id")):
        cell(r["division_code"][:6].ljust(12, "0"), r["category"]).projects += r["n"]
    allocations = scope_filter(Allocation.objects.filter(project__plan=plan, doc_date__lte=as_of), actor)
    for r in allocations.values("division_code", "project__category").annotate(money=Sum("amount")):
        cell(r["division_code"][:6].ljust(12, "0"), r["project__category"]).investment += r["money"] or 0

    names = division_names(list({k[0] for k in cells}))
    order = {code: i for i, code in enumerate(categories)}
    blocks: dict[str, CountyBlock] = {}
    for (county, _category), row in sorted(cells.items(), key=lambda kv: (kv[0][0], order.get(kv[0][1], len(order)), kv[0][1])):
        row.county_name = names.get(county, county)
        block = blocks.setdefault(county, CountyBlock(county=county, county_name=row.county_name))
        block.rows.append(row)
    by_category: dict[str, ExecutionRow] = {}
    total = ExecutionRow(county="", county_name="", category="", category_name="")
    for block in blocks.values():
        block.total = ExecutionRow(county=block.county, county_name=block.county_name, category="", category_name="")
        for row in block.rows:
            block.total.add(row)
            by_category.setdefault(row.category, ExecutionRow(county="", county_name="", category=row.category,
                                                              category_name=row.category_name)).add(row)
        total.add(block.total)
    category_rows = sorted(by_category.values(), key=lambda r: (order.get(r.category, len(order)), r.category))
    return PlanExecution(plan=plan, as_of=as_of, counties=list(blocks.values()), by_category=category_rows, total=total)

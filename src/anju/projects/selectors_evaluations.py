"""Performance-evaluation reads, always scoped to the actor: templates, one evaluation and what the actor may do with it,
the indicator table of an evaluation, lists by scope and year, the per-county summary and the per-project scores."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy

from anju.accounts.roles import Perm
from anju.core.access import code_prefix_q, in_scope, require_perm, scope_filter
from anju.core.exceptions import NotFound, ValidationFailed
from anju.divisions.models import Division
from anju.projects.models import Evaluation, EvaluationTemplate
from anju.projects.services.evaluations import CENT, BudgetFacts, budget_facts, number, template_in_use, template_items

MSG_SCOPE = gettext_lazy("区划代码应为 2、4、6、9 或 12 位数字")
SCOPE_RE = re.compile(r"^(\d{2}|\d{4}|\d{6}|\d{9}|\d{12})?$")
GRADES = [g for g in Evaluation.Grade.values]


def access_template(actor, template_id, *, perm: str = Perm.PROJECT_VIEW) -> EvaluationTemplate:
    """A template (city-wide, no division) for an actor holding `perm`, or NotFound."""
    require_perm(actor, perm)
    try:
        pk = int(template_id)
    except (TypeError, ValueError):
        raise NotFound() from None
    template = EvaluationTemplate.objects.filter(pk=pk).first()
    if template is None:
        raise NotFound()
    return template


def template_list(*, actor, active: bool | None = None) -> QuerySet[EvaluationTemplate]:
    require_perm(actor, Perm.PROJECT_VIEW)
    qs = EvaluationTemplate.objects.all()
    if active is not None:
        qs = qs.filter(active=active)
    return qs.order_by("-active", "-id")


def templates_in_use(ids) -> set[int]:
    return set(Evaluation.objects.filter(template_id__in=list(ids)).values_list("template_id", flat=True).distinct())


def template_annotate(templates: list[EvaluationTemplate]) -> list[EvaluationTemplate]:
    used = templates_in_use(t.pk for t in templates)
    for t in templates:
        t.in_use = t.pk in used
        t.item_count = sum(len(g.get("items", [])) for g in t.indicators)
    return templates


def template_actions(actor, template: EvaluationTemplate) -> dict[str, bool]:
    manage = actor.can(Perm.PROJECT_MANAGE)
    in_use = template_in_use(template)
    return {"copy": manage, "edit": manage and not in_use, "activate": manage and not template.active,
            "deactivate": manage and template.active, "in_use": in_use}


def access_evaluation(actor, evaluation_id, *, kind: str = "view", perm: str = Perm.PROJECT_VIEW) -> Evaluation:
    """One evaluation the actor may read (`view`) or write (`entry`), or NotFound (unknown or outside that scope)."""
    require_perm(actor, perm)
    try:
        pk = int(evaluation_id)
    except (TypeError, ValueError):
        raise NotFound() from None
    e = Evaluation.objects.filter(pk=pk).select_related("project", "template", "submitted_by", "reviewed_by").first()
    if e is None:
        raise NotFound()
    if not in_scope(actor, e.division_code, kind):
        raise NotFound()
    return e


def evaluation_actions(actor, e: Evaluation) -> dict[str, bool]:
    """What the actor may do with the evaluation now (the services decide; the pages show only these buttons)."""
    entry = in_scope(actor, e.division_code, "entry")
    edit = entry and actor.can(Perm.PROJECT_EDIT) and e.state == Evaluation.State.DRAFT
    review = entry and actor.can(Perm.PROJECT_REVIEW) and e.state == Evaluation.State.SUBMITTED
    return {"score": edit, "submit": edit and bool(e.self_scores), "review": review and e.submitted_by_id != actor.pk,
            "send_back": review, "own_submission": review and e.submitted_by_id == actor.pk}


def check_scope(scope: str) -> str:
    scope = (scope or "").strip()
    if not SCOPE_RE.match(scope):
        raise ValidationFailed(MSG_SCOPE, code="scope_invalid", detail={"field": "scope"})
    return scope


def evaluation_list(*, actor, year: int | None = None, division: str = "", state: str = "", grade: str = "",
                    q: str = "") -> QuerySet[Evaluation]:
    require_perm(actor, Perm.PROJECT_VIEW)
    qs = scope_filter(Evaluation.objects.all(), actor).select_related("project", "template", "submitted_by", "reviewed_by")
    if division:
        qs = qs.filter(code_prefix_q("division_code", check_scope(division)))
    if year:
        qs = qs.filter(year=year)
    if state:
        qs = qs.filter(state=state)
    if grade:
        qs = qs.filter(grade=grade)
    if q:
        qs = qs.filter(Q(project__code__icontains=q) | Q(project__name__icontains=q))
    return qs.order_by("-year", "division_code", "project__code")


def division_names(codes) -> dict[str, str]:
    """Names of 12-digit division codes."""
    return dict(Division.objects.filter(code__in=set(codes)).values_list("code", "name"))


def county_code(division_code: str) -> str:
    return division_code[:6].ljust(12, "0")


def evaluation_annotate(evaluations: list[Evaluation]) -> list[Evaluation]:
    """Give each evaluation its county's name (one query per page)."""
    names = division_names(county_code(e.division_code) for e in evaluations)
    for e in evaluations:
        e.county_name = names.get(county_code(e.division_code), e.division_code[:6])
    return evaluations


def evaluation_years(*, actor) -> list[int]:
    require_perm(actor, Perm.PROJECT_VIEW)
    return sorted(set(scope_filter(Evaluation.objects.all(), actor).values_list("year", flat=True)), reverse=True)


# --- the indicator table ----------------------------------------------------------------------------------------

@dataclass
class ScoreRow:
    group_code: str
    group_name: str
    group_weight: Decimal
    group_span: int  # rows the first-level cell spans (0 on the group's later rows)
    code: str
    name: str
    weight: Decimal
    guide: str
    self_score: Decimal | None
    review_score: Decimal | None
    suggestion: Decimal | None = None


@dataclass
class GroupTotal:
    code: str
    name: str
    weight: Decimal
    self_score: Decimal | None
    review_score: Decimal | None


def _score(scores: dict, code: str) -> Decimal | None:
    return number(scores[code]) if code in scores else None


def evaluation_rows(e: Evaluation, facts: BudgetFacts | None = None) -> list[ScoreRow]:
    items = template_items(e.template.indicators)
    spans: dict[str, int] = {}
    for i in items:
        spans[i.group_code] = spans.get(i.group_code, 0) + 1
    rows, seen = [], set()
    for i in items:
        rows.append(ScoreRow(i.group_code, i.group_name, i.group_weight, 0 if i.group_code in seen else spans[i.group_code], i.code, i.name,
                             i.weight, i.guide, _score(e.self_scores, i.code), _score(e.review_scores, i.code),
                             (facts.suggestion.get(i.code) if facts else None)))
        seen.add(i.group_code)
    return rows


def group_totals(e: Evaluation) -> list[GroupTotal]:
    """Per first-level indicator: its weight and the self and review subtotals (None until every item is scored)."""
    def subtotal(scores: dict, codes: list[str]) -> Decimal | None:
        if not all(c in scores for c in codes):
            return None
        return sum((number(scores[c]) for c in codes), Decimal(0)).quantize(CENT)

    out = []
    for g in e.template.indicators:
        codes = [i["code"] for i in g["items"]]
        out.append(GroupTotal(g["code"], g["name"], number(g["weight"]), subtotal(e.self_scores, codes), subtotal(e.review_scores, codes)))
    return out


def evaluation_budget(e: Evaluation) -> BudgetFacts:
    return budget_facts(e)


# --- summaries --------------------------------------------------------------------------------------------------

@dataclass
class CountySummary:
    code: str  # 6-digit county prefix ("" for the total row)
    name: str
    evaluations: int = 0  # started, any state
    submitted: int = 0  # self-evaluation submitted or reviewed
    reviewed: int = 0  # 已评价: reviewed by the city
    review_sum: Decimal = Decimal(0)
    self_sum: Decimal = Decimal(0)
    self_count: int = 0
    grades: dict = field(default_factory=lambda: {g: 0 for g in GRADES})

    @property
    def average(self) -> Decimal | None:
        """The average review total of the reviewed evaluations (2 decimals, half up)."""
        return (self.review_sum / self.reviewed).quantize(CENT, rounding=ROUND_HALF_UP) if self.reviewed else None

    @property
    def self_average(self) -> Decimal | None:
        return (self.self_sum / self.self_count).quantize(CENT, rounding=ROUND_HALF_UP) if self.self_count else None

    def add(self, state: str, self_total, review_total, grade: str) -> None:
        self.evaluations += 1
        if state in (Evaluation.State.SUBMITTED, Evaluation.State.REVIEWED):
            self.submitted += 1
        if self_total is not None and state != Evaluation.State.DRAFT:
            self.self_sum += Decimal(self_total)
            self.self_count += 1
        if state == Evaluation.State.REVIEWED and review_total is not None:
            self.reviewed += 1
            self.review_sum += Decimal(review_total)
            if grade in self.grades:
                self.grades[grade] += 1

    def as_dict(self) -> dict:
        return {"county_code": self.code, "county_name": self.name, "evaluations": self.evaluations, "submitted": self.submitted,
                "reviewed": self.reviewed, "average_review_total": self.average, "average_self_total": self.self_average,
                "grades": dict(self.grades)}


def evaluation_county_summary(*, actor, year: int | None = None, division: str = "") -> tuple[list[CountySummary], CountySummary]:
    """Per county of the actor's view scope (narrowed to `division`): evaluations started, submitted and reviewed, the
    average review total of the reviewed ones and their grades; and the total row."""
    qs = evaluation_list(actor=actor, year=year, division=division)
    counties: dict[str, CountySummary] = {}
    total = CountySummary("", str(gettext_lazy("合计")))
    for code, state, self_total, review_total, grade in qs.values_list("division_code", "state", "self_total", "review_total", "grade"):
        prefix = code[:6]
        row = counties.get(prefix) or counties.setdefault(prefix, CountySummary(prefix, prefix))
        row.add(state, self_total, review_total, grade)
        total.add(state, self_total, review_total, grade)
    names = division_names(p.ljust(12, "0") for p in counties)
    rows = sorted(counties.values(), key=lambda r: r.code)
    for r in rows:
        r.name = names.get(r.code.ljust(12, "0"), r.code)
    return rows, total


@dataclass
class ProjectScores:
    evaluation: Evaluation
    county_name: str
    groups: dict  # first-level code -> GroupTotal
    cells: list = field(default_factory=list)  # GroupTotal or None, in the order of the columns


def evaluation_scores(*, actor, year: int | None = None, division: str = "", state: str = "") -> tuple[list[tuple[str, str]], list[ProjectScores]]:
    """Per project: the self and review subtotal of each first-level indicator, the totals and the grade. The columns
    are the first-level indicators of the templates used, in order of first appearance."""
    evaluations = evaluation_annotate(list(evaluation_list(actor=actor, year=year, division=division, state=state)))
    columns: dict[str, str] = {}
    rows = []
    for e in evaluations:
        groups = {g.code: g for g in group_totals(e)}
        for g in groups.values():
            columns.setdefault(g.code, f"{g.name}（{g.weight.normalize():f}）")
        rows.append(ProjectScores(e, e.county_name, groups))
    for r in rows:
        r.cells = [r.groups.get(code) for code in columns]
    return list(columns.items()), rows


def evaluation_of_project(actor, project, year: int | None = None) -> Evaluation:
    """The project's evaluation of `year` (the latest without one) in the actor's view scope, or NotFound."""
    qs = scope_filter(Evaluation.objects.filter(project=project), actor).select_related("project", "template", "submitted_by", "reviewed_by")
    if year:
        qs = qs.filter(year=year)
    e = qs.order_by("-year").first()
    if e is None:
        raise NotFound()
    return e

"""Reads of the early warnings, always scoped to the actor: the open warnings by level, their history, one project's
warnings, the counts per county for the dashboard, and the rules.

Where a red and a yellow rule of the same measure both hold on a project, both warnings are open (they are separate
rules), but the lists of open warnings show the red one only: one row per project and measure, at its highest level.
"""

from __future__ import annotations

from django.db.models import Case, Count, Exists, IntegerField, OuterRef, Q, QuerySet, Value, When
from django.db.models.functions import Substr

from anju.accounts.roles import Perm
from anju.core.access import code_prefix_q, require_perm, scope_filter
from anju.core.exceptions import NotFound
from anju.projects.models import Project, Warning, WarningRule
from anju.projects.selectors import access_project

STATES = ("open", "cleared", "all")


def _digits(value: str, limit: int = 12) -> str:
    value = (value or "").strip()
    return value if value.isascii() and value.isdigit() and len(value) <= limit else ""


def open_shown(qs: QuerySet[Warning]) -> QuerySet[Warning]:
    """Open warnings less the yellow ones overtaken by an open red warning of the same measure on the same project."""
    red = Warning.objects.filter(project_id=OuterRef("project_id"), rule__measure=OuterRef("rule__measure"), level=WarningRule.Level.RED,
                                 cleared_at__isnull=True)
    return qs.filter(cleared_at__isnull=True).exclude(Q(level=WarningRule.Level.YELLOW) & Exists(red))


def warning_list(*, actor, state: str = "open", county: str = "", division: str = "", rule: str = "", level: str = "", q: str = "",
                 project_id: int | None = None) -> QuerySet[Warning]:
    """Warnings in the actor's view scope. `state` open (the default: highest level per project and measure), cleared
    (history) or all; `county`/`division` a code prefix; `rule` a rule code; `level` red or yellow; `q` in the project's
    code or name."""
    require_perm(actor, Perm.PROJECT_VIEW)
    qs = scope_filter(Warning.objects.all(), actor).select_related("rule", "project", "assignee")
    if state == "cleared":
        qs = qs.filter(cleared_at__isnull=False)
    elif state != "all":
        qs = open_shown(qs)
    for prefix in (_digits(county, 6), _digits(division)):
        if prefix:
            qs = qs.filter(code_prefix_q("division_code", prefix))
    if rule:
        qs = qs.filter(rule__code=rule[:40])
    if level in WarningRule.Level.values:
        qs = qs.filter(level=level)
    if q:
        qs = qs.filter(Q(project__code__icontains=q[:64]) | Q(project__name__icontains=q[:64]))
    if project_id is not None:
        qs = qs.filter(project_id=project_id)
    red_first = Case(When(level=WarningRule.Level.RED, then=Value(0)), default=Value(1), output_field=IntegerField())
    if state == "open":
        return qs.order_by(red_first, "division_code", "project__code", "rule__measure", "id")
    return qs.order_by("-raised_at", "-id")


def access_warning(actor, warning_id) -> Warning:
    require_perm(actor, Perm.PROJECT_VIEW)
    try:
        pk = int(warning_id)
    except (TypeError, ValueError):
        raise NotFound() from None
    warning = Warning.objects.filter(pk=pk).select_related("rule", "project", "assignee").first() if 0 < pk < 2**63 else None
    if warning is None:
        raise NotFound()
    if not warning.division_code.startswith(actor.view_prefix):
        raise NotFound()
    return warning


def project_warnings(*, actor, project_id) -> tuple[Project, QuerySet[Warning]]:
    """One project (in the actor's view scope) and all its warnings, open and cleared, newest first."""
    project = access_project(actor, project_id)
    return project, Warning.objects.filter(project=project).select_related("rule", "assignee").order_by("-raised_at", "-id")


def _counts_prefix(actor, scope: str) -> str | None:
    view = actor.view_prefix
    scope = _digits(scope)
    if not scope or view.startswith(scope):
        return view
    if scope.startswith(view):
        return scope
    return None


def warning_counts(actor, scope: str = "") -> dict[str, dict[str, int]]:
    """Open warnings per county (6-digit prefix) and level, as the lists show them (highest level per project and
    measure), in the actor's view scope narrowed to `scope`: {"429921": {"red": 2, "yellow": 5}}."""
    require_perm(actor, Perm.PROJECT_VIEW)
    prefix = _counts_prefix(actor, scope)
    if prefix is None:
        return {}
    qs = open_shown(Warning.objects.filter(code_prefix_q("division_code", prefix)))
    rows = qs.annotate(county=Substr("division_code", 1, 6)).values("county", "level").annotate(n=Count("id")).values_list("county", "level", "n")
    counts: dict[str, dict[str, int]] = {}
    for county, level, n in rows:
        counts.setdefault(county, {"red": 0, "yellow": 0})[level] = n
    return dict(sorted(counts.items()))


def level_totals(qs: QuerySet[Warning]) -> dict[str, int]:
    totals = {"red": 0, "yellow": 0}
    for level, n in qs.order_by().values("level").annotate(n=Count("id")).values_list("level", "n"):
        totals[level] = n
    return totals


# --- rules --------------------------------------------------------------------------------------------------------

def _rule_visible_q(actor) -> Q:
    """Rules for every division, those under the actor's view scope, and the wider ones that reach into it."""
    view = actor.view_prefix
    wider = [view[:n] for n in (2, 4, 6, 9) if n < len(view)]
    return Q(scope="") | code_prefix_q("scope", view) | Q(scope__in=wider)


def rule_list(*, actor) -> QuerySet[WarningRule]:
    require_perm(actor, Perm.PROJECT_VIEW)
    return WarningRule.objects.filter(_rule_visible_q(actor)).order_by("measure", "level", "code", "scope")


def access_rule(actor, rule_id) -> WarningRule:
    require_perm(actor, Perm.PROJECT_VIEW)
    try:
        pk = int(rule_id)
    except (TypeError, ValueError):
        raise NotFound() from None
    rule = WarningRule.objects.filter(_rule_visible_q(actor), pk=pk).first() if 0 < pk < 2**63 else None
    if rule is None:
        raise NotFound()
    return rule


def rule_overrides(rules) -> dict[str, list[WarningRule]]:
    """The scoped settings of each rule code, by code."""
    found: dict[str, list[WarningRule]] = {}
    for r in rules:
        if r.scope:
            found.setdefault(r.code, []).append(r)
    return found



def counties_in_view(actor) -> list:
    """The counties the actor sees (for a filter): every county under a city scope, the own county below it."""
    from anju.divisions.models import Division, Level

    prefix = _digits(actor.view_prefix)
    if not prefix:
        return []
    qs = Division.objects.filter(level=Level.COUNTY)
    qs = qs.filter(code_prefix_q("code", prefix)) if len(prefix) <= 6 else qs.filter(code=prefix[:6].ljust(12, "0"))
    return list(qs.order_by("code"))


def override_counties(actor, rule: WarningRule) -> list:
    """Counties the actor may give their own setting of `rule`: under its scope and the actor's entry scope, without one yet."""
    from anju.divisions.models import Division, Level

    entry = _digits(actor.entry_prefix)
    if not entry:
        return []
    taken = set(WarningRule.objects.filter(code=rule.code).values_list("scope", flat=True))
    qs = Division.objects.filter(level=Level.COUNTY).filter(code_prefix_q("code", entry))
    if rule.scope:
        qs = qs.filter(code_prefix_q("code", rule.scope))
    return [d for d in qs.order_by("code") if d.prefix not in taken and len(d.prefix) > len(rule.scope)]

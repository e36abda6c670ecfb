"""Division reads limited to the actor's view scope, with descendant counts for the tree."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import Substr
from django.utils.translation import gettext_lazy

from anju.accounts.roles import Perm
from anju.core.access import code_prefix_q, in_scope, prefix_for, require_perm
from anju.core.exceptions import NotFound, ValidationFailed
from anju.divisions.codes import full_code
from anju.divisions.models import PREFIX_LENGTH, Division, Level

MSG_CODE_FORMAT = gettext_lazy("区划代码“%(code)s”应为 2、4、6、9 或 12 位数字")
MSG_CODE_UNKNOWN = gettext_lazy("区划代码 %(code)s 不存在")
CODE_UNKNOWN = "division_unknown"


def division_by_code(value: str, *, field: str = "") -> Division:
    """Resolve a code typed by a user (short or full form) for assigning scopes.

    Not scoped: it only names a division; the service that assigns it checks the actor's jurisdiction.
    """
    try:
        code = full_code(value)
    except ValueError:
        raise ValidationFailed(MSG_CODE_FORMAT % {"code": value}, detail={"field": field}) from None
    division = Division.objects.filter(code=code).first()
    if division is None:
        raise ValidationFailed(MSG_CODE_UNKNOWN % {"code": value}, code=CODE_UNKNOWN, detail={"field": field})
    return division


def division_list(*, actor, parent: str = "", level: int | None = None, q: str = "") -> QuerySet[Division]:
    require_perm(actor, Perm.DIVISIONS_VIEW)
    qs = Division.objects.filter(code_prefix_q("code", prefix_for(actor)))
    if parent:
        qs = qs.filter(parent_id=parent)
    if level:
        qs = qs.filter(level=level)
    if q:
        qs = qs.filter(Q(name__contains=q) | Q(code__startswith=q))
    return qs.order_by("code")


def access_division(actor, code: str) -> Division:
    """One division by short or full code, or NotFound when unknown or outside the actor's view scope."""
    require_perm(actor, Perm.DIVISIONS_VIEW)
    try:
        code = full_code(code)
    except ValueError:
        raise NotFound() from None
    if not in_scope(actor, code):
        raise NotFound()
    division = Division.objects.filter(code=code).first()
    if division is None:
        raise NotFound()
    return division


def division_ancestors(division: Division) -> list[Division]:
    """Province → … → the division itself (names for breadcrumbs; not a scoped read of their data)."""
    codes = [division.code[:n].ljust(12, "0") for lv, n in PREFIX_LENGTH.items() if lv <= division.level]
    found = {d.code: d for d in Division.objects.filter(code__in=codes)}
    return [found[c] for c in codes if c in found]


def division_root(actor) -> Division | None:
    return actor.view_scope if actor.view_scope_id else None


def division_children(*, actor, division: Division) -> list[dict]:
    """Children of a division in scope, each with counts of its descendants by level (one query per level)."""
    require_perm(actor, Perm.DIVISIONS_VIEW)
    if division.level >= Level.VILLAGE:
        return []
    children = list(Division.objects.filter(parent=division).order_by("code"))
    if not children:
        return []
    child_len = PREFIX_LENGTH[Level(division.level + 1)]
    counts: dict[str, dict[int, int]] = {c.prefix: {} for c in children}
    rows = (
        Division.objects.filter(code_prefix_q("code", division.prefix), level__gt=division.level + 1)
        .annotate(head=Substr("code", 1, child_len))
        .values("head", "level")
        .annotate(n=Count("code"))
    )
    for row in rows:
        counts.setdefault(row["head"], {})[row["level"]] = row["n"]
    return [{"division": c, "counts": counts.get(c.prefix, {})} for c in children]


def division_counts(*, actor, division: Division) -> dict[int, int]:
    """How many divisions of each level lie under `division` (itself excluded)."""
    require_perm(actor, Perm.DIVISIONS_VIEW)
    rows = (
        Division.objects.filter(code_prefix_q("code", division.prefix), level__gt=division.level)
        .values("level").annotate(n=Count("code"))
    )
    return {r["level"]: r["n"] for r in rows}


def division_names(codes) -> dict[str, str]:
    """Names by 12-digit code of the given divisions and of their townships and counties, for lists and printed
    tables (no scope check: callers pass codes of rows they already read in scope). Queried in chunks under
    SQLite's parameter limit."""
    wanted: set[str] = set()
    for code in codes:
        if code:
            wanted |= {code, code[:9].ljust(12, "0"), code[:6].ljust(12, "0")}
    wanted_list, names = sorted(wanted), {}
    for start in range(0, len(wanted_list), 500):
        names.update(Division.objects.filter(code__in=wanted_list[start:start + 500]).values_list("code", "name"))
    return names

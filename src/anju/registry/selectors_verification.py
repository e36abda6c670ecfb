"""Verification reads, always scoped: the list, one verification, its entries and changes, the summary by township."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Q, QuerySet

from anju.accounts.roles import Perm
from anju.core.access import code_prefix_q, county_visible_q, require_perm
from anju.core.exceptions import NotFound
from anju.divisions.selectors import division_names
from anju.registry.models import Verification, VerificationChange, VerificationEntry

COUNT_KEYS = ("previous", "added", "removed", "moved_in", "moved_out", "changed", "current")


def verification_visible(actor, verification: Verification) -> bool:
    prefix = actor.view_prefix
    return verification.division_code.startswith(prefix) or (len(prefix) > 6 and prefix.startswith(verification.division_code[:6]))


def verification_list(*, actor, year: int | None = None, program: str = "", state: str = "", county: str = "") -> QuerySet[Verification]:
    require_perm(actor, Perm.REGISTRY_VIEW)
    qs = Verification.objects.filter(county_visible_q(actor)).select_related("county_signed_by", "city_signed_by", "created_by")
    if year:
        qs = qs.filter(year=year)
    if program:
        qs = qs.filter(program=program)
    if state:
        qs = qs.filter(state=state)
    if county:
        qs = qs.filter(code_prefix_q("division_code", county))
    return qs.order_by("-year", "program", "division_code")


def access_verification(actor, verification_id) -> Verification:
    """One verification the actor may see, or NotFound (unknown, malformed or outside the view scope)."""
    require_perm(actor, Perm.REGISTRY_VIEW)
    try:
        pk = int(verification_id)
    except (TypeError, ValueError):
        raise NotFound() from None
    v = Verification.objects.filter(pk=pk).select_related("county_signed_by", "city_signed_by", "created_by", "previous").first()
    if v is None:
        raise NotFound()
    if not verification_visible(actor, v):
        raise NotFound()
    return v


def _scoped(qs: QuerySet, actor, verification: Verification) -> QuerySet:
    """A viewer below the county sees the rows of its own township or village only."""
    prefix = actor.view_prefix
    if len(prefix) > 6 and prefix.startswith(verification.division_code[:6]):
        qs = qs.filter(code_prefix_q("division_code", prefix))
    return qs


def verification_entries(*, actor, verification: Verification, division: str = "", q: str = "") -> QuerySet[VerificationEntry]:
    """The snapshot's persons in the actor's part of the county, in roster order (village, household, enrolment)."""
    require_perm(actor, Perm.REGISTRY_VIEW)
    qs = _scoped(VerificationEntry.objects.filter(verification=verification), actor, verification)
    if division:
        qs = qs.filter(code_prefix_q("division_code", division))
    if q:
        qs = qs.filter(Q(name__startswith=q) | Q(household_number=q))
    return qs.order_by("division_code", "household_number", "enrolment_id")


def verification_changes(*, actor, verification: Verification, kind: str = "", division: str = "", q: str = "") -> QuerySet[VerificationChange]:
    require_perm(actor, Perm.REGISTRY_VIEW)
    qs = _scoped(VerificationChange.objects.filter(verification=verification), actor, verification).select_related("request")
    if kind:
        qs = qs.filter(kind=kind)
    if division:
        qs = qs.filter(code_prefix_q("division_code", division))
    if q:
        qs = qs.filter(name__startswith=q)
    return qs.order_by("kind", "division_code", "id")


@dataclass
class SummaryRow:
    code: str
    name: str
    counts: dict = field(default_factory=dict)
    villages: list = field(default_factory=list)


@dataclass
class Summary:
    county_name: str
    townships: list[SummaryRow]
    totals: dict
    has_previous: bool


def verification_summary(*, actor, verification: Verification) -> Summary:
    """Counts by township, each with its villages (上年 + 新增 − 核减 + 迁入 − 迁出 = 本年), limited to the actor's part."""
    require_perm(actor, Perm.REGISTRY_VIEW)
    counts = verification.counts or {}
    prefix = actor.view_prefix
    part = prefix if len(prefix) > 6 and prefix.startswith(verification.division_code[:6]) else ""
    villages = {c: row for c, row in (counts.get("villages") or {}).items() if c.startswith(part)}
    names = division_names([verification.division_code, *villages, *{c[:9].ljust(12, "0") for c in villages}])
    townships: dict[str, SummaryRow] = {}
    for code, row in sorted(villages.items()):
        t_code = code[:9].ljust(12, "0")
        t = townships.setdefault(t_code, SummaryRow(t_code, names.get(t_code, t_code), dict.fromkeys(COUNT_KEYS, 0)))
        t.villages.append(SummaryRow(code, names.get(code, code), {k: row.get(k, 0) for k in COUNT_KEYS}))
        for k in COUNT_KEYS:
            t.counts[k] += row.get(k, 0)
    totals = dict.fromkeys(COUNT_KEYS, 0)
    for t in townships.values():
        for k in COUNT_KEYS:
            totals[k] += t.counts[k]
    return Summary(names.get(verification.division_code, verification.division_code), list(townships.values()), totals,
                   counts.get("previous_total") is not None)


def verification_actions(actor, verification: Verification) -> dict[str, bool]:
    """Which buttons the detail page (and the API detail) offers this actor; the services check again."""
    from anju.core.access import in_scope
    from anju.divisions.models import Level

    entry = in_scope(actor, verification.division_code, kind="entry")
    level = actor.entry_scope.level if actor.entry_scope_id else None
    state = verification.state
    signer = entry and actor.can(Perm.VERIFICATION_SIGN)
    return {
        "run": entry and actor.can(Perm.VERIFICATION_RUN) and state == Verification.State.DRAFT,
        "sign_county": signer and level == Level.COUNTY and state == Verification.State.DRAFT,
        "sign_city": signer and level == Level.CITY and state == Verification.State.COUNTY_SIGNED,
        "reopen": signer and level == Level.CITY and state == Verification.State.COUNTY_SIGNED,
        "export_roster": actor.can(Perm.REGISTRY_EXPORT),
        "export_unmasked": actor.can(Perm.REGISTRY_EXPORT) and actor.can(Perm.REGISTRY_VIEW_PII),
    }

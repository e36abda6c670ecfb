"""Payment batch and entitlement reads, always scoped: the batch list, one batch, its items, exceptions, figures by
township, its timeline, the buttons an actor may use, and the entitlement totals of a county or a city."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count, Q, QuerySet, Sum
from django.utils.translation import gettext_lazy

from anju.accounts.roles import Perm
from anju.core.access import code_prefix_q, county_visible_q, in_scope, require_perm
from anju.core.exceptions import NotFound
from anju.core.models import AuditEvent
from anju.divisions.models import Division, Level
from anju.divisions.selectors import division_names
from anju.subsidies.models import Batch, Item
from anju.subsidies.months import fen_text

STATES = tuple(s for s, _label in Item.State.choices)


# --- batches -------------------------------------------------------------------------------------------------------

def _part(actor, batch: Batch) -> str:
    """The prefix of the part of the batch's county a viewer below the county sees ('' for the whole county)."""
    prefix = actor.view_prefix
    return prefix if len(prefix) > 6 and prefix.isdigit() and prefix.startswith(batch.division_code[:6]) else ""


def batch_visible(actor, batch: Batch) -> bool:
    return batch.division_code.startswith(actor.view_prefix) or bool(_part(actor, batch))


def batch_list(*, actor, year: int | None = None, county: str = "", state: str = "", kind: str = "") -> QuerySet[Batch]:
    require_perm(actor, Perm.SUBSIDY_VIEW)
    qs = Batch.objects.filter(county_visible_q(actor)).select_related("created_by", "reviewed_by", "approved_by")
    if year:
        qs = qs.filter(year=year)
    if county:
        qs = qs.filter(code_prefix_q("division_code", county))
    if state:
        qs = qs.filter(state=state)
    if kind:
        qs = qs.filter(kind=kind)
    return qs.order_by("-year", "-quarter", "division_code", "-id")


def access_batch(actor, batch_id) -> Batch:
    """One batch the actor may see, or NotFound (unknown, malformed or outside the view scope)."""
    require_perm(actor, Perm.SUBSIDY_VIEW)
    try:
        pk = int(batch_id)
    except (TypeError, ValueError):
        raise NotFound() from None
    batch = Batch.objects.filter(pk=pk).select_related("created_by", "reviewed_by", "approved_by", "exported_by", "reconciled_by",
                                                       "parent", "verification").first()
    if batch is None:
        raise NotFound()
    if not batch_visible(actor, batch):
        raise NotFound()
    return batch


def _items(actor, batch: Batch) -> QuerySet[Item]:
    qs = Item.objects.filter(batch=batch)
    part = _part(actor, batch)
    return qs.filter(code_prefix_q("division_code", part)) if part else qs


def batch_items(*, actor, batch: Batch, state: str = "", hold: str = "", division: str = "", q: str = "") -> QuerySet[Item]:
    """The batch's items in the actor's part of the county, in roster order (village, household, id)."""
    require_perm(actor, Perm.SUBSIDY_VIEW)
    qs = _items(actor, batch)
    if state:
        qs = qs.filter(state=state)
    if hold:
        qs = qs.filter(exception=hold)
    if division:
        qs = qs.filter(code_prefix_q("division_code", division))
    if q:
        qs = qs.filter(Q(name__startswith=q) | Q(household_number=q))
    return qs.order_by("division_code", "household_number", "id")


def batch_exceptions(*, actor, batch: Batch) -> QuerySet[Item]:
    """Items held before payment (no account, invalid account, shared account, suspended, suspected duplicate)."""
    require_perm(actor, Perm.SUBSIDY_VIEW)
    return _items(actor, batch).filter(state=Item.State.HELD).order_by("exception", "division_code", "household_number", "id")


def access_item(actor, batch: Batch, item_id) -> Item:
    """One item of `batch` in the actor's part of it, or NotFound."""
    require_perm(actor, Perm.SUBSIDY_VIEW)
    try:
        pk = int(item_id)
    except (TypeError, ValueError):
        raise NotFound() from None
    item = _items(actor, batch).filter(pk=pk).first()
    if item is None:
        raise NotFound()
    item.batch = batch
    return item


def _blank() -> dict:
    return {s: {"persons": 0, "months": 0, "fen": 0} for s in STATES}


@dataclass
class Row:
    code: str
    name: str
    states: dict = field(default_factory=_blank)
    villages: list = field(default_factory=list)

    def add(self, other: dict) -> None:
        for s, figures in other.items():
            for k, v in figures.items():
                self.states[s][k] += v

    @property
    def figures(self) -> dict:
        return batch_figures(self.states)


@dataclass
class TownshipSummary:
    county_name: str
    townships: list[Row]
    total: Row


def batch_figures(states: dict) -> dict:
    """Headline figures of a {state: {persons, months, fen}} table: entitled = paid + failed + pending + held (+ reissued);
    cancelled items are not entitlements."""
    entitled = {k: sum(states[s][k] for s in STATES if s != Item.State.CANCELLED) for k in ("persons", "months", "fen")}
    return {key: {**f, "yuan": fen_text(f["fen"])} for key, f in {"entitled": entitled, **{s: states[s] for s in STATES}}.items()}


def _with_yuan(figures: dict) -> dict:
    """Entitlement figures with each amount also as yuan text (`direct_amount` -> `direct_yuan`)."""
    return {**figures, **{k.replace("_amount", "_yuan"): fen_text(v) for k, v in figures.items() if k.endswith("_amount")}}


def batch_by_township(*, actor, batch: Batch) -> TownshipSummary:
    """Persons, months and fen by state, per township with its villages, limited to the actor's part of the county."""
    require_perm(actor, Perm.SUBSIDY_VIEW)
    rows = (_items(actor, batch).values("division_code", "state")
            .annotate(persons=Count("id"), months=Sum("months"), fen=Sum("amount")).order_by())
    villages: dict[str, dict] = {}
    for r in rows:
        v = villages.setdefault(r["division_code"], _blank())
        v[r["state"]] = {"persons": r["persons"], "months": int(r["months"] or 0), "fen": int(r["fen"] or 0)}
    names = division_names([batch.division_code, *villages])
    townships: dict[str, Row] = {}
    total = Row(batch.division_code, names.get(batch.division_code, batch.division_code))
    for code in sorted(villages):
        t_code = code[:9].ljust(12, "0")
        t = townships.setdefault(t_code, Row(t_code, names.get(t_code, t_code)))
        village = Row(code, names.get(code, code))
        village.add(villages[code])
        t.villages.append(village)
        t.add(villages[code])
        total.add(villages[code])
    return TownshipSummary(total.name, list(townships.values()), total)


TIMELINE_LABELS = {
    "subsidies.batch.created": gettext_lazy("生成批次"),
    "subsidies.batch.reviewed": gettext_lazy("审核"),
    "subsidies.batch.approved": gettext_lazy("审批"),
    "subsidies.batch.sent_back": gettext_lazy("退回"),
    "subsidies.batch.accounts_refreshed": gettext_lazy("重新读取银行账号"),
    "subsidies.batch.exported": gettext_lazy("出盘"),
    "subsidies.batch.returned": gettext_lazy("回盘"),
    "subsidies.batch.reconciled": gettext_lazy("对账"),
}


def batch_timeline(*, actor, batch: Batch) -> list[dict]:
    """What happened to the batch, oldest first (who and when), from its audit events."""
    require_perm(actor, Perm.SUBSIDY_VIEW)
    # division_code equality first: it is indexed, and a county's own events are few beside its villages'
    events = (AuditEvent.objects.filter(division_code=batch.division_code, object_type="batch", object_id=str(batch.pk),
                                        action__startswith="subsidies.")
              .order_by("occurred_at", "id").values("occurred_at", "actor_username", "action", "after"))
    timeline = []
    for e in events:
        after = e["after"] if isinstance(e["after"], dict) else {}
        label = TIMELINE_LABELS.get(e["action"])
        timeline.append({"at": e["occurred_at"], "by": e["actor_username"], "action": e["action"],
                         "label": str(label) if label else e["action"], "state": after.get("state", ""),
                         "reason": after.get("reason", "")})
    return timeline


def batch_actions(actor, batch: Batch) -> dict[str, bool]:
    """Which buttons the detail page (and the API detail) offers this actor; the services check again."""
    entry = in_scope(actor, batch.division_code, kind="entry")
    reviewer = entry and actor.can(Perm.SUBSIDY_REVIEW)
    runner = entry and actor.can(Perm.SUBSIDY_RUN)
    state, me = batch.state, actor.pk
    draft = state == Batch.State.DRAFT
    return {
        "review": reviewer and draft and batch.created_by_id != me,
        "approve": reviewer and state == Batch.State.REVIEWED and me not in (batch.created_by_id, batch.reviewed_by_id),
        "send_back": reviewer and state in (Batch.State.REVIEWED, Batch.State.APPROVED),
        "delete": runner and draft,
        "hold": runner and draft,
        "refresh_accounts": runner and draft,
    }


# --- entitlements ----------------------------------------------------------------------------------------------------

def entitlement_scopes(actor) -> list[Division]:
    """The scopes an actor may compute: its city and the city's counties, or its own county."""
    prefix = actor.view_prefix
    if len(prefix) not in (2, 4, 6) or not prefix.isdigit():
        return []
    return list(Division.objects.filter(code_prefix_q("code", prefix), level__in=(Level.CITY, Level.COUNTY)).order_by("code"))


@dataclass
class EntitlementRow:
    code: str
    name: str
    figures: dict
    villages: list = field(default_factory=list)


@dataclass
class EntitlementCounty:
    code: str
    name: str
    source: str
    verification_id: int | None
    townships: list[EntitlementRow]
    total: dict
    counts: dict


@dataclass
class EntitlementSummary:
    scope: str
    year: int
    quarter: int
    preview: bool
    counties: list[EntitlementCounty]
    total: dict


def entitlement_summary(*, actor, scope: str, year: int, quarter: int = 0, preview: bool = False) -> EntitlementSummary:
    """测算: direct and project-support persons and fen by township, per county of `scope` (a county or a city), from the
    locked snapshots, or from the live roster as a preview. Every check is entitlements_check's."""
    from anju.subsidies.services.entitlements import (
        SOURCE_LIVE,
        SOURCE_SNAPSHOT,
        entitlements_check,
        entitlements_compute,
        entitlements_totals,
        policy_table,
    )

    counties = entitlements_check(actor=actor, scope=scope, year=year, quarter=quarter, preview=preview)
    table = policy_table()
    result: list[EntitlementCounty] = []
    grand: dict = {}
    for code in counties:
        eset = entitlements_compute(county_code=code, year=year, quarter=quarter, source=SOURCE_LIVE if preview else SOURCE_SNAPSHOT,
                                    table=table)
        totals = entitlements_totals(eset)
        names = division_names([code, *totals["villages"]])
        townships = []
        for t9, figures in totals["townships"].items():
            t_code = t9.ljust(12, "0")
            villages = [EntitlementRow(v, names.get(v, v), _with_yuan(f)) for v, f in totals["villages"].items() if v.startswith(t9)]
            townships.append(EntitlementRow(t_code, names.get(t_code, t_code), _with_yuan(figures), villages))
        for k, v in totals["total"].items():
            grand[k] = grand.get(k, 0) + v
        result.append(EntitlementCounty(code, names.get(code, code), eset.source, eset.verification.pk if eset.verification else None,
                                        townships, _with_yuan(totals["total"]), totals.get("counts") or {}))
    return EntitlementSummary(scope, year, quarter, preview, result, _with_yuan(grand))

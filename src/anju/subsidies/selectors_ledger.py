"""Ledger reads, always scoped: recoveries, a batch's reconciliation, the per-person ledger (台账) and the fund summary
(资金汇总) by county, fund source and year."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count, Exists, OuterRef, QuerySet, Sum

from anju.accounts.roles import Perm
from anju.core.access import code_prefix_q, in_scope, require_perm, scope_filter
from anju.core.exceptions import NotFound
from anju.divisions.selectors import division_names
from anju.registry.models import Person
from anju.subsidies.models import Batch, FundSource, Item, Recovery
from anju.subsidies.months import fen_text
from anju.subsidies.services.recoveries import OPEN_STATES

LIVE = tuple(Item.LIVE)
FAILED = (Item.State.FAILED, Item.State.REISSUED)


# --- batches --------------------------------------------------------------------------------------------------------

def batch_part(actor, batch: Batch) -> str:
    """The part of the batch the actor sees: "" for all of it, a township or village prefix for a viewer below the county."""
    prefix = actor.view_prefix
    return prefix if len(prefix) > 6 and prefix.isdigit() and prefix.startswith(batch.division_code[:6]) else ""


def batch_ledger_actions(actor, batch: Batch) -> dict[str, bool]:
    """Which buttons the reconciliation page (and API) offers; the service checks again."""
    return {"reconcile": actor.can(Perm.SUBSIDY_RUN) and in_scope(actor, batch.division_code, kind="entry")
            and batch.state == Batch.State.RETURNED}


# --- recoveries -----------------------------------------------------------------------------------------------------

def recovery_list(*, actor, state: str = "", county: str = "", year: int | None = None, q: str = "") -> QuerySet[Recovery]:
    require_perm(actor, Perm.SUBSIDY_VIEW)
    qs = scope_filter(Recovery.objects.all(), actor)
    if state:
        qs = qs.filter(state=state)
    if county:
        qs = qs.filter(code_prefix_q("division_code", county))
    if year:
        qs = qs.filter(year=year)
    if q:
        qs = qs.filter(name__startswith=q)
    return qs.select_related("item__batch").order_by("-year", "division_code", "id")


def access_recovery(actor, recovery_id) -> Recovery:
    """One recovery in the actor's view scope, or NotFound (unknown, malformed or outside the scope)."""
    require_perm(actor, Perm.SUBSIDY_VIEW)
    try:
        pk = int(recovery_id)
    except (TypeError, ValueError):
        raise NotFound() from None
    recovery = Recovery.objects.filter(pk=pk).select_related("item__batch", "waived_by").first()
    if recovery is None:
        raise NotFound()
    if not in_scope(actor, recovery.division_code):
        raise NotFound()
    return recovery


def recovery_repayments(recovery: Recovery) -> list:
    return list(recovery.repayments.select_related("recorded_by").order_by("paid_on", "id"))


def recovery_actions(actor, recovery: Recovery) -> dict[str, bool]:
    entry = in_scope(actor, recovery.division_code, kind="entry")
    open_ = recovery.state in OPEN_STATES
    return {"repay": entry and open_ and actor.can(Perm.RECOVERY_MANAGE),
            "waive": entry and open_ and actor.can(Perm.SUBSIDY_REVIEW)}


def recovery_totals(qs: QuerySet[Recovery]) -> dict[str, int]:
    """Due, recovered, outstanding (open and partial) and waived fen of a recovery list."""
    rows = qs.order_by().values("state").annotate(n=Count("id"), due=Sum("amount"), back=Sum("recovered"))
    totals = {"count": 0, "amount": 0, "recovered": 0, "outstanding": 0, "waived": 0}
    for row in rows:
        due, back = row["due"] or 0, row["back"] or 0
        totals["count"] += row["n"]
        totals["amount"] += due
        totals["recovered"] += back
        if row["state"] in OPEN_STATES:
            totals["outstanding"] += due - back
        elif row["state"] == Recovery.State.WAIVED:
            totals["waived"] += due - back
    return totals


# --- the per-person ledger ------------------------------------------------------------------------------------------

def _superseded() -> Exists:
    """The item failed and was re-issued by a later item that stands (its entitlement is counted there, once)."""
    return Exists(Item.objects.filter(reissue_of=OuterRef("pk")).exclude(state=Item.State.CANCELLED))


@dataclass
class LedgerYear:
    year: int
    entitled: int = 0
    months: int = 0
    paid: int = 0
    failed: int = 0
    pending: int = 0
    recovery: int = 0
    recovered: int = 0
    outstanding: int = 0
    waived: int = 0

    KEYS = ("entitled", "months", "paid", "failed", "pending", "recovery", "recovered", "outstanding", "waived")

    @property
    def yuan(self) -> dict[str, str]:
        """Each amount as yuan text, for pages."""
        return {k: fen_text(getattr(self, k)) for k in self.KEYS if k != "months"}

    def as_dict(self) -> dict:
        return {"year": self.year, **{k: getattr(self, k) for k in self.KEYS}}


@dataclass
class PersonLedger:
    person: Person
    years: list[LedgerYear]
    totals: LedgerYear
    items: list[Item]
    recoveries: list[Recovery] = field(default_factory=list)


def person_ledger(*, actor, person: Person) -> PersonLedger:
    """Year by year: entitled (each month once: a failed item that was re-issued counts in its re-issue), paid, failed
    (still owed), pending, and what was recovered or is still outstanding; with every item in the actor's scope.

    Trusts the caller to have read `person` through registry's access_person."""
    require_perm(actor, Perm.SUBSIDY_VIEW)
    items = list(scope_filter(Item.objects.filter(person=person), actor).annotate(superseded=_superseded())
                 .select_related("batch", "reissue_of__batch", "recovery").order_by("year", "month_from", "id"))
    recoveries = list(scope_filter(Recovery.objects.filter(person=person), actor).select_related("item__batch").order_by("year", "id"))
    years: dict[int, LedgerYear] = {}
    for item in items:
        y = years.setdefault(item.year, LedgerYear(item.year))
        state = item.state
        item.counted = state in LIVE or (state in FAILED and not item.superseded)
        if item.counted:
            y.entitled += item.amount
            y.months += item.months
        if state == Item.State.PAID:
            y.paid += item.amount
        elif state in FAILED and not item.superseded:
            y.failed += item.amount
        elif state in (Item.State.PENDING, Item.State.HELD):
            y.pending += item.amount
    for r in recoveries:
        y = years.setdefault(r.year, LedgerYear(r.year))
        y.recovery += r.amount
        y.recovered += r.recovered
        if r.state in OPEN_STATES:
            y.outstanding += r.amount - r.recovered
        elif r.state == Recovery.State.WAIVED:
            y.waived += r.amount - r.recovered
    ordered = [years[k] for k in sorted(years)]
    totals = LedgerYear(0)
    for y in ordered:
        for k in LedgerYear.KEYS:
            setattr(totals, k, getattr(totals, k) + getattr(y, k))
    return PersonLedger(person=person, years=ordered, totals=totals, items=items, recoveries=recoveries)


# --- the fund summary -----------------------------------------------------------------------------------------------

FUND_KEYS = ("entitled", "paid", "failed", "pending", "recovery", "recovered", "outstanding", "project_persons", "project_amount")


@dataclass
class FundRow:
    county: str
    county_name: str
    fund_source: str
    year: int
    entitled: int = 0
    paid: int = 0
    failed: int = 0
    pending: int = 0
    recovery: int = 0
    recovered: int = 0
    outstanding: int = 0
    project_persons: int = 0
    project_amount: int = 0
    paid_count: int = 0

    @property
    def source_label(self) -> str:
        return str(FundSource(self.fund_source).label) if self.fund_source in FundSource.values else self.fund_source

    @property
    def yuan(self) -> dict[str, str]:
        """Each amount as yuan text, for pages."""
        return {k: fen_text(getattr(self, k)) for k in FUND_KEYS if k != "project_persons"}

    def add(self, other: FundRow) -> None:
        for k in (*FUND_KEYS, "paid_count"):
            setattr(self, k, getattr(self, k) + getattr(other, k))

    def as_dict(self) -> dict:
        return {"county": self.county, "county_name": self.county_name, "fund_source": self.fund_source, "fund_source_label": self.source_label,
                "year": self.year, **{k: getattr(self, k) for k in (*FUND_KEYS, "paid_count")}}


@dataclass
class FundSummary:
    rows: list[FundRow]
    total: FundRow
    by_county: list[FundRow]
    by_source: list[FundRow]


def _grouped(rows: list[FundRow], key) -> list[FundRow]:
    groups: dict = {}
    for row in rows:
        k = key(row)
        if k not in groups:
            groups[k] = FundRow(row.county if key is _by_county else "", row.county_name if key is _by_county else "",
                                row.fund_source if key is _by_source else "", 0)
        groups[k].add(row)
    return [groups[k] for k in sorted(groups)]


def _by_county(row: FundRow) -> str:
    return row.county


def _by_source(row: FundRow) -> str:
    return row.fund_source


def fund_summary(*, actor, year: int | None = None, county: str = "", fund_source: str = "") -> FundSummary:
    """资金汇总: by county, fund source and year — entitled (each month once), paid, failed (still owed), pending,
    recovery due, recovered and outstanding, and the project-support funds the batches set aside (Batch.totals["project"]).

    Items and recoveries are counted in the actor's view scope (a township viewer sees its own part); project funds are
    a county figure and appear only to viewers of the whole county."""
    require_perm(actor, Perm.SUBSIDY_VIEW)
    items = scope_filter(Item.objects.all(), actor)
    recoveries = scope_filter(Recovery.objects.all(), actor)
    batches = scope_filter(Batch.objects.all(), actor)
    if year:
        items, recoveries, batches = items.filter(year=year), recoveries.filter(year=year), batches.filter(year=year)
    if county:  # a county, or any division prefix: items and recoveries by their village, project funds by the batch's county
        items = items.filter(code_prefix_q("division_code", county))
        recoveries = recoveries.filter(code_prefix_q("division_code", county))
        batches = batches.filter(code_prefix_q("division_code", county))
    if fund_source:
        items, batches = items.filter(batch__fund_source=fund_source), batches.filter(fund_source=fund_source)
        recoveries = recoveries.filter(item__batch__fund_source=fund_source)

    table: dict[tuple, FundRow] = {}

    def row(county_code: str, source: str, y: int) -> FundRow:
        key = (county_code, source, y)
        if key not in table:
            table[key] = FundRow(county_code, "", source, y)
        return table[key]

    grouped = (items.exclude(state=Item.State.CANCELLED).annotate(superseded=_superseded())
               .values("batch__division_code", "batch__fund_source", "year", "state", "superseded")
               .annotate(n=Count("id"), fen=Sum("amount")).order_by())
    for g in grouped:
        r = row(g["batch__division_code"], g["batch__fund_source"], g["year"])
        fen, state = g["fen"] or 0, g["state"]
        if state in LIVE or (state in FAILED and not g["superseded"]):
            r.entitled += fen
        if state == Item.State.PAID:
            r.paid += fen
            r.paid_count += g["n"]
        elif state in FAILED and not g["superseded"]:
            r.failed += fen
        elif state in (Item.State.PENDING, Item.State.HELD):
            r.pending += fen
    for g in (recoveries.values("item__batch__division_code", "item__batch__fund_source", "year", "state")
              .annotate(due=Sum("amount"), back=Sum("recovered")).order_by()):
        r = row(g["item__batch__division_code"], g["item__batch__fund_source"], g["year"])
        due, back = g["due"] or 0, g["back"] or 0
        r.recovery += due
        r.recovered += back
        if g["state"] in OPEN_STATES:
            r.outstanding += due - back
    for code, source, y, totals in batches.values_list("division_code", "fund_source", "year", "totals"):
        project = (totals or {}).get("project") or {}
        if project.get("amount") or project.get("persons"):
            r = row(code, source, y)
            r.project_persons += int(project.get("persons") or 0)
            r.project_amount += int(project.get("amount") or 0)
    names = division_names({k[0] for k in table})
    for r in table.values():
        r.county_name = names.get(r.county, r.county)
    rows = sorted(table.values(), key=lambda r: (-r.year, r.county, r.fund_source))
    total = FundRow("", "", "", year or 0)
    for r in rows:
        total.add(r)
    return FundSummary(rows=rows, total=total, by_county=_grouped(rows, _by_county), by_source=_grouped(rows, _by_source))


def ledger_years(actor) -> list[int]:
    """Years that have batches in the actor's scope, newest first (for the filters)."""
    years = set(scope_filter(Batch.objects.all(), actor).order_by().values_list("year", flat=True).distinct())
    years |= set(scope_filter(Recovery.objects.all(), actor).order_by().values_list("year", flat=True).distinct())
    return sorted(years, reverse=True)


__all__ = ["batch_part", "batch_ledger_actions", "recovery_list", "access_recovery",
           "recovery_repayments", "recovery_actions", "recovery_totals", "person_ledger", "fund_summary", "ledger_years"]

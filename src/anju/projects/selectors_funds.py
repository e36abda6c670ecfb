"""Reads of project money and monthly progress, always scoped to the actor: allocations and payments (one, a list, a
project's totals by fund source), a project's monthly reports, the monthly reporting status of a scope, the unlocks."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Min, OuterRef, QuerySet, Subquery, Sum

from anju.accounts.roles import Perm
from anju.core.access import code_prefix_q, require_perm, scope_filter
from anju.core.exceptions import NotFound
from anju.divisions.models import Division, Level
from anju.divisions.selectors import division_names
from anju.projects.models import Allocation, Payment, ProgressReport, ProgressUnlock, Project, Term
from anju.projects.money import fen_text, percent_text
from anju.projects.selectors import term_names
from anju.projects.services.progress import REPORTING_STAGES, add_months, county_code, month_lock


def _access(model, actor, object_id, kind: str, perm: str):
    require_perm(actor, perm)
    try:
        pk = int(object_id)
    except (TypeError, ValueError):
        raise NotFound() from None
    if not -(2**63) < pk < 2**63:
        raise NotFound()
    obj = model.objects.filter(pk=pk).select_related("project").first()
    if obj is None:
        raise NotFound()
    prefix = actor.entry_prefix if kind == "entry" else actor.view_prefix
    if not obj.division_code.startswith(prefix):
        raise NotFound()
    return obj


def access_allocation(actor, allocation_id, *, kind: str = "view", perm: str = Perm.PROJECT_VIEW) -> Allocation:
    return _access(Allocation, actor, allocation_id, kind, perm)


def access_payment(actor, payment_id, *, kind: str = "view", perm: str = Perm.PROJECT_VIEW) -> Payment:
    return _access(Payment, actor, payment_id, kind, perm)


def county_prefix(value: str) -> str:
    """A county filter as a digit prefix ('' when blank or malformed, so a bad filter reads as no filter)."""
    text = str(value or "").strip()
    return text if text.isascii() and text.isdigit() and len(text) <= 12 else ""


def _filtered(qs: QuerySet, actor, *, year, fund_source, county, project, q, date_field: str) -> QuerySet:
    require_perm(actor, Perm.PROJECT_VIEW)
    qs = scope_filter(qs, actor).select_related("project", "created_by")
    if project is not None:
        qs = qs.filter(project=project)
    if year:
        qs = qs.filter(**({"year": year} if date_field == "doc_date" else {f"{date_field}__year": year}))
    if fund_source:
        qs = qs.filter(fund_source=fund_source)
    prefix = county_prefix(county)
    if prefix:
        qs = qs.filter(code_prefix_q("division_code", prefix))
    if q:
        from django.db.models import Q

        qs = qs.filter(Q(project__code__icontains=q) | Q(project__name__icontains=q))
    return qs


def allocation_list(*, actor, year: int | None = None, fund_source: str = "", county: str = "", project: Project | None = None,
                    q: str = "") -> QuerySet[Allocation]:
    """Allocations in the view scope; `year` is the allocation's fund year."""
    qs = _filtered(Allocation.objects.all(), actor, year=year, fund_source=fund_source, county=county, project=project, q=q, date_field="doc_date")
    return qs.order_by("-doc_date", "-id")


def payment_list(*, actor, year: int | None = None, fund_source: str = "", county: str = "", project: Project | None = None,
                 q: str = "") -> QuerySet[Payment]:
    """Payments in the view scope; `year` is the year of the payment date."""
    qs = _filtered(Payment.objects.all(), actor, year=year, fund_source=fund_source, county=county, project=project, q=q, date_field="paid_on")
    return qs.order_by("-paid_on", "-id")


def list_total(qs: QuerySet) -> dict:
    row = qs.order_by().aggregate(n=Count("id"), amount=Sum("amount"))
    return {"count": row["n"] or 0, "amount": row["amount"] or 0, "amount_text": fen_text(row["amount"] or 0)}


def payment_rate(paid: int, allocated: int) -> Decimal | None:
    """资金支付率 = paid / allocated, as a fraction with 4 places; None when nothing is allocated."""
    if not allocated:
        return None
    return (Decimal(paid) / Decimal(allocated)).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)


def rate_text(rate: Decimal | None) -> str:
    return percent_text(rate)


@dataclass
class SourceTotal:
    fund_source: str
    name: str
    allocated: int = 0
    paid: int = 0

    @property
    def balance(self) -> int:
        return self.allocated - self.paid

    @property
    def rate(self) -> Decimal | None:
        return payment_rate(self.paid, self.allocated)

    @property
    def text(self) -> dict:
        return {"allocated": fen_text(self.allocated), "paid": fen_text(self.paid), "balance": fen_text(self.balance), "rate": rate_text(self.rate)}


@dataclass
class FundsSummary:
    sources: list[SourceTotal] = field(default_factory=list)
    total: SourceTotal = field(default_factory=lambda: SourceTotal("", ""))


def project_funds(project: Project) -> FundsSummary:
    """A project's allocated and paid money by fund source (sources in the city's order), with 资金支付率."""
    names = term_names(Term.Kind.FUND_SOURCE)
    order = {code: i for i, code in enumerate(Term.objects.filter(kind=Term.Kind.FUND_SOURCE).order_by("sort", "code").values_list("code", flat=True))}
    rows: dict[str, SourceTotal] = {}
    for source, amount in Allocation.objects.filter(project=project).values_list("fund_source").annotate(s=Sum("amount")).order_by():
        rows.setdefault(source, SourceTotal(source, names.get(source, source))).allocated = amount or 0
    for source, amount in Payment.objects.filter(project=project).values_list("fund_source").annotate(s=Sum("amount")).order_by():
        rows.setdefault(source, SourceTotal(source, names.get(source, source))).paid = amount or 0
    summary = FundsSummary(sources=sorted(rows.values(), key=lambda r: (order.get(r.fund_source, 999), r.fund_source)))
    summary.total.allocated = sum(r.allocated for r in summary.sources)
    summary.total.paid = sum(r.paid for r in summary.sources)
    return summary


def project_sources(project: Project) -> list[tuple[str, str]]:
    """(code, name) of the sources a project has allocations of: what it may record payments from."""
    names = term_names(Term.Kind.FUND_SOURCE)
    codes = Allocation.objects.filter(project=project).values_list("fund_source", flat=True).distinct().order_by("fund_source")
    return [(c, names.get(c, c)) for c in codes]


def payment_shares(project: Project, months: list[dt.date]) -> list[Decimal | None]:
    """The project's 资金支付率 at the end of each month (paid ÷ allocated up to that day; None before any allocation)."""
    allocations = list(Allocation.objects.filter(project=project).values_list("doc_date", "amount"))
    payments = list(Payment.objects.filter(project=project).values_list("paid_on", "amount"))
    shares = []
    for m in months:
        end = add_months(m, 1)
        shares.append(payment_rate(sum(a for d, a in payments if d < end), sum(a for d, a in allocations if d < end)))
    return shares


def progress_reports(project: Project) -> list[ProgressReport]:
    return list(ProgressReport.objects.filter(project=project).select_related("reported_by").order_by("-month"))


# --- the monthly reporting status ----------------------------------------------------------------------------------

@dataclass
class StatusRow:
    project: Project
    county_code: str
    county_name: str
    last_month: dt.date | None
    last_percent: Decimal | None
    state: str  # reported, missing, not_due
    deadline: dt.date
    lock: str  # open, locked, unlocked
    unlocked_until: dt.date | None


def monthly_status(*, actor, month: dt.date, county: str = "", state: str = "", today: dt.date | None = None) -> list[StatusRow]:
    """The projects of the view scope that report monthly (立项/下达, 实施, 完工), each with its last report up to `month`, whether
    `month` is reported, missing or not yet due (first allocation later, or completed before it), and the county's
    deadline and lock state for `month`."""
    require_perm(actor, Perm.PROJECT_VIEW)
    today = today or dt.date.today()
    qs = scope_filter(Project.objects.filter(stage__in=REPORTING_STAGES), actor)
    prefix = county_prefix(county)
    if prefix:
        qs = qs.filter(code_prefix_q("division_code", prefix))
    latest = ProgressReport.objects.filter(project=OuterRef("pk"), month__lte=month).order_by("-month")
    first_alloc = Allocation.objects.filter(project=OuterRef("pk")).order_by().values("project").annotate(d=Min("doc_date")).values("d")
    qs = qs.annotate(last_month=Subquery(latest.values("month")[:1]), last_percent=Subquery(latest.values("physical_percent")[:1]),
                     first_alloc=Subquery(first_alloc[:1])).order_by("division_code", "code")
    projects = list(qs)
    names = division_names({county_code(p.division_code) for p in projects})
    locks: dict[str, object] = {}
    rows = []
    for p in projects:
        county12 = county_code(p.division_code)
        if county12 not in locks:
            locks[county12] = month_lock(county12, month, today=today)
        lock = locks[county12]
        if p.last_month == month:
            row_state = "reported"
        elif (p.first_alloc and add_months(p.first_alloc.replace(day=1), -1) > month) or (p.actual_completion and p.actual_completion < month):
            row_state = "not_due"
        else:
            row_state = "missing"
        if state and row_state != state:
            continue
        percent = None if p.last_percent is None else Decimal(p.last_percent).quantize(Decimal("0.01"))  # SQLite gives the subquery's 10 as 10
        rows.append(StatusRow(p, county12[:6], names.get(county12, county12[:6]), p.last_month, percent, row_state, lock.deadline,
                              lock.state, lock.unlocked_until))
    return rows


def status_counts(rows: list[StatusRow]) -> dict:
    counts = {"reported": 0, "missing": 0, "not_due": 0}
    for r in rows:
        counts[r.state] += 1
    counts["total"] = len(rows)
    return counts


def unlock_list(*, actor) -> QuerySet[ProgressUnlock]:
    require_perm(actor, Perm.PROJECT_VIEW)
    return scope_filter(ProgressUnlock.objects.all(), actor).select_related("by").order_by("-at", "-id")


def counties(actor, *, kind: str = "view") -> list[Division]:
    """The counties of the actor's scope (its own county when scoped to one or below)."""
    prefix = actor.entry_prefix if kind == "entry" else actor.view_prefix
    if not prefix.isdigit():
        return []
    return list(Division.objects.filter(code_prefix_q("code", prefix[:6]), level=Level.COUNTY).order_by("code"))

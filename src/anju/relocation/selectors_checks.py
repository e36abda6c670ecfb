"""Spot-check reads: checks and their sampled households in the actor's scope, follow-ups (open, overdue), and the rows
of the field list (household number, head, village, site, address)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet

from anju.accounts.roles import Perm
from anju.core.access import code_prefix_q, require_perm, scope_filter
from anju.core.exceptions import NotFound
from anju.divisions.selectors import division_names
from anju.registry.models import Enrolment, Program
from anju.relocation.models import SpotCheck, SpotCheckItem

Result = SpotCheckItem.Result
FollowUp = SpotCheckItem.FollowUp


def check_list(*, actor, state: str = "", division: str = "", q: str = "") -> QuerySet[SpotCheck]:
    require_perm(actor, Perm.RELOCATION_VIEW)
    qs = scope_filter(SpotCheck.objects.all(), actor).select_related("site", "created_by")
    if state:
        qs = qs.filter(state=state)
    if division and division.isdigit():
        qs = qs.filter(code_prefix_q("division_code", division))
    if q:
        qs = qs.filter(name__contains=q)
    return qs.annotate(pending=Count("items", filter=Q(items__result=Result.PENDING)),
                       open_follow_ups=Count("items", filter=Q(items__follow_up=FollowUp.OPEN))).order_by("-created_at", "-id")


def access_check(actor, check_id: int) -> SpotCheck:
    """A spot check whose scope lies in the actor's view scope; not-found otherwise."""
    require_perm(actor, Perm.RELOCATION_VIEW)
    check = scope_filter(SpotCheck.objects.filter(pk=check_id), actor).select_related("site", "created_by").first()
    if check is None:
        raise NotFound()
    return check


def access_item(actor, item_id: int) -> SpotCheckItem:
    """A sampled household in the actor's view scope (its check may be a wider one); not-found otherwise."""
    require_perm(actor, Perm.RELOCATION_VIEW)
    item = (SpotCheckItem.objects.filter(pk=item_id).select_related("spot_check", "spot_check__site", "household", "household__head")
            .first())
    if item is None or not item.division_code.startswith(actor.view_prefix):
        raise NotFound()
    return item


def can_view_check(actor, check: SpotCheck) -> bool:
    return actor.can(Perm.RELOCATION_VIEW) and check.division_code.startswith(actor.view_prefix)


def items_of(check: SpotCheck) -> list[SpotCheckItem]:
    items = list(check.items.select_related("household", "household__head").order_by("order"))
    decorate(items)
    return items


def decorate(items) -> None:
    """Attach village, township and site names to each item (one query each for names and sites)."""
    names = division_names({i.division_code for i in items})
    sites: dict[int, str] = {}
    rows = (Enrolment.objects.filter(household_id__in=[i.household_id for i in items], program=Program.RELOCATION, site__isnull=False)
            .order_by("household_id", "id").values_list("household_id", "site__name"))
    for household_id, site_name in rows:
        sites.setdefault(household_id, site_name)
    for i in items:
        i.village = names.get(i.division_code, i.division_code)
        i.township = names.get(i.division_code[:9].ljust(12, "0"), "")
        i.site_name = sites.get(i.household_id, "")


@dataclass
class CheckSummary:
    total: int
    pending: int
    consistent: int
    discrepancy: int
    not_found: int
    open_follow_ups: int
    resolved: int
    overdue: int

    @property
    def closable(self) -> bool:
        return self.pending == 0 and self.open_follow_ups == 0


def summary(items, today: dt.date) -> CheckSummary:
    return CheckSummary(total=len(items), pending=sum(i.result == Result.PENDING for i in items),
                        consistent=sum(i.result == Result.CONSISTENT for i in items),
                        discrepancy=sum(i.result == Result.DISCREPANCY for i in items),
                        not_found=sum(i.result == Result.NOT_FOUND for i in items),
                        open_follow_ups=sum(i.follow_up == FollowUp.OPEN for i in items),
                        resolved=sum(i.follow_up == FollowUp.RESOLVED for i in items),
                        overdue=sum(is_overdue(i, today) for i in items))


def is_overdue(item: SpotCheckItem, today: dt.date) -> bool:
    return item.follow_up == FollowUp.OPEN and item.follow_up_deadline is not None and item.follow_up_deadline < today


def days_overdue(item: SpotCheckItem, today: dt.date) -> int:
    return (today - item.follow_up_deadline).days if is_overdue(item, today) else 0


def follow_up_list(*, actor, overdue: bool = False, state: str = "", today: dt.date | None = None) -> QuerySet[SpotCheckItem]:
    """Follow-ups of spot checks on households in the actor's view scope: open ones by default (state "resolved" for the
    done ones), or only those past their deadline (most overdue first)."""
    require_perm(actor, Perm.RELOCATION_VIEW)
    today = today or dt.date.today()
    qs = scope_filter(SpotCheckItem.objects.exclude(follow_up=FollowUp.NONE), actor)
    if overdue:
        qs = qs.filter(follow_up=FollowUp.OPEN, follow_up_deadline__lt=today)
    elif state:
        qs = qs.filter(follow_up=state)
    return qs.select_related("spot_check", "household", "household__head").order_by("follow_up_deadline", "id")

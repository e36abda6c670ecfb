"""Reference list reads: banks (shared by the installation) and bank file layouts (shared, or of a division scope)."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from anju.accounts.roles import Perm
from anju.core.access import code_prefix_q, require_perm
from anju.core.exceptions import NotFound
from anju.subsidies.models import Bank, BankLayout
from anju.subsidies.services.reference import layout_may_enter


def bank_list(*, actor, q: str = "", active: bool | None = None) -> QuerySet[Bank]:
    require_perm(actor, Perm.SUBSIDY_VIEW)
    qs = Bank.objects.all()
    if q:
        qs = qs.filter(name__contains=q)
    if active is not None:
        qs = qs.filter(active=active)
    return qs.order_by("-active", "name")


def access_bank(actor, bank_id) -> Bank:
    """One bank by id, or NotFound (banks are not scoped: every reader sees the whole list)."""
    require_perm(actor, Perm.SUBSIDY_VIEW)
    try:
        pk = int(bank_id)
    except (TypeError, ValueError):
        raise NotFound() from None
    bank = Bank.objects.filter(pk=pk).first()
    if bank is None:
        raise NotFound()
    return bank


def _wider(prefix: str) -> list[str]:
    return [prefix[:n] for n in (0, 2, 4, 6, 9, 12) if n <= len(prefix)]


def _layout_q(actor) -> Q:
    """Shared layouts, those of the scopes covering the view scope, and those inside it."""
    prefix = actor.view_prefix
    if not prefix.isdigit():
        return Q(scope="")
    return Q(scope__in=_wider(prefix)) | code_prefix_q("scope", prefix)


def layout_visible(actor, layout: BankLayout) -> bool:
    prefix = actor.view_prefix
    if not layout.scope:
        return True
    return prefix.isdigit() and (layout.scope.startswith(prefix) or prefix.startswith(layout.scope))


def layout_list(*, actor, q: str = "", bank: int | None = None) -> QuerySet[BankLayout]:
    require_perm(actor, Perm.SUBSIDY_VIEW)
    qs = BankLayout.objects.filter(_layout_q(actor)).select_related("bank")
    if q:
        qs = qs.filter(name__contains=q)
    if bank:
        qs = qs.filter(bank_id=bank)
    return qs.order_by("scope", "name")


def access_layout(actor, layout_id) -> BankLayout:
    """One layout the actor may see, or NotFound (unknown, malformed or of another division)."""
    require_perm(actor, Perm.SUBSIDY_VIEW)
    try:
        pk = int(layout_id)
    except (TypeError, ValueError):
        raise NotFound() from None
    layout = BankLayout.objects.filter(pk=pk).select_related("bank").first()
    if layout is None:
        raise NotFound()
    if not layout_visible(actor, layout):
        raise NotFound()
    return layout


def layout_actions(actor, layout: BankLayout) -> dict[str, bool]:
    manage = actor.can(Perm.SUBSIDY_POLICY) and layout_may_enter(actor, layout.scope)
    return {"edit": manage, "delete": manage}

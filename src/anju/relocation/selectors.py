"""Relocation reads: resettlement sites the actor may see, and the relocated households of a site."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from anju.accounts.roles import Perm
from anju.core.access import code_prefix_q, require_perm
from anju.core.exceptions import NotFound
from anju.divisions.selectors import division_names
from anju.registry.models import Household, Program
from anju.registry.selectors import scope_or_ancestors_q
from anju.relocation.models import Site


def site_list(*, actor, q: str = "") -> QuerySet[Site]:
    """Sites inside the actor's view scope or at a division containing it (a county's site for its townships)."""
    require_perm(actor, Perm.REGISTRY_VIEW)
    qs = Site.objects.filter(scope_or_ancestors_q(actor))
    if q:
        qs = qs.filter(Q(name__contains=q) | Q(code__startswith=q))
    return qs.order_by("division_code", "code")


def access_site(actor, site_id: int) -> Site:
    require_perm(actor, Perm.REGISTRY_VIEW)
    site = Site.objects.filter(scope_or_ancestors_q(actor), pk=site_id).first()
    if site is None:
        raise NotFound()
    return site


def site_households(*, actor, site: Site) -> QuerySet[Household]:
    """Households in the actor's scope with relocation enrolments at the site, with how many persons each."""
    require_perm(actor, Perm.REGISTRY_VIEW)
    return (Household.objects.filter(code_prefix_q("division_code", actor.view_prefix), enrolments__site=site,
                                     enrolments__program=Program.RELOCATION)
            .annotate(persons=Count("enrolments", distinct=True)).select_related("head").order_by("division_code", "number"))


def decorate_households(households) -> None:
    names = division_names({h.division_code for h in households})
    for h in households:
        h.village = names.get(h.division_code, h.division_code)

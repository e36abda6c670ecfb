"""Change-request reads, always scoped to the actor: the inbox by level, one request, its evidence, posting lists,
and the person / household / enrolment a new request names."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from anju.accounts.roles import Perm
from anju.core.access import code_prefix_q, in_scope, prefix_for, require_perm, scope_filter
from anju.core.crypto import blind_index
from anju.core.exceptions import NotFound, ValidationFailed
from anju.divisions.models import Division
from anju.registry.models import ChangeRequest, Enrolment, Evidence, Household, Person
from anju.registry.resident_id import normalise
from anju.registry.services.requests import actor_level

MSG_SCOPE_CODE = _("范围应为您管辖内的县（6 位）或乡镇（9 位）区划代码")

BOXES = ("awaiting", "mine", "all")
MAX_LEVELS = 6


def change_request_list(*, actor, box: str = "all", state: str = "", kind: str = "", program: str = "", division: str = "") -> QuerySet:
    """Requests in the actor's view scope. `awaiting`: pending at the actor's level in their entry scope; `mine`: created by them."""
    require_perm(actor, Perm.REGISTRY_VIEW)
    qs = scope_filter(ChangeRequest.objects.all(), actor).select_related("person", "household", "created_by")
    if box == "awaiting":
        level = actor_level(actor)
        if not actor.can(Perm.REQUEST_DECIDE) or not level:
            return qs.none()
        at_level = Q()
        for i in range(MAX_LEVELS):
            at_level |= Q(level_index=i, **{f"levels__{i}": level})
        qs = qs.filter(at_level, code_prefix_q("division_code", prefix_for(actor, "entry")), state=ChangeRequest.State.PENDING)
        qs = qs.exclude(created_by=actor)
    elif box == "mine":
        qs = qs.filter(created_by=actor)
    if state:
        qs = qs.filter(state=state)
    if kind:
        qs = qs.filter(kind=kind)
    if program:
        qs = qs.filter(program=program)
    if division and division.isdigit():
        qs = qs.filter(code_prefix_q("division_code", division))
    return qs.order_by("-created_at", "-pk")


def access_change_request(actor, request_id) -> ChangeRequest:
    """One request in the actor's view scope, or NotFound."""
    require_perm(actor, Perm.REGISTRY_VIEW)
    try:
        request_id = int(request_id)
    except (TypeError, ValueError):
        raise NotFound() from None
    cr = ChangeRequest.objects.select_related("person", "household", "enrolment", "created_by").filter(pk=request_id).first()
    if cr is None or not in_scope(actor, cr.division_code):
        raise NotFound()
    return cr


def change_request_steps(cr: ChangeRequest) -> QuerySet:
    return cr.steps.select_related("actor").order_by("at", "pk")


def change_request_evidence(cr: ChangeRequest) -> QuerySet:
    return cr.evidence.select_related("uploaded_by").order_by("uploaded_at", "pk")


def access_evidence(actor, request_id, evidence_id) -> Evidence:
    cr = access_change_request(actor, request_id)
    evidence = Evidence.objects.filter(request=cr, pk=evidence_id).select_related("request").first()
    if evidence is None:
        raise NotFound()
    return evidence


def posting_scope(actor, scope: str = "") -> str:
    """The division prefix of a posting list: a county or township in the actor's view scope (default: the scope itself)."""
    require_perm(actor, Perm.REGISTRY_VIEW)
    scope = (scope or "").strip() or prefix_for(actor)
    if len(scope) not in (4, 6, 9) or not scope.isdigit():
        raise ValidationFailed(MSG_SCOPE_CODE, code="scope_invalid", detail={"field": "scope"})
    if not scope.startswith(prefix_for(actor)):
        raise NotFound()
    return scope


def posting_list(*, actor, scope: str = "", program: str = "", on: dt.date | None = None) -> QuerySet:
    """Requests on public posting (公示) in a township or county, ordered by township, village, household."""
    prefix = posting_scope(actor, scope)
    qs = ChangeRequest.objects.filter(code_prefix_q("division_code", prefix), state=ChangeRequest.State.POSTING)
    if program:
        qs = qs.filter(program=program)
    if on:
        qs = qs.filter(posting_from__lte=on, posting_until__gte=on)
    return qs.select_related("person", "household").order_by("division_code", "household__number", "pk")


def division_names(codes) -> dict[str, str]:
    """Names of the villages, their townships and counties, for lists and printed tables."""
    wanted = set()
    for code in codes:
        wanted |= {code, code[:9].ljust(12, "0"), code[:6].ljust(12, "0")}
    return dict(Division.objects.filter(code__in=wanted).values_list("code", "name"))


# The person, household and enrolment a new request names: read in the actor's view scope.

def request_person(actor, person_id) -> Person:
    require_perm(actor, Perm.REGISTRY_VIEW)
    person = Person.objects.filter(pk=person_id).first() if str(person_id).isdigit() else None
    if person is None or not in_scope(actor, person.division_code):
        raise NotFound()
    return person


def request_person_by_id_number(actor, number: str) -> Person:
    require_perm(actor, Perm.REGISTRY_VIEW)
    person = Person.objects.filter(id_hash=blind_index(normalise(number))).first()
    if person is None or not in_scope(actor, person.division_code):
        raise NotFound()
    return person


def request_household(actor, household_id) -> Household:
    require_perm(actor, Perm.REGISTRY_VIEW)
    household = Household.objects.filter(pk=household_id).first() if str(household_id).isdigit() else None
    if household is None or not in_scope(actor, household.division_code):
        raise NotFound()
    return household


def request_household_by_number(actor, number: str, county: str = "") -> Household:
    """A household by its number in the actor's county (or the county named)."""
    require_perm(actor, Perm.REGISTRY_VIEW)
    county = county or prefix_for(actor)[:6]
    qs = scope_filter(Household.objects.filter(number=str(number).strip()), actor)
    if len(county) == 6:
        qs = qs.filter(county_code=county)
    household = qs.first()
    if household is None:
        raise NotFound()
    return household


def request_enrolment(actor, person: Person, program: str) -> Enrolment | None:
    require_perm(actor, Perm.REGISTRY_VIEW)
    return Enrolment.objects.filter(person=person, program=program).first()


def household_members(household: Household) -> list:
    """Current members (membership rows with their person) of a household the caller has already accessed."""
    return list(household.memberships.filter(valid_to__isnull=True).select_related("person").order_by("pk"))

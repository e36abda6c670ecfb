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
from anju.registry.models import ChangeRequest, Enrolment, Evidence, Household, Person
from anju.registry.resident_id import normalise
from anju.registry.services.requests import actor_level

MSG_SCOPE_CODE = _("范围应为您管辖内的市（4 位）、县（6 位）或乡镇（9 位）区划代码")

BOXES = ("awaiting", "mine", "all")
MAX_LEVELS = 6
MAX_ID = 2**63 - 1


def _id(value) -> int | None:
    """A primary key from user input, or None (a huge number would overflow the database's integer)."""
    try:
        value = int(value)
    except (TypeError, ValueError):
        return None
    return value if 0 < value <= MAX_ID else None


def change_request_list(*, actor, box: str = "all", state: str = "", kind: str = "", program: str = "", division: str = "",
                        person_id: int | None = None, household_id: int | None = None) -> QuerySet:
    """Requests in the actor's view scope. `awaiting`: pending at the actor's level in their entry scope; `mine`: created by them.
    `person_id` / `household_id` narrow to one person's or household's requests (the person and household pages)."""
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
    if person_id is not None:
        qs = qs.filter(person_id=_id(person_id) or 0)
    if household_id is not None:
        qs = qs.filter(household_id=_id(household_id) or 0)
    if division and division.isdigit():
        qs = qs.filter(code_prefix_q("division_code", division))
    return qs.order_by("-created_at", "-pk")


def access_change_request(actor, request_id) -> ChangeRequest:
    """One request in the actor's view scope, or NotFound."""
    require_perm(actor, Perm.REGISTRY_VIEW)
    request_id = _id(request_id)
    if request_id is None:
        raise NotFound()
    cr = ChangeRequest.objects.select_related("person", "household", "enrolment", "created_by").filter(pk=request_id).first()
    if cr is None or not in_scope(actor, cr.division_code):
        raise NotFound()
    return cr


def change_request_steps(cr: ChangeRequest) -> QuerySet:
    return cr.steps.select_related("actor").order_by("at", "pk")


def change_request_evidence(cr: ChangeRequest) -> QuerySet:
    return cr.evidence.select_related("uploaded_by").order_by("uploaded_at", "pk")


def change_request_members(cr: ChangeRequest) -> list[dict]:
    """The persons a request adds or moves, for the detail page of a request already accessed (ID numbers masked)."""
    if cr.kind == ChangeRequest.Kind.ADD_HOUSEHOLD:
        return cr.payload.get("members") or []
    if cr.kind == ChangeRequest.Kind.ADD_PERSON:
        return [cr.payload["member"]] if cr.payload.get("member") else []
    if cr.kind in (ChangeRequest.Kind.SPLIT, ChangeRequest.Kind.MERGE):
        ids = cr.payload.get("affected") or []
        relations = {m.person_id: m.relation for m in cr.household.memberships.filter(person_id__in=ids, valid_to__isnull=True)} \
            if cr.household else {}
        return [{"name": p.name, "id_masked": p.id_masked, "relation": relations.get(p.pk, "")}
                for p in Person.objects.filter(pk__in=ids).order_by("pk")]
    return []


def access_evidence(actor, request_id, evidence_id) -> Evidence:
    cr = access_change_request(actor, request_id)
    evidence = Evidence.objects.filter(request=cr, pk=_id(evidence_id)).select_related("request").first() if _id(evidence_id) else None
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


# The person, household and enrolment a new request names: read in the actor's view scope.

def request_person(actor, person_id) -> Person:
    require_perm(actor, Perm.REGISTRY_VIEW)
    person = Person.objects.filter(pk=_id(person_id)).first() if _id(person_id) else None
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
    household = Household.objects.filter(pk=_id(household_id)).first() if _id(household_id) else None
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

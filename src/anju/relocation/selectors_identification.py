"""Reads of identification, always scoped to the actor: vocabularies and rules (city configuration, readable by every
relocation user), designated areas, surveys, the candidate list, the coverage check (应搬尽搬，不漏一户、不落一人) and the
audited reveal of a head's full ID.

Coverage, three lists in the actor's view scope (optionally narrowed to a division):
  (a) households of the registry in a designated area, registered poor (建档立卡 on any enrolment), with no relocation
      enrolment, no Relocation and no survey (neither linked nor matching the head's ID);
  (b) confirmed surveys whose household is not in the registry, has no relocation enrolment, or has not moved in
      (no Relocation, or its step before "moved_in");
  (c) eligible surveys still open (not confirmed or rejected) more than `days` (30) after the survey date.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext_lazy

from anju.accounts.roles import Perm
from anju.core.access import code_prefix_q, in_scope, require_perm
from anju.core.audit import audit_record
from anju.core.crypto import decrypt
from anju.core.exceptions import NotFound, ValidationFailed
from anju.divisions.codes import full_code, prefix_of
from anju.divisions.selectors import division_names
from anju.registry.models import Enrolment, Household, Program
from anju.relocation.models import DesignatedArea, EligibilityRule, Relocation, Step, Survey, Term
from anju.relocation.services.identification import designated_prefixes
from anju.relocation.services.identification_rules import OPEN_STATES

OVERDUE_DAYS = 30
MSG_DIVISION = gettext_lazy("区划代码应为 2、4、6、9 或 12 位数字")
NOT_MOVED_IN = (Step.CONFIRMED, Step.AGREEMENT, Step.ALLOCATED)


def _pk(value) -> int:
    try:
        pk = int(value)
    except (TypeError, ValueError):
        raise NotFound() from None
    if not 0 < pk < 2**63:
        raise NotFound()
    return pk


def narrow(actor, division: str | None) -> str | None:
    """The prefix a list reads: the actor's view scope narrowed by `division` (digits); None when outside it."""
    prefix = actor.view_prefix
    division = (division or "").strip()
    if not division:
        return prefix
    try:
        division = prefix_of(full_code(division))
    except ValueError:
        raise ValidationFailed(MSG_DIVISION, code="division_invalid", detail={"field": "division"}) from None
    if division.startswith(prefix):
        return division
    if prefix.startswith(division):
        return prefix
    return None


# --- configuration -------------------------------------------------------------------------------------------------

def term_list(*, actor, kind: str) -> QuerySet[Term]:
    require_perm(actor, Perm.RELOCATION_VIEW)
    return Term.objects.filter(kind=kind).order_by("sort", "code")


def access_term(actor, term_id) -> Term:
    require_perm(actor, Perm.RELOCATION_VIEW)
    term = Term.objects.filter(pk=_pk(term_id)).first()
    if term is None:
        raise NotFound()
    return term


def rule_list(*, actor, active_only: bool = False) -> QuerySet[EligibilityRule]:
    require_perm(actor, Perm.RELOCATION_VIEW)
    qs = EligibilityRule.objects.order_by("sort", "code")
    return qs.filter(active=True) if active_only else qs


def access_rule(actor, rule_id) -> EligibilityRule:
    require_perm(actor, Perm.RELOCATION_VIEW)
    rule = EligibilityRule.objects.filter(pk=_pk(rule_id)).first()
    if rule is None:
        raise NotFound()
    return rule


def area_list(*, actor, division: str | None = None) -> QuerySet[DesignatedArea]:
    """Designated areas in the view scope, plus the township designated around a viewer scoped to one of its villages."""
    require_perm(actor, Perm.RELOCATION_VIEW)
    prefix = narrow(actor, division)
    if prefix is None:
        return DesignatedArea.objects.none()
    q = code_prefix_q("division_code", prefix)
    if len(prefix) == 12:
        q |= Q(division_code=prefix[:9].ljust(12, "0"))
    return DesignatedArea.objects.filter(q).order_by("division_code")


def access_area(actor, area_id, *, kind: str = "view") -> DesignatedArea:
    require_perm(actor, Perm.RELOCATION_VIEW)
    area = DesignatedArea.objects.filter(pk=_pk(area_id)).first()
    if area is None or not in_scope(actor, area.division_code, kind):
        raise NotFound()
    return area


# --- surveys -------------------------------------------------------------------------------------------------------

def access_survey(actor, survey_id, *, kind: str = "view") -> Survey:
    """A survey in the actor's scope (`entry` for writes), or NotFound."""
    require_perm(actor, Perm.RELOCATION_VIEW)
    survey = Survey.objects.select_related("household", "created_by", "township_by", "county_by").filter(pk=_pk(survey_id)).first()
    if survey is None or not in_scope(actor, survey.division_code, kind):
        raise NotFound()
    return survey


def survey_list(*, actor, division: str | None = None, state: str = "", eligible: bool | None = None, q: str = "") -> QuerySet[Survey]:
    require_perm(actor, Perm.RELOCATION_VIEW)
    prefix = narrow(actor, division)
    if prefix is None:
        return Survey.objects.none()
    qs = Survey.objects.filter(code_prefix_q("division_code", prefix)).select_related("household")
    if state:
        qs = qs.filter(state=state)
    if eligible is not None:
        qs = qs.filter(eligible=eligible)
    q = (q or "").strip()
    if q:
        qs = qs.filter(Q(head_name__contains=q) | Q(address__contains=q) | Q(household__number=q))
    return qs.order_by("division_code", "head_name", "id")


def candidate_list(*, actor, division: str | None = None, state: str = "") -> QuerySet[Survey]:
    """Eligible surveys not confirmed yet (draft, submitted, township-confirmed): who meets the criteria."""
    qs = survey_list(actor=actor, division=division, eligible=True).filter(state__in=OPEN_STATES)
    if state:
        qs = qs.filter(state=state)
    return qs


def with_places(rows) -> list:
    """Set `village_name` and `township_name` on rows with a `division_code` (one query for the page)."""
    rows = list(rows)
    names = division_names({r.division_code for r in rows})
    for r in rows:
        r.village_name = names.get(r.division_code, r.division_code)
        r.township_name = names.get(r.division_code[:9].ljust(12, "0"), "")
        r.county_name = names.get(r.division_code[:6].ljust(12, "0"), "")
    return rows


def survey_reveal(*, actor, survey: Survey) -> str:
    """The head's full resident ID, for an actor holding REGISTRY_VIEW_PII; writes `relocation.survey.revealed`."""
    require_perm(actor, Perm.REGISTRY_VIEW_PII)
    if not in_scope(actor, survey.division_code):
        raise NotFound()
    value = decrypt(survey.head_id_enc)
    with transaction.atomic():
        audit_record(actor=actor, action="relocation.survey.revealed", object_type="survey", object_id=survey.pk,
                     division_code=survey.division_code, after={"field": "head_id"})
    return value


# --- coverage ------------------------------------------------------------------------------------------------------

@dataclass
class CoverageRow:
    kind: str  # missing | not_moved | overdue
    division_code: str
    household_id: int | None
    household_number: str
    survey_id: int | None
    head_name: str
    head_id_masked: str
    reason: str
    state: str = ""
    surveyed_on: dt.date | None = None
    days: int | None = None
    village_name: str = ""
    township_name: str = ""
    county_name: str = ""


@dataclass
class Coverage:
    as_of: dt.date
    prefix: str
    missing: list[CoverageRow] = field(default_factory=list)
    not_moved: list[CoverageRow] = field(default_factory=list)
    overdue: list[CoverageRow] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.missing) + len(self.not_moved) + len(self.overdue)

    def rows(self) -> list[CoverageRow]:
        return self.missing + self.not_moved + self.overdue


REASON_MISSING = gettext_lazy("建档立卡户位于迁出区，未纳入搬迁名册，也没有识别调查")
REASON_NO_HOUSEHOLD = gettext_lazy("县级已确认，尚未纳入人口名册")
REASON_NO_ENROLMENT = gettext_lazy("县级已确认，该户尚未纳入易地扶贫搬迁名册")
REASON_NO_RELOCATION = gettext_lazy("县级已确认，尚无搬迁记录")
REASON_NOT_MOVED = gettext_lazy("县级已确认，尚未搬迁入住（当前环节：%(step)s）")
REASON_OVERDUE = gettext_lazy("符合搬迁条件，调查后 %(days)s 天仍未完成确认（%(state)s）")


def coverage_check(*, actor, division: str | None = None, today: dt.date | None = None, days: int = OVERDUE_DAYS) -> Coverage:
    """The three coverage lists (module docstring) in the actor's view scope, narrowed to `division`."""
    require_perm(actor, Perm.RELOCATION_VIEW)
    today = today or dt.date.today()
    prefix = narrow(actor, division)
    out = Coverage(as_of=today, prefix=prefix or "")
    if prefix is None:
        return out
    in_prefix = code_prefix_q("division_code", prefix)

    # (a) registered poor households in designated areas that nobody has surveyed or enrolled
    area_q = Q()
    for p in designated_prefixes():
        if p.startswith(prefix) or prefix.startswith(p):
            area_q |= code_prefix_q("division_code", p)
    if area_q:
        surveyed_heads = Survey.objects.filter(household__isnull=True).exclude(head_id_hash="").values("head_id_hash")
        households = (Household.objects.filter(in_prefix).filter(area_q)
                      .filter(Exists(Enrolment.objects.filter(household=OuterRef("pk"), poverty_registered=True)))
                      .exclude(Exists(Enrolment.objects.filter(household=OuterRef("pk"), program=Program.RELOCATION)))
                      .exclude(Exists(Relocation.objects.filter(household=OuterRef("pk"))))
                      .exclude(Exists(Survey.objects.filter(household=OuterRef("pk"))))
                      .exclude(head__id_hash__in=surveyed_heads)
                      .select_related("head").order_by("division_code", "number"))
        for h in households:
            out.missing.append(CoverageRow("missing", h.division_code, h.pk, h.number, None, h.head.name if h.head_id else "",
                                           h.head.id_masked if h.head_id else "", str(REASON_MISSING)))

    # (b) confirmed surveys not yet enrolled or moved in
    confirmed = (Survey.objects.filter(in_prefix, state=Survey.State.CONFIRMED).select_related("household")
                 .annotate(enrolled=Exists(Enrolment.objects.filter(household=OuterRef("household_id"), program=Program.RELOCATION)))
                 .order_by("division_code", "head_name", "id"))
    steps = dict(Relocation.objects.filter(household_id__in=confirmed.exclude(household__isnull=True).values("household_id"))
                 .values_list("household_id", "step"))
    for s in confirmed:
        step = steps.get(s.household_id)
        if s.household_id is None:
            reason = str(REASON_NO_HOUSEHOLD)
        elif not s.enrolled:
            reason = str(REASON_NO_ENROLMENT)
        elif step is None:
            reason = str(REASON_NO_RELOCATION)
        elif step in NOT_MOVED_IN:
            reason = REASON_NOT_MOVED % {"step": Step(step).label}
        else:
            continue
        out.not_moved.append(CoverageRow("not_moved", s.division_code, s.household_id, s.household.number if s.household_id else "", s.pk,
                                         s.head_name, s.head_id_masked, reason, state=s.state, surveyed_on=s.surveyed_on))

    # (c) eligible surveys still open after `days`
    stale = (Survey.objects.filter(in_prefix, eligible=True, state__in=OPEN_STATES, surveyed_on__lte=today - dt.timedelta(days=days))
             .select_related("household").order_by("surveyed_on", "id"))
    for s in stale:
        age = (today - s.surveyed_on).days
        out.overdue.append(CoverageRow("overdue", s.division_code, s.household_id, s.household.number if s.household_id else "", s.pk,
                                       s.head_name, s.head_id_masked, REASON_OVERDUE % {"days": age, "state": s.get_state_display()},
                                       state=s.state, surveyed_on=s.surveyed_on, days=age))
    with_places(out.rows())
    return out

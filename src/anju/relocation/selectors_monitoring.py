"""Monitoring reads, scoped to the actor: the case list with counts by category and colour, one case with its measures,
signals, elimination criteria and timeline, the warning list, and which actions a user may take."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext_lazy

from anju.accounts.roles import Perm
from anju.core.access import code_prefix_q, in_scope, require_perm
from anju.core.exceptions import NotFound
from anju.core.models import AuditEvent
from anju.registry.models import Enrolment, Household, Program
from anju.relocation.models import Measure, MonitoringCase, RiskSignal, Term
from anju.relocation.selectors_common import term_names
from anju.relocation.services.monitoring import OPEN_STATES, elimination_criteria, open_case_of

MSG_HOUSEHOLD_NUMBER_UNKNOWN = gettext_lazy("在您的录入范围内没有户编号为“%(number)s”的搬迁户")
MSG_HOUSEHOLD_NUMBER_AMBIGUOUS = gettext_lazy("户编号“%(number)s”对应多户，请从该户的页面发起")

TIMELINE_LABELS = {
    "relocation.monitoring_case.proposed": gettext_lazy("提出纳入监测"),
    "relocation.monitoring_case.approved": gettext_lazy("认定纳入监测"),
    "relocation.monitoring_case.rejected": gettext_lazy("不予纳入"),
    "relocation.measure.created": gettext_lazy("登记帮扶措施"),
    "relocation.measure.updated": gettext_lazy("修改帮扶措施"),
    "relocation.monitoring_case.elimination_proposed": gettext_lazy("申请风险消除"),
    "relocation.monitoring_case.eliminated": gettext_lazy("审批风险消除"),
    "relocation.monitoring_case.elimination_sent_back": gettext_lazy("退回风险消除申请"),
}


def _prefix_ok(prefix: str) -> bool:
    return bool(prefix) and prefix.isascii() and prefix.isdigit() and len(prefix) <= 12


def case_list(*, actor, category: str = "", state: str = "", colour: str = "", division: str = "", site: int | None = None,
              q: str = "", open_only: bool = False) -> QuerySet[MonitoringCase]:
    """Monitoring cases in the actor's view scope, newest identification first; `division` narrows to a code prefix,
    `site` to households settled at that site, `q` matches the household number or the head's name."""
    require_perm(actor, Perm.RELOCATION_VIEW)
    qs = MonitoringCase.objects.filter(code_prefix_q("division_code", actor.view_prefix))
    if _prefix_ok(division):
        qs = qs.filter(code_prefix_q("division_code", division))
    if category:
        qs = qs.filter(category=category)
    if state:
        qs = qs.filter(state=state)
    elif open_only:
        qs = qs.filter(state__in=OPEN_STATES)
    if colour:
        qs = qs.filter(colour=colour).exclude(state=MonitoringCase.State.REJECTED)
    if site:
        qs = qs.filter(Exists(Enrolment.objects.filter(household_id=OuterRef("household_id"), program=Program.RELOCATION, site_id=site)))
    if q:
        q = q.replace("\x00", "").strip()[:64]
        qs = qs.filter(Q(household__number__icontains=q) | Q(household__head__name__icontains=q))
    return qs.select_related("household", "household__head", "proposed_by").order_by("-identified_on", "-id")


def case_counts(qs: QuerySet[MonitoringCase]) -> dict:
    """Counts of a case list by category and by colour (rejected cases count under neither colour)."""
    by_category = dict(qs.order_by().values_list("category").annotate(n=Count("id")))
    by_colour = dict(qs.exclude(state=MonitoringCase.State.REJECTED).order_by().values_list("colour").annotate(n=Count("id")))
    return {"total": sum(by_category.values()),
            "category": {c: by_category.get(c, 0) for c in MonitoringCase.Category.values},
            "colour": {c: by_colour.get(c, 0) for c in MonitoringCase.Colour.values}}


def access_case(actor, case_id: int, *, kind: str = "view") -> MonitoringCase:
    """One case in the actor's view scope (not-found otherwise); the services check entry scope and permission."""
    require_perm(actor, Perm.RELOCATION_VIEW)
    case = MonitoringCase.objects.select_related("household", "household__head", "proposed_by", "approved_by",
                                                 "elimination_proposed_by", "eliminated_by").filter(pk=case_id).first()
    if case is None:
        raise NotFound()
    if not in_scope(actor, case.division_code):
        raise NotFound()
    if kind == "entry" and not in_scope(actor, case.division_code, "entry"):
        raise NotFound()
    return case


def access_measure(actor, measure_id: int) -> Measure:
    require_perm(actor, Perm.RELOCATION_VIEW)
    measure = Measure.objects.select_related("case").filter(pk=measure_id).first()
    if measure is None or not in_scope(actor, measure.case.division_code):
        raise NotFound()
    return measure


def access_signal(actor, signal_id: int) -> RiskSignal:
    require_perm(actor, Perm.RELOCATION_VIEW)
    signal = RiskSignal.objects.select_related("household", "household__head", "person", "case").filter(pk=signal_id).first()
    if signal is None or not in_scope(actor, signal.division_code):
        raise NotFound()
    return signal


def household_by_number(actor, number: str) -> Household:
    """A relocated household of the actor's entry scope by its number (numbers are unique within a county)."""
    from anju.core.exceptions import ValidationFailed
    from anju.relocation.selectors_common import relocated_households

    number = (number or "").strip()
    found = list(relocated_households(actor=actor).filter(code_prefix_q("division_code", actor.entry_prefix), number=number)[:2])
    if not found:
        raise ValidationFailed(MSG_HOUSEHOLD_NUMBER_UNKNOWN % {"number": number[:32]}, code="household_unknown",
                               detail={"field": "household"})
    if len(found) > 1:
        raise ValidationFailed(MSG_HOUSEHOLD_NUMBER_AMBIGUOUS % {"number": number}, code="household_ambiguous",
                               detail={"field": "household"})
    return found[0]


def risk_labels(codes) -> str:
    names = term_names(Term.Kind.RISK)
    return "、".join(names.get(c, c) for c in codes or [])


def decorate_cases(cases, *, names: dict | None = None) -> None:
    """Attach display texts to cases of a page: risk names and the household's village name."""
    from anju.divisions.selectors import division_names

    risks = term_names(Term.Kind.RISK)
    villages = division_names({c.division_code for c in cases})
    for c in cases:
        c.risk_names = "、".join(risks.get(r, r) for r in c.risks or [])
        c.village = villages.get(c.division_code, c.division_code)


def case_measures(case: MonitoringCase) -> list[Measure]:
    kinds = term_names(Term.Kind.ASSISTANCE)
    rows = list(Measure.objects.filter(case=case).select_related("created_by").order_by("started_on", "id"))
    for m in rows:
        m.kind_name = kinds.get(m.kind, m.kind)
    return rows


def case_signals(case: MonitoringCase) -> list[RiskSignal]:
    """Signals attached to the case, and the household's open ones."""
    return list(RiskSignal.objects.filter(Q(case=case) | Q(household_id=case.household_id, state=RiskSignal.State.OPEN))
                .select_related("person", "handled_by").order_by("-found_on", "id"))


def case_timeline(case: MonitoringCase) -> list[dict]:
    """What happened to the case, oldest first (who, when, what), from its audit events."""
    events = (AuditEvent.objects.filter(division_code=case.division_code, object_type="monitoring_case", object_id=str(case.pk))
              .order_by("occurred_at", "id").values("occurred_at", "actor_username", "action", "after"))
    out = []
    for e in events:
        after = e["after"] if isinstance(e["after"], dict) else {}
        label = TIMELINE_LABELS.get(e["action"])
        out.append({"at": e["occurred_at"], "by": e["actor_username"], "action": e["action"], "label": str(label) if label else e["action"],
                    "note": after.get("reason") or after.get("note") or after.get("content") or ""})
    return out


def case_actions(actor, case: MonitoringCase) -> dict[str, bool]:
    """Which actions the case page (and the API detail) offers this actor; the services check again."""
    entry = in_scope(actor, case.division_code, "entry")
    edit = entry and actor.can(Perm.RELOCATION_EDIT)
    monitor = entry and actor.can(Perm.RELOCATION_MONITOR)
    s, S = case.state, MonitoringCase.State
    return {
        "approve": monitor and s == S.PROPOSED and case.proposed_by_id != actor.pk,
        "reject": monitor and s == S.PROPOSED and case.proposed_by_id != actor.pk,
        "measure": edit and s in (S.PROPOSED, S.MONITORING),
        "propose_elimination": edit and s == S.MONITORING,
        "approve_elimination": monitor and s == S.ELIMINATION_PROPOSED and case.elimination_proposed_by_id != actor.pk,
        "send_back": monitor and s == S.ELIMINATION_PROPOSED,
    }


def case_criteria(case: MonitoringCase, as_of: dt.date | None = None):
    """The elimination criteria as evaluated now (monitoring) or as confirmed in the proposal (later states)."""
    if case.state == MonitoringCase.State.MONITORING:
        return elimination_criteria(case, as_of)
    return None


# --- the warning list -----------------------------------------------------------------------------------------------

def signal_list(*, actor, state: str = "open", kind: str = "", division: str = "") -> QuerySet[RiskSignal]:
    require_perm(actor, Perm.RELOCATION_VIEW)
    qs = RiskSignal.objects.filter(code_prefix_q("division_code", actor.view_prefix))
    if state and state != "all":
        qs = qs.filter(state=state)
    if kind:
        qs = qs.filter(kind=kind)
    if _prefix_ok(division):
        qs = qs.filter(code_prefix_q("division_code", division))
    return qs.select_related("household", "household__head", "person", "case", "handled_by").order_by("-found_on", "-id")


def decorate_signals(signals) -> None:
    """Whether each signal's household has an open case (attach is possible) and the village name."""
    from anju.divisions.selectors import division_names

    signals = list(signals)
    households = {s.household_id for s in signals}
    open_cases = dict(MonitoringCase.objects.filter(household_id__in=households, state__in=OPEN_STATES).values_list("household_id", "id"))
    villages = division_names({s.division_code for s in signals})
    for s in signals:
        s.open_case_id = open_cases.get(s.household_id)
        s.village = villages.get(s.division_code, s.division_code)
        s.detail_text = signal_detail_text(s)


def signal_detail_text(s: RiskSignal) -> str:
    from anju.projects.money import fen_text as yuan_text

    d = s.detail if isinstance(s.detail, dict) else {}
    if s.kind == RiskSignal.Kind.INCOME and "per_capita_income_fen" in d:
        return str(gettext_lazy("%(year)s 年人均纯收入 %(income)s 元，低于监测线 %(line)s 元") % {
            "year": d.get("year", ""), "income": yuan_text(d["per_capita_income_fen"]), "line": yuan_text(d.get("line_fen") or 0)})
    if s.kind == RiskSignal.Kind.DISABILITY and "disability_grade" in d:
        name = s.person.name if s.person_id else ""
        return str(gettext_lazy("%(name)s 残疾等级 %(grade)s 级") % {"name": name, "grade": d["disability_grade"]})
    parts = [f"{k}：{v}" for k, v in d.items() if not isinstance(v, (dict, list))]
    return "；".join(parts)[:200]


def open_case_for(household_id: int) -> MonitoringCase | None:
    return open_case_of(household_id)


def household_link(household_id: int) -> str:
    """The household follow-up page (relocation_support:household) when it exists, else the registry household page."""
    from django.urls import NoReverseMatch, reverse

    try:
        return reverse("relocation_support:household", args=[household_id])
    except NoReverseMatch:
        return reverse("registry:household", args=[household_id])

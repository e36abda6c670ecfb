"""防返贫 monitoring: identification and its decisions (four eyes), one open case per household, measures, risk
elimination with each criterion failing, approval and send-back, the colour rule, scope and audit."""

from __future__ import annotations

import datetime as dt

import pytest

from anju.core.exceptions import Conflict, NotFound, PermissionDenied, ValidationFailed
from anju.core.models import AuditEvent
from anju.relocation.models import Income, Measure, MonitoringCase, RiskSignal
from anju.relocation.services import monitoring as svc

from .factories import OTHER_VILLAGE, VILLAGE, make_relocated_household

TODAY = dt.date.today()
LONG_AGO = TODAY - dt.timedelta(days=400)
State, Colour = MonitoringCase.State, MonitoringCase.Colour


@pytest.fixture
def people(make_user, other_city):
    return {
        "township": make_user("township_clerk", VILLAGE[:9], username="rm_township"),
        "clerk": make_user("county_clerk", VILLAGE[:6], username="rm_clerk"),
        "clerk2": make_user("county_clerk", VILLAGE[:6], username="rm_clerk2"),
        "reviewer": make_user("county_reviewer", VILLAGE[:6], username="rm_reviewer"),
        "city": make_user("city_clerk", "4299", username="rm_city"),
        "leader": make_user("leader", "4299", username="rm_leader"),
        "neighbour": make_user("county_clerk", "429922", username="rm_neighbour"),
        "foreign": make_user("county_clerk", "429821", username="rm_foreign"),
    }


def propose(actor, household, **kw):
    fields = {"category": "marginal", "channel": "visit", "risks": ["illness"], "identified_on": LONG_AGO,
              "per_capita_income_fen": 800_000, "description": "户主患慢性病"} | kw
    return svc.case_propose(actor=actor, household=household, **fields)


def monitored(people, household=None, *, included_on=LONG_AGO):
    household = household or make_relocated_household()
    case = propose(people["township"], household)
    return svc.case_approve(actor=people["reviewer"], case=case, included_on=included_on)


def measure(actor, case, **kw):
    fields = {"kind": "employment", "content": "推荐到县工业园务工", "responsible": "李干部", "started_on": LONG_AGO,
              "amount_fen": 0, "effect": "pending"} | kw
    return svc.measure_add(actor=actor, case=case, **fields)


def income(household, net_yuan: int, persons: int = 3, year: int = TODAY.year - 1):
    return Income.objects.create(household=household, division_code=household.division_code, year=year, persons=persons,
                                 wage_fen=net_yuan * 100, surveyed_on=dt.date(year, 12, 1))


ALL = ["food_clothing", "education", "medical", "housing"]


def ready(people):
    """A monitored case meeting every automatic criterion of elimination."""
    case = monitored(people)
    measure(people["township"], case, effect="effective", effect_note="已稳定就业")
    income(case.household, 30_000)  # 10,000 元 a person
    return case


# --- identification -------------------------------------------------------------------------------------------------

def test_propose_and_approve_inclusion_is_audited(people):
    household = make_relocated_household()
    case = propose(people["township"], household, risks=["illness", "no_labour", "illness"])
    assert (case.state, case.colour, case.division_code, case.risks, case.proposed_by) == (
        State.PROPOSED, Colour.RED, VILLAGE, ["illness", "no_labour"], people["township"])
    assert case.included_on is None
    approved = svc.case_approve(actor=people["reviewer"], case=case, included_on=LONG_AGO + dt.timedelta(days=3), note="情况属实")
    assert (approved.state, approved.included_on, approved.approved_by, approved.decision_note) == (
        State.MONITORING, LONG_AGO + dt.timedelta(days=3), people["reviewer"], "情况属实")
    assert approved.colour == Colour.RED  # no measure yet
    actions = list(AuditEvent.objects.filter(object_type="monitoring_case", object_id=str(case.pk)).order_by("id")
                   .values_list("action", flat=True))
    assert actions == ["relocation.monitoring_case.proposed", "relocation.monitoring_case.approved"]
    event = AuditEvent.objects.get(action="relocation.monitoring_case.approved")
    assert event.division_code == VILLAGE and event.before["state"] == "proposed" and event.after["state"] == "monitoring"


def test_proposer_cannot_decide_and_reject_needs_a_reason(people):
    case = propose(people["clerk"], make_relocated_household())
    with pytest.raises(PermissionDenied) as exc:
        svc.case_approve(actor=people["clerk"], case=case)
    assert exc.value.message == str(svc.MSG_OWN_PROPOSAL)
    with pytest.raises(PermissionDenied):
        svc.case_reject(actor=people["clerk"], case=case, reason="不符合")
    with pytest.raises(ValidationFailed) as exc:
        svc.case_reject(actor=people["clerk2"], case=case, reason="  ")
    assert exc.value.message == str(svc.MSG_REASON_REQUIRED)
    rejected = svc.case_reject(actor=people["clerk2"], case=case, reason="收入高于监测线")
    assert (rejected.state, rejected.decision_note, rejected.included_on) == (State.REJECTED, "收入高于监测线", None)
    assert AuditEvent.objects.filter(action="relocation.monitoring_case.rejected", after__reason="收入高于监测线").exists()
    with pytest.raises(Conflict) as exc:
        svc.case_approve(actor=people["reviewer"], case=case)
    assert exc.value.message == str(svc.MSG_STATE % {"state": "不予纳入", "action": "审批纳入"})


def test_township_clerk_cannot_approve_and_leader_cannot_propose(people):
    household = make_relocated_household()
    case = propose(people["clerk"], household)
    with pytest.raises(PermissionDenied):
        svc.case_approve(actor=people["township"], case=case)  # no RELOCATION_MONITOR
    with pytest.raises(PermissionDenied):
        propose(people["leader"], make_relocated_household())


def test_one_open_case_per_household(people):
    household = make_relocated_household()
    first = propose(people["township"], household)
    with pytest.raises(Conflict) as exc:
        propose(people["clerk"], household)
    assert exc.value.message == str(svc.MSG_OPEN_CASE_EXISTS % {"state": "待认定"})
    svc.case_reject(actor=people["reviewer"], case=first, reason="核实无风险")
    second = propose(people["clerk"], household)  # a rejected case no longer blocks
    assert second.pk != first.pk
    assert MonitoringCase.objects.filter(household=household).count() == 2


@pytest.mark.parametrize(("kw", "field"), [
    ({"category": "poor"}, "category"),
    ({"channel": "phone"}, "channel"),
    ({"risks": []}, "risks"),
    ({"risks": ["gambling"]}, "risks"),
    ({"per_capita_income_fen": -1}, "per_capita_income"),
    ({"identified_on": TODAY + dt.timedelta(days=1)}, "identified_on"),
])
def test_proposal_validation(people, kw, field):
    with pytest.raises(ValidationFailed) as exc:
        propose(people["township"], make_relocated_household(), **kw)
    assert exc.value.detail["field"] == field
    assert not MonitoringCase.objects.exists()


def test_scope(people):
    household = make_relocated_household()
    foreign_household = make_relocated_household(village=OTHER_VILLAGE)
    with pytest.raises(NotFound):
        propose(people["township"], foreign_household)
    with pytest.raises(NotFound):
        propose(people["neighbour"], household)  # another county of the same city: outside the view scope
    case = propose(people["township"], household)
    with pytest.raises(NotFound):
        svc.case_approve(actor=people["foreign"], case=case)
    city_case = svc.case_approve(actor=people["city"], case=case)
    assert city_case.state == State.MONITORING


# --- measures -----------------------------------------------------------------------------------------------------

def test_measures_and_colours(people):
    case = monitored(people)
    assert case.colour == Colour.RED
    m = measure(people["township"], case, amount_fen=150_000)
    case.refresh_from_db()
    assert case.colour == Colour.YELLOW and m.amount_fen == 150_000 and m.created_by == people["township"]
    with pytest.raises(ValidationFailed) as exc:
        svc.measure_update(actor=people["township"], measure=m, effect="effective")
    assert exc.value.message == str(svc.MSG_EFFECT_NOTE)
    svc.measure_update(actor=people["township"], measure=m, effect="partial", effect_note="收入有所增加")
    m.refresh_from_db()
    assert (m.effect, m.effect_note) == ("partial", "收入有所增加")
    event = AuditEvent.objects.get(action="relocation.measure.updated")
    assert event.before == {"effect": "pending", "effect_note": ""} and event.after["effect"] == "partial"
    with pytest.raises(ValidationFailed) as exc:
        measure(people["township"], case, ended_on=LONG_AGO - dt.timedelta(days=1))
    assert exc.value.detail == {"field": "ended_on"}
    with pytest.raises(ValidationFailed) as exc:
        measure(people["township"], case, kind="lottery")
    assert exc.value.detail == {"field": "kind"}
    with pytest.raises(PermissionDenied):
        measure(people["leader"], case)


@pytest.mark.parametrize(("state", "measures", "below", "signals", "colour"), [
    ("proposed", 0, False, 0, "red"),
    ("proposed", 1, False, 0, "yellow"),
    ("monitoring", 0, False, 0, "red"),
    ("monitoring", 2, False, 0, "yellow"),
    ("monitoring", 2, True, 0, "red"),
    ("monitoring", 2, False, 1, "red"),
    ("elimination_proposed", 1, False, 0, "green"),
    ("elimination_proposed", 1, False, 1, "red"),
    ("eliminated", 1, True, 3, "green"),
    ("rejected", 0, True, 0, "green"),
])
def test_colour_rule_table(state, measures, below, signals, colour):
    assert svc.colour_rule(state=state, measures=measures, income_below_line=below, new_signals=signals) == colour


def test_income_below_the_line_and_new_signals_turn_a_case_red(people):
    case = monitored(people)
    measure(people["township"], case)
    case.refresh_from_db()
    assert case.colour == Colour.YELLOW
    income(case.household, 15_000)  # 5,000 元 a person, under 7,000
    svc.case_recolour(case)
    assert case.colour == Colour.RED
    Income.objects.all().delete()
    svc.case_recolour(case)
    assert case.colour == Colour.YELLOW
    RiskSignal.objects.create(household=case.household, division_code=VILLAGE, kind="medical", found_on=TODAY, source="import:medical")
    svc.case_recolour(case)
    assert case.colour == Colour.RED


# --- risk elimination -----------------------------------------------------------------------------------------------

def test_elimination_propose_and_approve(people):
    case = ready(people)
    criteria = {c.code: c for c in svc.elimination_criteria(case)}
    assert all(c.met for c in criteria.values() if c.auto)
    assert [c for c in criteria if not criteria[c].auto] == ALL
    proposed = svc.elimination_propose(actor=people["township"], case=case, confirmed=ALL, notes={"housing": "安置房已入住"})
    assert (proposed.state, proposed.colour, proposed.elimination_proposed_by) == (
        State.ELIMINATION_PROPOSED, Colour.GREEN, people["township"])
    assert proposed.elimination_criteria["housing"] == {"met": True, "auto": False, "note": "安置房已入住"}
    assert proposed.elimination_criteria["income"]["auto"] is True
    with pytest.raises(Conflict) as exc:
        measure(people["township"], proposed)
    assert exc.value.message == str(svc.MSG_MEASURES_LOCKED)
    with pytest.raises(PermissionDenied) as exc:
        svc.elimination_approve(actor=people["township"], case=proposed)
    done = svc.elimination_approve(actor=people["reviewer"], case=proposed, note="同意")
    assert (done.state, done.eliminated_on, done.eliminated_by, done.colour) == (State.ELIMINATED, TODAY, people["reviewer"], Colour.GREEN)
    assert AuditEvent.objects.filter(action="relocation.monitoring_case.eliminated", object_id=str(case.pk)).exists()
    # the household may be proposed again later
    assert propose(people["township"], case.household, identified_on=TODAY).state == State.PROPOSED


def test_elimination_proposer_cannot_approve(people):
    case = ready(people)
    svc.elimination_propose(actor=people["clerk"], case=case, confirmed=ALL)
    with pytest.raises(PermissionDenied) as exc:
        svc.elimination_approve(actor=people["clerk"], case=case)
    assert exc.value.message == str(svc.MSG_OWN_ELIMINATION)


def test_elimination_send_back(people):
    case = ready(people)
    svc.elimination_propose(actor=people["township"], case=case, confirmed=ALL)
    with pytest.raises(ValidationFailed):
        svc.elimination_send_back(actor=people["reviewer"], case=case, reason="")
    back = svc.elimination_send_back(actor=people["reviewer"], case=case, reason="住房安全需再核实")
    assert (back.state, back.decision_note, back.elimination_proposed_on, back.elimination_criteria) == (
        State.MONITORING, "住房安全需再核实", None, {})
    assert back.colour == Colour.YELLOW
    with pytest.raises(Conflict):
        svc.elimination_approve(actor=people["reviewer"], case=back)
    assert AuditEvent.objects.filter(action="relocation.monitoring_case.elimination_sent_back").count() == 1


def _fail(people, case, code):
    with pytest.raises(ValidationFailed) as exc:
        svc.elimination_propose(actor=people["township"], case=case, confirmed=ALL)
    assert exc.value.code == "elimination_criteria" and exc.value.detail["failed"] == [code]
    assert str(svc.CRITERIA[code]) in exc.value.message
    case.refresh_from_db()
    assert case.state == State.MONITORING


def test_elimination_refused_income_below_the_line(people):
    case = ready(people)
    Income.objects.filter(household=case.household).update(wage_fen=21_000 * 100)  # exactly 7,000 a person: not above
    _fail(people, case, "income")


def test_elimination_refused_too_early(people):
    case = ready(people)
    MonitoringCase.objects.filter(pk=case.pk).update(included_on=TODAY - dt.timedelta(days=30))
    case.refresh_from_db()
    _fail(people, case, "months")


def test_elimination_refused_measures(people):
    case = ready(people)
    m = measure(people["township"], case)  # pending
    _fail(people, case, "measures")
    svc.measure_update(actor=people["township"], measure=m, effect="ineffective", effect_note="未就业")
    _fail(people, case, "measures")
    Measure.objects.all().delete()
    _fail(people, case, "measures")  # none at all


def test_elimination_refused_open_signal(people):
    case = ready(people)
    RiskSignal.objects.create(household=case.household, division_code=VILLAGE, kind="medical", found_on=TODAY, source="import:medical")
    _fail(people, case, "signals")


def test_elimination_needs_the_manual_criteria_confirmed(people):
    case = ready(people)
    with pytest.raises(ValidationFailed) as exc:
        svc.elimination_propose(actor=people["township"], case=case, confirmed=["food_clothing", "education"])
    assert exc.value.detail["unconfirmed"] == ["medical", "housing"]
    assert exc.value.message == str(svc.MSG_CRITERIA_UNCONFIRMED % {"names": "基本医疗有保障、住房安全有保障"})


def test_without_income_survey_income_is_confirmed_by_the_proposer(people):
    case = ready(people)
    Income.objects.all().delete()
    criteria = {c.code: c for c in svc.elimination_criteria(case)}
    assert criteria["income"].auto is False and criteria["income"].met is None
    with pytest.raises(ValidationFailed) as exc:
        svc.elimination_propose(actor=people["township"], case=case, confirmed=ALL)
    assert exc.value.detail["unconfirmed"] == ["income"]
    done = svc.elimination_propose(actor=people["township"], case=case, confirmed=[*ALL, "income"], notes={"income": "务工月收入3000元"})
    assert done.elimination_criteria["income"] == {"met": True, "auto": False, "note": "务工月收入3000元"}


def test_approval_re_checks_the_automatic_criteria(people):
    case = ready(people)
    svc.elimination_propose(actor=people["township"], case=case, confirmed=ALL)
    RiskSignal.objects.create(household=case.household, division_code=VILLAGE, kind="disaster", found_on=TODAY, source="manual")
    with pytest.raises(ValidationFailed) as exc:
        svc.elimination_approve(actor=people["reviewer"], case=case)
    assert exc.value.detail["failed"] == ["signals"]


def test_add_months():
    assert svc.add_months(dt.date(2025, 8, 31), 6) == dt.date(2026, 2, 28)
    assert svc.add_months(dt.date(2025, 1, 15), 12) == dt.date(2026, 1, 15)

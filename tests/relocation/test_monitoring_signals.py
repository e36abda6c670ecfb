"""The warning list: the scan raises signals once (income below the line, disability) for households not monitored,
notifies the county clerks and recolours the open cases; signals are handled by opening a case, attaching to the open
case, or dismissing with a note."""

from __future__ import annotations

import datetime as dt

import pytest

from anju.core.exceptions import Conflict, NotFound, PermissionDenied, ValidationFailed
from anju.core.housekeeping import DAILY
from anju.core.models import AuditEvent, Message
from anju.registry.models import EnrolmentStatus
from anju.relocation.models import MonitoringCase, RiskSignal
from anju.relocation.services import monitoring as svc
from anju.relocation.services import signals as signal_svc

from . import test_monitoring_services as base
from .factories import OTHER_VILLAGE, VILLAGE, make_capacity, make_relocated_household, members_of
from .test_monitoring_services import TODAY, income, measure, monitored, propose

people = base.people
State, Colour = MonitoringCase.State, MonitoringCase.Colour
YEAR = TODAY.year - 1


def signal(household, kind="medical", **kw):
    return RiskSignal.objects.create(household=household, division_code=household.division_code, kind=kind, found_on=TODAY,
                                     source="import:medical", detail={"amount_fen": 1_500_000}, **kw)


def test_scan_raises_income_and_disability_signals_once_and_notifies(people):
    poor = make_relocated_household()
    income(poor, 18_000)  # 6,000 元 a person
    comfortable = make_relocated_household()
    income(comfortable, 30_000)
    old_year = make_relocated_household()
    income(old_year, 3_000, year=YEAR - 1)  # not last year's survey
    disabled = make_relocated_household()
    make_capacity(members_of(disabled)[1], "weak", disability_grade=3)
    watched = monitored(people)
    income(watched.household, 9_000)
    make_capacity(members_of(watched.household)[0], "none", disability_grade=1)
    foreign = make_relocated_household(village=OTHER_VILLAGE)
    income(foreign, 3_000)

    result = signal_svc.signals_scan(actor=None, as_of=TODAY)
    assert (result["raised"], result["income"], result["disability"]) == (3, 2, 1)
    rows = {(s.household_id, s.kind) for s in RiskSignal.objects.all()}
    assert rows == {(poor.pk, "income"), (foreign.pk, "income"), (disabled.pk, "disability")}
    s = RiskSignal.objects.get(household=poor)
    assert (s.source, s.state, s.found_on, s.division_code) == ("scan:income", "open", TODAY, VILLAGE)
    assert s.detail == {"year": YEAR, "per_capita_income_fen": 600_000, "line_fen": 700_000, "persons": 3}
    d = RiskSignal.objects.get(kind="disability")
    assert d.person == members_of(disabled)[1] and d.detail["disability_grade"] == 3

    # the county clerks of 白云县 get one message (two signals), not the foreign county's signal
    clerks = {people["clerk"].pk, people["clerk2"].pk}
    messages = Message.objects.filter(recipient_id__in=clerks)
    assert messages.count() == 2 and {m.subject for m in messages} == {"新增防返贫风险预警 2 条"}
    assert messages.first().link == "/relocation/monitoring/signals/"
    assert not Message.objects.filter(recipient_id=people["neighbour"].pk).exists()
    assert Message.objects.filter(recipient_id=people["foreign"].pk).count() == 1
    # the watched case turned red (income below the line)
    watched.refresh_from_db()
    assert watched.colour == Colour.RED
    assert AuditEvent.objects.filter(action="relocation.risk_signal.scanned", object_id="all").count() == 1

    again = signal_svc.signals_scan(actor=None, as_of=TODAY)
    assert again["raised"] == 0 and again["messages"] == 0 and RiskSignal.objects.count() == 3
    # a dismissed signal is not raised again either
    signal_svc.signal_dismiss(actor=people["township"], signal=s, note="已核实，当年有大额医疗报销未计入")
    assert signal_svc.signals_scan(actor=None, as_of=TODAY)["raised"] == 0


def test_scan_skips_households_no_longer_relocated(people):
    gone = make_relocated_household()
    income(gone, 3_000)
    EnrolmentStatus.objects.filter(enrolment__household=gone).update(valid_to=TODAY - dt.timedelta(days=10))
    assert signal_svc.signals_scan(actor=None, as_of=TODAY)["raised"] == 0


def test_scan_by_a_user_covers_their_entry_scope(people):
    ours, theirs = make_relocated_household(), make_relocated_household(village=OTHER_VILLAGE)
    income(ours, 3_000)
    income(theirs, 3_000)
    result = signal_svc.signals_scan(actor=people["reviewer"], as_of=TODAY)
    assert result["raised"] == 1 and RiskSignal.objects.get().household == ours
    event = AuditEvent.objects.get(action="relocation.risk_signal.scanned")
    assert event.object_id == "429921" and event.actor_username == "rm_reviewer"
    with pytest.raises(PermissionDenied):
        signal_svc.signals_scan(actor=people["township"], as_of=TODAY)  # no RELOCATION_MONITOR
    with pytest.raises(NotFound):
        signal_svc.signals_scan(actor=people["reviewer"], as_of=TODAY, scope="429821")
    with pytest.raises(ValidationFailed):
        signal_svc.signals_scan(actor=people["reviewer"], as_of=TODAY, scope="42x")


def test_daily_round_is_registered(people):
    from anju.relocation import hooks

    assert DAILY["relocation.monitoring.scan"] is hooks.scan_signals
    household = make_relocated_household()
    income(household, 3_000)
    assert hooks.scan_signals()["raised"] == 1


def test_open_a_case_from_a_signal(people):
    household = make_relocated_household()
    s = signal(household)
    case = propose(people["township"], household, channel="department", signal=s)
    s.refresh_from_db()
    assert (s.state, s.case, s.handled_by, s.handled_on) == (RiskSignal.State.CASE, case, people["township"], TODAY)
    assert AuditEvent.objects.filter(action="relocation.risk_signal.attached", object_id=str(s.pk)).exists()
    with pytest.raises(Conflict) as exc:  # handled already
        signal_svc.signal_dismiss(actor=people["township"], signal=s, note="x")
    assert exc.value.message == str(signal_svc.MSG_SIGNAL_HANDLED % {"state": "已纳入监测"})
    other = signal(make_relocated_household())
    with pytest.raises(NotFound):  # a signal of another household
        propose(people["township"], make_relocated_household(), signal=other)
    assert RiskSignal.objects.get(pk=other.pk).state == "open"


def test_attach_to_the_open_case_and_colour(people):
    case = monitored(people)
    measure(people["township"], case, started_on=TODAY - dt.timedelta(days=30))
    case.refresh_from_db()
    assert case.colour == Colour.YELLOW
    s = signal(case.household)
    svc.case_recolour(case)
    assert case.colour == Colour.RED  # an open signal
    signal_svc.signal_attach(actor=people["township"], signal=s, note="住院，纳入本户监测")
    s.refresh_from_db()
    case.refresh_from_db()
    assert (s.state, s.case_id, s.note) == ("case", case.pk, "住院，纳入本户监测")
    assert case.colour == Colour.RED  # attached after the latest measure: not yet answered
    measure(people["township"], case, kind="medical", content="申请医疗救助", started_on=TODAY)
    case.refresh_from_db()
    assert case.colour == Colour.YELLOW  # the new risk is answered by a measure
    lonely = signal(make_relocated_household())
    with pytest.raises(Conflict) as exc:
        signal_svc.signal_attach(actor=people["township"], signal=lonely)
    assert exc.value.message == str(signal_svc.MSG_NO_OPEN_CASE)


def test_dismiss_needs_a_note_and_scope(people):
    household = make_relocated_household()
    s = signal(household)
    with pytest.raises(ValidationFailed) as exc:
        signal_svc.signal_dismiss(actor=people["township"], signal=s, note=" ")
    assert exc.value.message == str(signal_svc.MSG_NOTE_REQUIRED)
    with pytest.raises(PermissionDenied):
        signal_svc.signal_dismiss(actor=people["leader"], signal=s, note="x")
    with pytest.raises(NotFound):
        signal_svc.signal_dismiss(actor=people["foreign"], signal=s, note="x")
    signal_svc.signal_dismiss(actor=people["township"], signal=s, note="已报销，自付不高")
    s.refresh_from_db()
    assert (s.state, s.note, s.handled_by) == ("dismissed", "已报销，自付不高", people["township"])
    event = AuditEvent.objects.get(action="relocation.risk_signal.dismissed")
    assert event.division_code == VILLAGE and event.after["note"] == "已报销，自付不高"

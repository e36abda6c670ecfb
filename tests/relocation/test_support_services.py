"""Follow-up support services: validations per field, money in 元 → fen, one capacity per person, spells and periods
(end before start, ending, 低保 overlap), person-year and household-year uniqueness, membership, scope and audit."""

from __future__ import annotations

import datetime as dt

import pytest

from anju.core.exceptions import Conflict, NotFound, PermissionDenied, ValidationFailed
from anju.core.models import AuditEvent
from anju.relocation.models import Employment, Income, LabourCapacity, MedicalCost, Welfare
from anju.relocation.selectors_common import MSG_NOT_IN_ENTRY_SCOPE, MSG_TERM_UNKNOWN
from anju.relocation.services import support as engine
from anju.relocation.services import support_households as hh
from anju.relocation.services import support_persons as pp

from .factories import OTHER_VILLAGE, make_relocated_household, members_of

TODAY = dt.date.today()


@pytest.fixture
def people(make_user, other_city):
    return {"township": make_user("township_clerk", "429921101", username="sp_township"),
            "other_township": make_user("township_clerk", "429921102", username="sp_other_township"),
            "county": make_user("county_clerk", "429921", username="sp_county"),
            "leader": make_user("leader", "429921", username="sp_leader"),
            "reviewer": make_user("county_reviewer", "429921", username="sp_reviewer"),
            "foreign": make_user("county_clerk", "429821", username="sp_foreign")}


@pytest.fixture
def home(db):
    return make_relocated_household()


def employ(actor, household, person, **kw):
    args = {"kind": "county", "started_on": dt.date(2025, 3, 1), "employer": "县工业园", "monthly_income": "3200.50"} | kw
    return pp.employment_create(actor=actor, household=household, person=person, **args)


def test_employment_create_end_update_delete_audited(people, home):
    head = members_of(home)[0]
    e = employ(people["township"], home, head)
    assert (e.monthly_income_fen, e.division_code, e.source, e.person, e.household) == (320050, home.division_code, "manual", head, home)
    event = AuditEvent.objects.get(action="relocation.employment.created")
    assert event.after["monthly_income_fen"] == 320050 and event.division_code == home.division_code and event.object_id == str(e.pk)

    pp.employment_end(actor=people["township"], employment=e, ended_on=dt.date(2025, 9, 30))
    e.refresh_from_db()
    assert e.ended_on == dt.date(2025, 9, 30)
    assert AuditEvent.objects.get(action="relocation.employment.ended").after == {"ended_on": "2025-09-30"}
    with pytest.raises(Conflict) as exc:
        pp.employment_end(actor=people["township"], employment=e, ended_on=dt.date(2025, 10, 1))
    assert exc.value.message == str(pp.MSG_EMPLOYMENT_ENDED % {"date": "2025-09-30"})

    pp.support_update(actor=people["county"], record=e, monthly_income="4000", employer="扶贫车间")
    e.refresh_from_db()
    assert (e.monthly_income_fen, e.employer) == (400000, "扶贫车间")
    event = AuditEvent.objects.get(action="relocation.employment.updated")
    assert event.before == {"employer": "县工业园", "monthly_income_fen": 320050}
    assert event.after == {"employer": "扶贫车间", "monthly_income_fen": 400000}

    pp.support_delete(actor=people["township"], record=e)
    assert not Employment.objects.exists()
    assert AuditEvent.objects.get(action="relocation.employment.deleted").before["kind"] == "county"


def test_spell_end_before_start_refused(people, home):
    head = members_of(home)[0]
    with pytest.raises(ValidationFailed) as exc:
        employ(people["township"], home, head, started_on=dt.date(2025, 5, 1), ended_on=dt.date(2025, 4, 30))
    assert exc.value.detail == {"field": "ended_on"}
    assert exc.value.message == str(engine.MSG_END_BEFORE_START % {"end": "结束日期", "ended": "2025-04-30", "start": "开始日期",
                                                                  "started": "2025-05-01"})
    e = employ(people["township"], home, head, started_on=dt.date(2025, 5, 1))
    with pytest.raises(ValidationFailed) as exc:
        pp.employment_end(actor=people["township"], employment=e, ended_on=dt.date(2025, 4, 1))
    assert exc.value.detail == {"field": "ended_on"}
    with pytest.raises(ValidationFailed):  # an edit that moves the start after the end is refused the same way
        pp.employment_end(actor=people["township"], employment=e, ended_on=dt.date(2025, 5, 1))
        pp.support_update(actor=people["township"], record=e, started_on=dt.date(2025, 6, 1))
    e.refresh_from_db()
    assert (e.started_on, e.ended_on) == (dt.date(2025, 5, 1), dt.date(2025, 5, 1))  # same-day spell is fine
    with pytest.raises(ValidationFailed):
        pp.training_create(actor=people["township"], household=home, person=head, course="电工", started_on=dt.date(2025, 5, 2),
                           ended_on=dt.date(2025, 5, 1))


@pytest.mark.parametrize(("kw", "field", "message"), [
    ({"kind": "abroad"}, "kind", engine.MSG_CHOICE % {"value": "abroad", "field": "就业类型"}),
    ({"kind": ""}, "kind", engine.MSG_REQUIRED % {"field": "就业类型"}),
    ({"started_on": None}, "started_on", engine.MSG_REQUIRED % {"field": "开始日期"}),
    ({"started_on": "2025-13-01"}, "started_on", engine.MSG_DATE % {"field": "开始日期"}),
    ({"started_on": "1949-12-31"}, "started_on", engine.MSG_DATE_RANGE % {"field": "开始日期"}),
    ({"employer": "厂" * 101}, "employer", engine.MSG_TOO_LONG % {"field": "就业单位", "n": 100}),
    ({"place": "地" * 101}, "place", engine.MSG_TOO_LONG % {"field": "就业地点", "n": 100}),
    ({"monthly_income": "12.345"}, "monthly_income", None),
    ({"monthly_income": "-1"}, "monthly_income", None),
    ({"monthly_income": "很多"}, "monthly_income", None),
])
def test_employment_field_validation(people, home, kw, field, message):
    with pytest.raises(ValidationFailed) as exc:
        employ(people["township"], home, members_of(home)[0], **kw)
    assert exc.value.detail == {"field": field}
    if message is not None:
        assert exc.value.message == str(message)
    else:
        assert exc.value.message.startswith("“月收入（元）”：")
    assert not Employment.objects.exists()


def test_person_must_be_current_member(people, home):
    other = make_relocated_household()
    with pytest.raises(ValidationFailed) as exc:
        employ(people["township"], home, members_of(other)[0])
    assert exc.value.message == str(engine.MSG_NOT_MEMBER) and exc.value.detail == {"field": "person"}
    former = members_of(home)[2]
    former.memberships.update(valid_to=TODAY)  # left the household today
    with pytest.raises(ValidationFailed):
        employ(people["township"], home, former)
    with pytest.raises(ValidationFailed) as exc:
        employ(people["township"], home, None)
    assert exc.value.message == str(engine.MSG_PERSON_REQUIRED)


def test_capacity_one_per_person_and_grade(people, home):
    head, spouse = members_of(home)[:2]
    c = pp.capacity_create(actor=people["township"], household=home, person=head, capacity="weak", disability_grade=3)
    assert (c.capacity, c.disability_grade, c.recorded_on) == ("weak", 3, TODAY)
    with pytest.raises(Conflict) as exc:
        pp.capacity_create(actor=people["township"], household=home, person=head, capacity="able")
    assert exc.value.message == str(pp.MSG_CAPACITY_EXISTS)
    for grade in (0, 5, "二"):
        with pytest.raises(ValidationFailed) as exc:
            pp.capacity_create(actor=people["township"], household=home, person=spouse, capacity="none", disability_grade=grade)
        assert exc.value.detail == {"field": "disability_grade"}
        assert exc.value.message == str(engine.MSG_INTEGER % {"field": "残疾等级", "min": 1, "max": 4})
    with pytest.raises(ValidationFailed) as exc:
        pp.capacity_create(actor=people["township"], household=home, person=spouse, capacity="lazy")
    assert exc.value.detail == {"field": "capacity"}
    with pytest.raises(ValidationFailed) as exc:
        pp.capacity_create(actor=people["township"], household=home, person=spouse, capacity="able", recorded_on=TODAY + dt.timedelta(days=1))
    assert exc.value.message == str(engine.MSG_DATE_FUTURE % {"field": "登记日期"})
    pp.support_update(actor=people["township"], record=c, disability_grade=None, capacity="none")
    c.refresh_from_db()
    assert (c.capacity, c.disability_grade) == ("none", None)
    assert LabourCapacity.objects.count() == 1


def test_insurance_and_medical_per_person_year(people, home):
    head = members_of(home)[0]
    i = pp.insurance_create(actor=people["township"], household=home, person=head, year=2025, medical=True, pension="否")
    assert (i.medical, i.pension) == (True, False)
    with pytest.raises(Conflict) as exc:
        pp.insurance_create(actor=people["township"], household=home, person=head, year=2025)
    assert exc.value.message == str(pp.MSG_INSURANCE_EXISTS % {"year": 2025})
    with pytest.raises(ValidationFailed) as exc:
        pp.insurance_create(actor=people["township"], household=home, person=head, year=1999)
    assert exc.value.detail == {"field": "year"}
    with pytest.raises(ValidationFailed) as exc:
        pp.insurance_create(actor=people["township"], household=home, person=head, year=2024, medical="maybe")
    assert exc.value.detail == {"field": "medical"}

    m = pp.medical_create(actor=people["township"], household=home, person=head, year=2025, total="15000.10", out_of_pocket="12000")
    assert (m.total_fen, m.out_of_pocket_fen, m.source) == (1_500_010, 1_200_000, "manual")
    with pytest.raises(ValidationFailed) as exc:
        pp.medical_create(actor=people["township"], household=home, person=head, year=2024, total="100", out_of_pocket="100.01")
    assert exc.value.detail == {"field": "out_of_pocket"}
    assert exc.value.message == str(pp.MSG_OUT_OF_POCKET % {"oop": "100.01", "total": "100.00"})
    with pytest.raises(ValidationFailed):  # an edit lowering the total under the out-of-pocket part
        pp.support_update(actor=people["township"], record=m, total="1000")
    with pytest.raises(Conflict):
        pp.medical_create(actor=people["township"], household=home, person=head, year=2025)
    assert MedicalCost.objects.get().total_fen == 1_500_010


def test_welfare_overlap_refused_per_kind(people, home):
    t = people["township"]
    first = hh.welfare_create(actor=t, household=home, kind="dibao", started_on=dt.date(2023, 1, 1), ended_on=dt.date(2023, 12, 31),
                              persons=3, monthly="450")
    assert (first.monthly_fen, first.persons) == (45000, 3)
    with pytest.raises(Conflict) as exc:  # the end day is inclusive: starting on it overlaps
        hh.welfare_create(actor=t, household=home, kind="dibao", started_on=dt.date(2023, 12, 31))
    assert exc.value.message == str(hh.MSG_WELFARE_OVERLAP % {"kind": "最低生活保障", "start": "2023-01-01", "end": "2023-12-31"})
    with pytest.raises(Conflict):  # an open period that began before covers everything after
        hh.welfare_create(actor=t, household=home, kind="dibao", started_on=dt.date(2022, 1, 1))
    second = hh.welfare_create(actor=t, household=home, kind="dibao", started_on=dt.date(2024, 1, 1))
    hh.welfare_create(actor=t, household=home, kind="tekun", started_on=dt.date(2023, 6, 1))  # another kind may overlap
    with pytest.raises(Conflict) as exc:
        hh.welfare_create(actor=t, household=home, kind="dibao", started_on=dt.date(2030, 1, 1))
    assert "至 今" in exc.value.message
    with pytest.raises(Conflict):  # moving the first period's end into the second
        pp.support_update(actor=t, record=first, ended_on=dt.date(2024, 1, 1))
    hh.welfare_end(actor=t, welfare=second, ended_on=dt.date(2024, 12, 31))
    hh.welfare_create(actor=t, household=home, kind="dibao", started_on=dt.date(2025, 1, 1))
    assert Welfare.objects.filter(kind="dibao").count() == 3
    with pytest.raises(ValidationFailed) as exc:
        hh.welfare_create(actor=t, household=home, kind="dibao", started_on=dt.date(2021, 2, 1), ended_on=dt.date(2021, 1, 1))
    assert exc.value.detail == {"field": "ended_on"}
    with pytest.raises(ValidationFailed) as exc:
        hh.welfare_create(actor=t, household=home, kind="dibao", started_on=dt.date(2021, 1, 1), persons=0)
    assert exc.value.detail == {"field": "persons"}


def test_income_net_and_per_capita(people, home):
    t = people["township"]
    i = hh.income_create(actor=t, household=home, year=2025, persons=3, wage="30000", business="5000.5", property="0", transfer="2400",
                         costs="1000.2")
    assert (i.wage_fen, i.business_fen, i.costs_fen, i.net_fen, i.surveyed_on) == (3_000_000, 500_050, 100_020, 3_640_030, TODAY)
    with pytest.raises(Conflict) as exc:
        hh.income_create(actor=t, household=home, year=2025, persons=3)
    assert exc.value.message == str(hh.MSG_INCOME_EXISTS % {"year": 2025})
    with pytest.raises(ValidationFailed) as exc:
        hh.income_create(actor=t, household=home, year=2024, persons=None)
    assert exc.value.message == str(engine.MSG_REQUIRED % {"field": "家庭人口"}) and exc.value.detail == {"field": "persons"}
    with pytest.raises(ValidationFailed) as exc:
        hh.income_create(actor=t, household=home, year=2024, persons=3, costs="-5")
    assert exc.value.detail == {"field": "costs"}
    with pytest.raises(ValidationFailed) as exc:
        hh.income_create(actor=t, household=home, year=2024, persons=3, surveyed_on=TODAY + dt.timedelta(days=1))
    assert exc.value.detail == {"field": "surveyed_on"}
    assert Income.objects.count() == 1


def test_industry_and_service_terms(people, home):
    t = people["township"]
    ind = hh.industry_create(actor=t, household=home, year=2025, kind="breeding", mode="dividend", partner="养殖合作社", benefit="1200")
    assert (ind.kind, ind.benefit_fen) == ("breeding", 120000)
    with pytest.raises(ValidationFailed) as exc:
        hh.industry_create(actor=t, household=home, year=2025, kind="mining", mode="own")
    assert exc.value.detail == {"field": "kind"} and exc.value.message == str(MSG_TERM_UNKNOWN % {"value": "mining", "kind": "产业类型"})
    with pytest.raises(ValidationFailed) as exc:
        hh.industry_create(actor=t, household=home, year=2025, kind="breeding", mode="steal")
    assert exc.value.detail == {"field": "mode"}
    s = hh.service_create(actor=t, household=home, kind="legal_aid", on=dt.date(2025, 6, 1), provider="司法所", note="劳务纠纷调解")
    assert s.division_code == home.division_code
    with pytest.raises(ValidationFailed) as exc:
        hh.service_create(actor=t, household=home, kind="legal_aid", on=TODAY + dt.timedelta(days=2))
    assert exc.value.detail == {"field": "on"}
    with pytest.raises(ValidationFailed) as exc:
        hh.service_create(actor=t, household=home, kind="legal_aid", on=dt.date(2025, 6, 1), note="长" * 301)
    assert exc.value.detail == {"field": "note"}
    from anju.relocation.models import Term

    Term.objects.filter(kind="industry", code="breeding").update(active=False)
    pp.support_update(actor=t, record=ind, benefit="1500")  # an inactive term stays valid on its row
    with pytest.raises(ValidationFailed):
        hh.industry_create(actor=t, household=home, year=2026, kind="breeding", mode="own")


def test_scope_foreign_and_entry(people, home):
    head = members_of(home)[0]
    foreign = make_relocated_household(village=OTHER_VILLAGE)
    with pytest.raises(NotFound):
        employ(people["township"], foreign, members_of(foreign)[0])
    with pytest.raises(NotFound):
        employ(people["foreign"], home, head)
    with pytest.raises(NotFound):  # another township's clerk does not even see it
        employ(people["other_township"], home, head)
    with pytest.raises(PermissionDenied):
        employ(people["leader"], home, head)  # may view, may not edit
    with pytest.raises(PermissionDenied):
        employ(people["reviewer"], home, head)
    e = employ(people["county"], home, head)
    with pytest.raises(PermissionDenied):
        pp.support_delete(actor=people["leader"], record=e)
    with pytest.raises(NotFound):
        pp.employment_end(actor=people["foreign"], employment=e, ended_on=TODAY)
    assert Employment.objects.count() == 1 and not AuditEvent.objects.filter(action="relocation.employment.deleted").exists()


def test_township_clerk_viewing_county_but_outside_entry_scope(people, make_user, home):
    clerk = make_user("township_clerk", "429921102", view_scope="429921", username="sp_wide")
    with pytest.raises(PermissionDenied) as exc:
        employ(clerk, home, members_of(home)[0])
    assert exc.value.message == str(MSG_NOT_IN_ENTRY_SCOPE)


def test_unknown_field_refused(people, home):
    e = employ(people["township"], home, members_of(home)[0])
    with pytest.raises(ValidationFailed) as exc:
        pp.support_update(actor=people["township"], record=e, household=1)
    assert exc.value.detail == {"field": "household"}

"""Surveys: validation, the head's ID kept like the registry's, designated-area flagging, the confirmation workflow with
its refusals (wrong state, wrong level, own submission, out of scope), what county confirmation sets off, audit."""

from __future__ import annotations

import datetime as dt

import pytest

from anju.core.crypto import blind_index, decrypt
from anju.core.exceptions import Conflict, NotFound, PermissionDenied, ValidationFailed
from anju.core.models import AuditEvent
from anju.registry.models import ChangeRequest
from anju.relocation import selectors_identification as sel
from anju.relocation.models import Relocation, RelocationStep, Survey
from anju.relocation.services import identification as svc
from tests.registry.factories import make_household, resident_id

from .factories import make_relocated_household

VILLAGE, OTHER_TOWNSHIP_VILLAGE = "429921101201", "429921102201"
TODAY = dt.date.today()


@pytest.fixture
def people(tree, make_user):
    return {"clerk": make_user("township_clerk", "429921101", username="id_t1"), "clerk2": make_user("township_clerk", "429921101", username="id_t2"),
            "county": make_user("county_clerk", "429921", username="id_c1"), "reviewer": make_user("county_reviewer", "429921", username="id_r1"),
            "city": make_user("city_clerk", "4299", username="id_city"), "other": make_user("township_clerk", "429921102", username="id_t9"),
            "leader": make_user("leader", "429921", username="id_ld")}


def survey(actor, **kw):
    data = {"village": VILLAGE, "head_name": "张三", "head_id": resident_id(), "members": 4, "conditions": ["stony"],
            "poverty_registered": True, "per_capita_income_fen": 450_000, "surveyed_on": TODAY - dt.timedelta(days=5),
            "surveyor": "王调查"} | kw
    return svc.survey_create(actor=actor, **data)


def test_create_keeps_the_id_like_the_registry_and_audits_it_masked(people):
    number = resident_id()
    s = survey(people["clerk"], head_id=number.lower() if number.endswith("X") else number)
    assert s.state == Survey.State.DRAFT and s.created_by == people["clerk"]
    assert s.head_id_hash == blind_index(number) and decrypt(s.head_id_enc) == number
    assert s.head_id_masked == number[:3] + "*" * 11 + number[-4:] and number not in s.head_id_enc
    event = AuditEvent.objects.get(action="relocation.survey.created", object_id=str(s.pk))
    assert event.after["head_id"] == s.head_id_masked and number not in str(event.after)
    assert event.division_code == VILLAGE


@pytest.mark.parametrize(("kw", "field"), [
    ({"head_id": "42992119800101001"}, "head_id"),
    ({"head_id": "42992119800101001A"}, "head_id"),
    ({"head_id": ""}, "head_id"),
    ({"head_name": " "}, "head_name"),
    ({"village": "429921101000"}, "village"),
    ({"village": "429922101201"}, "village"),
    ({"members": 0}, "members"),
    ({"conditions": ["moon"]}, "conditions"),
    ({"per_capita_income_fen": -1}, "per_capita_income_fen"),
    ({"surveyed_on": TODAY + dt.timedelta(days=1)}, "surveyed_on"),
    ({"household_number": "NOPE"}, "household"),
])
def test_create_validation_names_the_field(people, kw, field):
    with pytest.raises(ValidationFailed) as exc:
        survey(people["clerk"], **kw)
    assert exc.value.detail["field"] == field
    assert not Survey.objects.exists()


def test_one_open_survey_per_head_and_household_and_entry_scope(people):
    number = resident_id()
    survey(people["clerk"], head_id=number)
    with pytest.raises(Conflict):
        survey(people["clerk"], head_id=number)
    household = make_household("HH-1", [("赵六", "户主")], village=VILLAGE)
    linked = survey(people["clerk"], household_number="HH-1", village="")
    assert linked.household == household and linked.division_code == VILLAGE
    with pytest.raises(Conflict):
        survey(people["clerk"], household_number="HH-1")
    with pytest.raises(ValidationFailed) as exc:  # another township's household is not found from here
        survey(people["other"], household_number="HH-1", village="")
    assert exc.value.detail["field"] == "household"
    with pytest.raises(PermissionDenied):
        survey(people["leader"])


def test_designated_area_flags_surveys_and_rejudges(people):
    rule_admin = people["city"]
    from anju.relocation.services.identification_rules import rule_create

    rule_create(actor=rule_admin, code="area", name="位于迁出区", field="in_designated_area", operator="is_true")
    inside = survey(people["clerk"])
    elsewhere = survey(people["other"], village=OTHER_TOWNSHIP_VILLAGE, head_name="钱七")
    assert (inside.in_designated_area, inside.eligible) == (False, False)
    area = svc.area_create(actor=rule_admin, division="429921101", conditions=["stony", "high_cold"], designated_on=TODAY)
    inside.refresh_from_db()
    elsewhere.refresh_from_db()
    assert (inside.in_designated_area, inside.eligible) == (True, True)
    assert elsewhere.in_designated_area is False
    assert AuditEvent.objects.get(action="relocation.area.created").after["surveys_flagged"] == 1
    later = survey(people["clerk"], head_name="孙八")
    assert later.in_designated_area and later.eligible  # a new survey is flagged on save
    with pytest.raises(Conflict):
        svc.area_create(actor=rule_admin, division="429921101", conditions=["stony"], designated_on=TODAY)
    village_area = svc.area_create(actor=rule_admin, division=OTHER_TOWNSHIP_VILLAGE, conditions=["endemic"], designated_on=TODAY)
    elsewhere.refresh_from_db()
    assert elsewhere.in_designated_area
    with pytest.raises(ValidationFailed) as exc:
        svc.area_create(actor=rule_admin, division="429921", conditions=["stony"], designated_on=TODAY)
    assert exc.value.message == str(svc.MSG_AREA_LEVEL)
    with pytest.raises(ValidationFailed):
        svc.area_create(actor=rule_admin, division="429921103", conditions=[], designated_on=TODAY)
    with pytest.raises(PermissionDenied):
        svc.area_create(actor=people["county"], division="429921103", conditions=["stony"], designated_on=TODAY)
    svc.area_update(actor=rule_admin, area=area, document="清政发〔2016〕1号")
    assert svc.area_delete(actor=rule_admin, area=area) == 2
    inside.refresh_from_db()
    assert (inside.in_designated_area, inside.eligible) == (False, False)
    assert [a.pk for a in sel.area_list(actor=people["other"])] == [village_area.pk]


def test_the_workflow_to_county_confirmation_of_a_registry_household(people):
    household = make_household("HH-9", [("周九", "户主")], village=VILLAGE)
    s = survey(people["clerk"], household_number="HH-9")
    svc.survey_update(actor=people["clerk"], survey=s, members=5, per_capita_income_fen=None)
    with pytest.raises(PermissionDenied):
        svc.survey_submit(actor=people["clerk2"], survey=s)  # only the recorder submits
    svc.survey_submit(actor=people["clerk"], survey=s)
    with pytest.raises(Conflict):
        svc.survey_update(actor=people["clerk"], survey=s, members=6)  # no edits after the draft
    with pytest.raises(Conflict):
        svc.survey_confirm(actor=people["county"], survey=s)  # county before township
    with pytest.raises(PermissionDenied) as exc:
        svc.survey_township_confirm(actor=people["clerk"], survey=s)
    assert exc.value.message == str(svc.MSG_OWN_SUBMISSION)
    with pytest.raises(NotFound):
        svc.survey_township_confirm(actor=people["other"], survey=s)  # another township
    svc.survey_township_confirm(actor=people["clerk2"], survey=s, note="属实")
    with pytest.raises(Conflict):
        svc.survey_township_confirm(actor=people["clerk2"], survey=s)
    with pytest.raises(PermissionDenied):
        svc.survey_confirm(actor=people["clerk"], survey=s)  # no RELOCATION_CONFIRM
    svc.survey_confirm(actor=people["reviewer"], survey=s, on=TODAY)
    s.refresh_from_db()
    assert (s.state, s.township_by, s.county_by, s.county_on) == (Survey.State.CONFIRMED, people["clerk2"], people["reviewer"], TODAY)
    relocation = Relocation.objects.get(household=household)
    assert (relocation.step, relocation.confirmed_on, relocation.survey_id, relocation.persons) == ("confirmed", TODAY, s.pk, 5)
    assert list(RelocationStep.objects.filter(relocation=relocation).values_list("step", "on")) == [("confirmed", TODAY)]
    actions = list(AuditEvent.objects.filter(object_type="survey", object_id=str(s.pk)).order_by("id").values_list("action", flat=True))
    assert actions == ["relocation.survey.created", "relocation.survey.updated", "relocation.survey.submitted",
                       "relocation.survey.township_confirmed", "relocation.survey.confirmed"]
    confirmed = AuditEvent.objects.get(action="relocation.survey.confirmed")
    assert confirmed.before == {"state": "township_confirmed"} and confirmed.after["relocation"] == relocation.pk
    with pytest.raises(Conflict):
        svc.survey_reject(actor=people["county"], survey=s, reason="晚了")


def test_refusals_level_own_township_ineligible_and_existing_relocation(people):
    county = people["county"]
    s = survey(county)  # a county clerk may record; the township confirmation then needs another account
    svc.survey_submit(actor=county, survey=s)
    with pytest.raises(PermissionDenied):
        svc.survey_township_confirm(actor=county, survey=s)
    svc.survey_township_confirm(actor=people["city"], survey=s)
    with pytest.raises(PermissionDenied) as exc:
        svc.survey_confirm(actor=people["city"], survey=s)
    assert exc.value.message == str(svc.MSG_OWN_TOWNSHIP)

    s2 = survey(people["clerk"], head_name="吴十")
    svc.survey_submit(actor=people["clerk"], survey=s2)
    svc.survey_township_confirm(actor=people["clerk2"], survey=s2)
    with pytest.raises(PermissionDenied) as exc:  # a township clerk cannot confirm at county level, even holding the scope
        svc.survey_reject(actor=people["clerk2"], survey=s2, reason="x")
    with pytest.raises(ValidationFailed):
        svc.survey_reject(actor=county, survey=s2, reason=" ")
    svc.survey_reject(actor=county, survey=s2, reason="已在其他地方安置")
    s2.refresh_from_db()
    assert (s2.state, s2.decision_note, s2.county_by) == (Survey.State.REJECTED, "已在其他地方安置", county)
    assert AuditEvent.objects.get(action="relocation.survey.rejected").after["level"] == "county"

    poor_not = survey(people["clerk"], head_name="郑十一", poverty_registered=False)
    svc.survey_submit(actor=people["clerk"], survey=poor_not)
    with pytest.raises(Conflict) as exc:
        svc.survey_township_confirm(actor=people["clerk2"], survey=poor_not)
    assert "建档立卡贫困户" in exc.value.message
    svc.survey_reject(actor=people["clerk2"], survey=poor_not, reason="非建档立卡户")
    assert AuditEvent.objects.filter(action="relocation.survey.rejected").count() == 2

    moved = make_relocated_household(village=VILLAGE)
    s3 = survey(people["clerk"], head_name="冯十二", household_number=moved.number)
    svc.survey_submit(actor=people["clerk"], survey=s3)
    svc.survey_confirm_next(actor=people["clerk2"], survey=s3)
    svc.survey_confirm_next(actor=county, survey=s3)
    assert Relocation.objects.filter(household=moved).count() == 1  # the existing one is left alone
    assert Relocation.objects.get(household=moved).step == "moved_in"


def test_unlinked_confirmed_survey_becomes_an_add_household_request_then_links(people):
    number = resident_id()
    s = survey(people["clerk"], head_id=number, address="石门村三组")
    svc.survey_submit(actor=people["clerk"], survey=s)
    svc.survey_township_confirm(actor=people["clerk2"], survey=s)
    with pytest.raises(Conflict):
        svc.survey_request_household(actor=people["clerk"], survey=s, number="YB-NEW-1")
    svc.survey_confirm(actor=people["county"], survey=s)
    assert not Relocation.objects.exists()
    with pytest.raises(Conflict) as exc:
        svc.survey_link_household(actor=people["clerk"], survey=s)
    assert exc.value.message == str(svc.MSG_LINK_NONE)
    cr = svc.survey_request_household(actor=people["clerk"], survey=s, number="YB-NEW-1")
    assert (cr.kind, cr.program, cr.state, cr.division_code) == ("add_household", "relocation", "pending", VILLAGE)
    member = cr.payload["members"][0]
    assert (member["name"], member["id_hash"], member["relation"]) == ("张三", blind_index(number), "户主")
    assert svc.survey_requests(s) == [cr]
    assert AuditEvent.objects.filter(action="registry.request.created", object_id=str(cr.pk)).exists()
    assert AuditEvent.objects.get(action="relocation.survey.request_created").after == {"request": cr.pk, "number": "YB-NEW-1"}
    with pytest.raises(Conflict):
        svc.survey_request_household(actor=people["clerk"], survey=s, number="YB-NEW-2")
    # the registry applies the request (here: the household appears) — then the survey links to it
    ChangeRequest.objects.filter(pk=cr.pk).update(state="effective")
    household = make_household("YB-NEW-1", [("张三", "户主")], village=VILLAGE)
    from anju.registry.models import Person

    Person.objects.filter(pk=household.head_id).update(id_hash=blind_index(number))
    svc.survey_link_household(actor=people["clerk"], survey=s)
    s.refresh_from_db()
    assert s.household == household and Relocation.objects.get(household=household).survey_id == s.pk


def test_reads_are_scoped_and_reveal_is_audited(people, other_city, make_user):
    s = survey(people["clerk"])
    assert sel.access_survey(people["county"], s.pk) == s
    with pytest.raises(NotFound):
        sel.access_survey(people["other"], s.pk)
    with pytest.raises(NotFound):
        sel.access_survey(make_user("county_clerk", "429821"), s.pk)
    assert list(sel.survey_list(actor=people["other"])) == []
    assert list(sel.survey_list(actor=people["city"], division="429921101")) == [s]
    assert list(sel.survey_list(actor=people["city"], division="429922")) == []
    assert sel.survey_reveal(actor=people["clerk"], survey=s) == decrypt(s.head_id_enc)
    assert AuditEvent.objects.get(action="relocation.survey.revealed").after == {"field": "head_id"}
    with pytest.raises(PermissionDenied):
        sel.survey_reveal(actor=people["leader"], survey=s)
